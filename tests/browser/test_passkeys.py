"""A passkey added and then used to finish signing in (issue 14), in Chromium with its virtual
authenticator (a CTAP2 USB security key, through the DevTools protocol), with axe-core on each new
page. django-otp-webauthn's own scripts run under the portal's CSP (script-src 'self')."""

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from tests.browser.conftest import no_axe_violations


@pytest.fixture
def plug_in(page):
    """plug_in(**options) adds one of Chromium's virtual authenticators (user verified); by
    default a USB security key whose key stays on it."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")

    def add(**options):
        base = {"protocol": "ctap2", "transport": "usb", "hasResidentKey": True}
        base |= {"hasUserVerification": True, "isUserVerified": True}
        return cdp.send("WebAuthn.addVirtualAuthenticator", {"options": base | options})["authenticatorId"]

    yield add
    cdp.send("WebAuthn.disable")


@pytest.fixture
def origin(settings, demo):
    # The live server's address is the WebAuthn origin of this run (the RP ID stays "localhost").
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [demo.url]
    assert demo.url.startswith("http://localhost:")
    return demo.url


def test_mhughes_adds_a_passkey_and_finishes_signing_in_with_it(page, sign_in, shot, origin, plug_in):
    plug_in()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in("mhughes")
    page.get_by_role("navigation", name="Provider Services").get_by_role("link", name="Two-Step Verification").click()
    page.get_by_role("link", name="Passkeys").click()
    expect(page.get_by_role("heading", name="Passkeys", exact=True)).to_be_visible()
    expect(page.get_by_text("You have no passkey yet.")).to_be_visible()
    no_axe_violations(page)
    shot("passkeys")

    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Your passkey was added.")).to_be_visible()
    expect(page.get_by_test_id("passkey")).to_have_count(1)
    expect(page.get_by_test_id("passkey")).to_contain_text("Stays on one device")
    no_axe_violations(page)
    shot("added")
    credential = WebAuthnCredential.objects.get(user__username="mhughes")
    assert not credential.backup_eligible

    page.get_by_role("button", name="Logout").click()
    sign_in("mhughes")
    expect(page.get_by_role("heading", name="Two-Step Verification")).to_be_visible()
    expect(page.get_by_role("button", name="Verify with your passkey")).to_be_visible()
    no_axe_violations(page)
    shot("verify")
    page.get_by_role("button", name="Verify with your passkey").click()
    # AR-07: after the second step, Eddy's overdue review first (the demo's); then Home.
    page.get_by_role("button", name="Go on to Home").click()
    expect(page.get_by_text("Welcome mhughes")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="110000001A")).to_be_visible()
    credential.refresh_from_db()
    assert credential.last_used_at is not None
    # Issue 15: the Permissions-Policy allows passkeys, and Chromium knows every feature it names.
    assert not [e for e in errors if "Content Security Policy" in e or "Permissions-Policy" in e], errors


def test_agency_staff_adding_a_synced_passkey_are_told_to_use_a_security_key(page, sign_in, origin, plug_in, settings):
    # A key whose credential may be copied to other devices (BE=1), as a password manager's is: the
    # cross-platform request is only a hint to the browser, the flag is what the server checks.
    plug_in(defaultBackupEligibility=True, defaultBackupState=True)
    settings.POSC_MFA_ENFORCED = True
    sign_in("agency.admin")
    # Required to set up two-step verification first (ASVS 6.3.3): a passkey is one way.
    expect(page.get_by_role("heading", name="Two-Step Verification")).to_be_visible()
    page.get_by_role("link", name="Passkeys").click()
    expect(page.get_by_text("MassHealth agency staff need a security key")).to_be_visible()
    no_axe_violations(page)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkey-register-status-message")).to_contain_text("Use a security key.")
    assert not WebAuthnCredential.objects.filter(user__username="agency.admin").exists()
