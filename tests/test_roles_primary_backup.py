"""The Primary User and the backup of a PID/SL: designation, appointment, change requests, caps.

PU-01 one Primary, PU-02 at most one backup (never the Primary), PU-05 the backup holds every
service, PU-06 the Primary changes only through an approved change request, PU-07 the hard cap.
"""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from posc.policy import NotAuthorized, PolicyViolation
from providers import authority
from providers.models import Access, PrimaryChangeRequest
from providers.services import (
    backup_appoint,
    change_request_approve,
    change_request_file,
    change_request_reject,
    primary_designate,
)
from subordinates.services import access_services_set, link_end, user_deactivate
from tests import factories
from tests.helpers import assert_permissions_match_access, audit_count, held, services


def grantable_codes(pidsl) -> set[str]:
    return {s.code for s in authority.administrator_services(pidsl)}


def open_roles(pidsl, role) -> list:
    return list(Access.objects.open().filter(pidsl=pidsl, role=role).values_list("user__username", flat=True))


# PU-01: exactly one Primary User per PID/SL


def test_pu01_agency_staff_designate_the_first_primary_user(cast):
    pidsl = factories.PidSlFactory(organization=cast.eddys)

    access = primary_designate(actor=cast.agency, pidsl=pidsl, user=cast.frank)

    assert access.role == Access.Role.PRIMARY
    assert open_roles(pidsl, Access.Role.PRIMARY) == ["frank"]
    assert held(cast.frank, pidsl) == grantable_codes(pidsl)
    assert audit_count(action=AuditEvent.Action.PRIMARY_DESIGNATE, target_user=cast.frank, pidsl=pidsl) == 1
    assert_permissions_match_access()


def test_pu01_a_pidsl_that_has_a_primary_cannot_be_given_a_second_one(cast):
    with pytest.raises(PolicyViolation) as refused:
        primary_designate(actor=cast.agency, pidsl=cast.pidsl_a, user=cast.frank)

    assert refused.value.rule == "PU-06"
    assert open_roles(cast.pidsl_a, Access.Role.PRIMARY) == ["alice"]
    assert not Access.objects.filter(user=cast.frank).exists()


def test_pu01_only_agency_staff_designate_a_primary_user(cast):
    pidsl = factories.PidSlFactory(organization=cast.eddys)

    with pytest.raises(NotAuthorized):
        primary_designate(actor=cast.alice, pidsl=pidsl, user=cast.frank)

    assert not Access.objects.filter(pidsl=pidsl).exists()


def test_pu01_a_primary_user_may_be_primary_of_many_pidsls(cast):
    pidsl = factories.PidSlFactory(organization=cast.eddys)

    primary_designate(actor=cast.agency, pidsl=pidsl, user=cast.alice)

    assert Access.objects.open().filter(user=cast.alice, role=Access.Role.PRIMARY).count() == 2


