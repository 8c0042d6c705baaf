"""What the Administer Account view tests share: URLs, the form data a screen posts,
where an error shows on the page, and a snapshot of what a refused POST must leave alone."""

import html
import re

from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.models import AuditEvent
from providers.models import Access, Notification


def _text(fragment: str) -> str:
    """What a person reads in a message: the rule's link (posc.rules.rule_links) as its text."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def url(name: str, **kwargs) -> str:
    return reverse(f"subordinates:{name}", kwargs=kwargs)


def access_url(name: str, access: Access) -> str:
    """Update, Reset Password and Remove take the PID/SL code and the Access pk."""
    return url(name, pidsl=access.pidsl.code, access_id=access.pk)


def page(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page as a person reads it: no tags (a rule's ID is a link inside a message)."""
    return _text(page(response))


def field_errors(response, field: str) -> list[str]:
    """The messages shown next to one field (includes/field.html)."""
    found = re.findall(rf'<span class="usa-error-message" id="id_{field}_error\d+">(.*?)</span>', page(response), re.S)
    return [_text(m) for m in found]


def top_errors(response) -> list[str]:
    """The form's own messages (not a field's) in the error summary (includes/form_errors.html)."""
    return [_text(m) for m in re.findall(r"<li data-form-error>(.*?)</li>", page(response), re.S)]


def services_errors(response) -> list[str]:
    """The messages in the services picker (includes/services_picker.html)."""
    found = re.findall(r'<p class="usa-error-message" role="alert">(.*?)</p>', page(response), re.S)
    return [_text(m) for m in found]


def assigned_codes(response) -> list[str]:
    """The working set the picker carries in hidden fields until Submit."""
    return re.findall(r'<input type="hidden" name="services" value="([^"]+)">', page(response))


def seen_of(access: Access) -> str:
    """Update Subordinate's hidden ``seen`` field for a page opened now (issue 15)."""
    return " ".join(sorted(access.services.values_list("code", flat=True)))


def hidden_fields(response) -> dict:
    """Every hidden input of a page, as a form posts them (a list where the name repeats)."""
    found: dict = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page(response)):
        found.setdefault(name, []).append(html.unescape(value))
    return {name: values if len(values) > 1 or name == "services" else values[0] for name, values in found.items()}


def new_person(**changes) -> dict:
    """Add New Subordinate, filled in as seeds 004 shows it."""
    data = {
        "last_name": "Rivera",
        "first_name": "Gina",
        "middle_initial": "M",
        "birth_date": "07/19",
        "pin": "4831",
        "email": "gina.rivera@example.org",
        "zip_code": "02108",
        "phone": "617-555-0100",
        "services": ["portal_services", "claims"],
        "action": "submit",
    }
    data.update(changes)
    return data


def db_state() -> dict:
    """Everything an Administer Account POST can change; refused requests leave it equal.

    Refusals are audited (ACCESS_REFUSED), so those rows are left out on purpose.
    """
    User = get_user_model()
    through = Access.services.through
    return {
        "open_links": sorted(Access.objects.open().values_list("pk", "user_id", "pidsl_id", "role")),
        "services": sorted(
            through.objects.filter(access__ended_at__isnull=True).values_list("access_id", "service_id")
        ),
        "users": sorted(User.objects.values_list("pk", "is_active", "password", "must_change_password")),
        "audit": sorted(
            AuditEvent.objects.exclude(action=AuditEvent.Action.ACCESS_REFUSED).values_list("pk", "action")
        ),
        "notifications": Notification.objects.count(),
    }


def is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
