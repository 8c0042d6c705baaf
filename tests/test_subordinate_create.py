"""Creating a subordinate: one user ID per person (US-01) and the fields a new user needs (US-02)."""

import dataclasses

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from audit.models import AuditEvent
from posc.policy import NotAuthorized, PolicyViolation
from providers.models import Access
from subordinates.services import Identity, subordinate_create
from tests import factories
from tests.helpers import assert_permissions_match_access, audit_count, guardian_codes, held, services

NEW_HIRE = Identity(
    last_name="Rivera",
    first_name="Gina",
    birth_month=7,
    birth_day=19,
    pin="4831",
    email="gina.rivera@example.org",
    zip_code="02108",
)


def identity(**changes) -> Identity:
    return dataclasses.replace(NEW_HIRE, **changes)


def create(cast, *, actor=None, who=NEW_HIRE, codes=("portal_services", "claims")):
    return subordinate_create(actor=actor or cast.alice, pidsl=cast.pidsl_a, identity=who, services=services(*codes))


def test_us02_the_primary_user_creates_a_subordinate_linked_with_the_chosen_services(cast):
    user, password = create(cast)

    assert user.username == "grivera1"
    assert user.home_organization == cast.eddys
    assert (user.birth_month, user.birth_day, user.pin, user.zip_code) == (7, 19, "4831", "02108")
    assert user.check_password(password)
    assert cast.access(user, cast.pidsl_a).role == Access.Role.SUBORDINATE
    assert held(user, cast.pidsl_a) == {"portal_services", "claims"}
    assert guardian_codes(user, cast.pidsl_a) == {"portal_services", "claims"}
    assert audit_count(action=AuditEvent.Action.USER_CREATE, target_user=user, actor=cast.alice) == 1
    assert_permissions_match_access()


def test_pu04_the_backup_may_create_a_subordinate_too(cast):
    user, _ = create(cast, actor=cast.bob)

    assert cast.access(user, cast.pidsl_a).granted_by == cast.bob


@pytest.mark.parametrize("actor", ["carol", "dave", "erin", "biller", "compliance"])
def test_pu04_only_the_pidsls_administrators_create_its_subordinates(cast, actor):
    with pytest.raises(NotAuthorized):
        create(cast, actor=getattr(cast, actor))

    assert not User.objects.filter(last_name="Rivera").exists()


# US-01: one user ID per person


def test_us01_creating_the_same_person_twice_is_refused_and_names_the_existing_user(cast):
    existing, _ = create(cast)

    with pytest.raises(PolicyViolation) as refused:
        subordinate_create(
            actor=cast.dave,
            pidsl=cast.pidsl_b,
            identity=identity(last_name="RIVERA", first_name=" gina ", email="other@example.org"),
            services=services("portal_services"),
        )

    assert refused.value.rule == "US-01"
    assert existing.username in refused.value.messages[0]
    assert User.objects.filter(last_name__iexact="rivera").count() == 1
    assert not Access.objects.filter(pidsl=cast.pidsl_b, user__last_name__iexact="rivera").exists()
    assert audit_count(action=AuditEvent.Action.USER_CREATE) == 1


@pytest.mark.parametrize(
    "change", [{"pin": "4832"}, {"birth_day": 20}, {"birth_month": 8}, {"first_name": "Gino"}, {"last_name": "Rivers"}]
)
def test_us01_a_person_differing_in_one_identity_field_is_a_new_user(cast, change):
    create(cast)

    user, _ = create(cast, who=identity(**change))

    assert User.objects.filter(pk=user.pk).exists()


def test_us01_the_database_refuses_a_second_user_id_for_one_person_even_without_the_service(cast):
    create(cast)

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(
            username="grivera99",
            last_name="rivera",
            first_name="GINA",
            birth_month=7,
            birth_day=19,
            pin="4831",
            home_organization=cast.other,
        )

    assert User.objects.filter(last_name__iexact="rivera").count() == 1


# US-02: the fields a new subordinate needs, each validated


@pytest.mark.parametrize("blank", ["", "  "])
@pytest.mark.parametrize("field", ["last_name", "first_name", "pin", "email", "zip_code"])
def test_us02_each_required_field_is_required(cast, field, blank):
    with pytest.raises(PolicyViolation) as refused:
        create(cast, who=identity(**{field: blank}))

    assert (refused.value.rule, refused.value.field) == ("US-02", field)
    assert not User.objects.filter(email=NEW_HIRE.email).exists()
    assert not User.objects.filter(last_name="Rivera").exists()


@pytest.mark.parametrize("month, day", [(None, 19), (7, None), (13, 1), (0, 5), (2, 30), (4, 31), (6, 0)])
def test_us02_the_date_of_birth_must_be_a_real_month_and_day(cast, month, day):
    with pytest.raises(PolicyViolation) as refused:
        create(cast, who=identity(birth_month=month, birth_day=day))

    assert refused.value.rule == "US-02"
    assert not User.objects.filter(last_name="Rivera").exists()


def test_us02_february_29_is_a_real_birthday(cast):
    user, _ = create(cast, who=identity(birth_month=2, birth_day=29))

    assert (user.birth_month, user.birth_day) == (2, 29)


@pytest.mark.parametrize("pin", ["483", "48312", "48a1", "48 1"])
def test_us02_the_pin_is_exactly_four_digits(cast, pin):
    with pytest.raises(ValidationError) as refused:
        create(cast, who=identity(pin=pin))

    assert "pin" in refused.value.message_dict
    assert not User.objects.filter(last_name="Rivera").exists()


@pytest.mark.parametrize("zip_code", ["0210", "021081", "02108-123", "0210A", "021081234567"])
def test_us02_the_zip_code_is_five_or_nine_digits(cast, zip_code):
    with pytest.raises(ValidationError) as refused:
        create(cast, who=identity(zip_code=zip_code))

    assert "zip_code" in refused.value.message_dict
    assert not User.objects.filter(last_name="Rivera").exists()


@pytest.mark.parametrize(
    "zip_code, stored", [("02108", "02108"), ("021081234", "021081234"), ("02108-1234", "021081234")]
)
def test_us02_a_five_or_nine_digit_zip_code_is_accepted(cast, zip_code, stored):
    user, _ = create(cast, who=identity(zip_code=zip_code))

    assert user.zip_code == stored


def test_us02_the_email_must_be_an_address(cast):
    with pytest.raises(ValidationError) as refused:
        create(cast, who=identity(email="not-an-address"))

    assert "email" in refused.value.message_dict
    assert not User.objects.filter(last_name="Rivera").exists()


def test_us02_middle_initial_and_phone_are_optional_and_kept_when_given(cast):
    plain, _ = create(cast)
    full, _ = create(cast, who=identity(pin="1111", middle_initial="q", phone="617-555-0100"))

    assert (plain.middle_initial, plain.phone) == ("", "")
    assert (full.middle_initial, full.phone) == ("Q", "617-555-0100")


def test_us02_a_refused_create_writes_no_user_no_link_and_no_audit_record(cast):
    users, links, events = User.objects.count(), Access.objects.count(), AuditEvent.objects.count()

    with pytest.raises(ValidationError):
        create(cast, who=identity(zip_code="1"))

    assert (User.objects.count(), Access.objects.count(), AuditEvent.objects.count()) == (users, links, events)


def test_us01_usernames_follow_the_posc_style_and_never_collide(cast):
    factories.UserFactory(username="grivera1", home_organization=cast.other)

    user, _ = create(cast)

    assert user.username == "grivera2"
