import base64

import segno
from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from posc.forms import required

from . import mfa, passkeys


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Verification code",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}),
        help_text="The 6-digit code your authenticator app shows now.",
        error_messages=required("Enter the 6-digit code your authenticator app shows."),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not (code.isascii() and code.isdigit()):  # "１２３４５６" is digits to isdigit()
            raise forms.ValidationError("Enter the 6 digits of the code.")
        return code


class CurrentPasswordForm(forms.Form):
    """Adding, replacing or removing an authenticator while one already works asks for the password
    first (ASVS 7.5.1: re-authentication before changing an authentication factor), so a session
    left open cannot swap in an attacker's device. Used for the authenticator app (below) and for
    passkeys (accounts/passkey_views.py)."""

    password = forms.CharField(
        label="Your current password",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages=required("Enter your current password."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your current password.")
        return password


class ReplaceDeviceForm(CurrentPasswordForm, CodeForm):
    """A new authenticator app while one factor already works (ASVS 7.5.1): the password field
    comes first on the page, then the new app's code."""

    field_order = ["password", "code"]


class TotpSetupView(LoginRequiredMixin, View):
    """Add an authenticator app: scan the QR code (or type the key), then confirm a code."""

    def render(self, form, status=200):
        device = mfa.pending_device(self.request.user)
        qr = segno.make(device.config_url, error="m").svg_inline(scale=4, title="Authenticator set-up code")
        context = {
            "form": form,
            "qr_svg": qr,
            "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
            "required": mfa.mfa_required(self.request.user),
            "has_device": mfa.confirmed_device(self.request.user) is not None,
            "has_authenticator": mfa.has_authenticator(self.request.user),
            "passkeys_offered": passkeys.may_manage(self.request.user),
        }
        return render(self.request, "accounts/mfa_setup.html", context, status=status)

    def form(self, data=None):
        # ASVS 7.5.1: whichever factor already works (an app or a passkey), the password first.
        if mfa.has_authenticator(self.request.user):
            return ReplaceDeviceForm(data, user=self.request.user)
        return CodeForm(data)

    def get(self, request):
        return self.render(self.form())

    def post(self, request):
        form = self.form(request.POST)
        if form.is_valid():
            device = mfa.pending_device(request.user)
            if mfa.totp_confirm(request=request, device=device, token=form.cleaned_data["code"]):
                return redirect("home")
            form.add_error("code", "That code did not match. Check the time on your phone and try the new code.")
        return self.render(form, status=400)


class TotpVerifyView(LoginRequiredMixin, View):
    """The second step of sign-in: a code from the authenticator app, or a passkey where the user has one."""

    def render(self, form, target: str, status=200):
        user = self.request.user
        has_passkey = mfa.has_passkey(user)
        context = {
            "form": form,
            "next": target,
            "has_totp": mfa.confirmed_device(user) is not None,
            "has_passkey": has_passkey,
            "passkey_config": passkeys.script_config(self.request) if has_passkey else None,
        }
        return render(self.request, "accounts/mfa_verify.html", context, status=status)

    def get(self, request):
        return self.render(CodeForm(), request.GET.get("next", ""))

    def post(self, request):
        form = CodeForm(request.POST)
        target = request.POST.get("next", "")
        if form.is_valid():
            if mfa.totp_verify(request=request, token=form.cleaned_data["code"]):
                safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
                # Not redirect(): it takes a bare word ("' OR 1=1 --") for a view name and fails with a 500.
                return HttpResponseRedirect(target if target and safe else reverse("home"))
            form.add_error("code", "That code is not valid, or was already used. Wait for the next code.")
        return self.render(form, target, status=400)
