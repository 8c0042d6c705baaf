"""Every URL of the portal × every kind of user × GET and POST (ASVS 8.1.1, 8.2.1, 8.2.2, 8.4.1).

The URLs come from the resolver, not from a list someone keeps: a new view fails
`test_every_url_is_in_the_table` until EXPECTED says who may use it (Keycloak's
PermissionsTest, SECURITY.md). Parameters name objects of one organization (Eddy's).
Whoever EXPECTED does not name gets 403, 404, 405 or the sign-in page, and the database
is left as it was (tests/snapshots.py). Django admin's own pages are tests/test_admin.py's;
its index is here.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import Terms
from audit.models import AuditEvent
from audit.services import audit_record
from providers.models import Access
from tests import factories
from tests.snapshots import db_snapshot
from tests.view_helpers import new_person, seen_of
from tests.world import KINDS, World, world_for_module

SKIPPED_PREFIXES = ("agency/admin/", "static/")
KEPT = {"agency/admin/"}  # the admin index; the rest of the admin is tests/test_admin.py's


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            yield from _walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            yield route, ":".join(filter(None, [namespace, entry.name])), entry


@dataclass(frozen=True)
class Url:
    route: str
    name: str
    kwargs: tuple[str, ...]  # the converters' names
    accepts_post: bool


def _accepts_post(callback) -> bool:
    """A class-based view with a post method that POST may reach; function views are GET."""
    view = getattr(callback, "view_class", None)
    return view is not None and hasattr(view, "post") and "post" in view.http_method_names


def project_urls() -> list[Url]:
    urls = []
    for route, name, entry in _walk(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES) and route not in KEPT:
            continue
        assert name, f"{route} has no name; the matrix keys URLs by name"
        urls.append(Url(route, name, tuple(entry.pattern.converters), _accepts_post(entry.callback)))
    return urls


URLS = project_urls()

# The kinds of user: tests/world.py says who each is.
EVERYONE = frozenset(KINDS)
NOBODY = frozenset()
SIGNED_IN = frozenset({"carol", "alice", "bob", "dave", "erin", "biller", "compliance", "agency"})
PIDSL_ADMINS = frozenset({"alice", "bob"})  # of 110000001A (PU-04)
ORG_ADMINS = frozenset({"alice", "bob", "dave"})  # of a PID/SL of Eddy's
ANY_ADMIN = ORG_ADMINS | {"erin"}  # each on their own organization's things
AGENCY = frozenset({"agency"})
# audit/access.py: Eddy's compliance data is read by its administrators, its officer and the agency.
EDDYS_READERS = ORG_ADMINS | {"compliance", "agency"}
# Pages that list what the user may read, of whichever organization is theirs.
ANY_READER = ANY_ADMIN | {"compliance", "agency"}


def allow(get=NOBODY, post=None) -> dict:
    """Who may GET and (where the view takes POST) POST; a missing "post" means GET-only."""
    return {"get": frozenset(get)} if post is None else {"get": frozenset(get), "post": frozenset(post)}


EXPECTED = {
    "home": allow(SIGNED_IN),
    "healthz": allow(EVERYONE),  # for load balancers: no session, no data
    "healthz_ready": allow(EVERYONE),  # up/down of the database and Redis: no session, no data
    "rules": allow(EVERYONE),  # the rules in plain words: nothing private
    # The "claims" area: only users holding Manage Claims somewhere (everyone linked to a PID/SL here).
    "area": allow(SIGNED_IN - {"compliance", "agency"}),
    # Public: signing in and out, registering with the PIN letter.
    "accounts:login": allow(EVERYONE, EVERYONE),
    "accounts:logout": allow(NOBODY, EVERYONE),  # POST only (Django 5)
    "accounts:password_change": allow(SIGNED_IN, SIGNED_IN),  # US-04
    "accounts:terms": allow(SIGNED_IN, SIGNED_IN),  # US-03
    "accounts:keepalive": allow(NOBODY, SIGNED_IN),
    "accounts:mfa_verify": allow(SIGNED_IN, SIGNED_IN),
    "accounts:mfa_setup": allow(SIGNED_IN, SIGNED_IN),
    # Passkeys (issue 14): agency staff, compliance officers, Primary Users and backups add them;
    # the verify step's endpoints answer every signed-in user about their own passkeys only.
    "accounts:passkeys": allow(ANY_READER, ANY_READER),
    "accounts:passkey_register_begin": allow(NOBODY, ANY_READER),
    "accounts:passkey_register_complete": allow(NOBODY, ANY_READER),
    "accounts:passkey_verify_begin": allow(NOBODY, SIGNED_IN),
    "accounts:passkey_verify_complete": allow(NOBODY, SIGNED_IN),
    "accounts:passkey_remove": allow(NOBODY, NOBODY),  # <pk> is frank's passkey: only frank (ASVS 8.2.2)
    # Administer Account (PU-04, PU-02, US-06).
    "subordinates:manage": allow(ANY_ADMIN, ANY_ADMIN),
    "subordinates:users": allow(ANY_ADMIN),
    "subordinates:deactivate": allow(NOBODY, ORG_ADMINS),
    "subordinates:reactivate": allow(NOBODY, ORG_ADMINS),
    "subordinates:unlock": allow(NOBODY, ORG_ADMINS),
    # Off-board carol (issue 17): the administrators of a PID/SL she is linked to (A: alice, bob).
    "subordinates:offboard": allow(PIDSL_ADMINS, PIDSL_ADMINS),  # LK-03: carol's home organization's administrators
    # The organization's Primary Users; GET is the confirmation naming what an officer reads (issue 18).
    "subordinates:compliance_officer": allow({"alice", "dave"}, {"alice", "dave"}),
    "subordinates:notifications": allow(ANY_ADMIN | {"compliance", "agency"}),
    # US-09 Keep these users: each administrator reads their own organization's list (erin hers);
    # keeping Eddy's users is for Eddy's administrators and the agency (LK-03).
    "subordinates:dormant": allow(ANY_ADMIN | AGENCY, ORG_ADMINS | AGENCY),
    "subordinates:results": allow(PIDSL_ADMINS),
    "subordinates:add": allow(PIDSL_ADMINS, PIDSL_ADMINS),
    "subordinates:link": allow(PIDSL_ADMINS, PIDSL_ADMINS),
    "subordinates:update": allow(PIDSL_ADMINS, PIDSL_ADMINS),
    "subordinates:reset_password": allow(NOBODY, PIDSL_ADMINS),
    "subordinates:remove": allow(PIDSL_ADMINS, PIDSL_ADMINS),
    "subordinates:backup": allow({"alice"}, {"alice"}),  # PU-02: the Primary User alone
    "providers:search": allow(SIGNED_IN),
    "providers:register": allow(EVERYONE, EVERYONE),
    "providers:recovery": allow(EVERYONE, EVERYONE),  # PU-08: filed from the sign-in page; the same answer to all
    "providers:broadcasts": allow(SIGNED_IN),
    "subordinates:change_primary": allow(PIDSL_ADMINS, PIDSL_ADMINS),  # PU-06: files the request
    # MassHealth agency staff (PU-06, US-05, US-06).
    "admin:index": allow(AGENCY),
    "agency:home": allow(AGENCY),
    "agency:enroll": allow(AGENCY, AGENCY),
    "agency:add_pidsl": allow(AGENCY, AGENCY),
    "agency:letters": allow(AGENCY, AGENCY),  # PU-08: a new PIN letter (PU-06 refuses one where a Primary is)
    "agency:change_requests": allow(AGENCY, AGENCY),
    "agency:recovery": allow(AGENCY, AGENCY),  # PU-08: the queue and its decisions
    "agency:provider_types": allow(AGENCY),  # SV-06: find the organization
    "compliance:program": allow({"compliance", "agency"}),  # issue 17: the program view
    "compliance:program_csv": allow({"compliance", "agency"}),
    "agency:provider_type": allow(AGENCY, AGENCY),  # SV-06: revokes what the new type does not allow
    "agency:users": allow(AGENCY),
    "agency:user_action": allow(NOBODY, AGENCY),
    "agency:user_deactivate": allow(AGENCY),  # issue 18: Deactivate's confirmation; it posts to user_action
    "agency:broadcasts": allow(AGENCY, AGENCY),
    # Compliance data (AU-01, AR-01..AR-05): readers read; only administrators and the agency write.
    "compliance:index": allow(ANY_READER),
    "compliance:organization": allow(EDDYS_READERS),
    "compliance:rule": allow(EDDYS_READERS),
    "audit:trail": allow(ANY_READER),
    "audit:export": allow(ANY_READER),
    "reviews:index": allow(ANY_READER),
    # AR-07: "Go on" from the overdue review shown first after sign-in; without one, it only leads Home.
    "reviews:go_on": allow(NOBODY, SIGNED_IN),
    "reviews:organization": allow(EDDYS_READERS),
    "reviews:schedule": allow(NOBODY, {"alice", "dave", "agency"}),  # AR-01: Primary Users
    "reviews:start": allow(NOBODY, ORG_ADMINS | AGENCY),
    "reviews:user_access_report": allow(NOBODY, EDDYS_READERS),  # AR-04: any reader, at any time
    "reviews:download": allow(EDDYS_READERS),
    "reviews:report_status": allow(EDDYS_READERS),
    "reviews:detail": allow(EDDYS_READERS),
    # AU-02: Other Clinic's evidence package, which has no compliance officer: MassHealth only
    # (an officer's own organization's package: tests/test_audit_evidence.py).
    "reviews:evidence": allow(AGENCY),
    "reviews:decide": allow(NOBODY, PIDSL_ADMINS | AGENCY),  # AR-02: the item's PID/SL's administrators
    "reviews:keep_remaining": allow(NOBODY, ORG_ADMINS | AGENCY),
    "reviews:complete": allow(NOBODY, ORG_ADMINS | AGENCY),
    # Issue 16, AR-06: the organization's default decision is its Primary Users' (like the schedule),
    # the program's grace period and minimum the agency's.
    "reviews:default_decision": allow(NOBODY, {"alice", "dave", "agency"}),
    "reviews:program": allow(AGENCY, AGENCY),
    "reviews:decide_many": allow(NOBODY, PIDSL_ADMINS | AGENCY),  # AR-02, per item: carol's at A
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with world_for_module(django_db_blocker) as built:
        yield built


# URL parameters: by URL name and converter, else by converter alone.
def _carol_access(w: World) -> int:
    return w.cast.access(w.cast.carol, w.cast.pidsl_a).pk


def _franks_passkey(w: World) -> int:
    return factories.PasskeyFactory(user=w.cast.frank).pk


def _franks_latest_passkey(w: World) -> int:
    # The one _franks_passkey made for this test's URL: the form's fields carry its pk.
    return WebAuthnCredential.objects.filter(user=w.cast.frank).latest("pk").pk


PARAMS = {
    "slug": lambda w: "claims",
    "pidsl": lambda w: w.cast.pidsl_a.code,
    "access_id": _carol_access,
    "user_id": lambda w: w.cast.carol.pk,
    ("subordinates:reactivate", "user_id"): lambda w: w.deactivated.pk,
    "org": lambda w: w.cast.eddys.pk,
    "review": lambda w: w.review.pk,
    ("reviews:evidence", "org"): lambda w: w.cast.other.pk,
    ("reviews:evidence", "review"): lambda w: w.sealed.pk,
    "item": lambda w: w.item.pk,
    "report": lambda w: w.report.pk,
    "rule": lambda w: "US-07",
    ("accounts:passkey_remove", "pk"): _franks_passkey,
}


def _fill(url: Url, w: World) -> str:
    kwargs = {}
    for name in url.kwargs:
        filler = PARAMS.get((url.name, name)) or PARAMS.get(name)
        assert filler is not None, f"{url.name}: no value for <{name}>; add it to PARAMS"
        kwargs[name] = filler(w)
    return reverse(url.name, kwargs=kwargs)


NEW_PASSWORD = "a-brand-new-long-password-77"

# What each screen posts when used for real, so a refusal is a refusal of a working request.
PAYLOADS = {
    "accounts:login": lambda w: {"username": "carol", "password": factories.DEMO_PASSWORD},
    "accounts:password_change": lambda w: {
        "old_password": factories.DEMO_PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    },
    "accounts:terms": lambda w: {"version": Terms.current().version, "decision": "accept"},
    "accounts:mfa_verify": lambda w: {"code": "123456"},
    "accounts:mfa_setup": lambda w: {"code": "123456"},
    "accounts:passkeys": lambda w: {"add-password": factories.DEMO_PASSWORD},
    "accounts:passkey_remove": lambda w: {f"remove-{_franks_latest_passkey(w)}-password": factories.DEMO_PASSWORD},
    "subordinates:manage": lambda w: {"provider": w.cast.pidsl_a.code, "last_name": "Hughes"},
    "subordinates:deactivate": lambda w: {"reason": "left the practice"},
    "subordinates:add": lambda w: new_person(),
    "subordinates:link": lambda w: {
        "username": "frank",
        "last_name": "Frank",
        "pidsls": [w.cast.pidsl_a.pk],
        "services": ["portal_services", "claims"],
        "action": "submit",
    },
    "subordinates:update": lambda w: {
        "services": ["portal_services", "referrals"],
        "seen": seen_of(w.cast.access(w.cast.carol, w.cast.pidsl_a)),
        "action": "submit",
    },
    "subordinates:remove": lambda w: {"confirm": "yes"},
    "subordinates:dormant": lambda w: {"organization": w.cast.eddys.pk, "users": [w.cast.carol.pk]},
    "subordinates:backup": lambda w: {"username": "frank"},
    "providers:register": lambda w: {
        "pidsl": w.cast.pidsl_a.code,
        "registration_pin": "WRONGPIN",
        "first_name": "Nora",
        "last_name": "Quinn",
        "birth_date": "03/04",
        "pin": "5521",
        "email": "nora@example.org",
        "zip_code": "02108",
        "username": "nquinn",
        "password": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    },
    "subordinates:change_primary": lambda w: {"username": "frank", "reason": "Alice retires"},
    "agency:enroll": lambda w: {
        "name": "New Clinic",
        "kind": "provider",
        "provider_id": "440000001",
        "service_location": "A",
        "pidsl_name": "Main",
        "designee_first_name": "Nora",
        "designee_last_name": "Quinn",
        "designee_email": "nora@example.org",
    },
    "agency:add_pidsl": lambda w: {
        "organization": w.cast.eddys.pk,
        "provider_id": "110000001",
        "service_location": "C",
        "pidsl_name": "Third site",
        "designee_first_name": "Nora",
        "designee_last_name": "Quinn",
        "designee_email": "nora@example.org",
    },
    "agency:letters": lambda w: {
        "pidsl": w.cast.pidsl_a.code,
        "designee_first_name": "Nora",
        "designee_last_name": "Quinn",
        "designee_email": "nora@example.org",
    },
    "agency:change_requests": lambda w: {"request_id": w.change_request.pk, "decision": "approve"},
    "agency:recovery": lambda w: {"request_id": w.recovery.pk, "decision": "decline", "note": "Not confirmed"},
    "agency:provider_type": lambda w: {"is_pace": "on", "confirm": "on"},
    "providers:recovery": lambda w: {
        "pidsl": w.cast.pidsl_a.code,
        "first_name": "Nora",
        "last_name": "Quinn",
        "birth_date": "03/04",
        "pin": "5521",
        "contact": "617-555-0101",
    },
    "agency:user_action": lambda w: {"action": "deactivate"},
    "agency:broadcasts": lambda w: {"subject": "Outage", "priority": 2, "body": "Saturday night."},
    "reviews:schedule": lambda w: {"months": 12},
    "reviews:decide": lambda w: {"decision": "keep"},
    "reviews:complete": lambda w: {"attested": "on"},
    "reviews:default_decision": lambda w: {"default_decision": "remove"},
    "reviews:program": lambda w: {"grace_days": "14", "minimum_default": "recommendations"},
    "reviews:decide_many": lambda w: {"items": str(w.item.pk), "decision": "keep"},
}

SIGNS_OUT = {"accounts:logout"}  # ends on the sign-in page, as it should
SIGN_IN_PAGES = (reverse("accounts:login"), reverse("admin:login"))


def _is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(SIGN_IN_PAGES)


def _read(response) -> None:
    """Run a streamed body to its end, so an error inside the stream fails the test.

    The test client closes the response after the last chunk; closing it here again would
    fire request_finished and close the connection under the module's transaction."""
    if response.streaming:
        b"".join(response.streaming_content)


