from django.conf import settings

from accounts.mfa import mfa_state
from accounts.services import terms_pending

from .navigation import navigation_for


def navigation(request):
    """The left-hand navigation and the idle-timeout figures for signed-in pages."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Until the terms are accepted and a temporary password replaced, nothing else is offered.
    unverified = not user.is_verified() and any(mfa_state(request))
    gated = user.must_change_password or unverified
    gated = gated or terms_pending(user) is not None
    nav = [] if gated else navigation_for(user, session=request.session)
    return {
        "nav": nav,
        # The rendered navigation is cached per entry list and page (templates/base.html).
        "nav_key": hash(tuple(nav)),
        "session_idle_seconds": settings.SESSION_COOKIE_AGE,
        "session_warning_seconds": settings.POSC_SESSION_WARNING_SECONDS,
    }
