"""Two administrators at the same moment: the row locks, the partial unique indexes and the
audit chain's lock keep every rule (PU-01, PU-02, PU-06, AU-01).

Real threads on PostgreSQL, each with its own connection, released together by a barrier and
repeated for several rounds, since one round may happen to run one after the other.
"""

import threading
import time

import pytest
from django.db import connection, transaction

from audit.chain import chain_verify
from audit.models import AuditEvent
from posc.policy import PolicyViolation
from providers.models import Access, PrimaryChangeRequest
from providers.services import backup_appoint, change_request_approve, change_request_file
from subordinates.services import (
    access_services_set,
    link_end,
    password_reset_temporary,
    user_deactivate,
    user_link,
    user_reactivate,
)
from tests import factories
from tests.helpers import assert_permissions_match_access, audit_count, held, services

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROUNDS = 6


def together(*calls) -> list[tuple[str, object]]:
    """Run each call in its own thread, all released at one moment.

    Returns each call's outcome in order: ("ok", value), ("refused", rule) or ("crashed", repr).
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", call())
        except PolicyViolation as exc:
            outcomes[index] = ("refused", exc.rule)
        except Exception as exc:  # noqa: BLE001 - a crash (deadlock, 500) is what the tests look for
            outcomes[index] = ("crashed", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting: a lock was never released"
    return outcomes


def open_users(pidsl, role) -> list[str]:
    return list(Access.objects.open().filter(pidsl=pidsl, role=role).values_list("user__username", flat=True))


def test_two_backup_appointments_at_once_leave_one_backup_and_a_clear_refusal(cast):
    for n in range(ROUNDS):
        first = factories.UserFactory(username=f"first{n}", home_organization=cast.eddys)
        second = factories.UserFactory(username=f"second{n}", home_organization=cast.eddys)
        appointed_before = audit_count(action=AuditEvent.Action.BACKUP_APPOINT)

        outcomes = together(
            lambda user=first: backup_appoint(actor=cast.alice, pidsl=cast.pidsl_a, user=user).user.username,
            lambda user=second: backup_appoint(actor=cast.alice, pidsl=cast.pidsl_a, user=user).user.username,
        )

        won = [value for kind, value in outcomes if kind == "ok"]
        assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"], outcomes
        assert [value for kind, value in outcomes if kind == "refused"] == ["PU-02"]
        assert open_users(cast.pidsl_a, Access.Role.BACKUP) == won
        assert open_users(cast.pidsl_a, Access.Role.PRIMARY) == ["alice"]
        assert audit_count(action=AuditEvent.Action.BACKUP_APPOINT) == appointed_before + 1
    assert_permissions_match_access()


def test_two_service_changes_at_once_apply_in_order_and_lose_nothing(cast):
    carol = cast.access(cast.carol, cast.pidsl_a)
    sets = [
        ({"portal_services", "claims", "referrals"}, {"portal_services", "batch_files"}),
        ({"portal_services", "member_eligibility"}, {"portal_services", "claims", "provider_reports"}),
        ({"portal_services"}, {"portal_services", "financial_data", "referrals"}),
    ]
    for n in range(ROUNDS):
        by_alice, by_bob = sets[n % len(sets)]

        outcomes = together(
            lambda: access_services_set(actor=cast.alice, access=carol, services=services(*by_alice)),
            lambda: access_services_set(actor=cast.bob, access=carol, services=services(*by_bob)),
        )

        assert all(kind in ("ok", "refused") for kind, _ in outcomes), outcomes
        assert held(cast.carol, cast.pidsl_a) in (by_alice, by_bob)
        if all(kind == "ok" for kind, _ in outcomes):
            # Both applied: the later one is what carol holds, and the earlier one is in the trail.
            changes = AuditEvent.objects.filter(action=AuditEvent.Action.SERVICES_CHANGE).order_by("-id")[:2]
            assert {tuple(e.after["services"]) for e in changes} == {tuple(sorted(by_alice)), tuple(sorted(by_bob))}

    # Every applied change is in the trail, each one starting where the one before ended.
    trail = list(
        AuditEvent.objects.filter(action=AuditEvent.Action.SERVICES_CHANGE, target_user=cast.carol).order_by("id")
    )
    assert len(trail) >= ROUNDS
    assert set(trail[0].before["services"]) == {"portal_services", "claims", "provider_reports"}
    for earlier, later in zip(trail, trail[1:], strict=False):
        assert later.before == earlier.after
    assert set(trail[-1].after["services"]) == held(cast.carol, cast.pidsl_a)
    assert {e.actor_username for e in trail} <= {"alice", "bob"}
    assert_permissions_match_access()


def first_holding(first, second) -> list[tuple[str, object]]:
    """Run ``first`` and keep its transaction open until ``second``, started after it, waits on one
    of its locks (or finishes); then commit. Both orders of a race, each certain to overlap."""
    first_done, second_started, second_finished, release = (threading.Event() for _ in range(4))
    second_pid: list[int] = []

    def hold():
        with transaction.atomic():
            value = first()
            first_done.set()
            release.wait(timeout=20)
        return value

    def wait_then_second():
        second_pid.append(connection.connection.get_backend_pid())
        first_done.wait(timeout=20)
        second_started.set()
        try:
            return second()
        finally:
            second_finished.set()

    def release_when_second_waits():
        second_started.wait(timeout=20)
        deadline = time.monotonic() + 10
        with connection.cursor() as cursor:
            while not second_finished.is_set() and time.monotonic() < deadline:
                cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [second_pid[0]])
                if cursor.fetchone()[0] == "Lock":
                    break
                time.sleep(0.02)
        release.set()

    return together(hold, wait_then_second, release_when_second_waits)[:2]


def _pending_change(cast, n):
    """A PID/SL of Eddy's whose Primary is alice and whose change request names a linked subordinate."""
    pidsl = factories.PidSlFactory(organization=cast.eddys, provider_id=f"{120000000 + n:09d}")
    factories.AccessFactory(user=cast.alice, pidsl=pidsl, role=Access.Role.PRIMARY, granted_by=cast.agency)
    newcomer = factories.UserFactory(username=f"newcomer{n}", home_organization=cast.eddys)
    factories.AccessFactory(user=newcomer, pidsl=pidsl, services=["portal_services", "claims"])
    request = change_request_file(actor=cast.alice, pidsl=pidsl, new_primary=newcomer)
    return pidsl, newcomer, request


