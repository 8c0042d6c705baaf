from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View

from audit.reviews import first as review_first
from posc.forms import required, say_required

from . import services
from .models import Terms
from .services import terms_pending


class SignInForm(AuthenticationForm):
    """Django gives the user ID field a max_length for the widget only; a 10 kB user ID reached
    authenticate() and django-axes' 255-character column: a 500. Too long is a failed sign-in."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        say_required(self, username="Enter your user ID.", password="Enter your password.")
        self.fields["username"].label = "User ID"  # the POSC's word, which the job aids use
        # The error summary takes focus after a failed sign-in; Django's autofocus would take it back.
        self.fields["username"].widget.attrs.pop("autofocus", None)

    def clean_username(self):
        username = self.cleaned_data["username"]
        if len(username) > self.fields["username"].max_length:
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
        return username


@method_decorator(transaction.atomic, name="post")
class SignInView(LoginView):
    """Sign in. One transaction per attempt, so the per-user-ID lock that accounts/throttle.py takes
    before the password check is held until the failure (or success) is written: parallel
    attempts on one user ID are counted one after another (ASVS 6.3.1, NIST SP 800-63B-4 §3.2.2)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        # AR-07: after the remaining sign-in steps, an overdue review is shown first.
        review_first.signed_in(self.request)
        return response


class ChangePasswordForm(PasswordChangeForm):
    """Django checks the password rules on the confirmation (new_password2), so "too short" showed
    next to "Confirm"; the rules are the new password's, so their refusals are shown there."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        say_required(
            self,
            old_password="Enter your current password.",
            new_password1="Enter a new password.",
            new_password2="Enter the new password again.",
        )

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return forms.Form.clean(self)


class ChangePasswordView(PasswordChangeView):
    """Change Password for every user (US-04): current password, new twice, Django's validators."""

    template_name = "accounts/change_password.html"
    form_class = ChangePasswordForm

    def form_valid(self, form):
        services.password_change(user=self.request.user, new_password=form.cleaned_data["new_password1"])
        # A new session key after re-authentication (ASVS 7.2.4), and the session stays valid.
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, "Your password was changed.")
        return redirect("home")


class TermsDecisionForm(forms.Form):
    """US-03: the version shown and the answer (Accept, or Decline which signs out)."""

    version = forms.CharField(max_length=20, error_messages=required("Open the Terms and Conditions again."))
    decision = forms.ChoiceField(
        choices=[("accept", "Accept"), ("decline", "Decline")], error_messages=required("Choose Accept or Decline.")
    )


class TermsView(LoginRequiredMixin, View):
    """US-03: the current Terms and Conditions, before any other page; Decline signs out."""

    def get(self, request):
        terms = Terms.current()
        if terms is None or terms_pending(request.user) is None:
            return render(request, "accounts/terms.html", {"terms": terms, "accepted": True})
        return render(request, "accounts/terms.html", {"terms": terms})

    def post(self, request):
        terms = terms_pending(request.user)
        if terms is None:
            return redirect("home")
        form = TermsDecisionForm(request.POST)
        if not form.is_valid() or form.cleaned_data["version"] != terms.version:
            # The terms changed while the page was open (or the form was tampered with): show the text.
            return redirect("accounts:terms")
        if form.cleaned_data["decision"] != "accept":
            logout(request)
            return redirect(f"{reverse('accounts:login')}?declined=1")
        services.terms_accept(user=request.user, terms=terms)
        return redirect("home")


class KeepAliveView(LoginRequiredMixin, View):
    """The idle warning's "Stay signed in": saving the session restarts its idle timer."""

    http_method_names = ["post"]

    def post(self, request):
        request.session.modified = True
        return JsonResponse({"idle_seconds": settings.SESSION_COOKIE_AGE})
