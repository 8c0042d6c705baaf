"""Register on the POSC with the PIN letter (seeds 001, 002): agency staff approve the Data
Collection Form, which issues a one-time PIN; the person named on it registers with the
PID/SL's code and the PIN and becomes its first Primary User (PU-01)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from posc.policy import NotAuthorized, PolicyViolation
from providers import authority, registration
from providers.models import Access, Designation
from tests import factories
from tests.helpers import assert_permissions_match_access, audit_count, held
from tests.view_helpers import field_errors, page, top_errors

User = get_user_model()
REGISTER_URL = reverse("providers:register")
PASSPHRASE = "lantern orchard velvet summit"


@pytest.fixture
def harbor(cast):
    """A newly enrolled PID/SL of a new organization, with no Primary User yet."""
    organization = factories.OrganizationFactory(name="Harbor Clinic")
    return factories.PidSlFactory(organization=organization, provider_id="770000001", service_location="A")


@pytest.fixture
def letter(cast, harbor):
    """The approved designation of Nina Alvarez, and the PIN printed on her letter."""
    return registration.designation_approve(
        actor=cast.agency, pidsl=harbor, first_name="Nina", last_name="Alvarez", email="nina@example.org"
    )


def form_data(letter, **changes) -> dict:
    designation, pin = letter
    data = {
        "pidsl": designation.pidsl.code,
        "registration_pin": pin,
        "first_name": "Nina",
        "last_name": "Alvarez",
        "birth_date": "04/12",
        "pin": "5678",
        "email": "nina.alvarez@example.org",
        "zip_code": "02108",
        "phone": "617-555-0190",
        "username": "nalvarez",
        "password": PASSPHRASE,
        "password2": PASSPHRASE,
    }
    data.update(changes)
    return data


def snapshot() -> dict:
    """Everything a registration can write."""
    return {
        "users": sorted(User.objects.values_list("pk", "username")),
        "links": sorted(Access.objects.values_list("pk", "user_id", "pidsl_id", "role", "ended_at")),
        "designations": sorted(
            Designation.objects.values_list("pk", "failed_attempts", "voided_at", "registered_at", "registered_user")
        ),
        "audit": sorted(AuditEvent.objects.values_list("pk", "action")),
    }


def refreshed(letter) -> Designation:
    return Designation.objects.get(pk=letter[0].pk)


# designation_approve: agency staff issue the letter


def test_the_agency_approval_issues_a_pin_and_stores_only_its_hash(cast, harbor):
    designation, pin = registration.designation_approve(
        actor=cast.agency, pidsl=harbor, first_name=" Nina ", last_name="Alvarez", email="nina@example.org"
    )

    assert len(pin) == 10
    designation.refresh_from_db()
    assert (designation.first_name, designation.last_name) == ("Nina", "Alvarez")
    assert designation.approved_by == cast.agency
    assert pin not in designation.pin_hash
    assert check_password(pin, designation.pin_hash)
    assert designation.pin_expires_at > timezone.now()
    event = AuditEvent.objects.get(action=AuditEvent.Action.DESIGNATION_APPROVE, pidsl=harbor)
    assert event.actor == cast.agency
    assert pin not in str(event.after)


def test_a_new_letter_voids_the_unused_one(cast, harbor, letter):
    registration.designation_approve(
        actor=cast.agency, pidsl=harbor, first_name="Nina", last_name="Alvarez", email="nina@example.org"
    )

    assert refreshed(letter).voided_at is not None
    assert Designation.objects.filter(pidsl=harbor, voided_at__isnull=True).count() == 1


@pytest.mark.parametrize("actor", ["alice", "bob", "compliance", "erin"])
def test_only_agency_staff_approve_a_designation(cast, harbor, actor):
    with pytest.raises(NotAuthorized):
        registration.designation_approve(
            actor=getattr(cast, actor), pidsl=harbor, first_name="Nina", last_name="Alvarez", email="n@example.org"
        )

    assert not Designation.objects.exists()
    assert audit_count(action=AuditEvent.Action.DESIGNATION_APPROVE) == 0


def test_pu06_a_pidsl_that_has_a_primary_user_gets_no_letter(cast):
    with pytest.raises(PolicyViolation) as refused:
        registration.designation_approve(
            actor=cast.agency, pidsl=cast.pidsl_a, first_name="Nina", last_name="Alvarez", email="n@example.org"
        )

    assert refused.value.rule == "PU-06"
    assert not Designation.objects.exists()
    assert audit_count(action=AuditEvent.Action.DESIGNATION_APPROVE) == 0


# The Register page


def test_the_register_page_is_open_to_anyone(client, db):
    response = client.get(REGISTER_URL)

    assert response.status_code == 200
    assert "Register on the Provider Online Service Center" in page(response)


def test_pu01_the_designated_person_registers_and_becomes_the_primary_user(client, cast, harbor, letter):
    response = client.post(REGISTER_URL, form_data(letter))

    assert response.status_code == 200
    assert "You are registered as <strong>nalvarez</strong>" in page(response)
    user = User.objects.get(username="nalvarez")
    assert user.home_organization == harbor.organization
    assert (user.first_name, user.last_name, user.birth_mmdd, user.pin) == ("Nina", "Alvarez", "04/12", "5678")
    assert user.check_password(PASSPHRASE)
    assert user.terms_version == ""  # US-03: accepted at first sign-in
    access = Access.objects.open().get(pidsl=harbor, role=Access.Role.PRIMARY)
    assert access.user == user
    assert held(user, harbor) == {s.code for s in authority.administrator_services(harbor)}
    assert_permissions_match_access()
    designation = refreshed(letter)
    assert designation.registered_user == user
    assert designation.registered_at is not None
    assert audit_count(action=AuditEvent.Action.DESIGNATION_APPROVE, pidsl=harbor) == 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.REGISTRATION)
    assert (event.actor, event.target_user, event.pidsl) == (user, user, harbor)


def test_the_pidsl_code_and_pin_are_read_as_typed_on_the_letter(client, cast, harbor, letter):
    designation, pin = letter

    response = client.post(REGISTER_URL, form_data(letter, pidsl="770000001a", registration_pin=f" {pin.lower()} "))

    assert response.status_code == 200
    assert Access.objects.open().get(pidsl=harbor, role=Access.Role.PRIMARY).user.username == "nalvarez"


def test_pu01_the_pin_works_once(client, cast, harbor, letter):
    client.post(REGISTER_URL, form_data(letter))
    before = snapshot()

    response = client.post(REGISTER_URL, form_data(letter, username="nalvarez2", pin="5679"))

    assert response.status_code == 400
    assert field_errors(response, "registration_pin")
    assert not User.objects.filter(username="nalvarez2").exists()
    assert snapshot() == before


def test_pu01_an_expired_pin_is_refused(client, cast, harbor, letter):
    Designation.objects.filter(pk=letter[0].pk).update(pin_expires_at=timezone.now() - timedelta(minutes=1))
    before = snapshot()

    response = client.post(REGISTER_URL, form_data(letter))

    assert response.status_code == 400
    assert field_errors(response, "registration_pin") == [
        "The Provider ID/Service Location and registration PIN do not match a letter we issued. (PU-01)"
    ]
    assert snapshot() == before


def test_pu01_five_wrong_pins_void_the_letter(client, cast, harbor, letter):
    for attempt in range(1, registration.MAX_PIN_FAILURES + 1):
        response = client.post(REGISTER_URL, form_data(letter, registration_pin="WRONGPIN22"))
        assert response.status_code == 400
        assert field_errors(response, "registration_pin")
        assert refreshed(letter).failed_attempts == attempt
        assert audit_count(action=AuditEvent.Action.REGISTRATION_FAILED, pidsl=harbor) == attempt

    assert refreshed(letter).voided_at is not None
    event = AuditEvent.objects.filter(action=AuditEvent.Action.REGISTRATION_FAILED).first()
    assert event.actor_username == "nalvarez"
    assert "WRONGPIN22" not in str(event.after) + event.detail

    response = client.post(REGISTER_URL, form_data(letter))

    assert response.status_code == 400
    assert field_errors(response, "registration_pin")
    assert not User.objects.filter(username="nalvarez").exists()
    assert not Access.objects.filter(pidsl=harbor).exists()


def test_pu01_four_wrong_pins_leave_the_letter_usable(client, cast, harbor, letter):
    for _ in range(registration.MAX_PIN_FAILURES - 1):
        client.post(REGISTER_URL, form_data(letter, registration_pin="WRONGPIN22"))

    response = client.post(REGISTER_URL, form_data(letter))

    assert response.status_code == 200
    assert User.objects.filter(username="nalvarez").exists()


def test_an_unknown_pidsl_and_a_wrong_pin_get_the_same_message(client, cast, harbor, letter):
    unknown = client.post(REGISTER_URL, form_data(letter, pidsl="999999999Z"))
    no_letter = client.post(REGISTER_URL, form_data(letter, pidsl=cast.pidsl_b.code))
    wrong_pin = client.post(REGISTER_URL, form_data(letter, registration_pin="WRONGPIN22"))

    assert unknown.status_code == no_letter.status_code == wrong_pin.status_code == 400
    message = field_errors(wrong_pin, "registration_pin")
    assert message
    assert field_errors(unknown, "registration_pin") == message
    assert field_errors(no_letter, "registration_pin") == message
    assert field_errors(unknown, "pidsl") == field_errors(wrong_pin, "pidsl") == []


def test_pu01_a_name_other_than_the_designated_persons_is_refused(client, cast, harbor, letter):
    before = snapshot()

    response = client.post(REGISTER_URL, form_data(letter, last_name="Alvares"))

    assert response.status_code == 400
    assert field_errors(response, "last_name") == [
        "Your name does not match the person named on the Data Collection Form. (PU-01)"
    ]
    assert snapshot() == before
    # The PIN is not spent: the right person can still register.
    assert client.post(REGISTER_URL, form_data(letter)).status_code == 200


def test_the_names_match_whatever_their_case(client, cast, harbor, letter):
    response = client.post(REGISTER_URL, form_data(letter, first_name="NINA", last_name="alvarez"))

    assert response.status_code == 200


def test_a_taken_user_id_is_refused(client, cast, harbor, letter):
    before = snapshot()

    response = client.post(REGISTER_URL, form_data(letter, username="ALICE"))

    assert response.status_code == 400
    assert field_errors(response, "username") == ["That user ID is taken; choose another. (US-01)"]
    assert snapshot() == before


def test_us01_a_person_who_already_has_a_user_id_is_refused(client, cast, harbor, letter):
    factories.UserFactory(
        username="nina.old", first_name="Nina", last_name="Alvarez", birth_month=4, birth_day=12, pin="5678"
    )
    before = snapshot()

    response = client.post(REGISTER_URL, form_data(letter))

    assert response.status_code == 400
    assert top_errors(response)
    assert snapshot() == before


@pytest.mark.parametrize("password", ["passwordpassword", "short pass", "nina.alvarez@example"])
def test_a_weak_password_is_refused_at_the_password_field(client, cast, harbor, letter, password):
    before = snapshot()

    response = client.post(REGISTER_URL, form_data(letter, password=password, password2=password))

    assert response.status_code == 400
    assert field_errors(response, "password")
    assert snapshot() == before
    assert refreshed(letter).registered_at is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pidsl", "12345"),
        ("pidsl", "1100000012"),
        ("registration_pin", ""),
        ("first_name", "N1na"),
        ("last_name", ""),
        ("birth_date", "13/45"),
        ("birth_date", "02/30"),
        ("pin", "12a4"),
        ("pin", "123"),
        ("email", "not-an-email"),
        ("zip_code", "123"),
        ("phone", "6" * 21),
        ("username", "ab"),
        ("username", "nina alvarez"),
        ("password", ""),
        ("password2", "lantern orchard velvet sunset"),
    ],
)
def test_bad_input_is_shown_at_its_field_and_nothing_is_written(client, cast, harbor, letter, field, value):
    before = snapshot()

    response = client.post(REGISTER_URL, form_data(letter, **{field: value}))

    assert response.status_code == 400
    assert field_errors(response, field)
    assert snapshot() == before
