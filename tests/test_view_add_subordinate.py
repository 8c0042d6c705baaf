"""Add New Subordinate (seeds 004): every field checked (US-02), one user ID per person (US-01)."""

import re

import pytest
from django.contrib.auth import get_user_model

from audit.models import AuditEvent
from providers.models import Access
from tests.helpers import audit_count, held
from tests.view_helpers import assigned_codes, db_state, field_errors, new_person, page, top_errors, url

User = get_user_model()
HTML = "<script>alert(1)</script>"
BIG = "x" * 10_240


def add_url(cast):
    return url("add", pidsl=cast.pidsl_a.code)


def test_it_shows_the_form(client, cast):
    client.force_login(cast.alice)

    response = client.get(add_url(cast))

    assert response.status_code == 200
    assert "Add New Subordinate" in page(response)
    assert assigned_codes(response) == ["portal_services"]
    assert "manage_subordinates" not in [s.code for s in response.context["available"]]


@pytest.mark.parametrize("actor", ["alice", "bob"])
def test_it_creates_the_user_and_the_access(client, cast, actor):
    client.force_login(getattr(cast, actor))

    response = client.post(add_url(cast), new_person())

    assert response.status_code == 200
    assert "Confirmation" in page(response)
    user = User.objects.get(last_name="Rivera", first_name="Gina")
    assert user.username == "grivera1"
    assert "User ID grivera1 was created for RIVERA, GINA" in page(response)
    password = re.search(r'data-testid="temporary-password">([^<]+)<', page(response)).group(1)
    assert user.check_password(password)
    assert user.must_change_password is True
    assert user.home_organization == cast.eddys
    assert (user.birth_month, user.birth_day, user.pin, user.zip_code) == (7, 19, "4831", "02108")
    access = cast.access(user, cast.pidsl_a)
    assert access.role == Access.Role.SUBORDINATE
    assert access.granted_by == getattr(cast, actor)
    assert held(user, cast.pidsl_a) == {"portal_services", "claims"}
    assert audit_count(action=AuditEvent.Action.USER_CREATE, target_user=user) == 1


def test_a_nine_digit_zip_with_a_hyphen_is_accepted(client, cast):
    client.force_login(cast.alice)

    response = client.post(add_url(cast), new_person(zip_code="02108-1234", middle_initial="", phone=""))

    assert response.status_code == 200
    assert User.objects.get(last_name="Rivera").zip_code == "021081234"


def test_february_29_is_a_real_birth_date(client, cast):
    client.force_login(cast.alice)

    response = client.post(add_url(cast), new_person(birth_date="02/29"))

    assert response.status_code == 200


def test_assign_re_renders_without_creating(client, cast):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(
        add_url(cast), new_person(services=["portal_services"], available=["claims", "referrals"], action="assign")
    )

    assert response.status_code == 200
    assert assigned_codes(response) == ["portal_services", "claims", "referrals"]
    assert 'value="Rivera"' in page(response)
    assert db_state() == before


BAD_INPUT = [
    # Empty: the six required fields of US-02.
    ("last_name", "", "Enter the last name."),
    ("first_name", "", "Enter the first name."),
    ("birth_date", "", "Enter the date of birth as mm/dd."),
    ("pin", "", "Enter the person's 4-digit PIN."),
    ("email", "", "Enter the email address."),
    ("zip_code", "", "Enter the ZIP code."),
    # 10 kB in every field.
    ("last_name", BIG, "Ensure this value has at most 150 characters (it has 10240)."),
    ("first_name", BIG, "Ensure this value has at most 150 characters (it has 10240)."),
    ("middle_initial", BIG, "Ensure this value has at most 1 character (it has 10240)."),
    ("birth_date", BIG, "Ensure this value has at most 5 characters (it has 10240)."),
    ("pin", BIG, "Ensure this value has at most 4 characters (it has 10240)."),
    ("email", BIG, "Ensure this value has at most 254 characters (it has 10240)."),
    ("zip_code", BIG, "Ensure this value has at most 10 characters (it has 10240)."),
    ("phone", BIG, "Ensure this value has at most 20 characters (it has 10240)."),
    # Formats.
    ("zip_code", "1234", "Enter a 5-digit or 9-digit ZIP code. (US-02)"),
    ("zip_code", "0210A", "Enter a 5-digit or 9-digit ZIP code. (US-02)"),
    ("pin", "12a4", "The PIN must be exactly 4 digits. (US-02)"),
    ("pin", "12345", "Ensure this value has at most 4 characters (it has 5)."),
    ("pin", "123", "Ensure this value has at least 4 characters (it has 3)."),
    ("birth_date", "13/01", "Enter the date of birth as mm/dd."),
    ("birth_date", "1/5", "Enter the date of birth as mm/dd."),
    ("birth_date", "02/30", "Enter a real date of birth as mm/dd. (US-02)"),
    ("birth_date", "04/31", "Enter a real date of birth as mm/dd. (US-02)"),
    ("email", "not-an-email", "Enter a valid email address."),
    ("email", "a@b", "Enter a valid email address."),
    ("middle_initial", "7", "The middle initial is one letter."),
    ("phone", "call me", "Enter a phone number (digits, spaces, + ( ) . -)."),
    # HTML in names.
    ("last_name", HTML, "Use letters, spaces, apostrophes, periods or hyphens."),
    ("first_name", HTML, "Use letters, spaces, apostrophes, periods or hyphens."),
    ("middle_initial", "<", "The middle initial is one letter."),
]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [pytest.param(f, v, m, id=f"{f}-{v[:12] or 'empty'}") for f, v, m in BAD_INPUT],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_created(client, cast, field, value, message):
    client.force_login(cast.alice)
    before = db_state()
    users, links = User.objects.count(), Access.objects.count()

    response = client.post(add_url(cast), new_person(**{field: value}))

    assert response.status_code == 400
    assert message in field_errors(response, field)
    assert HTML not in page(response)
    assert User.objects.count() == users
    assert Access.objects.count() == links
    assert db_state() == before


