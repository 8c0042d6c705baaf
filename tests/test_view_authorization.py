"""Who gets into each Administer Account screen (PU-04, US-06, ASVS 8.2.2), as one table.

Every view, every method, every member of the cast: the administrators it is for get in;
everyone else gets 403 (or, signed out or deactivated, the sign-in page), and a refused
POST changes nothing. Then the same with another PID/SL's code or access id in the URL.
"""

from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.models import AuditEvent
from tests import factories
from tests.helpers import audit_count
from tests.view_helpers import db_state, is_sign_in_redirect, new_person, seen_of, url

User = get_user_model()

# alice: Primary of A. bob: backup of A. dave: Primary of B (same organization).
# erin: Primary of X (another organization). carol: subordinate at A. compliance: officer.
# biller: outside user linked to A. deactivated: alice, deactivated. anonymous: signed out.
ACTORS = ("alice", "bob", "dave", "erin", "carol", "compliance", "biller", "deactivated", "anonymous")
PIDSL_ADMINS = frozenset({"alice", "bob"})
ORGANIZATION_ADMINS = frozenset({"alice", "bob", "dave"})  # administrators of a PID/SL of Eddy's
ANY_ADMIN = frozenset({"alice", "bob", "dave", "erin"})  # each sees their own organization's


def _deactivated(user):
    User.objects.filter(pk=user.pk).update(is_active=False)
    return user


@dataclass(frozen=True)
class Screen:
    name: str
    kwargs: object  # cast -> URL kwargs
    methods: tuple[str, ...]
    allowed: frozenset
    data: object = field(default=lambda cast: {})  # cast -> what the screen's form posts

    def __str__(self) -> str:
        return self.name


def _carol_at_a(cast):
    return {"pidsl": cast.pidsl_a.code, "access_id": cast.access(cast.carol, cast.pidsl_a).pk}


SCREENS = (
    Screen("manage", lambda c: {}, ("get", "post"), ANY_ADMIN, lambda c: {"provider": c.pidsl_a.code}),
    Screen("users", lambda c: {}, ("get",), ANY_ADMIN),
    Screen("deactivate", lambda c: {"user_id": c.carol.pk}, ("post",), ORGANIZATION_ADMINS),
    Screen("reactivate", lambda c: {"user_id": _deactivated(c.frank).pk}, ("post",), ORGANIZATION_ADMINS),
    Screen("notifications", lambda c: {}, ("get",), ANY_ADMIN | {"compliance"}),
    # US-09 Keep these users: each administrator sees their own organization's; keeping Eddy's users
    # is Eddy's administrators' (LK-03).
    Screen("dormant", lambda c: {}, ("get",), ANY_ADMIN),
    Screen(
        "dormant",
        lambda c: {},
        ("post",),
        ORGANIZATION_ADMINS,
        lambda c: {"organization": c.eddys.pk, "users": [c.carol.pk]},
    ),
    Screen("results", lambda c: {"pidsl": c.pidsl_a.code}, ("get",), PIDSL_ADMINS),
    Screen("add", lambda c: {"pidsl": c.pidsl_a.code}, ("get", "post"), PIDSL_ADMINS, lambda c: new_person()),
    Screen(
        "link",
        lambda c: {"pidsl": c.pidsl_a.code},
        ("get", "post"),
        PIDSL_ADMINS,
        lambda c: {"username": "frank", "last_name": "Frank", "pidsls": [c.pidsl_a.pk], "action": "submit"},
    ),
    Screen(
        "update",
        _carol_at_a,
        ("get", "post"),
        PIDSL_ADMINS,
        lambda c: {
            "services": ["portal_services", "referrals"],
            "seen": seen_of(c.access(c.carol, c.pidsl_a)),
            "action": "submit",
        },
    ),
    Screen("reset_password", _carol_at_a, ("post",), PIDSL_ADMINS),
    Screen("remove", _carol_at_a, ("get", "post"), PIDSL_ADMINS),
    # PU-02: only the Primary User appoints the backup.
    Screen(
        "backup",
        lambda c: {"pidsl": c.pidsl_a.code},
        ("get", "post"),
        frozenset({"alice"}),
        lambda c: {"username": "frank"},
    ),
)

