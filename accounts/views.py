from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.views import PasswordChangeView
from django.shortcuts import redirect

from . import services


class ChangePasswordView(PasswordChangeView):
    """Change Password for every user (US-04): current password, new twice, Django's validators."""

    template_name = "accounts/change_password.html"

    def form_valid(self, form):
        services.password_change(user=self.request.user, new_password=form.cleaned_data["new_password1"])
        # A new session key after re-authentication (ASVS 7.2.4), and the session stays valid.
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, "Your password was changed.")
        return redirect("home")
