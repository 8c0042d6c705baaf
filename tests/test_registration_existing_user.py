"""PU-08, US-01: a person who already has a user ID becomes the Primary User of another PID/SL on
that same ID (Scenario 4: one person may be Primary of several PID/SLs). Registering anonymously
with their identity never creates a second ID and never shows a database message (issue 17)."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.models import AuditEvent
from providers import authority, registration
from providers.models import Access, Designation
from tests import factories
from tests.test_registration import PASSPHRASE, form_data, refused_and_recorded, snapshot
from tests.view_helpers import field_errors, top_errors

User = get_user_model()
REGISTER_URL = reverse("providers:register")


@pytest.fixture
def nina(cast):
    """Nina Alvarez already has a user ID at Eddy's (born 04/12, PIN 5678)."""
    return factories.UserFactory(
        username="nalvarez.eddys",
        first_name="Nina",
        last_name="Alvarez",
        birth_month=4,
        birth_day=12,
        pin="5678",
        home_organization=cast.eddys,
    )


def _nothing_but_nothing(before) -> bool:
    return snapshot() == before


@pytest.mark.parametrize("pin", ["5678", "1234"])
def test_us01_registering_again_asks_the_person_to_sign_in_and_creates_no_second_id(client, letter, nina, pin):
    """The same identity (the US-01 constraint: a database message before), or the same person
    with another PIN (a second user ID, "mhughes.e", before)."""
    before = snapshot()
    response = client.post(REGISTER_URL, form_data(letter, pin=pin, username="nina2"))
    assert response.status_code == 400
    errors = " ".join(field_errors(response, "last_name"))
    assert "You already have a user ID" in errors and "Sign in with it" in errors
    assert "Constraint" not in response.content.decode() and "nalvarez.eddys" not in response.content.decode()
    assert snapshot()["users"] == before["users"]
    assert Designation.objects.get(pk=letter[0].pk).registered_at is None


def test_pu08_signed_in_the_letter_makes_the_user_id_primary_of_the_pidsl(client, letter, nina, harbor):
    client.force_login(nina)
    page = client.get(REGISTER_URL)
    assert "Register a PIN letter on your user ID" in page.content.decode()
    designation, pin = letter
    response = client.post(REGISTER_URL, {"pidsl": harbor.code, "registration_pin": pin})
    assert response.status_code == 200, response.content
    assert "the Primary User of 770000001A" in response.content.decode()
    assert authority.holder_id(harbor, authority.PRIMARY) == nina.pk
    assert User.objects.filter(first_name="Nina", last_name="Alvarez").count() == 1
    designation.refresh_from_db()
    assert designation.registered_user == nina
    record = AuditEvent.objects.filter(action=AuditEvent.Action.REGISTRATION, pidsl=harbor).get()
    assert record.after["on_existing_user_id"] is True and record.target_user == nina
    # The PIN worked once.
    again = client.post(REGISTER_URL, {"pidsl": harbor.code, "registration_pin": pin})
    assert again.status_code == 400


def test_pu01_a_letter_for_someone_else_changes_nothing(client, cast, letter, harbor):
    client.force_login(cast.carol)
    before = snapshot()
    response = client.post(REGISTER_URL, {"pidsl": harbor.code, "registration_pin": letter[1]})
    assert response.status_code == 400
    assert "This letter names another person" in " ".join(field_errors(response, "registration_pin"))
    assert _nothing_but_nothing(before)
    assert not Access.objects.filter(pidsl=harbor).exists()


def test_pu01_a_wrong_pin_signed_in_is_the_one_refusal_and_counted(client, letter, nina, harbor):
    client.force_login(nina)
    before = snapshot()
    response = client.post(REGISTER_URL, {"pidsl": harbor.code, "registration_pin": "WRONGPIN22"})
    assert response.status_code == 400
    assert registration.GENERIC_REFUSAL in " ".join(field_errors(response, "registration_pin"))
    assert refused_and_recorded(before)


def test_bad_input_signed_in_is_named_next_to_the_field(client, nina):
    client.force_login(nina)
    response = client.post(REGISTER_URL, {"pidsl": "12", "registration_pin": ""})
    assert response.status_code == 400
    assert field_errors(response, "pidsl") and field_errors(response, "registration_pin")
    assert not top_errors(response)


def test_the_anonymous_register_page_still_registers_a_new_person(client, letter):
    response = client.post(REGISTER_URL, form_data(letter))
    assert response.status_code == 200
    assert User.objects.filter(username="nalvarez").exists()
    assert PASSPHRASE  # the same form data as tests/test_registration.py