def _race(order, approve, remove):
    """(approval outcome, removal outcome): released together for several rounds' worth, or one
    committing while the other waits on its locks."""
    if order == "approval_first":
        return first_holding(approve, remove)
    if order == "removal_first":
        return first_holding(remove, approve)[::-1]
    return together(approve, remove)


ORDERS = ["together", "approval_first", "removal_first"]


@pytest.mark.parametrize("order", ORDERS)
def test_approval_racing_the_new_primarys_deactivation_keeps_one_active_primary(cast, order):
    for n in range(ROUNDS if order == "together" else 1):
        pidsl, newcomer, request = _pending_change(cast, n)

        approval, deactivation = _race(
            order,
            lambda: change_request_approve(actor=cast.agency, request=request),
            lambda: user_deactivate(actor=cast.alice, user=newcomer),
        )

        newcomer.refresh_from_db()
        request.refresh_from_db()
        # PU-01: exactly one open Primary, whoever won.
        primaries = open_users(pidsl, Access.Role.PRIMARY)
        assert len(primaries) == 1, (approval, deactivation)
        if approval[0] == "ok":
            # PU-06: the new Primary cannot be deactivated while Primary.
            assert deactivation == ("refused", "PU-06")
            assert primaries == [newcomer.username]
            assert newcomer.is_active
            assert Access.objects.open().get(user=newcomer, pidsl=pidsl).role == Access.Role.PRIMARY
            assert request.status == PrimaryChangeRequest.Status.APPROVED
        else:
            # US-06: a deactivated user cannot be made Primary; nothing moved.
            assert (approval, deactivation[0]) == (("refused", "US-06"), "ok")
            assert primaries == ["alice"]
            assert not newcomer.is_active
            assert request.status == PrimaryChangeRequest.Status.PENDING
            assert audit_count(action=AuditEvent.Action.CHANGE_REQUEST_APPROVE, pidsl=pidsl) == 0
        if order != "together":
            assert (approval[0] == "ok") == (order == "approval_first")
    assert_permissions_match_access()