def test_every_url_is_in_the_table():
    assert {u.name for u in URLS} == set(EXPECTED)


@pytest.mark.parametrize("url", URLS, ids=lambda u: u.name)
def test_the_table_says_post_exactly_where_the_view_takes_it(url):
    assert ("post" in EXPECTED[url.name]) == url.accepts_post


CASES = [
    pytest.param(url, method, kind, id=f"{url.name}-{method}-{kind}")
    for url in URLS
    for method in (("get", "post") if url.accepts_post else ("get",))
    for kind in KINDS
    if url.name in EXPECTED
]


def _rolled_back(send):
    """Send a request and undo what it wrote, so the next request meets the same state."""
    with transaction.atomic():
        response = send()
        _read(response)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize(("url", "method", "kind"), CASES)
def test_only_whom_the_table_names_get_in(world, db, client, url, method, kind):
    path = _fill(url, world)
    world.sign_in(client, kind)
    payload = PAYLOADS.get(url.name, lambda w: {})(world)

    if kind in EXPECTED[url.name].get(method, NOBODY):
        if method == "get":
            response = client.get(path)
            _read(response)
            assert response.status_code == 200 or (response.status_code == 302 and not _is_sign_in_redirect(response))
            return
        # An empty form never breaks the page; the real one is never refused as unauthorized.
        assert _rolled_back(lambda: client.post(path, {})).status_code < 500
        response = client.post(path, payload)
        _read(response)
        assert response.status_code < 500
        # A rule may refuse the change in the world's present state (a 403 that says why); the
        # actor's authority never does.
        assert response.status_code != 403 or 'data-refusal="rule"' in response.content.decode()
        assert url.name in SIGNS_OUT or not _is_sign_in_redirect(response)
        return

    before = db_snapshot()
    sends = (
        [lambda: client.get(path)]
        if method == "get"
        else [lambda: client.post(path, {}), lambda: client.post(path, payload)]
    )
    for send in sends:
        response = send()
        _read(response)
        assert response.status_code in (403, 404, 405) or _is_sign_in_redirect(response), response.status_code
    assert db_snapshot() == before


