"""Passkeys (WebAuthn, django-otp-webauthn) as the second step of sign-in, beside TOTP (accounts/mfa.py).

Phishing-resistant (NIST SP 800-63B-4 §3.1.7, AAL2): the browser signs the site's own origin, so a
look-alike site gets nothing it can replay. Offered to whom providers/authority.may_register_passkey
says; agency staff's must be hardware-bound (AAL3, authority.passkey_must_be_hardware_bound).
Adding one while a factor works, and removing one, asks for the current password (ASVS 7.5.1).
Never a sign-in on its own: OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is off, the password (and its
lockout) stays the first step.
"""

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django_otp_webauthn.exceptions import OTPWebAuthnApiError
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from webauthn.helpers.structs import AuthenticatorAttachment

from audit.models import AuditEvent
from audit.services import audit_record
from providers import authority

from . import mfa

SESSION_REAUTH = "posc_passkey_reauth"

HARDWARE_BOUND_REQUIRED = (
    "MassHealth agency staff must use a security key that keeps its key on the device. This passkey "
    "can be copied to other devices (a synced passkey), so it was not added. Use a security key."
)
HARDWARE_BOUND_AT_SIGN_IN = (
    "MassHealth agency staff must sign in with a security key that keeps its key on the device, and this "
    "passkey can be copied to other devices. Enter a code from your authenticator app instead."
)
NOT_OFFERED = "Passkeys are offered to MassHealth agency staff, compliance officers and Primary Users."
PASSWORD_FIRST = "Enter your current password first, then add the passkey."
NO_PASSKEY = "You have no passkey. Enter the code from your authenticator app."
KEEP_ONE = "Two-step verification is required for your role: set up another authenticator before removing this one."


class PasskeyRefused(OTPWebAuthnApiError):
    """A refusal the passkey script shows the user as it is (its ``detail``)."""

    status_code = 403
    default_code = "refused"


class NoPasskey(OTPWebAuthnApiError):
    status_code = 400
    default_detail = NO_PASSKEY
    default_code = "no_passkey"


def script_config(request) -> dict:
    """What django-otp-webauthn's scripts read from the page (its otp_webauthn_config)."""
    return {
        "autocompleteLoginFieldSelector": None,  # never a sign-in without the password
        "nextFieldSelector": "#passkey-next",
        "csrfToken": get_token(request),
        "beginAuthenticationUrl": reverse("accounts:passkey_verify_begin"),
        "completeAuthenticationUrl": reverse("accounts:passkey_verify_complete"),
        "beginRegistrationUrl": reverse("accounts:passkey_register_begin"),
        "completeRegistrationUrl": reverse("accounts:passkey_register_complete"),
    }


def credentials(user):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def is_hardware_bound(credential) -> bool:
    """The authenticator data's backup-eligible flag (BE) was 0: the key cannot leave the device."""
    return not credential.backup_eligible


def may_manage(user) -> bool:
    """The Passkeys page: whoever may add one, and whoever still has one (to remove it)."""
    return authority.may_register_passkey(user) or mfa.has_passkey(user)


def reauthenticated(request) -> None:
    """The current password was just entered on the Passkeys page (ASVS 7.5.1)."""
    request.session[SESSION_REAUTH] = int(time.time())


def password_needed(request) -> bool:
    """ASVS 7.5.1: a factor already works and the password was not entered in the last minutes."""
    if not mfa.has_authenticator(request.user):
        return False
    entered = request.session.get(SESSION_REAUTH, 0)
    return int(time.time()) - entered > settings.POSC_PASSKEY_REAUTH_SECONDS


def require_may_register(request) -> None:
    if not authority.may_register_passkey(request.user):
        raise PasskeyRefused(detail=NOT_OFFERED)
    if password_needed(request):
        raise PasskeyRefused(detail=PASSWORD_FIRST)


def refusal_recorded(request, exc: OTPWebAuthnApiError) -> None:
    """ASVS 16.3.2: a refused passkey request is recorded with what was asked."""
    if not request.user.is_authenticated:
        return
    if isinstance(exc, PasskeyRefused):
        detail = f"{request.path}: {exc.detail}"
        audit_record(action=AuditEvent.Action.ACCESS_REFUSED, actor=request.user, detail=detail)


def require_usable(request, credential) -> None:
    """AAL3 (NIST SP 800-63B-4 §2.3.2): agency staff sign in only with a hardware-bound key, even
    one registered before they joined the agency."""
    if authority.passkey_must_be_hardware_bound(credential.user) and not is_hardware_bound(credential):
        raise PasskeyRefused(detail=HARDWARE_BOUND_AT_SIGN_IN)


def verification_failed(request, exc: OTPWebAuthnApiError) -> None:
    """ASVS 16.3.1: a failed passkey verification is a failed second step, as a wrong code is."""
    if request.user.is_authenticated and not isinstance(exc, NoPasskey):
        detail = f"passkey: {exc.code}"
        audit_record(action=AuditEvent.Action.MFA_FAILED, actor=request.user, target_user=request.user, detail=detail)


def _describe(credential) -> str:
    kind = "hardware-bound" if is_hardware_bound(credential) else "synced (backup eligible)"
    return f"Passkey {credential.pk} ({kind}, AAGUID {credential.aaguid})"


@transaction.atomic
def passkey_remove(*, request, credential) -> None:
    """Remove one of the user's passkeys; the view has checked the current password (ASVS 7.5.1)."""
    user = request.user
    others = credentials(user).exclude(pk=credential.pk).exists() or mfa.confirmed_device(user) is not None
    if not others and mfa.mfa_required(user):
        # ASVS 6.3.3: a role that must use two-step verification keeps a working authenticator.
        raise ValidationError(KEEP_ONE)
    detail = f"{_describe(credential)} removed"
    credential.delete()
    mfa.authenticators_changed(request)
    audit_record(action=AuditEvent.Action.PASSKEY_REMOVE, actor=user, target_user=user, detail=detail)


class PortalWebAuthnHelper(WebAuthnHelper):
    """django-otp-webauthn's ceremonies, with the portal's rules (OTP_WEBAUTHN_HELPER_CLASS)."""

    def get_generate_registration_options_kwargs(self, *, user) -> dict:
        options = super().get_generate_registration_options_kwargs(user=user)
        if authority.passkey_must_be_hardware_bound(user):
            # AAL3: ask the browser for a roaming security key, not the platform's synced passkeys.
            # A hint only; the backup-eligible check in create_credential decides.
            options["authenticator_selection"].authenticator_attachment = AuthenticatorAttachment.CROSS_PLATFORM
        return options

    def create_credential(self, user, response, parsed_credential, original_data):
        credential = super().create_credential(user, response, parsed_credential, original_data)
        if authority.passkey_must_be_hardware_bound(user) and not is_hardware_bound(credential):
            # NIST SP 800-63B-4 AAL3: a synced passkey's key can be exported; refused before saving.
            raise PasskeyRefused(detail=HARDWARE_BOUND_REQUIRED)
        credential.name = f"Passkey added {timezone.localdate():%m/%d/%Y}"
        return credential

    @transaction.atomic
    def register_complete(self, user, state, data):
        credential = super().register_complete(user, state, data)
        self.request.session.pop(SESSION_REAUTH, None)  # one password, one new passkey
        mfa.authenticators_changed(self.request)
        audit_record(
            action=AuditEvent.Action.PASSKEY_ADD, actor=user, target_user=user, detail=f"{_describe(credential)} added"
        )
        return credential
