"""Passkeys (WebAuthn) as the second step, beside TOTP (issue 14).

Who may choose one (providers/authority.may_register_passkey: agency staff, compliance officers,
Primary Users and backups; NIST SP 800-63B-4 AAL2), the current password before adding one while a
factor works and before removing one (ASVS 7.5.1), agency staff's hardware-bound key (AAL3: the
backup-eligible flag must be 0), the verify step with a passkey and TOTP, audit records (ASVS 16.3.1,
16.3.2), and no inline script (ASVS 3.4.3). A software authenticator signs with a real key, so the
library's and py_webauthn's checks run unchanged.
"""

import json
import re

from django.contrib.staticfiles import finders
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from accounts import passkeys
from audit.models import AuditEvent
from providers import authority
from tests.factories import DEMO_PASSWORD
from tests.test_mfa import HOME, SETUP, VERIFY, code_for, enforced, enroll  # noqa: F401 (enforced: autouse)
from tests.webauthn_authenticator import SoftAuthenticator

PAGE = reverse("accounts:passkeys")
REGISTER_BEGIN = reverse("accounts:passkey_register_begin")
REGISTER_COMPLETE = reverse("accounts:passkey_register_complete")
VERIFY_BEGIN = reverse("accounts:passkey_verify_begin")
VERIFY_COMPLETE = reverse("accounts:passkey_verify_complete")