def test_pu01_the_database_refuses_a_second_open_primary_even_without_the_services(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        Access.objects.create(user=cast.frank, pidsl=cast.pidsl_a, role=Access.Role.PRIMARY, granted_at=timezone.now())

    assert open_roles(cast.pidsl_a, Access.Role.PRIMARY) == ["alice"]


def test_pu01_an_ended_primary_link_does_not_count_against_the_new_one(cast):
    old = cast.access(cast.alice, cast.pidsl_a)
    old.ended_at = timezone.now()
    old.save()

    Access.objects.create(user=cast.frank, pidsl=cast.pidsl_a, role=Access.Role.PRIMARY, granted_at=timezone.now())

    assert open_roles(cast.pidsl_a, Access.Role.PRIMARY) == ["frank"]


# PU-02: at most one backup, never the Primary User of the same PID/SL


def test_pu02_the_primary_user_appoints_a_backup_who_replaces_the_old_one(cast):
    access = backup_appoint(actor=cast.alice, pidsl=cast.pidsl_a, user=cast.frank)

    assert access.role == Access.Role.BACKUP
    assert open_roles(cast.pidsl_a, Access.Role.BACKUP) == ["frank"]
    # The replaced backup stays linked as a subordinate, without Manage Subordinate Accounts (PU-04).
    bob = cast.access(cast.bob, cast.pidsl_a)
    assert bob.role == Access.Role.SUBORDINATE
    assert "manage_subordinates" not in held(cast.bob, cast.pidsl_a)
    assert "claims" in held(cast.bob, cast.pidsl_a)
    event = AuditEvent.objects.get(action=AuditEvent.Action.BACKUP_APPOINT)
    assert (event.actor, event.target_user, event.pidsl) == (cast.alice, cast.frank, cast.pidsl_a)
    assert event.before == {"backup": "bob"}
    assert event.after["backup"] == "frank"
    assert_permissions_match_access()


def test_pu02_a_subordinate_of_the_pidsl_can_be_promoted_to_backup(cast):
    backup_appoint(actor=cast.alice, pidsl=cast.pidsl_a, user=cast.carol)

    assert open_roles(cast.pidsl_a, Access.Role.BACKUP) == ["carol"]
    assert Access.objects.open().filter(user=cast.carol, pidsl=cast.pidsl_a).count() == 1
    assert_permissions_match_access()


def test_pu02_the_primary_user_cannot_also_be_the_backup(cast):
    with pytest.raises(PolicyViolation) as refused:
        backup_appoint(actor=cast.alice, pidsl=cast.pidsl_a, user=cast.alice)

    assert refused.value.rule == "PU-02"
    assert open_roles(cast.pidsl_a, Access.Role.BACKUP) == ["bob"]
    assert open_roles(cast.pidsl_a, Access.Role.PRIMARY) == ["alice"]


def test_pu02_the_current_backup_cannot_be_appointed_again(cast):
    with pytest.raises(PolicyViolation) as refused:
        backup_appoint(actor=cast.alice, pidsl=cast.pidsl_a, user=cast.bob)

    assert refused.value.rule == "PU-02"
    assert Access.objects.filter(user=cast.bob, pidsl=cast.pidsl_a).count() == 1


def test_pu02_the_backup_must_be_a_user_of_the_pidsls_organization(cast):
    with pytest.raises(PolicyViolation) as refused:
        backup_appoint(actor=cast.alice, pidsl=cast.pidsl_a, user=cast.biller)

    assert refused.value.rule == "PU-02"
    assert cast.access(cast.biller, cast.pidsl_a).role == Access.Role.SUBORDINATE
    assert open_roles(cast.pidsl_a, Access.Role.BACKUP) == ["bob"]


@pytest.mark.parametrize("actor", ["bob", "carol", "dave", "erin"])
def test_pu02_only_the_primary_user_of_the_pidsl_appoints_its_backup(cast, actor):
    with pytest.raises(NotAuthorized):
        backup_appoint(actor=getattr(cast, actor), pidsl=cast.pidsl_a, user=cast.frank)

    assert open_roles(cast.pidsl_a, Access.Role.BACKUP) == ["bob"]
    assert not Access.objects.filter(user=cast.frank).exists()


def test_pu02_the_database_refuses_a_second_open_backup_even_without_the_services(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        Access.objects.create(user=cast.frank, pidsl=cast.pidsl_a, role=Access.Role.BACKUP, granted_at=timezone.now())

    assert open_roles(cast.pidsl_a, Access.Role.BACKUP) == ["bob"]


def test_pu02_the_database_refuses_a_second_open_link_for_one_user_and_pidsl(cast):
    # With one role per row this is also what keeps the Primary from being the backup (PU-02).
    with pytest.raises(IntegrityError), transaction.atomic():
        Access.objects.create(
            user=cast.carol, pidsl=cast.pidsl_a, role=Access.Role.SUBORDINATE, granted_at=timezone.now()
        )

    assert Access.objects.filter(user=cast.carol, pidsl=cast.pidsl_a).count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_pu02_two_simultaneous_backup_appointments_leave_exactly_one_backup(cast):
    gina = factories.UserFactory(username="gina", home_organization=cast.eddys)
    barrier = threading.Barrier(2)
    won, refused, crashed = [], [], []

    def appoint(user):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=10)
            backup_appoint(actor=cast.alice, pidsl=cast.pidsl_a, user=user)
            won.append(user.username)
        except PolicyViolation as exc:
            refused.append(exc.rule)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            crashed.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=appoint, args=(user,)) for user in (cast.frank, gina)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert crashed == []
    assert len(won) == 1
    assert refused == ["PU-02"]
    assert open_roles(cast.pidsl_a, Access.Role.BACKUP) == won
    assert audit_count(action=AuditEvent.Action.BACKUP_APPOINT) == 1
    assert_permissions_match_access()