CASES = [
    pytest.param(screen, method, actor, id=f"{screen}-{method}-{actor}")
    for screen in SCREENS
    for method in screen.methods
    for actor in ACTORS
]


def sign_in(client, cast, actor: str) -> None:
    if actor == "anonymous":
        return
    user = _deactivated(cast.alice) if actor == "deactivated" else getattr(cast, actor)
    client.force_login(user)


def send(client, method: str, path: str, data: dict):
    return client.post(path, data) if method == "post" else client.get(path)


@pytest.mark.parametrize(("screen", "method", "actor"), CASES)
def test_only_the_screens_administrators_get_in(client, cast, screen, method, actor):
    path = url(screen.name, **screen.kwargs(cast))
    sign_in(client, cast, actor)
    before = db_state()

    response = send(client, method, path, screen.data(cast))

    if actor in screen.allowed:
        assert response.status_code < 500
        assert response.status_code != 403
        assert not is_sign_in_redirect(response)
        if method == "get":
            assert response.status_code == 200
        return
    if actor in ("anonymous", "deactivated"):
        # US-06: a deactivated user's session no longer signs anyone in.
        assert is_sign_in_redirect(response)
    else:
        assert response.status_code == 403
    assert db_state() == before


# Someone who administers A puts another PID/SL's code, or another PID/SL's link, into the URL.
def _x(cast):
    return {"pidsl": cast.pidsl_x.code}


def _b(cast):
    return {"pidsl": cast.pidsl_b.code}


def _erins_link_under_x(cast):
    return {"pidsl": cast.pidsl_x.code, "access_id": cast.access(cast.erin, cast.pidsl_x).pk}


def _erins_link_under_a(cast):
    return {"pidsl": cast.pidsl_a.code, "access_id": cast.access(cast.erin, cast.pidsl_x).pk}


def _daves_link_under_a(cast):
    return {"pidsl": cast.pidsl_a.code, "access_id": cast.access(cast.dave, cast.pidsl_b).pk}


def _daves_link_under_b(cast):
    return {"pidsl": cast.pidsl_b.code, "access_id": cast.access(cast.dave, cast.pidsl_b).pk}


def _ended_link_under_a(cast):
    access = cast.access(cast.carol, cast.pidsl_a)
    from providers.access import access_close

    access_close(access=access, ended_by=cast.alice, reason="left")
    return {"pidsl": cast.pidsl_a.code, "access_id": access.pk}


TAMPERED = [
    ("results", _x, "get"),
    ("results", _b, "get"),
    ("add", _x, "get"),
    ("add", _x, "post"),
    ("link", _x, "get"),
    ("link", _x, "post"),
    ("backup", _x, "get"),
    ("backup", _x, "post"),
    ("backup", _b, "post"),
]
for _name in ("update", "remove", "reset_password"):
    for _builder in (_erins_link_under_x, _erins_link_under_a, _daves_link_under_a, _daves_link_under_b):
        for _method in ("get", "post") if _name != "reset_password" else ("post",):
            TAMPERED.append((_name, _builder, _method))
    TAMPERED.append((_name, _ended_link_under_a, "post"))


@pytest.mark.parametrize("actor", ["alice", "bob"])
@pytest.mark.parametrize(
    ("name", "kwargs", "method"),
    [pytest.param(n, k, m, id=f"{n}-{k.__name__.strip('_')}-{m}") for n, k, m in TAMPERED],
)
def test_another_pidsls_code_or_link_in_the_url_gets_403(client, cast, actor, name, kwargs, method):
    path = url(name, **kwargs(cast))
    client.force_login(getattr(cast, actor))
    data = {
        "add": new_person(),
        "link": {"username": "frank", "last_name": "Frank", "pidsls": [cast.pidsl_a.pk], "action": "submit"},
        "backup": {"username": "frank"},
        "update": {"services": ["portal_services", "referrals"], "action": "submit"},
    }.get(name, {})
    before = db_state()

    response = send(client, method, path, data)

    assert response.status_code == 403
    assert db_state() == before


