"""Hostile input on every form and query parameter (ASVS 1.2.1, 1.2.4, 2.2.1, 3.2.2, 3.5.1, 15.3.3, 16.5.3).

Each form is sent once as it would be filled in for real, with one field replaced by a hostile
value: 10 kB strings, look-alike Unicode (Cyrillic letters in names, full-width digits in PINs,
ZIP codes and Provider IDs), SQL and HTML/JS payloads, a NUL byte, lists where one value is
expected, words where numbers are, services the PID/SL or the role does not allow and other
organizations' IDs. Never a 500; the payloads come back escaped; and nothing is written
(tests/snapshots.py), except free text (a broadcast, a reason), which may be stored as typed
but must show inert wherever it is shown.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa
from accounts.models import Terms
from audit.reviews import services as reviews
from providers import registration
from providers.models import Access, Organization
from tests import factories
from tests.snapshots import db_snapshot
from tests.view_helpers import assigned_codes, new_person, seen_of
from tests.world import World, world_for_module

User = get_user_model()

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SQL = "' OR 1=1 --"
LONG = "x" * 10_240
NUL = "a\x00b"
NEW_PASSWORD = "a-brand-new-long-password-77"
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Cyrillic, Greek and Armenian letters that look like Latin ones (Unicode TR 39 confusables).
_LOOK_ALIKE = str.maketrans("acejopsxyABCEHIJKMNOPSTXYnu", "асејорѕхуАВСЕНІЈКМΝОРЅТХҮոս")

# The hostile values each kind of field gets; a function of the real value makes the look-alike.
COMMON = {
    "long": lambda real, w: LONG,
    "sql": lambda real, w: SQL,
    "script": lambda real, w: SCRIPT,
    "img": lambda real, w: IMG,
    "nul": lambda real, w: NUL,
    "list": lambda real, w: [SQL, SCRIPT],
}
KINDS = {
    "text": COMMON,  # free text: may be stored, must show inert
    "choice": COMMON,  # one of a fixed set (a service code, a decision, a PID/SL)
    "secret": COMMON,  # a password or PIN to check
    "lookup": {**COMMON, "look-alike": lambda real, w: real.translate(_LOOK_ALIKE)},  # names an existing user
    "name": {**COMMON, "look-alike": lambda real, w: real.translate(_LOOK_ALIKE)},
    "digits": {**COMMON, "full-width": lambda real, w: real.translate(_FULL_WIDTH), "word": lambda real, w: "abc"},
    "int": {
        **COMMON,
        "word": lambda real, w: "abc",
        "negative": lambda real, w: "-1",
        "huge": lambda real, w: "9" * 30,
    },
    "date": {**COMMON, "word": lambda real, w: "abc", "no-such-day": lambda real, w: "2024-13-45"},
}


@dataclass(frozen=True)
class Form:
    name: str
    actor: str
    path: Callable[[World], str]
    real: Callable[[World], dict]  # the form filled in for real
    fields: dict  # field -> kind, or (kind, {extra hostile values})
    method: str = "post"
    # Free text may be stored; this page (as this user) must then show it inert.
    shown_at: tuple[str, Callable[[World], str]] | None = None
    # What a refusal writes by design: a failed code or PIN is counted (may_change, snapshot keys)
    # and audited (may_record, audit actions; ASVS 16.3.1).
    may_change: frozenset = frozenset()
    may_record: tuple = ()
    empty_is_valid: bool = False  # an empty POST is a real request here
    writes: bool = True  # the real form changes the database (a search or a sign-in does not)
    prepare: Callable[[World], dict] = field(default=lambda w: {})

    def __str__(self) -> str:
        return self.name


def _url(name, **kwargs):
    return lambda w: reverse(name, kwargs={k: v(w) for k, v in kwargs.items()})


def _pidsl_a(w):
    return w.cast.pidsl_a.code


def _carol_at_a(w):
    return w.cast.access(w.cast.carol, w.cast.pidsl_a).pk


def _carol_needs_terms(w) -> dict:
    User.objects.filter(pk=w.cast.carol.pk).update(terms_version="")
    return {}


def _letter_for_site_c(w) -> dict:
    """A real PIN letter, so registration gets past the PIN and every other field counts."""
    site = factories.PidSlFactory(organization=w.cast.eddys, provider_id="110000001", service_location="C")
    _, pin = registration.designation_approve(
        actor=w.cast.agency, pidsl=site, first_name="Nora", last_name="Quinn", email="nora@example.org"
    )
    return {"pidsl": site.code, "registration_pin": pin}


def _review_ready_to_complete(w) -> dict:
    # Agency staff decide what nobody else may (AR-05: the Primary's own items, dave's at B).
    reviews.review_keep_remaining(actor=w.cast.agency, review=w.review)
    return {}


def _code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _confirmed_device(w):
    return TOTPDevice.objects.create(user=w.cast.carol, name="phone", confirmed=True, step=30, tolerance=1)


def _enrollment(w) -> dict:
    return {
        "name": "New Clinic",
        "kind": "provider",
        "provider_id": "440000001",
        "service_location": "A",
        "pidsl_name": "Main",
        "street": "1 Main St",
        "city": "Boston",
        "zip_code": "02108",
        "designee_first_name": "Nora",
        "designee_last_name": "Quinn",
        "designee_email": "nora@example.org",
        "designee_phone": "617-555-0100",
    }


TAMPERED_SERVICES = {
    # PU-04: Manage Subordinate Accounts is for administrators; SV-02: MMQ only at long-term care.
    "manage_subordinates": lambda real, w: "manage_subordinates",
    "mmq": lambda real, w: "mmq",
    "sco_pace": lambda real, w: "sco_pace_members",
}
OTHER_PIDSLS = {"other-org-pidsl": lambda real, w: "330000001A", "not-administered": lambda real, w: "110000001B"}
FOREIGN_USERS = {"other-org-user": lambda real, w: "erin", "outside-user": lambda real, w: "biller"}

FORMS = (
    Form(
        "sign-in",
        "anonymous",
        _url("accounts:login"),
        lambda w: {"username": "carol", "password": factories.DEMO_PASSWORD},
        {"username": "lookup", "password": "secret"},
        writes=False,
    ),
    Form(
        "change-password",
        "carol",
        _url("accounts:password_change"),
        lambda w: {
            "old_password": factories.DEMO_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        {"old_password": "secret", "new_password1": "secret", "new_password2": "secret"},
    ),
    Form(
        "terms",
        "carol",
        _url("accounts:terms"),
        lambda w: {"version": Terms.current().version, "decision": "accept"},
        {"version": "choice", "decision": "choice"},
        may_record=("sign_out",),  # anything but Accept is Decline, which signs out (US-03)
        prepare=_carol_needs_terms,
    ),
    Form(
        "two-step-setup",
        "carol",
        _url("accounts:mfa_setup"),
        lambda w: {},
        {"code": "digits"},
        may_record=("mfa_failed",),
        prepare=lambda w: {"code": _code(mfa.pending_device(w.cast.carol))},
    ),
    Form(
        "two-step-verify",
        "carol",
        _url("accounts:mfa_verify"),
        lambda w: {"next": "/"},
        {"code": "digits", "next": "text"},
        may_record=("mfa_failed",),
        writes=False,
        prepare=lambda w: {"code": _code(_confirmed_device(w))},
    ),
    Form(
        "manage-subordinates-search",
        "alice",
        _url("subordinates:manage"),
        lambda w: {"provider": w.cast.pidsl_a.code, "first_name": "", "last_name": "Hughes"},
        {"provider": ("choice", OTHER_PIDSLS), "first_name": "text", "last_name": "text"},
        shown_at=("alice", _url("subordinates:results", pidsl=_pidsl_a)),
        writes=False,
    ),
    Form(
        "update-subordinate",
        "alice",
        _url("subordinates:update", pidsl=_pidsl_a, access_id=_carol_at_a),
        lambda w: {
            "services": ["portal_services", "referrals"],
            "seen": seen_of(w.cast.access(w.cast.carol, w.cast.pidsl_a)),
            "action": "submit",
        },
        # Issue 15: "seen" is what the page showed; a tampered one is refused like a tampered service.
        {"services": ("choice", TAMPERED_SERVICES), "seen": "choice"},
    ),
    Form(
        "add-subordinate",
        "alice",
        _url("subordinates:add", pidsl=_pidsl_a),
        lambda w: new_person(),
        {
            "last_name": "name",
            "first_name": "name",
            "middle_initial": ("name", {"cyrillic": lambda real, w: "М"}),
            "birth_date": ("digits", {"no-such-day": lambda real, w: "13/45"}),
            "pin": "digits",
            "email": "name",
            "zip_code": "digits",
            "phone": "digits",
            "services": ("choice", TAMPERED_SERVICES),
        },
    ),
    Form(
        "link",
        "alice",
        _url("subordinates:link", pidsl=_pidsl_a),
        lambda w: {
            "username": "frank",
            "last_name": "Frank",
            "pidsls": [w.cast.pidsl_a.pk],
            "services": ["portal_services", "claims"],
            "action": "submit",
        },
        {
            "username": "lookup",
            "last_name": "lookup",
            "pidsls": (
                "int",
                {
                    "other-org-pidsl": lambda real, w: str(w.cast.pidsl_x.pk),
                    "not-administered": lambda real, w: str(w.cast.pidsl_b.pk),
                },
            ),
            "services": ("choice", TAMPERED_SERVICES),
        },
    ),
    Form(
        "backup",
        "alice",
        _url("subordinates:backup", pidsl=_pidsl_a),
        lambda w: {"username": "frank"},
        {"username": ("lookup", FOREIGN_USERS)},
    ),
    Form(
        "deactivate",
        "alice",
        _url("subordinates:deactivate", user_id=lambda w: w.cast.carol.pk),
        lambda w: {"reason": "left the practice"},
        {"reason": "text"},
        shown_at=("alice", _url("audit:trail")),
        empty_is_valid=True,  # the reason is optional
    ),
    Form(
        "change-primary",
        "alice",
        _url("subordinates:change_primary", pidsl=_pidsl_a),
        lambda w: {"username": "frank", "reason": "Alice retires"},
        {"username": "lookup", "reason": "text"},
        shown_at=("agency", _url("agency:change_requests")),
    ),
    Form(
        "register",
        "anonymous",
        _url("providers:register"),
        lambda w: {
            "first_name": "Nora",
            "last_name": "Quinn",
            "birth_date": "03/04",
            "pin": "5521",
            "email": "nora@example.org",
            "zip_code": "02108",
            "phone": "617-555-0100",
            "username": "nquinn",
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
        {
            "pidsl": "digits",
            "registration_pin": "secret",
            "first_name": "name",
            "last_name": "name",
            "birth_date": "digits",
            "pin": "digits",
            "email": "name",
            "zip_code": "digits",
            "username": "name",
            "password": "secret",
        },
        # A wrong PIN is counted against the letter (5 and it is void) and audited (PU-01).
        may_change=frozenset({"designations"}),
        may_record=("registration_failed",),
        prepare=_letter_for_site_c,
    ),
    Form(
        "agency-enroll",
        "agency",
        _url("agency:enroll"),
        _enrollment,
        {
            "name": "text",
            "kind": "choice",
            "provider_id": "digits",
            "service_location": "name",
            "pidsl_name": "text",
            "zip_code": "digits",
            "designee_first_name": "name",
            "designee_last_name": "name",
            "designee_email": "name",
        },
        shown_at=("agency", _url("agency:users")),
    ),
    Form(
        "agency-add-pidsl",
        "agency",
        _url("agency:add_pidsl"),
        lambda w: {
            **_enrollment(w),
            "organization": w.cast.eddys.pk,
            "provider_id": "110000001",
            "service_location": "C",
        },
        {"organization": "int", "provider_id": "digits", "service_location": "name", "pidsl_name": "text"},
    ),
    Form(
        "agency-users",
        "agency",
        _url("agency:users"),
        lambda w: {"q": "carol"},
        {"q": "text", "page": "int"},
        method="get",
    ),
    Form(
        "agency-user-action",
        "agency",
        _url("agency:user_action", user_id=lambda w: w.cast.carol.pk),
        lambda w: {"action": "deactivate"},
        {"action": "choice"},
    ),
    Form(
        "agency-broadcasts",
        "agency",
        _url("agency:broadcasts"),
        lambda w: {"subject": "Outage", "priority": "2", "body": "Saturday night."},
        {"subject": "text", "body": "text", "priority": "int"},
        shown_at=("carol", _url("providers:broadcasts")),
    ),
    Form(
        "agency-change-requests",
        "agency",
        _url("agency:change_requests"),
        lambda w: {"request_id": str(w.change_request.pk), "decision": "approve", "note": "Form on file"},
        {"request_id": "int", "decision": "choice", "note": "text"},
        shown_at=("agency", _url("audit:trail")),
    ),
    Form(
        "provider-search",
        "carol",
        _url("providers:search"),
        lambda w: {"business_name": "Eddy", "provider_id": "110000001", "city": "Boston", "zip_code": "02108"},
        {"business_name": "text", "provider_id": "digits", "city": "text", "zip_code": "digits", "page": "int"},
        method="get",
    ),
    Form(
        "audit-trail",
        "alice",
        _url("audit:trail"),
        lambda w: {"date_from": "2020-01-01", "date_to": "2999-01-01", "pidsl": w.cast.pidsl_a.code},
        {
            "date_from": "date",
            "date_to": "date",
            "actor": "text",
            "target": "text",
            "pidsl": ("digits", OTHER_PIDSLS),
            "action": "choice",
            "page": "int",
        },
        method="get",
    ),
    Form(
        "audit-export",
        "agency",
        _url("audit:export"),
        lambda w: {"date_from": "2020-01-01", "pidsl": w.cast.pidsl_a.code},
        {"date_from": "date", "actor": "text", "pidsl": "digits", "action": "choice"},
        method="get",
        may_record=("report_download",),  # the download is itself recorded (AU-01)
    ),
    Form(
        "review-decide",
        "alice",
        _url(
            "reviews:decide",
            org=lambda w: w.cast.eddys.pk,
            review=lambda w: w.review.pk,
            item=lambda w: w.item.pk,
        ),
        lambda w: {"decision": "modify", "services": ["portal_services", "claims"], "page": "1"},
        {"decision": "choice", "services": ("choice", TAMPERED_SERVICES), "page": "text"},
    ),
    Form(
        "review-schedule",
        "alice",
        _url("reviews:schedule", org=lambda w: w.cast.eddys.pk),
        lambda w: {"months": "12"},
        {"months": ("int", {"thirteen": lambda real, w: "13"})},
    ),
    Form(
        "review-complete",
        "alice",
        _url("reviews:complete", org=lambda w: w.cast.eddys.pk, review=lambda w: w.review.pk),
        lambda w: {"attested": "on"},
        {"attested": "choice"},
        prepare=_review_ready_to_complete,
    ),
)

# Query parameters of the pages that only read.
QUERY_PAGES = (
    ("home", "carol", _url("home"), ("page",)),
    ("compliance-index", "agency", _url("compliance:index"), ("page",)),
    ("compliance-page", "compliance", _url("compliance:organization", org=lambda w: w.cast.eddys.pk), ("page",)),
    ("reviews-index", "agency", _url("reviews:index"), ("page",)),
    ("reviews-page", "compliance", _url("reviews:organization", org=lambda w: w.cast.eddys.pk), ("page",)),
    (
        "review-detail",
        "alice",
        _url("reviews:detail", org=lambda w: w.cast.eddys.pk, review=lambda w: w.review.pk),
        ("show", "page"),
    ),
    ("organization-users", "alice", _url("subordinates:users"), ("organization", "page")),
    ("search-results", "alice", _url("subordinates:results", pidsl=_pidsl_a), ("page",)),
    ("notifications", "compliance", _url("subordinates:notifications"), ("page",)),
    ("broadcasts", "carol", _url("providers:broadcasts"), ("page",)),
    ("change-requests", "agency", _url("agency:change_requests"), ("page",)),
    ("agency-broadcasts", "agency", _url("agency:broadcasts"), ("page", "posted")),
)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with world_for_module(django_db_blocker) as built:
        yield built


def _hostile_values(kind):
    kind, extra = (kind, {}) if isinstance(kind, str) else kind
    return {**KINDS[kind], **extra}, kind


def assert_inert(response) -> None:
    """Whatever came in is shown as text: the payloads never come back as markup (ASVS 3.2.2)."""
    if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
        return
    body = response.content.decode()
    assert SCRIPT not in body
    assert "<img src=x onerror" not in body


def _send(client, method, path, data):
    response = client.get(path, data) if method == "get" else client.post(path, data)
    assert response.status_code < 500
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def _changed(before: dict, after: dict, allowed=frozenset()) -> set:
    return {key for key in before if key not in allowed and before[key] != after[key]}


FIELD_CASES = [
    pytest.param(form, name, label, id=f"{form}-{name}-{label}")
    for form in FORMS
    for name, kind in form.fields.items()
    for label in _hostile_values(kind)[0]
]


@pytest.mark.parametrize(("form", "field_name", "label"), FIELD_CASES)
def test_a_hostile_value_is_refused_or_kept_inert(world, db, client, form, field_name, label):
    values, kind = _hostile_values(form.fields[field_name])
    data = {**form.real(world), **form.prepare(world)}
    data[field_name] = values[label](str(data.get(field_name, "")), world)
    world.sign_in(client, form.actor)
    before = db_snapshot(form.may_record)

    response = _send(client, form.method, form.path(world), data)

    assert_inert(response)
    if form.actor == "anonymous":
        assert "_auth_user_id" not in client.session  # nobody was signed in with it
    if kind == "text":
        if form.shown_at:
            viewer, page = form.shown_at
            world.sign_in(client, viewer)
            shown = _send(client, "get", page(world), {})
            assert shown.status_code == 200
            assert_inert(shown)
        return
    assert _changed(before, db_snapshot(form.may_record), form.may_change) == set()


@pytest.mark.parametrize("form", FORMS, ids=str)
def test_the_real_form_works_so_the_refusals_mean_something(world, db, client, form):
    # Each hostile case changes one field of this; if this one failed, every refusal would be empty.
    data = {**form.real(world), **form.prepare(world)}
    world.sign_in(client, form.actor)
    before = db_snapshot()

    response = _send(client, form.method, form.path(world), data)

    assert response.status_code in (200, 302)
    if not response.streaming:
        assert "usa-error-message" not in response.content.decode()
    if form.method == "post" and form.writes:
        assert db_snapshot() != before


@pytest.mark.parametrize("form", [f for f in FORMS if f.method == "post" and not f.empty_is_valid], ids=str)
def test_an_empty_form_is_refused(world, db, client, form):
    form.prepare(world)
    world.sign_in(client, form.actor)
    before = db_snapshot(form.may_record)

    response = _send(client, "post", form.path(world), {})

    assert_inert(response)
    assert _changed(before, db_snapshot(form.may_record), form.may_change) == set()


QUERY_CASES = [
    pytest.param(name, actor, path, param, label, id=f"{name}-{param}-{label}")
    for name, actor, path, params in QUERY_PAGES
    for param in params
    for label in KINDS["int"] | {"look-alike": None, "empty": None}
]


@pytest.mark.parametrize(("name", "actor", "path", "param", "label"), QUERY_CASES)
def test_a_hostile_query_parameter_is_harmless(world, db, client, name, actor, path, param, label):
    value = (
        {"look-alike": "１２", "empty": ""}[label]
        if label in ("look-alike", "empty")
        else KINDS["int"][label]("", world)
    )
    world.sign_in(client, actor)
    before = db_snapshot()

    response = _send(client, "get", path(world), {param: value})

    assert response.status_code in (200, 302)
    assert_inert(response)
    assert db_snapshot() == before


def test_a_query_parameter_named_like_a_method_does_not_break_the_pages(world, db, client):
    # {% for k, v in request.GET.items %} looked up a parameter named "items" first: a 500.
    for n in range(30):
        factories.PidSlFactory(organization=world.cast.other, name=f"Alpha site {n}")
    world.sign_in(client, "carol")

    for page in ("1", "2"):
        response = _send(
            client, "get", reverse("providers:search"), {"business_name": "Alpha", "items": "xy", "page": page}
        )
        assert response.status_code == 200


def test_an_audit_record_with_an_items_key_shows_on_the_trail(world, db, client):
    # The review's own record says {"items": n}; `after.items` in a template read that number.
    world.sign_in(client, "agency")

    response = _send(client, "get", reverse("audit:trail"), {"action": "review_create"})

    assert response.status_code == 200
    assert "items:" in response.content.decode()


# Tampered hidden fields: the no-JavaScript Assign step carries the working set in hidden inputs.
@pytest.mark.parametrize("code", ["manage_subordinates", "mmq", "sco_pace_members", SCRIPT])
def test_assign_never_offers_a_service_the_screen_does_not(world, db, client, code):
    world.sign_in(client, "alice")
    path = reverse("subordinates:update", kwargs={"pidsl": world.cast.pidsl_a.code, "access_id": _carol_at_a(world)})
    before = db_snapshot()

    shown = _send(client, "post", path, {"services": ["portal_services"], "available": [code], "action": "assign"})
    submitted = _send(client, "post", path, {"services": assigned_codes(shown) + [code], "action": "submit"})

    assert_inert(shown)
    assert code not in assigned_codes(shown)
    assert submitted.status_code == 400
    assert db_snapshot() == before


def test_a_review_decision_cannot_grant_manage_subordinate_accounts(world, db, client):
    # PU-04, through the access review's Modify (not only through Update Subordinate).
    world.sign_in(client, "alice")
    path = reverse("reviews:decide", args=[world.cast.eddys.pk, world.review.pk, world.item.pk])
    before = db_snapshot()

    response = _send(
        client, "post", path, {"decision": "modify", "services": ["portal_services", "manage_subordinates"]}
    )

    assert response.status_code in (400, 403)
    assert db_snapshot() == before


# Other organizations' IDs where one's own belong, as the PID/SL's own Primary User.
def _other_review(w):
    return w.sealed  # Other Clinic's completed review


FOREIGN_IDS = {
    "update-erins-link": (
        "get",
        lambda w: reverse(
            "subordinates:update",
            kwargs={"pidsl": w.cast.pidsl_a.code, "access_id": w.cast.access(w.cast.erin, w.cast.pidsl_x).pk},
        ),
    ),
    "remove-erins-link": (
        "post",
        lambda w: reverse(
            "subordinates:remove",
            kwargs={"pidsl": w.cast.pidsl_a.code, "access_id": w.cast.access(w.cast.erin, w.cast.pidsl_x).pk},
        ),
    ),
    "results-other-pidsl": ("get", lambda w: reverse("subordinates:results", kwargs={"pidsl": w.cast.pidsl_x.code})),
    "add-at-other-pidsl": ("post", lambda w: reverse("subordinates:add", kwargs={"pidsl": w.cast.pidsl_x.code})),
    "deactivate-erin": ("post", lambda w: reverse("subordinates:deactivate", kwargs={"user_id": w.cast.erin.pk})),
    "change-primary-other-pidsl": (
        "post",
        lambda w: reverse("subordinates:change_primary", kwargs={"pidsl": w.cast.pidsl_x.code}),
    ),
    "compliance-other-org": ("get", lambda w: reverse("compliance:organization", args=[w.cast.other.pk])),
    "reviews-other-org": ("get", lambda w: reverse("reviews:organization", args=[w.cast.other.pk])),
    "start-review-other-org": ("post", lambda w: reverse("reviews:start", args=[w.cast.other.pk])),
    "other-orgs-review-under-own-org": (
        "get",
        lambda w: reverse("reviews:detail", args=[w.cast.eddys.pk, _other_review(w).pk]),
    ),
    "other-orgs-item-under-own-review": (
        "post",
        lambda w: reverse("reviews:decide", args=[w.cast.eddys.pk, w.review.pk, _other_review(w).items.first().pk]),
    ),
    "no-such-organization": ("get", lambda w: reverse("reviews:organization", args=[10**30])),
    "no-such-report": ("get", lambda w: reverse("reviews:download", args=[w.cast.eddys.pk, 10**30])),
    "no-such-user": ("post", lambda w: reverse("subordinates:deactivate", kwargs={"user_id": 10**30})),
    # Not a code (posc/converters.py): no URL matches, so reverse() cannot build it; issue 15.
    "no-such-pidsl": (
        "get",
        lambda w: reverse("subordinates:results", kwargs={"pidsl": w.cast.pidsl_a.code}).replace(
            w.cast.pidsl_a.code, "９９９９９９９９９Z"
        ),
    ),
    "nul-pidsl": (
        "post",
        lambda w: reverse("subordinates:change_primary", kwargs={"pidsl": w.cast.pidsl_a.code}).replace(
            w.cast.pidsl_a.code, "%00"
        ),
    ),
}


@pytest.mark.parametrize("case", FOREIGN_IDS, ids=str)
def test_another_organizations_id_is_refused(world, db, client, case):
    method, path = FOREIGN_IDS[case]
    path = path(world)
    world.sign_in(client, "alice")
    before = db_snapshot()

    response = _send(client, method, path, {"decision": "keep", "username": "frank", **new_person()})

    assert response.status_code in (403, 404)
    assert db_snapshot() == before


def test_two_step_verify_never_redirects_off_the_site(world, db):
    # ASVS 3.7.2 (open redirects): `next` only to this site.
    device = _confirmed_device(world)
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)", "/\\evil.example"):
        client = Client()
        world.sign_in(client, "carol")
        device.refresh_from_db()
        device.last_t = -1
        device.save()
        response = client.post(reverse("accounts:mfa_verify"), {"code": _code(device), "next": target})
        assert response.status_code == 302
        assert response["Location"] == reverse("home"), target


# CSRF (ASVS 3.5.1): no token, or a token of another session, writes nothing.
CSRF_FORMS = [f for f in FORMS if f.method == "post"]


def _csrf_token(client, path) -> str:
    page = client.get(path).content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    return found.group(1) if found else ""


@pytest.mark.parametrize("form", CSRF_FORMS, ids=str)
def test_a_post_without_a_csrf_token_is_refused(world, db, form):
    client = Client(enforce_csrf_checks=True)
    data = {**form.real(world), **form.prepare(world)}
    world.sign_in(client, form.actor)
    before = db_snapshot()

    response = client.post(form.path(world), data)

    assert response.status_code == 403
    assert db_snapshot() == before


@pytest.mark.parametrize("form", CSRF_FORMS, ids=str)
def test_a_csrf_token_of_another_session_is_refused(world, db, form):
    stranger = Client(enforce_csrf_checks=True)
    stolen = _csrf_token(stranger, reverse("providers:register"))
    assert stolen
    client = Client(enforce_csrf_checks=True)
    world.sign_in(client, form.actor)
    client.get(reverse("accounts:login" if form.actor == "anonymous" else "accounts:password_change"), follow=True)
    assert settings.CSRF_COOKIE_NAME in client.cookies  # so the token, not a missing cookie, is refused
    data = {**form.real(world), **form.prepare(world), "csrfmiddlewaretoken": stolen}
    before = db_snapshot()

    response = client.post(form.path(world), data)

    assert response.status_code == 403
    assert db_snapshot() == before


def test_a_token_from_before_sign_in_is_dead_after_it(world, db):
    # Django rotates the CSRF secret at sign-in, so a token captured on the sign-in page is replayed in vain.
    client = Client(enforce_csrf_checks=True)
    login = reverse("accounts:login")
    old = _csrf_token(client, login)
    signed_in = client.post(
        login, {"username": "alice", "password": factories.DEMO_PASSWORD, "csrfmiddlewaretoken": old}
    )
    assert signed_in.status_code == 302
    before = db_snapshot()

    response = client.post(
        reverse("subordinates:add", kwargs={"pidsl": world.cast.pidsl_a.code}),
        {**new_person(), "csrfmiddlewaretoken": old},
    )

    assert response.status_code == 403
    assert db_snapshot() == before


def test_a_signed_in_page_sends_the_security_headers(world, db, client):
    world.sign_in(client, "alice")

    response = client.get(reverse("subordinates:results", kwargs={"pidsl": world.cast.pidsl_a.code}))

    assert response.status_code == 200
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2]
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    )
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_the_cast_is_what_the_cases_assume(world, db):
    # The tampered services are refused because Eddy's is neither long-term care nor PACE/SCO (SV-02).
    eddys = Organization.objects.get(pk=world.cast.eddys.pk)
    assert not (eddys.is_long_term_care or eddys.is_pace or eddys.is_sco)
    assert Access.objects.open().get(user=world.cast.carol, pidsl=world.cast.pidsl_a).role == Access.Role.SUBORDINATE