# PU-05: the backup holds every service the Primary can perform there


def test_pu05_a_new_backup_gets_every_service_grantable_at_the_pidsl(cast):
    pace = factories.OrganizationFactory(is_pace=True, is_long_term_care=True)
    pidsl = factories.PidSlFactory(organization=pace)
    primary = factories.UserFactory(home_organization=pace)
    backup = factories.UserFactory(home_organization=pace)
    factories.AccessFactory(user=primary, pidsl=pidsl, role=Access.Role.PRIMARY)

    backup_appoint(actor=primary, pidsl=pidsl, user=backup)

    assert held(backup, pidsl) == grantable_codes(pidsl) == held(primary, pidsl)
    assert {"manage_subordinates", "sco_pace_members", "mmq"} <= held(backup, pidsl)
    assert_permissions_match_access()


def test_pu05_a_service_cannot_be_taken_from_the_backup(cast):
    fewer = grantable_codes(cast.pidsl_a) - {"claims"}

    with pytest.raises(PolicyViolation) as refused:
        access_services_set(actor=cast.alice, access=cast.access(cast.bob, cast.pidsl_a), services=services(*fewer))

    assert refused.value.rule == "PU-05"
    assert "claims" in held(cast.bob, cast.pidsl_a)


# PU-06: the Primary changes only through an approved change request


def test_pu06_the_primary_user_files_a_change_request(cast):
    request = change_request_file(actor=cast.alice, pidsl=cast.pidsl_a, new_primary=cast.bob, reason="retiring")

    assert request.status == PrimaryChangeRequest.Status.PENDING
    assert (request.requested_by, request.new_primary) == (cast.alice, cast.bob)
    # Filing changes nobody's role.
    assert open_roles(cast.pidsl_a, Access.Role.PRIMARY) == ["alice"]
    assert audit_count(action=AuditEvent.Action.CHANGE_REQUEST_FILE, pidsl=cast.pidsl_a) == 1


def test_pu06_the_backup_may_file_a_change_request_too(cast):
    request = change_request_file(actor=cast.bob, pidsl=cast.pidsl_a, new_primary=cast.frank)

    assert request.requested_by == cast.bob


@pytest.mark.parametrize("actor", ["carol", "dave", "erin", "biller"])
def test_pu06_only_the_pidsls_administrators_file_a_change_request(cast, actor):
    with pytest.raises(NotAuthorized):
        change_request_file(actor=getattr(cast, actor), pidsl=cast.pidsl_a, new_primary=cast.frank)

    assert not PrimaryChangeRequest.objects.exists()


def test_pu06_a_second_pending_change_request_is_refused(cast):
    change_request_file(actor=cast.alice, pidsl=cast.pidsl_a, new_primary=cast.bob)

    with pytest.raises(PolicyViolation) as refused:
        change_request_file(actor=cast.bob, pidsl=cast.pidsl_a, new_primary=cast.frank)

    assert refused.value.rule == "PU-06"
    assert PrimaryChangeRequest.objects.count() == 1


def test_pu06_a_change_request_for_the_current_primary_is_refused(cast):
    with pytest.raises(PolicyViolation) as refused:
        change_request_file(actor=cast.bob, pidsl=cast.pidsl_a, new_primary=cast.alice)

    assert refused.value.rule == "PU-06"
    assert not PrimaryChangeRequest.objects.exists()


def test_pu06_approval_moves_the_primary_role_and_keeps_the_old_primary_as_a_subordinate(cast):
    request = change_request_file(actor=cast.alice, pidsl=cast.pidsl_a, new_primary=cast.bob)

    access = change_request_approve(actor=cast.agency, request=request, note="form received")

    assert access.role == Access.Role.PRIMARY
    assert open_roles(cast.pidsl_a, Access.Role.PRIMARY) == ["bob"]
    # PU-02: the new Primary is no longer the backup.
    assert open_roles(cast.pidsl_a, Access.Role.BACKUP) == []
    assert held(cast.bob, cast.pidsl_a) == grantable_codes(cast.pidsl_a)
    alice = cast.access(cast.alice, cast.pidsl_a)
    assert alice.role == Access.Role.SUBORDINATE
    assert "manage_subordinates" not in held(cast.alice, cast.pidsl_a)
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (PrimaryChangeRequest.Status.APPROVED, cast.agency)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE_REQUEST_APPROVE)
    assert event.before == {"primary": "alice"}
    assert event.after["primary"] == "bob"
    assert_permissions_match_access()