def test_the_deactivated_user_is_deactivated(world, db):
    # The matrix's "deactivated" row means something only if the user really is (US-06).
    assert not type(world.deactivated).objects.get(pk=world.deactivated.pk).is_active
    assert Access.objects.open().filter(user=world.deactivated).exists()


def test_the_snapshot_sees_a_write_and_ignores_a_recorded_refusal(world, db):
    before = db_snapshot()
    audit_record(action=AuditEvent.Action.ACCESS_REFUSED, actor=world.cast.carol, detail="matrix")
    assert db_snapshot() == before
    type(world.cast.carol).objects.filter(pk=world.cast.carol.pk).update(is_active=False)
    assert db_snapshot()["users"] != before["users"]


def who_may_table() -> str:
    """EXPECTED as docs/security.md shows it (ASVS 8.1.1: every rule written down)."""
    lines = [
        "| URL name | path | " + " | ".join(KINDS) + " |",
        "|---|---|" + "---|" * len(KINDS),
    ]
    for url in sorted(URLS, key=lambda u: u.route):
        rule = EXPECTED[url.name]
        cells = [" ".join(m.upper() for m in ("get", "post") if kind in rule.get(m, NOBODY)) for kind in KINDS]
        lines.append(f"| `{url.name}` | `/{url.route}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_the_documented_table_is_this_table():
    # Regenerate with: python -c "from tests.test_authorization_matrix import who_may_table; print(who_may_table())"
    assert who_may_table() in (Path(__file__).parent.parent / "docs" / "security.md").read_text()
