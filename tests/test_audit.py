"""The audit trail (AU-01): every service records who, what, whom, where, before and after;
sensitive fields never reach it; the database refuses to change it; a refusal writes nothing."""

import dataclasses
import json

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from posc.policy import PolicyViolation
from providers import services as roles
from providers.models import Access, Notification, PidSlUserObjectPermission, PrimaryChangeRequest
from subordinates import services as admin
from tests import factories
from tests.helpers import assert_permissions_match_access, services
from tests.test_subordinate_create import NEW_HIRE

Action = AuditEvent.Action


def _request(c) -> PrimaryChangeRequest:
    return roles.change_request_file(actor=c.alice, pidsl=c.pidsl_a, new_primary=c.bob)


# Each successful service, with what its audit record must say: (action, actor, target, PID/SL).
SUCCESSES = {
    "primary_designate": (
        lambda c: roles.primary_designate(
            actor=c.agency, pidsl=factories.PidSlFactory(organization=c.eddys, provider_id="110000002"), user=c.frank
        ),
        (Action.PRIMARY_DESIGNATE, "agency", "frank", "110000002A"),
    ),
    "backup_appoint": (
        lambda c: roles.backup_appoint(actor=c.alice, pidsl=c.pidsl_a, user=c.frank),
        (Action.BACKUP_APPOINT, "alice", "frank", "110000001A"),
    ),
    "change_request_file": (_request, (Action.CHANGE_REQUEST_FILE, "alice", "bob", "110000001A")),
    "change_request_approve": (
        lambda c: roles.change_request_approve(actor=c.agency, request=_request(c)),
        (Action.CHANGE_REQUEST_APPROVE, "agency", "bob", "110000001A"),
    ),
    "change_request_reject": (
        lambda c: roles.change_request_reject(actor=c.agency, request=_request(c), note="unsigned"),
        (Action.CHANGE_REQUEST_REJECT, "agency", "bob", "110000001A"),
    ),
    "subordinate_create": (
        lambda c: admin.subordinate_create(
            actor=c.alice, pidsl=c.pidsl_a, identity=NEW_HIRE, services=services("portal_services")
        ),
        (Action.USER_CREATE, "alice", "grivera1", "110000001A"),
    ),
    "access_services_set": (
        lambda c: admin.access_services_set(
            actor=c.alice, access=c.access(c.carol, c.pidsl_a), services=services("portal_services")
        ),
        (Action.SERVICES_CHANGE, "alice", "carol", "110000001A"),
    ),
    "user_link": (
        lambda c: admin.user_link(
            actor=c.erin, pidsl=c.pidsl_x, username="biller", last_name="Biller", services=services("portal_services")
        ),
        (Action.LINK_CREATE, "erin", "biller", "330000001A"),
    ),
    "link_end": (
        lambda c: admin.link_end(actor=c.bob, access=c.access(c.carol, c.pidsl_a)),
        (Action.LINK_END, "bob", "carol", "110000001A"),
    ),
    "user_deactivate": (
        lambda c: admin.user_deactivate(actor=c.alice, user=c.carol),
        (Action.USER_DEACTIVATE, "alice", "carol", None),
    ),
    "password_reset_temporary": (
        lambda c: admin.password_reset_temporary(actor=c.alice, user=c.carol, pidsl=c.pidsl_a),
        (Action.PASSWORD_RESET, "alice", "carol", "110000001A"),
    ),
    "compliance_officer_appoint": (
        lambda c: roles.compliance_officer_appoint(actor=c.alice, organization=c.eddys, user=c.frank),
        (Action.COMPLIANCE_GRANT, "alice", "frank", None),
    ),
}


def _sensitive_values(users) -> list[str]:
    values = []
    for user in users:
        if user.pin:
            values.append(user.pin)
        if user.birth_month:
            values.append(user.birth_mmdd)
    return values


@pytest.mark.parametrize("name", SUCCESSES)
def test_au01_every_successful_service_writes_its_audit_record(cast, name):
    call, (action, actor, target, where) = SUCCESSES[name]
    # Earlier steps of a scenario (filing the request that is then approved) write their own records.
    already = set(AuditEvent.objects.values_list("pk", flat=True))

    call(cast)

    event = AuditEvent.objects.exclude(pk__in=already).get(action=action)
    assert event.actor.username == event.actor_username == actor
    assert event.target_user.username == event.target_username == target
    assert event.at <= timezone.now()
    if where is None:
        assert event.organization == cast.eddys
    else:
        assert event.pidsl.code == where
        assert event.organization == event.pidsl.organization
    # A change says what it changed: before and/or after.
    assert event.before or event.after
    assert_permissions_match_access()


@pytest.mark.parametrize("name", SUCCESSES)
def test_au01_pins_and_birth_dates_never_reach_an_audit_record(cast, name):
    call, _ = SUCCESSES[name]

    call(cast)

    users = [e.target_user for e in AuditEvent.objects.exclude(target_user=None)]
    for event in AuditEvent.objects.all():
        payload = json.dumps([event.before, event.after, event.detail])
        for key in ("pin", "birth_month", "birth_day", "date_of_birth", "password"):
            assert f'"{key}"' not in payload, (event, key)
        for value in _sensitive_values(users):
            assert value not in payload, (event, value)


