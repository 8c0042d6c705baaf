from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from .services import temporary_password_expired


class NoStoreForSignedInMiddleware:
    """ASVS 14.3.2: no signed-in page or download is kept in a browser or proxy cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response


class TemporaryPasswordMiddleware:
    """US-04: after a reset, the one-time temporary password leads only to Change Password;
    once expired (ASVS 6.4.1) it leads nowhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = {reverse("accounts:password_change"), reverse("accounts:logout")}
            if temporary_password_expired(user):
                logout(request)
                return redirect(f"{reverse('accounts:login')}?expired=1")
            if request.path not in allowed and not request.path.startswith("/static/"):
                return redirect("accounts:password_change")
        return self.get_response(request)
