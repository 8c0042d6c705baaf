"""Writing audit records. Every service writes one inside its own transaction."""

import json

from django.db import transaction
from django.utils import timezone

from .chain import chain_append, chain_append_or_wait, chain_extend
from .context import client_ip
from .models import AuditEvent

# What is done to a user's account rather than at a PID/SL (LK-03: the home organization's).
ACCOUNT_ACTIONS = frozenset(
    {
        AuditEvent.Action.PASSWORD_RESET,
        AuditEvent.Action.LOCKOUT_CLEAR,
        AuditEvent.Action.USER_UPDATE,
        AuditEvent.Action.USER_DEACTIVATE,
        AuditEvent.Action.USER_REACTIVATE,
        AuditEvent.Action.DORMANCY_KEEP,
    }
)

_SENSITIVE = frozenset({"pin", "birth_month", "birth_day", "password", "date_of_birth", "temporary_password"})


def _scrub(payload: dict | None) -> dict:
    # ASVS 16.2.5: PINs, dates of birth and passwords never reach the audit trail.
    scrubbed = {k: v for k, v in (payload or {}).items() if k not in _SENSITIVE}
    # Hash what the database will give back (tuples as lists, keys as strings), or the chain breaks.
    return json.loads(json.dumps(scrubbed))


def audit_event(
    *,
    action: str,
    actor=None,
    target_user=None,
    pidsl=None,
    organization=None,
    before: dict | None = None,
    after: dict | None = None,
    detail: str = "",
    actor_username: str = "",
) -> AuditEvent:
    if organization is None and pidsl is not None:
        organization = pidsl.organization
    # LK-03: the home organization reads in its own trail what was done to its user's account
    # anywhere, and what another organization did to its user at that organization's PID/SL.
    home = getattr(target_user, "home_organization_id", None)
    organization_id = organization.pk if organization is not None else None
    if action not in ACCOUNT_ACTIONS and home == organization_id:
        home = None
    """An unsaved record; audit_record or audit_records writes it into the chain."""
    return AuditEvent(
        at=timezone.now(),
        action=action,
        actor=actor,
        actor_username=actor.username if actor is not None else actor_username,
        target_user=target_user,
        target_username=target_user.username if target_user is not None else "",
        pidsl=pidsl,
        organization=organization,
        home_organization_id=home,
        before=_scrub(before),
        after=_scrub(after),
        ip_address=client_ip.get(),
        detail=detail.replace("\x00", "")[:500],  # PostgreSQL refuses NUL in text
    )


def audit_record(**fields) -> AuditEvent:
    """Write one audit record (the fields of audit_event)."""
    # Inside the caller's transaction when there is one, so the chain lock lasts until it commits. No
    # savepoint: a record that fails to write must fail the action it records, never be skipped.
    with transaction.atomic(savepoint=False):
        return chain_append(audit_event(**fields))


def audit_record_unblocked(**fields):
    """audit_record for a sign-in, a sign-out or a failed sign-in: never waits for a busy chain
    (chain_append_or_wait), so a long change's audit records do not hold up signing in."""
    with transaction.atomic(savepoint=False):
        return chain_append_or_wait(audit_event(**fields))


def audit_records(events: list[AuditEvent]) -> int:
    """Write many records built with audit_event, in order, in the caller's transaction."""
    with transaction.atomic(savepoint=False):
        return chain_extend(events)
