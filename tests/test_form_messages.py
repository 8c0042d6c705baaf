"""Issue 18: a form sent empty says, at each field, what to enter. Django's "This field is
required." names no field, so a summary of seven of them told a person nothing."""

import importlib
import inspect

import pytest
from django import forms
from django.template.loader import render_to_string

from providers.models import PidSl
from tests.factories import PidSlFactory, UserFactory

DJANGO_DEFAULT = "This field is required."

# Every module that declares the portal's forms; a form added to one is checked without a new line here.
MODULES = (
    "accounts.views",
    "accounts.mfa_views",
    "subordinates.forms",
    "providers.forms",
    "providers.agency_forms",
    "audit.compliance.forms",
    "audit.reviews.forms",
    "audit.trail.forms",
)


def _forms():
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and issubclass(cls, forms.BaseForm) and cls.__module__ == module_name:
                yield pytest.param(cls, id=f"{module_name}.{name}")


def _empty(cls):
    """The form bound to an empty POST, with what its constructor needs."""
    user = UserFactory()
    pidsl = PidSlFactory()
    needs = {
        "SubordinateForm": {"pidsl": pidsl},
        "LinkForm": {"pidsl": pidsl, "administered": PidSl.objects.filter(pk=pidsl.pk)},
        "ServicesForm": {"pidsl": pidsl, "role": "subordinate"},
        "KeepUsersForm": {"choices": [(user.pk, user.username)]},
        "CurrentPasswordForm": {"user": user},
        "ReplaceDeviceForm": {"user": user},
    }
    if cls.__name__ == "ChangePasswordForm":
        return cls(user, data={})
    if cls.__name__ == "SignInForm":
        return cls(None, data={})
    return cls(data={}, **needs.get(cls.__name__, {}))


@pytest.mark.django_db
@pytest.mark.parametrize("cls", list(_forms()))
def test_an_empty_form_names_what_to_enter(cls):
    form = _empty(cls)
    form.is_valid()

    messages = [str(m) for errors in form.errors.values() for m in errors]
    shown = render_to_string("includes/form_fields.html", {"form": form})

    assert DJANGO_DEFAULT not in messages
    assert DJANGO_DEFAULT not in shown


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/accounts/login/", "username"),
        ("/providers/register/", "pidsl"),
    ],
)
def test_an_empty_screen_names_the_field(client, path, field):
    response = client.post(path, {})

    page = response.content.decode()
    assert DJANGO_DEFAULT not in page
    assert f'id="id_{field}_error1"' in page