@pytest.mark.parametrize("order", ORDERS)
def test_approval_racing_the_new_primarys_removal_keeps_one_linked_primary(cast, order):
    """PU-06: a nominee removed from the PID/SL after the request was filed is refused at approval.
    Both take the PID/SL's lock first, so one wins: the approval (the removal then finds the link
    moved and changes nothing) or the removal (the approval is refused and the old Primary stays).
    Either way PU-01 holds."""
    for n in range(ROUNDS if order == "together" else 1):
        pidsl, newcomer, request = _pending_change(cast, n)
        link = Access.objects.open().get(user=newcomer, pidsl=pidsl)
        old_primary = open_users(pidsl, Access.Role.PRIMARY)

        approval, removal = _race(
            order,
            lambda: change_request_approve(actor=cast.agency, request=request),
            lambda: link_end(actor=cast.alice, access=link),
        )

        request.refresh_from_db()
        assert (approval[0] == "ok") != (removal[0] == "ok"), (approval, removal)
        if approval[0] == "ok":
            assert request.status == PrimaryChangeRequest.Status.APPROVED
            assert open_users(pidsl, Access.Role.PRIMARY) == [newcomer.username]  # PU-01
            assert Access.objects.open().filter(user=newcomer, pidsl=pidsl).count() == 1
            assert audit_count(action=AuditEvent.Action.LINK_END, pidsl=pidsl) == 0
        else:
            assert approval == ("refused", "PU-06")
            assert request.status == PrimaryChangeRequest.Status.PENDING
            assert open_users(pidsl, Access.Role.PRIMARY) == old_primary  # PU-01
            assert not Access.objects.open().filter(user=newcomer, pidsl=pidsl).exists()
            assert audit_count(action=AuditEvent.Action.LINK_END, pidsl=pidsl) == 1
        if order != "together":
            assert (approval[0] == "ok") == (order == "approval_first")
    assert_permissions_match_access()


def test_the_audit_chain_stays_valid_under_four_concurrent_writers(cast):
    """Four administrators at one PID/SL, twenty audited calls each, every call touching rows
    another writer locks or names in its audit record (carol, frank, the PID/SL)."""
    carol = cast.access(cast.carol, cast.pidsl_a)
    toggles = (services("portal_services", "claims"), services("portal_services", "referrals"))

    def alice_changes_carols_services():
        for i in range(20):
            access_services_set(actor=cast.alice, access=carol, services=toggles[i % 2])

    def bob_links_and_removes_frank():
        for i in range(20):
            if i % 2 == 0:
                user_link(actor=cast.bob, pidsl=cast.pidsl_a, username="frank", last_name="Frank", services=toggles[0])
            else:
                link_end(actor=cast.bob, access=cast.access(cast.frank, cast.pidsl_a))

    def alice_resets_carols_password():
        for _ in range(20):
            password_reset_temporary(actor=cast.alice, user=cast.carol, pidsl=cast.pidsl_a)

    def agency_deactivates_and_reactivates_carol():
        for i in range(20):
            (user_deactivate if i % 2 == 0 else user_reactivate)(actor=cast.agency, user=cast.carol)

    before = AuditEvent.objects.count()

    outcomes = together(
        alice_changes_carols_services,
        bob_links_and_removes_frank,
        alice_resets_carols_password,
        agency_deactivates_and_reactivates_carol,
    )

    assert outcomes == [("ok", None)] * 4
    assert AuditEvent.objects.count() == before + 80
    ok, checked, first_bad = chain_verify()[:3]
    assert (ok, first_bad) == (True, None)
    assert checked == before + 80
    assert_permissions_match_access()