def test_au01_the_audit_writer_scrubs_sensitive_fields_whoever_passes_them(cast):
    event = audit_record(
        action=Action.USER_UPDATE,
        actor=cast.alice,
        target_user=cast.carol,
        before={"pin": "4831", "birth_month": 7, "birth_day": 19, "email": "old@example.org"},
        after={"password": "secret", "temporary_password": "x", "date_of_birth": "07/19", "email": "new@example.org"},
    )

    event.refresh_from_db()
    assert event.before == {"email": "old@example.org"}
    assert event.after == {"email": "new@example.org"}


@pytest.fixture
def event(cast) -> AuditEvent:
    return audit_record(action=Action.SIGN_IN, actor=cast.carol, detail="signed in")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda e: AuditEvent.objects.filter(pk=e.pk).update(detail="forged"), id="queryset-update"),
        pytest.param(lambda e: AuditEvent.objects.filter(pk=e.pk).delete(), id="queryset-delete"),
        pytest.param(lambda e: (setattr(e, "actor_username", "someone"), e.save()), id="save"),
        pytest.param(lambda e: e.delete(), id="delete"),
    ],
)
def test_au01_the_database_refuses_to_change_or_delete_an_audit_record(event, change):
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        change(event)

    assert "AU-01" in str(refused.value)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_username, stored.detail) == ("carol", "signed in")


# A refused action writes nothing: no Access change, no permission, no notification, no audit record.


def _state() -> tuple:
    return (
        sorted(
            (a.pk, a.user_id, a.pidsl_id, a.role, a.ended_at, tuple(sorted(s.pk for s in a.services.all())))
            for a in Access.objects.prefetch_related("services")
        ),
        sorted(PidSlUserObjectPermission.objects.values_list("user_id", "content_object_id", "permission_id")),
        sorted(PrimaryChangeRequest.objects.values_list("pk", "status")),
        Notification.objects.count(),
        AuditEvent.objects.count(),
    )


REFUSALS = {
    "second primary": lambda c: roles.primary_designate(actor=c.agency, pidsl=c.pidsl_a, user=c.frank),
    "backup from outside": lambda c: roles.backup_appoint(actor=c.alice, pidsl=c.pidsl_a, user=c.biller),
    "backup by a subordinate": lambda c: roles.backup_appoint(actor=c.carol, pidsl=c.pidsl_a, user=c.frank),
    "approve by the primary": lambda c: roles.change_request_approve(actor=c.alice, request=c.request),
    "second pending request": lambda c: roles.change_request_file(actor=c.bob, pidsl=c.pidsl_a, new_primary=c.frank),
    "manage subordinates for a subordinate": lambda c: admin.access_services_set(
        actor=c.alice, access=c.access(c.carol, c.pidsl_a), services=services("portal_services", "manage_subordinates")
    ),
    "mmq at an ordinary provider": lambda c: admin.access_services_set(
        actor=c.alice, access=c.access(c.carol, c.pidsl_a), services=services("portal_services", "mmq")
    ),
    "duplicate person": lambda c: admin.subordinate_create(
        actor=c.alice,
        pidsl=c.pidsl_a,
        identity=dataclasses.replace(
            NEW_HIRE,
            last_name=c.carol.last_name,
            first_name=c.carol.first_name,
            birth_month=c.carol.birth_month,
            birth_day=c.carol.birth_day,
            pin=c.carol.pin,
        ),
        services=services("portal_services"),
    ),
    "link with a wrong last name": lambda c: admin.user_link(
        actor=c.erin, pidsl=c.pidsl_x, username="biller", last_name="Wrong", services=services("portal_services")
    ),
    "remove the primary": lambda c: admin.link_end(actor=c.bob, access=c.access(c.alice, c.pidsl_a)),
    "deactivate another organization's user": lambda c: admin.user_deactivate(actor=c.erin, user=c.carol),
    "reset the backup's password": lambda c: admin.password_reset_temporary(actor=c.alice, user=c.bob, pidsl=c.pidsl_a),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_au01_a_refused_action_writes_nothing(cast, name):
    """POLICY.md "hard": a refusal leaves no Access change, permission, notification or audit record."""
    cast.request = factories.PrimaryChangeRequestFactory(
        pidsl=cast.pidsl_a, new_primary=cast.bob, requested_by=cast.alice
    )
    before = _state()

    with pytest.raises(PolicyViolation):
        REFUSALS[name](cast)

    assert _state() == before
    assert_permissions_match_access()


def test_the_trail_is_vacuumed_every_10000_records_so_its_counts_stay_index_only(db):
    # audit 0014: an append-only table is otherwise vacuumed only after 20% more rows.
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [AuditEvent._meta.db_table])
        options = cursor.fetchone()[0] or []
    assert "autovacuum_vacuum_insert_threshold=10000" in options
    assert "autovacuum_vacuum_insert_scale_factor=0" in options
