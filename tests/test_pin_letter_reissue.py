"""Agency staff reissue a PIN letter (PU-08, PU-01, PU-06; issue 14): a PID/SL whose letter was lost,
expired or guessed at gets a new one and the old PIN stops working. Before, there was no screen
for it, so a PID/SL whose letter died could never get a Primary User. Who may: authority.letter_refusal.
"""

import pytest
from django.contrib.auth.hashers import check_password
from django.urls import reverse

from audit.models import AuditEvent
from posc.policy import PolicyViolation
from providers import registration
from providers.models import Designation, RegistrationThrottle
from tests import factories
from tests.test_registration import form_data
from tests.view_helpers import field_errors, page

LETTERS = reverse("agency:letters")
REGISTER = reverse("providers:register")
DESIGNEE = {"designee_first_name": "Nina", "designee_last_name": "Alvarez", "designee_email": "nina@example.org"}


def _names() -> dict:
    return {"first_name": "Nina", "last_name": "Alvarez", "email": "nina@example.org"}


def _state() -> list:
    return sorted(Designation.objects.values_list("pk", "pin_hash", "voided_at", "registered_at"))


def test_pu08_agency_staff_reissue_the_letter_and_the_old_pin_dies(client, cast, harbor, letter):
    old, old_pin = letter
    RegistrationThrottle.objects.create(key=registration.pidsl_throttle_key(harbor.code), failures=7)
    client.force_login(cast.agency)

    response = client.post(LETTERS, {"pidsl": "770000001a", **DESIGNEE})

    assert response.status_code == 200
    new = Designation.objects.get(pidsl=harbor, voided_at__isnull=True)
    pin = response.context["pin"]
    assert new.pk != old.pk and check_password(pin, new.pin_hash)
    assert Designation.objects.get(pk=old.pk).voided_at is not None
    assert pin in page(response) and old_pin not in page(response)
    # The wrong tries of the old letter do not slow the new one down.
    assert not RegistrationThrottle.objects.exists()
    event = AuditEvent.objects.filter(action=AuditEvent.Action.PIN_LETTER_REISSUE, pidsl=harbor).first()
    assert (event.actor, event.before) == (cast.agency, {"voided_letters": [old.pk]})
    assert "reissued" in event.detail and pin not in str(event.after) + event.detail
    # The old PIN no longer registers anyone; the new one does.
    client.logout()
    assert client.post(REGISTER, form_data((new, old_pin))).status_code == 400
    assert client.post(REGISTER, form_data((new, pin))).status_code == 200


def test_the_page_lists_pidsls_waiting_for_a_primary_user_and_fills_the_form(client, cast, harbor, letter):
    client.force_login(cast.agency)

    response = client.get(LETTERS, {"pidsl": harbor.code})

    assert response.status_code == 200
    listed = [p.code for p in response.context["page"].object_list]
    assert listed == [harbor.code]  # Eddy's PID/SLs all have their Primary User
    form = response.context["form"]
    assert form.initial["designee_last_name"] == "Alvarez" and form.initial["pidsl"] == harbor.code
    assert "Nina Alvarez, issued" in page(response)


def test_a_pidsl_without_any_letter_gets_one_too(client, cast, harbor):
    client.force_login(cast.agency)

    response = client.post(LETTERS, {"pidsl": harbor.code, **DESIGNEE})

    assert response.status_code == 200
    assert Designation.objects.filter(pidsl=harbor, voided_at__isnull=True).count() == 1


def test_pu06_a_pidsl_with_a_primary_user_is_refused_with_the_reason(client, cast):
    client.force_login(cast.agency)
    before = _state()

    response = client.post(LETTERS, {"pidsl": cast.pidsl_a.code, **DESIGNEE})

    assert response.status_code == 403
    assert f"{cast.pidsl_a.code} already has a Primary User; use a change request." in page(response)
    assert "PU-06" in page(response)
    assert 'data-refusal="rule"' in page(response)
    assert _state() == before
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_REFUSED, actor=cast.agency).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pidsl", "999999999Z", "No PID/SL 999999999Z is enrolled. Check the code, or enroll it first."),
        ("pidsl", "12345", "Enter 9 digits and a letter, as on your letter."),
        ("designee_last_name", "", "Enter the Primary User's last name."),
        ("designee_email", "not-an-email", "Enter a valid email address."),
    ],
)
def test_bad_input_is_shown_at_its_field_and_changes_nothing(client, cast, harbor, letter, field, value, message):
    client.force_login(cast.agency)
    before = _state()

    response = client.post(LETTERS, {"pidsl": harbor.code, **DESIGNEE, field: value})

    assert response.status_code == 400
    assert message in " ".join(field_errors(response, field))
    assert _state() == before


# Who gets in, per kind of user: tests/test_view_authorization.py and the matrix.


def test_the_service_asks_the_authority(cast, harbor, letter):
    with pytest.raises(PolicyViolation) as refused:
        registration.designation_approve(actor=cast.alice, pidsl=harbor, **_names())
    assert refused.value.rule == "PU-08"


@pytest.mark.parametrize("waiting", [2, 12])
def test_the_page_reads_a_constant_number_of_times(client, cast, django_assert_max_num_queries, waiting):
    organization = factories.OrganizationFactory(name="Many Sites")
    for n in range(waiting):
        pidsl = factories.PidSlFactory(
            organization=organization, provider_id="880000001", service_location="ABCDEFGHIJKL"[n]
        )
        registration.designation_approve(actor=cast.agency, pidsl=pidsl, **_names())
    client.force_login(cast.agency)
    client.get(LETTERS)  # warm the per-process caches (terms, navigation)

    with django_assert_max_num_queries(12):
        assert client.get(LETTERS, {"pidsl": "880000001A"}).status_code == 200