@pytest.mark.parametrize("name", ["deactivate", "reactivate"])
@pytest.mark.parametrize("target", ["erin", "biller"])
def test_a_user_of_another_organization_cannot_be_deactivated_or_reactivated(client, cast, name, target):
    # biller is linked to A but owned by Bay State Billing (US-06: deactivation is the owner's).
    user = getattr(cast, target)
    if name == "reactivate":
        _deactivated(user)
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(url(name, user_id=user.pk))

    assert response.status_code == 403
    assert db_state() == before


def test_an_unknown_pidsl_code_is_404(client, cast):
    client.force_login(cast.alice)

    assert client.get(url("results", pidsl="999999999Z")).status_code == 404
    # Not even the shape of a code (the pidsl converter): no URL to reverse, the path by hand.
    assert client.get(url("results", pidsl="999999999Z").replace("999999999Z", "x")).status_code == 404


@pytest.mark.parametrize(
    ("name", "method"), [("update", "get"), ("update", "post"), ("remove", "get"), ("reset_password", "post")]
)
def test_a_subordinate_that_does_not_exist_is_404(client, cast, name, method):
    # Issue 18 (docs/decisions.md): a link number no link ever had is "no such subordinate"; a real
    # link of another PID/SL stays 403 (test_another_pidsls_code_or_link_in_the_url_gets_403).
    client.force_login(cast.alice)
    before = db_state()

    response = send(client, method, url(name, pidsl=cast.pidsl_a.code, access_id=999_999_999), {})

    assert response.status_code == 404
    assert db_state() == before


def test_a_refusal_is_recorded(client, cast):
    client.force_login(cast.carol)

    response = client.post(url("reset_password", **_carol_at_a(cast)))

    assert response.status_code == 403
    assert audit_count(action=AuditEvent.Action.ACCESS_REFUSED, actor=cast.carol, pidsl=cast.pidsl_a) == 1
    assert audit_count(action=AuditEvent.Action.PASSWORD_RESET) == 0


def test_a_new_primary_user_gets_in_on_the_next_request(client, cast):
    # ASVS 8.3.2: the permission check is per request, not cached on the session.
    client.force_login(cast.frank)
    assert client.get(url("results", pidsl=cast.pidsl_a.code)).status_code == 403

    pidsl_c = factories.PidSlFactory(organization=cast.eddys, provider_id="110000001", service_location="C")
    factories.AccessFactory(user=cast.frank, pidsl=pidsl_c, role="primary")

    assert client.get(url("results", pidsl=pidsl_c.code)).status_code == 200
    assert client.get(url("results", pidsl=cast.pidsl_a.code)).status_code == 403


# The agency's Reissue a PIN Letter (PU-08): agency staff only; everyone else is refused and
# nothing changes (designations, audit apart from the refusal).
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("actor", [*ACTORS, "agency"])
def test_only_agency_staff_reissue_a_pin_letter(client, cast, actor, method):
    pidsl = factories.PidSlFactory(organization=cast.eddys, provider_id="110000001", service_location="Q")
    path = reverse("agency:letters")
    data = {"pidsl": pidsl.code, "designee_first_name": "Nina", "designee_last_name": "Alvarez"}
    data["designee_email"] = "nina@example.org"
    sign_in(client, cast, actor)
    before = db_state()

    response = send(client, method, path, data)

    if actor == "agency":
        assert response.status_code == 200
        return
    assert is_sign_in_redirect(response) if actor in ("anonymous", "deactivated") else response.status_code == 403
    assert db_state() == before
