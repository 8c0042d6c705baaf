import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

from posc.urlcache import cached_reverse

from .mfa import mfa_state
from .services import temporary_password_expired, terms_pending

SESSION_STARTED = "posc_session_started"
SESSION_TOUCHED = "posc_session_touched"
VERIFY_STEP = ("accounts:mfa_verify", "accounts:passkey_verify_begin", "accounts:passkey_verify_complete")
SETUP_STEP = (
    "accounts:mfa_setup",
    "accounts:passkeys",
    "accounts:passkey_register_begin",
    "accounts:passkey_register_complete",
)


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


class AccountGateMiddleware:
    """What a signed-in user must do before any other page, in this order:

    1. the absolute session lifetime ends the session (ASVS 7.3.2);
    2. the second step of sign-in: a TOTP code or a passkey, or setting up either where it is required
       (ASVS 6.3.3);
    3. accept the current Terms and Conditions (US-03);
    4. a spent or expired one-time temporary password leads only to Change Password (US-04, ASVS 6.4.1).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        now = int(time.time())
        started = request.session.setdefault(SESSION_STARTED, now)
        # The idle timer (SESSION_COOKIE_AGE) restarts when the session is saved; saving on every
        # request would write a row per page, so it is saved once a minute at most.
        if now - request.session.get(SESSION_TOUCHED, 0) >= settings.POSC_SESSION_TOUCH_SECONDS:
            request.session[SESSION_TOUCHED] = now
        if now - started > settings.POSC_SESSION_ABSOLUTE_SECONDS:
            logout(request)
            return redirect(f"{cached_reverse('accounts:login')}?ended=1")
        logout_url = cached_reverse("accounts:logout")
        if request.path == logout_url:
            return self.get_response(request)
        if not user.is_verified():
            has_device, required = mfa_state(request)
            # The second step with a code or a passkey; setting up an app or a passkey.
            if has_device:
                return self._only(request, "accounts:mfa_verify", VERIFY_STEP)
            if required:
                return self._only(request, "accounts:mfa_setup", SETUP_STEP)
        terms_url = cached_reverse("accounts:terms")
        if terms_pending(user) is not None:
            return self.get_response(request) if request.path == terms_url else redirect(terms_url)
        if user.must_change_password:
            if temporary_password_expired(user):
                logout(request)
                return redirect(f"{cached_reverse('accounts:login')}?expired=1")
            change_url = cached_reverse("accounts:password_change")
            if request.path != change_url:
                return redirect(change_url)
        return self.get_response(request)

    def _only(self, request, page: str, reachable: tuple[str, ...]):
        """Serve the step's pages (and their scripts' endpoints); send anything else to its page."""
        if request.path in {cached_reverse(name) for name in reachable}:
            return self.get_response(request)
        return redirect(cached_reverse(page))
