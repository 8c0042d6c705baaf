"""The Passkeys page and the four WebAuthn endpoints its script and the verify step call.

The endpoints are django-otp-webauthn's views with the portal's checks: who may add a passkey
(providers/authority.py), the current password first when a factor already works (ASVS 7.5.1),
agency staff's key hardware-bound (NIST SP 800-63B-4 AAL3), refusals and failures audited
(ASVS 16.3.1, 16.3.2). The script is the library's static file (CSP: script-src 'self').
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django_otp_webauthn import views as webauthn
from django_otp_webauthn.exceptions import OTPWebAuthnApiError

from posc.screens import refuse
from providers import authority

from . import mfa, passkeys
from .mfa_views import CurrentPasswordForm

ADD_PREFIX = "add"


def _remove_prefix(credential) -> str:
    return f"remove-{credential.pk}"


class PasskeysView(LoginRequiredMixin, View):
    """List, add and remove the user's passkeys. Adding while a factor works starts with the
    current password (ASVS 7.5.1); the password counts for POSC_PASSKEY_REAUTH_SECONDS."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not passkeys.may_manage(request.user):
            refuse(request, passkeys.NOT_OFFERED, detail=f"{request.path}: passkeys not offered")
        return super().dispatch(request, *args, **kwargs)

    def render(self, *, add_form=None, remove_forms=None, status=200):
        user = self.request.user
        may_add = authority.may_register_passkey(user)
        needs_password = may_add and passkeys.password_needed(self.request)
        remove_forms = remove_forms or {}
        rows = [
            {
                "credential": credential,
                "hardware_bound": passkeys.is_hardware_bound(credential),
                "form": remove_forms.get(credential.pk)
                or CurrentPasswordForm(user=user, prefix=_remove_prefix(credential)),
            }
            for credential in passkeys.credentials(user)
        ]
        context = {
            "rows": rows,
            "may_add": may_add,
            "needs_password": needs_password,
            "add_form": add_form or CurrentPasswordForm(user=user, prefix=ADD_PREFIX),
            "hardware_bound_required": authority.passkey_must_be_hardware_bound(user),
            "passkey_config": passkeys.script_config(self.request) if may_add and not needs_password else None,
            "required": mfa.mfa_required(user) and not mfa.has_authenticator(user),
        }
        return render(self.request, "accounts/passkeys.html", context, status=status)

    def get(self, request):
        return self.render()

    def post(self, request):
        """The current password, before the Add a passkey button (ASVS 7.5.1)."""
        if not authority.may_register_passkey(request.user):
            refuse(request, passkeys.NOT_OFFERED, detail=f"{request.path}: passkeys not offered")
        form = CurrentPasswordForm(request.POST, user=request.user, prefix=ADD_PREFIX)
        if not form.is_valid():
            return self.render(add_form=form, status=400)
        passkeys.reauthenticated(request)
        return redirect("accounts:passkeys")


class PasskeyRemoveView(LoginRequiredMixin, View):
    """Remove one of the user's own passkeys (another user's is a 404, ASVS 8.2.2) after the
    current password (ASVS 7.5.1)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        credential = get_object_or_404(passkeys.credentials(request.user), pk=pk)
        form = CurrentPasswordForm(request.POST, user=request.user, prefix=_remove_prefix(credential))
        if form.is_valid():
            try:
                passkeys.passkey_remove(request=request, credential=credential)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Your passkey was removed.")
                return redirect("accounts:passkeys")
        return PasskeysView(request=request).render(remove_forms={credential.pk: form}, status=400)


class _PostOnly:
    """The library runs its checks before Django looks at the method; a GET is a 405 first."""

    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST":
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)


class _Registration(_PostOnly):
    def check_can_register(self):
        passkeys.require_may_register(self.request)

    def handle_exception(self, exc):
        if isinstance(exc, OTPWebAuthnApiError):
            passkeys.refusal_recorded(self.request, exc)
        return super().handle_exception(exc)


class PasskeyRegisterBeginView(_Registration, webauthn.BeginCredentialRegistrationView):
    pass


class PasskeyRegisterCompleteView(_Registration, webauthn.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        messages.success(self.request, "Your passkey was added. Use it to finish signing in next time.")
        return response


class PasskeyVerifyBeginView(_PostOnly, webauthn.BeginCredentialAuthenticationView):
    """The second step with a passkey: only the user's own credentials are offered."""

    def check_can_authenticate(self):
        super().check_can_authenticate()  # signed in with the password first (passwordless is off)
        if not mfa.has_passkey(self.request.user):
            raise passkeys.NoPasskey()


class PasskeyVerifyCompleteView(_PostOnly, webauthn.CompleteCredentialAuthenticationView):
    def check_device_usable(self, device):
        super().check_device_usable(device)
        passkeys.require_usable(self.request, device)

    def handle_exception(self, exc):
        if isinstance(exc, OTPWebAuthnApiError):
            passkeys.verification_failed(self.request, exc)
        return super().handle_exception(exc)
