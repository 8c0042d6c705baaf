"""Two-step verification with TOTP (django-otp): ASVS 6.3.3, 6.5.5; NIST 63B-4 (each code once).

Required for agency staff and compliance officers, and for Primary Users when
POSC_MFA_REQUIRED_FOR_PRIMARY is on; optional for everyone else. A passkey (accounts/passkeys.py)
is the other authenticator the second step accepts.
"""

import time

from django.conf import settings
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from audit.models import AuditEvent
from audit.services import audit_record


def mfa_required(user) -> bool:
    if not settings.POSC_MFA_ENFORCED:
        return False
    if user.is_agency_staff or user.compliance_assignments.filter(ended_at__isnull=True).exists():
        return True
    if settings.POSC_MFA_REQUIRED_FOR_PRIMARY:
        from providers import authority

        return authority.is_primary_anywhere(user)
    return False


SESSION_MFA = "posc_mfa_state"


def mfa_state(request) -> tuple[bool, bool]:
    """(has a confirmed authenticator, must use two-step verification) for the signed-in user.

    The sign-in gate and the page frame ask on every request; the answer is kept in the session
    for a minute (POSC_SESSION_TOUCH_SECONDS) and dropped when an authenticator is set up here.
    The settings are part of the key, so changing them takes effect at once.
    """
    cached = getattr(request, "_posc_mfa_state", None)
    if cached is not None:
        return cached
    now = int(time.time())
    key = [settings.POSC_MFA_ENFORCED, settings.POSC_MFA_REQUIRED_FOR_PRIMARY]
    stored = request.session.get(SESSION_MFA)
    if stored and stored[:2] == key and now - stored[2] < settings.POSC_SESSION_TOUCH_SECONDS:
        state = (stored[3], stored[4])
    else:
        state = (has_authenticator(request.user), mfa_required(request.user))
        request.session[SESSION_MFA] = [*key, now, *state]
    request._posc_mfa_state = state
    return state


def confirmed_device(user) -> TOTPDevice | None:
    # Asked by the gate middleware and the page frame: once a request is enough.
    if not hasattr(user, "_posc_totp_device"):
        user._posc_totp_device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return user._posc_totp_device


def has_passkey(user) -> bool:
    if not hasattr(user, "_posc_has_passkey"):
        user._posc_has_passkey = WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    return user._posc_has_passkey


def has_authenticator(user) -> bool:
    """A working second factor: a confirmed authenticator app or a passkey."""
    return confirmed_device(user) is not None or has_passkey(user)


def authenticators_changed(request) -> None:
    """Forget what this request and the session remember about the user's authenticators."""
    for cached in ("_posc_totp_device", "_posc_has_passkey"):
        if hasattr(request.user, cached):
            delattr(request.user, cached)
    request.session.pop(SESSION_MFA, None)
    if hasattr(request, "_posc_mfa_state"):
        del request._posc_mfa_state


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device being set up (a new secret each time setup starts over)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        # 30-second step, 6 digits, one step of drift either way (ASVS 6.5.5).
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False, step=30, tolerance=1)
    return device


@transaction.atomic
def totp_confirm(*, request, device: TOTPDevice, token: str) -> bool:
    """Confirm a new device with its first code; the session counts as verified."""
    if not device.verify_token(token.strip()):
        audit_record(action=AuditEvent.Action.MFA_FAILED, actor=request.user, target_user=request.user)
        return False
    TOTPDevice.objects.filter(user=request.user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    authenticators_changed(request)
    otp_login(request, device)
    audit_record(action=AuditEvent.Action.MFA_ENROLL, actor=request.user, target_user=request.user)
    return True


def totp_verify(*, request, token: str) -> bool:
    """Second step of sign-in. TOTPDevice refuses a code already used and throttles guesses."""
    device = confirmed_device(request.user)
    if device is None or not device.verify_token(token.strip()):
        audit_record(action=AuditEvent.Action.MFA_FAILED, actor=request.user, target_user=request.user)
        return False
    otp_login(request, device)
    return True
