"""Sign-in that slows an attacker down instead of handing them a lock-out button (issue 14).

ASVS 6.3.1 (brute force, and no easy way to lock others out); NIST SP 800-63B-4 §3.2.2 (at most
100 consecutive failures, waiting periods that grow). The numbers are settings
(``POSC_SIGNIN_*``, ``POSC_LOCKOUT_FAILURES``) and docs/decisions.md gives the reasons:

- **Per user ID**: the first few failures cost nothing; after them each further attempt waits,
  2 seconds doubling with each failure up to 15 minutes; at 50 consecutive failures the user ID
  locks (django-axes) until a password reset or an unlock by the home organization's
  administrator or the agency (``accounts.services.sign_in_failures_clear``).
- **Per address** (``posc.addresses.client_address``, which trusts a forwarded header only from a
  configured proxy): failures on many different user IDs within an hour (credential stuffing)
  make that address wait, up to 5 minutes. An address never locks a user ID for anyone else.
- An attempt during a wait or a lock is refused before any password is checked, so it says
  nothing about the password, and it is not counted. It is still audited (ASVS 16.3.1).
- One sign-in at a time per user ID (a PostgreSQL advisory lock held to the end of the sign-in's
  transaction): a burst of parallel requests cannot all slip in before the first failure counts.

The failures are django-axes' records (``AccessAttempt``: per user ID, address and browser), the
one store; this module reads them, axes writes them and holds the lock.
"""

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Max, Sum
from django.shortcuts import render
from django.utils import timezone

from posc.addresses import client_address
from posc.throttle import growing_wait, seconds_left

# pg_advisory_xact_lock(key, hashtext(user ID)): one sign-in at a time per user ID ("6.3.1").
SIGN_IN_LOCK = 6_301


def user_failures(username: str) -> tuple[int, object]:
    """Consecutive failures of this user ID (every address) and when the last one was."""
    row = AccessAttempt.objects.filter(username=username).aggregate(
        n=Sum("failures_since_start"), last=Max("attempt_time")
    )
    return row["n"] or 0, row["last"]


def user_wait(failures: int, last, now) -> int:
    """Seconds this user ID must still wait (0 when it may try; a locked user ID is axes')."""
    if failures >= settings.AXES_FAILURE_LIMIT:
        return 0
    wait = growing_wait(
        failures,
        free=settings.POSC_SIGNIN_FREE_FAILURES,
        first=settings.POSC_SIGNIN_FIRST_WAIT_SECONDS,
        cap=settings.POSC_SIGNIN_MAX_WAIT_SECONDS,
    )
    return seconds_left(wait, last, now)


def address_wait(address: str | None, now) -> int:
    """Seconds this address must still wait: it failed on many different user IDs lately."""
    if not address:
        return 0
    since = now - timedelta(seconds=settings.POSC_SIGNIN_ADDRESS_WINDOW_SECONDS)
    row = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
        users=Count("username", distinct=True), last=Max("attempt_time")
    )
    wait = growing_wait(
        row["users"],
        free=settings.POSC_SIGNIN_ADDRESS_FREE_USERS,
        first=settings.POSC_SIGNIN_FIRST_WAIT_SECONDS,
        cap=settings.POSC_SIGNIN_ADDRESS_MAX_WAIT_SECONDS,
    )
    return seconds_left(wait, row["last"], now)


def _serialize(username: str) -> None:
    # Held to the end of the sign-in's transaction (the sign-in views are atomic); without one
    # (SQLite's demo, a bare authenticate() call) there is nothing to hold it in.
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [SIGN_IN_LOCK, username])


class SignInThrottleBackend:
    """First of AUTHENTICATION_BACKENDS: refuses an attempt that comes before its wait is over,
    before any password is checked. It never signs anyone in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or username is None:
            return None
        username = str(username)
        _serialize(username)
        now = timezone.now()
        wait = max(user_wait(*user_failures(username), now), address_wait(client_address(request), now))
        if not wait:
            return None
        request.posc_sign_in_wait = wait
        # django-axes: do not count this attempt (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is
        # off), and answer with refusal_response.
        request.axes_locked_out = True
        raise PermissionDenied("wait")

    # No get_user: sessions name the backend that signed the user in, and Django's test client
    # (force_login) picks the first backend that has one; this one never signs anyone in.


def refusal_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the page for a refused attempt, a wait or a lock, 429. The same for
    a user ID that exists and one that does not (no enumeration)."""
    wait = getattr(request, "posc_sign_in_wait", 0)
    context = {"wait": timedelta(seconds=wait) if wait else None, "wait_seconds": wait}
    response = render(request, "accounts/locked.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
    if wait:
        response["Retry-After"] = str(wait)
    return response