def test_html_in_a_name_is_echoed_escaped(client, cast):
    client.force_login(cast.alice)

    response = client.post(add_url(cast), new_person(last_name=HTML))

    assert response.status_code == 400
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page(response)
    assert HTML not in page(response)


def test_every_error_at_once(client, cast):
    client.force_login(cast.alice)

    response = client.post(add_url(cast), {"action": "submit"})

    assert response.status_code == 400
    for field in ("last_name", "first_name", "birth_date", "pin", "email", "zip_code"):
        assert len(field_errors(response, field)) == 1
        assert field_errors(response, field) != ["This field is required."]  # issue 18: says what to enter
    assert field_errors(response, "middle_initial") == []
    assert field_errors(response, "phone") == []
    assert not User.objects.filter(last_name="").exclude(is_staff=True).exists()


@pytest.mark.parametrize("tampered", ["manage_subordinates", "mmq", "no_such_service"])
def test_a_tampered_service_is_refused(client, cast, tampered):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(add_url(cast), new_person(services=["portal_services", tampered]))

    assert response.status_code == 400
    assert f"{tampered} is not a service you can grant here." in page(response)
    assert db_state() == before


@pytest.fixture
def carol(cast):
    """carol, with a name the form accepts (the factory's names carry digits)."""
    User.objects.filter(pk=cast.carol.pk).update(last_name="Lopez", first_name="Carol")
    return User.objects.get(pk=cast.carol.pk)


@pytest.mark.parametrize(
    "who",
    [
        pytest.param({}, id="as-on-file"),
        pytest.param({"upper": True}, id="in-capitals"),
    ],
)
def test_us01_the_same_person_is_refused_with_an_offer_to_link(client, cast, carol, who):
    last, first = (carol.last_name.upper(), carol.first_name.upper()) if who else (carol.last_name, carol.first_name)
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(
        add_url(cast),
        new_person(
            last_name=last,
            first_name=first,
            birth_date=f"{carol.birth_month:02d}/{carol.birth_day:02d}",
            pin=carol.pin,
            email="someone.else@example.org",
            zip_code="01002",
        ),
    )

    assert response.status_code == 400
    assert any("This person already has user ID carol" in e and "(US-01)" in e for e in top_errors(response))
    assert response.context["link_username"] == "carol"
    assert url("link", pidsl=cast.pidsl_a.code) + "?username=carol" in page(response)
    assert db_state() == before


def test_us01_another_organization_learns_no_user_id(client, cast, carol):
    """LK-03: erin (Other Clinic) types Eddy's carol's identity; the refusal does not name carol."""
    client.force_login(cast.erin)
    before = db_state()

    response = client.post(
        url("add", pidsl=cast.pidsl_x.code),
        new_person(
            last_name=carol.last_name,
            first_name=carol.first_name,
            birth_date=f"{carol.birth_month:02d}/{carol.birth_day:02d}",
            pin=carol.pin,
            email="someone.else@example.org",
            zip_code="01002",
        ),
    )

    assert response.status_code == 400
    assert any("already has a user ID with another organization" in e for e in top_errors(response))
    assert "carol" not in page(response)
    assert "link_username" not in response.context
    assert db_state() == before


def test_a_different_pin_is_a_different_person(client, cast, carol):
    client.force_login(cast.alice)
    other_pin = "9999" if carol.pin != "9999" else "9998"

    response = client.post(
        add_url(cast),
        new_person(
            last_name=carol.last_name,
            first_name=carol.first_name,
            birth_date=f"{carol.birth_month:02d}/{carol.birth_day:02d}",
            pin=other_pin,
        ),
    )

    assert response.status_code == 200
    assert User.objects.filter(last_name=carol.last_name, first_name=carol.first_name).count() == 2
