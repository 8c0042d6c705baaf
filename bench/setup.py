"""Prepares the benchmark's sign-ins and URLs on the scale data set; prints them as JSON.

Run by bench/run.py with the same environment (and so the same SECRET_KEY) as gunicorn.
"""

import json
import os
import sys
import time
from importlib import import_module
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posc.settings.production")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.middleware.csrf import _get_new_csrf_string  # noqa: E402

from accounts.middleware import SESSION_STARTED  # noqa: E402
from providers.models import Access, PidSl  # noqa: E402


def session_cookie(user, **extra) -> str:
    # Two sessions a user, one per wrk thread, so requests don't queue on one session row.
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # noqa: N806
    keys = []
    for _ in range(2):
        store = SessionStore()
        store.update(extra)
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "accounts.backends.PortalModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store[SESSION_STARTED] = int(time.time())
        store.set_expiry(6 * 3600)
        store.create()
        keys.append(f"{settings.SESSION_COOKIE_NAME}={store.session_key}")
    return "|".join(keys)


def agency_staff(like):
    """A MassHealth staff member for the program-wide pages (issue 17), signed in with the second
    step done: a confirmed authenticator app named in the session, as django-otp does."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    User = get_user_model()  # noqa: N806
    user, _ = User.objects.get_or_create(
        username="bench.agency",
        defaults={
            "first_name": "Bench",
            "last_name": "Agency",
            "email": "bench.agency@example.org",
            "is_staff": True,
            "password": like.password,
            "terms_version": like.terms_version,
            "terms_accepted_at": like.terms_accepted_at,
        },
    )
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    return session_cookie(user, **{DEVICE_ID_SESSION_KEY: device.persistent_id})


def main():
    User = get_user_model()
    big = (
        PidSl.objects.filter(organization__name="Commonwealth Health Network")
        .annotate(n=Count("accesses"))
        .order_by("-n")
        .first()
    )
    primary = Access.objects.open().get(pidsl=big, role="primary").user
    subordinate = Access.objects.open().filter(pidsl=big, role="subordinate").order_by("id").first()
    billing = (
        User.objects.filter(home_organization__name="Scale Billing Services")
        .annotate(n=Count("accesses"))
        .order_by("-n")
        .first()
    )
    total = Access.objects.open().filter(pidsl=big).exclude(role="primary").count()
    last_page = (total + 24) // 25
    csrf = _get_new_csrf_string()
    body = {"csrfmiddlewaretoken": csrf, "action": "submit"}
    print(
        json.dumps(
            {
                "csrf": f"{settings.CSRF_COOKIE_NAME}={csrf}",
                "sessions": {
                    "large_primary": session_cookie(primary),
                    "billing": session_cookie(billing),
                    "agency": agency_staff(primary),
                },
                # Issue 17: the program view, the large organization's Compliance page, the whole trail.
                "program": "/compliance/program/",
                "program_overdue": "/compliance/program/?status=overdue",
                "compliance": f"/compliance/{big.organization_id}/",
                "audit_all": "/audit/",
                "results_first": f"/administer/{big.code}/subordinates/",
                "results_last": f"/administer/{big.code}/subordinates/?page={last_page}",
                "update": f"/administer/{big.code}/subordinates/{subordinate.pk}/",
                # Each Submit changes what the page showed (its hidden "seen", issue 15) to the other set.
                "body_a": urlencode(
                    {**body, "seen": "portal_services provider_reports", "services": ["portal_services", "claims"]},
                    doseq=True,
                ),
                "body_b": urlencode(
                    {**body, "seen": "portal_services claims", "services": ["portal_services", "provider_reports"]},
                    doseq=True,
                ),
                "audit": "/audit/?" + urlencode({"pidsl": big.code, "action": "services_change"}),
            }
        )
    )


main()