def test_pu06_approval_can_end_the_old_primarys_link(cast):
    request = change_request_file(actor=cast.alice, pidsl=cast.pidsl_a, new_primary=cast.frank, old_primary_stays=False)

    change_request_approve(actor=cast.agency, request=request)

    assert open_roles(cast.pidsl_a, Access.Role.PRIMARY) == ["frank"]
    assert not Access.objects.open().filter(user=cast.alice, pidsl=cast.pidsl_a).exists()
    assert Access.objects.filter(user=cast.alice, pidsl=cast.pidsl_a, ended_by=cast.agency).exists()
    assert_permissions_match_access()


@pytest.mark.parametrize("actor", ["alice", "bob", "dave"])
def test_pu06_only_agency_staff_decide_a_change_request(cast, actor):
    request = change_request_file(actor=cast.alice, pidsl=cast.pidsl_a, new_primary=cast.bob)

    with pytest.raises(NotAuthorized):
        change_request_approve(actor=getattr(cast, actor), request=request)
    with pytest.raises(NotAuthorized):
        change_request_reject(actor=getattr(cast, actor), request=request, note="no")

    request.refresh_from_db()
    assert request.status == PrimaryChangeRequest.Status.PENDING
    assert open_roles(cast.pidsl_a, Access.Role.PRIMARY) == ["alice"]


def test_pu06_a_rejected_request_changes_no_role_and_cannot_be_approved_later(cast):
    request = change_request_file(actor=cast.alice, pidsl=cast.pidsl_a, new_primary=cast.bob)

    change_request_reject(actor=cast.agency, request=request, note="form unsigned")

    request.refresh_from_db()
    assert request.status == PrimaryChangeRequest.Status.REJECTED
    with pytest.raises(PolicyViolation) as refused:
        change_request_approve(actor=cast.agency, request=request)
    assert refused.value.rule == "PU-06"
    assert open_roles(cast.pidsl_a, Access.Role.PRIMARY) == ["alice"]
    assert open_roles(cast.pidsl_a, Access.Role.BACKUP) == ["bob"]


def test_pu06_the_primary_user_cannot_be_removed_while_still_primary(cast):
    with pytest.raises(PolicyViolation) as refused:
        link_end(actor=cast.bob, access=cast.access(cast.alice, cast.pidsl_a))

    assert refused.value.rule == "PU-06"
    assert cast.access(cast.alice, cast.pidsl_a).ended_at is None


def test_pu06_the_primary_user_cannot_be_deactivated_while_still_primary(cast):
    with pytest.raises(PolicyViolation) as refused:
        user_deactivate(actor=cast.agency, user=cast.alice)

    assert refused.value.rule == "PU-06"
    cast.alice.refresh_from_db()
    assert cast.alice.is_active


# PU-07: the hard cap on PID/SLs per Primary User


def test_pu07_a_primary_assignment_above_the_hard_cap_is_refused(cast, settings):
    settings.POSC_PRIMARY_PIDSL_CAP = 2
    second, third = factories.PidSlFactory.create_batch(2, organization=cast.eddys)
    primary_designate(actor=cast.agency, pidsl=second, user=cast.alice)

    with pytest.raises(PolicyViolation) as refused:
        primary_designate(actor=cast.agency, pidsl=third, user=cast.alice)

    assert refused.value.rule == "PU-07"
    assert Access.objects.open().filter(user=cast.alice, role=Access.Role.PRIMARY).count() == 2
    assert not Access.objects.filter(pidsl=third).exists()


def test_pu07_an_approved_change_request_above_the_hard_cap_is_refused(cast, settings):
    settings.POSC_PRIMARY_PIDSL_CAP = 1
    request = change_request_file(actor=cast.alice, pidsl=cast.pidsl_a, new_primary=cast.dave)

    with pytest.raises(PolicyViolation) as refused:
        change_request_approve(actor=cast.agency, request=request)

    assert refused.value.rule == "PU-07"
    assert open_roles(cast.pidsl_a, Access.Role.PRIMARY) == ["alice"]
    request.refresh_from_db()
    assert request.status == PrimaryChangeRequest.Status.PENDING
    assert audit_count(action=AuditEvent.Action.CHANGE_REQUEST_APPROVE) == 0