def post_json(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def register(client, authenticator: SoftAuthenticator):
    """The Add a passkey button: options from the server, the authenticator's answer back."""
    begin = client.post(REGISTER_BEGIN)
    assert begin.status_code == 200, begin.content
    return post_json(client, REGISTER_COMPLETE, authenticator.create(begin.json()))


def verify(client, authenticator: SoftAuthenticator, next_url: str = ""):
    begin = client.post(VERIFY_BEGIN)
    assert begin.status_code == 200, begin.content
    path = f"{VERIFY_COMPLETE}?next={next_url}" if next_url else VERIFY_COMPLETE
    return post_json(client, path, authenticator.get(begin.json()))


def with_passkey(client, user, *, synced=False) -> SoftAuthenticator:
    """A first passkey for a user with no other factor (no password asked), then signed out."""
    authenticator = SoftAuthenticator(synced=synced)
    client.force_login(user)
    assert register(client, authenticator).status_code == 200
    client.logout()
    return authenticator


def audited(action, user, detail_contains: str) -> bool:
    return AuditEvent.objects.filter(action=action, actor=user, detail__contains=detail_contains).exists()


# --- who may choose a passkey -------------------------------------------------------------------


def test_agency_staff_compliance_officers_and_primary_users_may_choose_a_passkey(cast):
    may = {name: authority.may_register_passkey(getattr(cast, name)) for name in ("agency", "compliance", "alice")}
    may |= {name: authority.may_register_passkey(getattr(cast, name)) for name in ("bob", "dave", "erin")}
    assert may == dict.fromkeys(may, True)
    assert not authority.may_register_passkey(cast.carol)  # a subordinate keeps TOTP
    assert not authority.may_register_passkey(cast.biller)  # an outside user linked in
    cast.alice.is_active = False
    assert not authority.may_register_passkey(cast.alice)  # US-06


def test_only_agency_staff_must_use_a_hardware_bound_key(cast):
    assert authority.passkey_must_be_hardware_bound(cast.agency)
    assert not any(authority.passkey_must_be_hardware_bound(u) for u in (cast.alice, cast.compliance, cast.carol))


def test_a_subordinate_is_refused_the_page_and_the_ceremony_and_it_is_recorded(client, cast):
    client.force_login(cast.carol)
    assert client.get(PAGE).status_code == 403
    begin = client.post(REGISTER_BEGIN)
    assert begin.status_code == 403
    assert begin.json()["detail"] == passkeys.NOT_OFFERED
    assert audited(AuditEvent.Action.ACCESS_REFUSED, cast.carol, REGISTER_BEGIN)
    assert not WebAuthnCredential.objects.exists()


def test_signed_out_the_endpoints_refuse_and_a_passkey_never_signs_in_alone(client, cast):
    assert client.get(PAGE)["Location"].startswith(reverse("accounts:login"))
    for path in (REGISTER_BEGIN, REGISTER_COMPLETE, VERIFY_BEGIN, VERIFY_COMPLETE):
        assert client.post(path).status_code == 403, path  # OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is off


# --- adding: a first passkey, and the password when a factor works (ASVS 7.5.1) -------------------


def test_a_primary_user_adds_a_first_passkey_without_a_password_and_signs_in_with_it(client, cast):
    authenticator = SoftAuthenticator(synced=True)  # AAL2: a synced passkey is fine for a Primary User
    client.force_login(cast.alice)
    page = client.get(PAGE)
    assert b'id="passkey-register-button"' in page.content
    assert b'name="add-password"' not in page.content
    assert register(client, authenticator).status_code == 200
    credential = WebAuthnCredential.objects.get(user=cast.alice)
    assert credential.backup_eligible
    assert audited(AuditEvent.Action.PASSKEY_ADD, cast.alice, "added")

    client.logout()
    client.force_login(cast.alice)
    assert client.get(HOME)["Location"] == VERIFY
    response = verify(client, authenticator)
    assert response.status_code == 200
    assert response.json()["redirect_url"] == HOME
    assert client.get(HOME).status_code == 200


def test_adding_a_passkey_while_an_app_works_needs_the_current_password(client, cast):
    """The TOTP finding's rule (ReplaceDeviceForm) for passkeys: a session left open cannot add
    an attacker's passkey without the password."""
    enroll(client, cast.agency)
    authenticator = SoftAuthenticator()
    page = client.get(PAGE)
    assert b'name="add-password"' in page.content
    assert b'id="passkey-register-button"' not in page.content
    refused = client.post(REGISTER_BEGIN)
    assert refused.status_code == 403
    assert refused.json()["detail"] == passkeys.PASSWORD_FIRST

    wrong = client.post(PAGE, {"add-password": "not the password at all"})
    assert wrong.status_code == 400
    assert b"That is not your current password." in wrong.content
    assert client.post(REGISTER_BEGIN).status_code == 403

    assert client.post(PAGE, {"add-password": DEMO_PASSWORD})["Location"] == PAGE
    assert b'id="passkey-register-button"' in client.get(PAGE).content
    assert register(client, authenticator).status_code == 200
    assert WebAuthnCredential.objects.filter(user=cast.agency).count() == 1
    # One password, one passkey: the next one asks again.
    assert client.post(REGISTER_BEGIN).status_code == 403


def test_the_password_counts_only_for_a_few_minutes(client, cast, settings):
    enroll(client, cast.agency)
    client.post(PAGE, {"add-password": DEMO_PASSWORD})
    settings.POSC_PASSKEY_REAUTH_SECONDS = -1
    assert client.post(REGISTER_BEGIN).status_code == 403


def test_the_app_setup_page_asks_for_the_password_once_a_passkey_works(client, cast):
    authenticator = SoftAuthenticator()
    client.force_login(cast.alice)
    register(client, authenticator)  # a first passkey verifies the session, as a first app does
    response = client.get(SETUP)
    assert b'name="password"' in response.content


def test_a_passkey_cannot_be_added_by_an_unverified_session(client, cast):
    authenticator = with_passkey(client, cast.alice)
    client.force_login(cast.alice)  # password only; the second step not done
    assert client.post(REGISTER_BEGIN)["Location"] == VERIFY  # the gate
    assert verify(client, authenticator).status_code == 200


# --- agency staff: hardware-bound keys only (NIST SP 800-63B-4 AAL3) -----------------------------


def test_agency_staff_are_asked_for_a_security_key_and_a_synced_passkey_is_refused(client, cast):
    client.force_login(cast.agency)
    begin = client.post(REGISTER_BEGIN)
    assert begin.json()["authenticatorSelection"]["authenticatorAttachment"] == "cross-platform"
    refused = post_json(client, REGISTER_COMPLETE, SoftAuthenticator(synced=True).create(begin.json()))
    assert refused.status_code == 403
    assert refused.json()["detail"] == passkeys.HARDWARE_BOUND_REQUIRED
    assert not WebAuthnCredential.objects.filter(user=cast.agency).exists()
    assert audited(AuditEvent.Action.ACCESS_REFUSED, cast.agency, passkeys.HARDWARE_BOUND_REQUIRED[:40])

    assert register(client, SoftAuthenticator(synced=False)).status_code == 200
    credential = WebAuthnCredential.objects.get(user=cast.agency)
    assert passkeys.is_hardware_bound(credential)


def test_a_synced_passkey_from_before_joining_the_agency_does_not_sign_agency_staff_in(client, cast):
    authenticator = with_passkey(client, cast.alice, synced=True)
    type(cast.alice).objects.filter(pk=cast.alice.pk).update(is_staff=True)
    client.force_login(cast.alice)
    response = verify(client, authenticator)
    assert response.status_code == 403
    assert response.json()["detail"] == passkeys.HARDWARE_BOUND_AT_SIGN_IN
    assert audited(AuditEvent.Action.MFA_FAILED, cast.alice, "passkey")
    assert client.get(HOME)["Location"] == VERIFY


def test_others_need_no_security_key(client, cast):
    client.force_login(cast.compliance)
    begin = client.post(REGISTER_BEGIN)
    assert "authenticatorAttachment" not in begin.json()["authenticatorSelection"]


# --- the verify step -----------------------------------------------------------------------------


def test_the_verify_step_offers_the_passkey_and_keeps_the_code(client, cast):
    enroll(client, cast.agency)
    client.post(PAGE, {"add-password": DEMO_PASSWORD})
    register(client, SoftAuthenticator())
    client.logout()
    client.force_login(cast.agency)
    page = client.get(VERIFY).content.decode()
    assert 'id="passkey-verification-button"' in page
    assert 'name="code"' in page


def test_with_only_a_passkey_the_verify_step_shows_no_code_field(client, cast):
    with_passkey(client, cast.alice)
    client.force_login(cast.alice)
    page = client.get(VERIFY).content.decode()
    assert 'id="passkey-verification-button"' in page
    assert 'name="code"' not in page


def test_a_wrong_signature_or_a_replayed_answer_fails_and_is_recorded(client, cast):
    authenticator = with_passkey(client, cast.alice)
    client.force_login(cast.alice)
    begin = client.post(VERIFY_BEGIN).json()
    forged = authenticator.get(begin, challenge="bm90LXRoZS1jaGFsbGVuZ2U")
    assert post_json(client, VERIFY_COMPLETE, forged).status_code == 422
    assert audited(AuditEvent.Action.MFA_FAILED, cast.alice, "passkey")
    # The state is spent: the same answer again has nothing to match.
    assert post_json(client, VERIFY_COMPLETE, authenticator.get(begin)).status_code == 400
    assert client.get(HOME)["Location"] == VERIFY


def test_another_users_passkey_does_not_verify_this_user(client, cast):
    alices = with_passkey(client, cast.alice)
    with_passkey(client, cast.dave)
    client.force_login(cast.dave)
    begin = client.post(VERIFY_BEGIN).json()
    assert post_json(client, VERIFY_COMPLETE, alices.get(begin)).status_code == 403
    assert client.get(HOME)["Location"] == VERIFY


def test_the_passkey_verify_never_redirects_off_site(client, cast):
    authenticator = with_passkey(client, cast.alice)
    client.force_login(cast.alice)
    response = verify(client, authenticator, next_url="https://evil.example/")
    assert response.status_code == 200
    assert "evil.example" not in response.json()["redirect_url"]


def test_a_user_without_a_passkey_gets_no_options(client, cast):
    client.force_login(cast.carol)
    response = client.post(VERIFY_BEGIN)
    assert response.status_code == 400
    assert response.json()["detail"] == passkeys.NO_PASSKEY


def test_a_required_role_may_set_up_a_passkey_instead_of_an_app(client, cast):
    client.force_login(cast.compliance)
    assert client.get(HOME)["Location"] == SETUP
    assert b'href="/accounts/two-step/passkeys/"' in client.get(SETUP).content
    page = client.get(PAGE)
    assert page.status_code == 200
    assert b"Your role requires two-step verification" in page.content
    assert register(client, SoftAuthenticator()).status_code == 200
    assert client.get(HOME).status_code == 200


# --- removing (ASVS 7.5.1, 8.2.2) ----------------------------------------------------------------


def _remove(client, credential, password):
    data = {f"remove-{credential.pk}-password": password} if password is not None else {}
    return client.post(reverse("accounts:passkey_remove", args=[credential.pk]), data)


def test_removing_a_passkey_needs_the_current_password(client, cast):
    authenticator = with_passkey(client, cast.alice)
    client.force_login(cast.alice)
    verify(client, authenticator)
    credential = WebAuthnCredential.objects.get(user=cast.alice)
    assert _remove(client, credential, None).status_code == 400
    wrong = _remove(client, credential, "not the password at all")
    assert wrong.status_code == 400
    assert b"That is not your current password." in wrong.content
    assert WebAuthnCredential.objects.filter(pk=credential.pk).exists()

    assert _remove(client, credential, DEMO_PASSWORD)["Location"] == PAGE
    assert not WebAuthnCredential.objects.filter(pk=credential.pk).exists()
    assert audited(AuditEvent.Action.PASSKEY_REMOVE, cast.alice, "removed")


def test_nobody_removes_another_users_passkey(client, cast):
    with_passkey(client, cast.alice)
    credential = WebAuthnCredential.objects.get(user=cast.alice)
    client.force_login(cast.erin)
    assert _remove(client, credential, DEMO_PASSWORD).status_code == 404
    client.force_login(cast.agency)
    assert _remove(client, credential, DEMO_PASSWORD).status_code in (302, 404)  # agency: to set-up first
    assert WebAuthnCredential.objects.filter(pk=credential.pk).exists()


def test_a_role_that_must_use_two_step_keeps_its_last_authenticator(client, cast):
    client.force_login(cast.compliance)
    register(client, SoftAuthenticator())
    credential = WebAuthnCredential.objects.get(user=cast.compliance)
    response = _remove(client, credential, DEMO_PASSWORD)
    assert response.status_code == 400
    assert passkeys.KEEP_ONE.encode() in response.content
    assert WebAuthnCredential.objects.filter(pk=credential.pk).exists()


def test_with_an_app_as_well_the_passkey_may_go(client, cast):
    device = enroll(client, cast.compliance)
    client.post(PAGE, {"add-password": DEMO_PASSWORD})
    register(client, SoftAuthenticator())
    credential = WebAuthnCredential.objects.get(user=cast.compliance)
    assert _remove(client, credential, DEMO_PASSWORD).status_code == 302
    assert code_for(device)  # the app still works for the next sign-in


# --- the page under the CSP (ASVS 3.4.3) ---------------------------------------------------------


def test_the_pages_load_the_librarys_static_script_and_no_inline_script(client, cast):
    client.force_login(cast.alice)
    register_page = client.get(PAGE)
    with_passkey(client, cast.dave)
    client.force_login(cast.dave)
    verify_page = client.get(VERIFY)
    for response, script in (
        (register_page, "django_otp_webauthn/otp_webauthn_register.js"),
        (verify_page, "django_otp_webauthn/otp_webauthn_auth.js"),
    ):
        html = response.content.decode()
        assert f'src="/static/{script}"' in html
        assert finders.find(script)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, tag
        assert "script-src 'self'" in response["Content-Security-Policy"]
    assert finders.find("js/passkeys.js")
