"""Two-step verification (ASVS 6.3.3, 6.5.5): required for agency staff and compliance officers,
for Primary Users when the setting says so; each code works once."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent

HOME = reverse("home")
SETUP = reverse("accounts:mfa_setup")
VERIFY = reverse("accounts:mfa_verify")


@pytest.fixture(autouse=True)
def enforced(settings):
    settings.POSC_MFA_ENFORCED = True


def code_for(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def enroll(client, user) -> TOTPDevice:
    client.force_login(user)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"code": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_agency_staff_must_set_up_an_app_before_anything_else(client, cast):
    client.force_login(cast.agency)
    assert client.get(HOME)["Location"] == SETUP
    assert client.get(reverse("admin:index"))["Location"] == SETUP
    response = client.get(SETUP)
    assert response.status_code == 200
    assert b"<svg" in response.content


def test_a_compliance_officer_must_set_up_an_app(client, cast):
    client.force_login(cast.compliance)
    assert client.get(HOME)["Location"] == SETUP


def test_a_subordinate_is_not_required_to(client, cast):
    client.force_login(cast.carol)
    assert client.get(HOME).status_code == 200


def test_primary_users_are_required_only_when_the_setting_says_so(client, cast, settings):
    client.force_login(cast.alice)
    assert client.get(HOME).status_code == 200
    settings.POSC_MFA_REQUIRED_FOR_PRIMARY = True
    assert client.get(HOME)["Location"] == SETUP


def test_setup_then_sign_in_needs_a_code_and_each_code_works_once(client, cast):
    device = enroll(client, cast.agency)
    assert client.get(HOME).status_code == 200
    assert AuditEvent.objects.filter(action="mfa_enroll", actor=cast.agency).exists()

    client.logout()
    client.force_login(cast.agency)
    assert client.get(HOME)["Location"] == VERIFY
    bad = client.post(VERIFY, {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert bad.status_code == 400
    assert AuditEvent.objects.filter(action="mfa_failed", actor=cast.agency).exists()
    # The code used at enrollment cannot be replayed (63B-4: each code accepted once).
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    assert client.post(VERIFY, {"code": code_for(device)}).status_code == 400


def test_a_wrong_setup_code_is_refused_at_the_field(client, cast):
    client.force_login(cast.agency)
    client.get(SETUP)
    response = client.post(SETUP, {"code": "12ab56"})
    assert response.status_code == 400
    assert b"Enter the 6 digits" in response.content
    assert not TOTPDevice.objects.filter(user=cast.agency, confirmed=True).exists()


def test_verify_never_redirects_off_site(client, cast):
    device = enroll(client, cast.agency)
    client.logout()
    client.force_login(cast.agency)
    device.refresh_from_db()
    device.last_t = -1
    device.save()
    response = client.post(VERIFY, {"code": code_for(device), "next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_replacing_the_authenticator_needs_the_current_password(client, cast):
    """The finding (issue 14, ASVS 7.5.1): any verified session could replace the TOTP device."""
    from tests.factories import DEMO_PASSWORD

    first = enroll(client, cast.agency)
    client.get(SETUP)
    pending = TOTPDevice.objects.get(user=cast.agency, confirmed=False)

    no_password = client.post(SETUP, {"code": code_for(pending)})
    wrong = client.post(SETUP, {"code": code_for(pending), "password": "not the password at all"})

    assert no_password.status_code == wrong.status_code == 400
    assert b"That is not your current password." in wrong.content
    assert list(TOTPDevice.objects.filter(user=cast.agency, confirmed=True)) == [first]

    right = client.post(SETUP, {"code": code_for(pending), "password": DEMO_PASSWORD})
    assert right.status_code == 302
    assert list(TOTPDevice.objects.filter(user=cast.agency, confirmed=True).values_list("pk", flat=True)) == [
        pending.pk
    ]


def test_a_first_authenticator_needs_no_password(client, cast):
    client.force_login(cast.compliance)
    response = client.get(SETUP)
    assert b'name="password"' not in response.content
