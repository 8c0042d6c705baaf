"""Changes to organizations, PID/SLs and the Primary/backup roles.

Every function is one transaction: it locks what it reads, checks the POLICY.md
rules (naming them when it refuses), writes, keeps guardian permissions in step,
and writes the audit record (AU-01). Nothing else writes these models.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from posc.policy import Conflict, PolicyViolation, check_seen

from . import authority
from .access import access_close, demote_to_subordinate, pidsl_lock, role_move, service_codes
from .models import Access, ComplianceAssignment, Organization, PidSl, PrimaryChangeRequest


@dataclass(frozen=True)
class PidSlSpec:
    provider_id: str
    service_location: str
    name: str
    street: str = ""
    city: str = ""
    zip_code: str = ""


@transaction.atomic
def organization_enroll(
    *,
    actor,
    name: str,
    kind: str = Organization.Kind.PROVIDER,
    is_long_term_care: bool = False,
    is_pace: bool = False,
    is_sco: bool = False,
    pidsls: list[PidSlSpec] = (),
) -> Organization:
    authority.require_agency(actor)
    org = Organization(name=name, kind=kind, is_long_term_care=is_long_term_care, is_pace=is_pace, is_sco=is_sco)
    org.full_clean()
    org.save()
    audit_record(action=AuditEvent.Action.ORG_ENROLL, actor=actor, organization=org, after={"name": name, "kind": kind})
    for spec in pidsls:
        pidsl_enroll(actor=actor, organization=org, spec=spec)
    return org


@transaction.atomic
def pidsl_enroll(*, actor, organization: Organization, spec: PidSlSpec) -> PidSl:
    authority.require_agency(actor)
    pidsl = PidSl(organization=organization, **spec.__dict__)
    pidsl.full_clean()
    pidsl.save()
    audit_record(
        action=AuditEvent.Action.ORG_ENROLL, actor=actor, pidsl=pidsl, after={"pidsl": pidsl.code, "name": pidsl.name}
    )
    return pidsl


@transaction.atomic
def primary_designate(*, actor, pidsl: PidSl, user) -> Access:
    """Agency staff name the first Primary User of a PID/SL (after the Data Collection Form)."""
    authority.require_agency(actor)
    pidsl = pidsl_lock(pidsl.pk)
    if authority.holder_id(pidsl, authority.PRIMARY) is not None:
        raise PolicyViolation(
            "PU-06",
            _("%(pidsl)s already has a Primary User; change it with an approved change request.")
            % {"pidsl": pidsl.code},
        )
    authority.require_linkable(user, field="user", rule="PU-01")
    authority.check_primary_cap(user)
    access = role_move(
        user=user,
        pidsl=pidsl,
        role=authority.PRIMARY,
        services=authority.administrator_services(pidsl),
        actor=actor,
        reason="designated Primary User",
    )
    audit_record(
        action=AuditEvent.Action.PRIMARY_DESIGNATE,
        actor=actor,
        target_user=user,
        pidsl=pidsl,
        after={"role": "primary", "services": service_codes(access)},
    )
    return access


@transaction.atomic
def backup_appoint(*, actor, pidsl: PidSl, user) -> Access:
    """The Primary User appoints (or replaces) the backup, who gets every service (PU-02, PU-05)."""
    # Read before waiting for the lock: a backup appointed while we wait was appointed at
    # the same moment, and replacing it unseen would silently undo that appointment (PU-02).
    seen = authority.holder_id(pidsl, authority.BACKUP)
    pidsl = pidsl_lock(pidsl.pk)
    authority.require_primary(actor, pidsl)
    # PU-02: a user of the PID/SL's own organization; any other user is refused in the words of
    # "no such user" (LK-03).
    authority.require_choosable(actor, user, rule="PU-02", organization_id=pidsl.organization_id, field="username")
    if authority.holder_id(pidsl, authority.PRIMARY) == user.pk:
        raise PolicyViolation(
            "PU-02", _("The Primary User cannot also be the backup of the same PID/SL."), field="username"
        )
    previous = authority.holder_link(pidsl, authority.BACKUP, lock=True)
    if (previous.user_id if previous is not None else None) != seen:
        raise PolicyViolation("PU-02", _("Another backup Primary User was appointed at the same time."))
    if previous is not None and previous.user_id == user.pk:
        raise PolicyViolation(
            "PU-02", _("%(user)s is already the backup Primary User.") % {"user": user}, field="username"
        )
    before = {}
    if previous is not None:
        # The replaced backup stays linked as a subordinate, without Manage Subordinate Accounts (PU-04).
        before = {"backup": previous.user.username}
        demote_to_subordinate(access=previous, actor=actor, reason="replaced as backup Primary User")
    try:
        with transaction.atomic():
            access = role_move(
                user=user,
                pidsl=pidsl,
                role=authority.BACKUP,
                services=authority.administrator_services(pidsl),
                actor=actor,
                reason="appointed backup Primary User",
            )
    except IntegrityError as exc:
        # Another appointment committed first; the partial unique index kept PU-02.
        raise PolicyViolation("PU-02", _("Another backup Primary User was appointed at the same time.")) from exc
    audit_record(
        action=AuditEvent.Action.BACKUP_APPOINT,
        actor=actor,
        target_user=user,
        pidsl=pidsl,
        before=before,
        after={"backup": user.username, "services": service_codes(access)},
    )
    return access


@transaction.atomic
def change_request_file(*, actor, pidsl: PidSl, new_primary, reason: str = "", old_primary_stays: bool = True):
    """The Primary or backup files the Existing Provider Modification Data Collection Form (PU-06)."""
    pidsl = pidsl_lock(pidsl.pk)
    authority.require_administrator(actor, pidsl)
    # PU-06: the nominee is of the PID/SL's organization (LK-03: one message for a user who does
    # not exist and one who may not be chosen).
    authority.require_nominee(actor, new_primary, pidsl)
    if authority.holder_id(pidsl, authority.PRIMARY) == new_primary.pk:
        raise PolicyViolation("PU-06", _("%(user)s is already the Primary User.") % {"user": new_primary})
    if PrimaryChangeRequest.objects.filter(pidsl=pidsl, status=PrimaryChangeRequest.Status.PENDING).exists():
        raise PolicyViolation("PU-06", _("A change request for %(pidsl)s is already pending.") % {"pidsl": pidsl.code})
    request = PrimaryChangeRequest.objects.create(
        pidsl=pidsl,
        new_primary=new_primary,
        reason=reason,
        old_primary_stays=old_primary_stays,
        requested_by=actor,
        requested_at=timezone.now(),
    )
    audit_record(
        action=AuditEvent.Action.CHANGE_REQUEST_FILE,
        actor=actor,
        target_user=new_primary,
        pidsl=pidsl,
        after={"request": request.pk, "old_primary_stays": old_primary_stays},
    )
    return request


def _lock_pending(request: PrimaryChangeRequest) -> PrimaryChangeRequest:
    request = PrimaryChangeRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != PrimaryChangeRequest.Status.PENDING:
        # Issue 15: another agency staff member decided it since the page was opened (a 409).
        raise Conflict(
            "PU-06",
            _("This change request was already decided: %(status)s by %(who)s.")
            % {
                "status": request.get_status_display().lower(),
                "who": request.decided_by.username if request.decided_by_id else _("MassHealth"),
            },
        )
    return request


@transaction.atomic
def change_request_approve(*, actor, request: PrimaryChangeRequest, note: str = "") -> Access:
    """Agency staff approve: the Primary User role moves in this one transaction (PU-01, PU-06)."""
    authority.require_agency(actor)
    pidsl = pidsl_lock(request.pidsl_id)
    request = _lock_pending(request)
    new_primary = type(request.new_primary).objects.select_for_update(no_key=True).get(pk=request.new_primary_id)
    # PU-06: still an active user of the organization, and not removed from the PID/SL since filing.
    authority.require_nominee(actor, new_primary, pidsl, filed_at=request.requested_at)
    authority.check_primary_cap(new_primary)
    old = authority.holder_link(pidsl, authority.PRIMARY, lock=True)
    before = {}
    if old is not None:
        before = {"primary": old.user.username}
        if request.old_primary_stays:
            demote_to_subordinate(access=old, actor=actor, reason="Primary User changed")
        else:
            access_close(access=old, ended_by=actor, reason="Primary User changed")
    access = role_move(
        user=new_primary,
        pidsl=pidsl,
        role=authority.PRIMARY,
        services=authority.administrator_services(pidsl),
        actor=actor,
        reason="approved as Primary User",
    )
    request.status = PrimaryChangeRequest.Status.APPROVED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        action=AuditEvent.Action.CHANGE_REQUEST_APPROVE,
        actor=actor,
        target_user=new_primary,
        pidsl=pidsl,
        before=before,
        after={"primary": new_primary.username, "request": request.pk},
    )
    return access


@transaction.atomic
def change_request_reject(*, actor, request: PrimaryChangeRequest, note: str) -> PrimaryChangeRequest:
    authority.require_agency(actor)
    request = _lock_pending(request)
    request.status = PrimaryChangeRequest.Status.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        action=AuditEvent.Action.CHANGE_REQUEST_REJECT,
        actor=actor,
        target_user=request.new_primary,
        pidsl=request.pidsl,
        after={"request": request.pk, "note": note},
    )
    return request


def _require_compliance_appointer(actor, organization: Organization) -> None:
    """Agency staff, or a Primary User of the organization, appoint and end compliance officers."""
    authority.require_organization_primary(
        actor,
        organization,
        rule="AU-01",
        message=_("Only MassHealth or the organization's Primary User appoints compliance officers."),
    )


@transaction.atomic
def compliance_officer_end(*, actor, assignment: ComplianceAssignment) -> None:
    assignment = ComplianceAssignment.objects.select_for_update().get(pk=assignment.pk)
    _require_compliance_appointer(actor, assignment.organization)
    if assignment.ended_at is not None:
        raise PolicyViolation("AU-01", _("This appointment has already ended."))
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["ended_at"])
    audit_record(
        action=AuditEvent.Action.COMPLIANCE_END,
        actor=actor,
        target_user=assignment.user,
        organization=assignment.organization,
        before={"compliance_officer": assignment.user.username},
    )


@transaction.atomic
def compliance_officer_appoint(*, actor, organization: Organization, user) -> ComplianceAssignment:
    """Agency staff, or a Primary User of the organization, appoint a compliance officer."""
    _require_compliance_appointer(actor, organization)
    authority.require_linkable(user, field="user", rule="AU-01")
    if not actor.is_agency_staff and user.home_organization_id != organization.pk:
        raise PolicyViolation(
            "AU-01", _("A compliance officer appointed by the Primary User is one of the organization's own users.")
        )
    assignment, created = ComplianceAssignment.objects.get_or_create(
        user=user,
        organization=organization,
        ended_at=None,
        defaults={"granted_by": actor, "granted_at": timezone.now()},
    )
    if created:
        audit_record(
            action=AuditEvent.Action.COMPLIANCE_GRANT,
            actor=actor,
            target_user=user,
            organization=organization,
            after={"compliance_officer": user.username},
        )
    return assignment


@transaction.atomic
def broadcast_post(*, actor, subject: str, body: str, priority: int):
    """Agency staff post a Broadcast Message every user sees ("View Broadcast Messages")."""
    from .models import BroadcastMessage

    authority.require_agency(actor)
    message = BroadcastMessage.objects.create(
        subject=subject, body=body, priority=priority, posted_by=actor, posted_at=timezone.now()
    )
    audit_record(action=AuditEvent.Action.BROADCAST_POST, actor=actor, after={"subject": subject[:200]})
    return message


ORGANIZATION_EDITABLE = ("name",)
PIDSL_EDITABLE = ("name", "street", "city", "state", "zip_code")


def _fields_update(*, actor, obj, changes: dict, editable, seen: dict | None, **where):
    authority.require_agency(actor)
    unknown = set(changes) - set(editable)
    if unknown:
        raise PolicyViolation(
            "AU-01", _("These fields are not changed here: %(f)s.") % {"f": ", ".join(sorted(unknown))}
        )
    # Issue 15: a field someone else changed since the page showed it is refused, not overwritten.
    check_seen(obj, changes, seen, rule="AU-01", what=str(obj))
    before = {name: getattr(obj, name) for name in changes}
    changed = [name for name, value in changes.items() if before[name] != value]
    if not changed:
        return []
    for name in changed:
        setattr(obj, name, changes[name])
    obj.full_clean()
    obj.save(update_fields=changed)
    audit_record(
        action=AuditEvent.Action.ORG_UPDATE,
        actor=actor,
        before={name: before[name] for name in changed},
        after={name: changes[name] for name in changed},
        **where,
    )
    return changed


@transaction.atomic
def organization_update(*, actor, organization: Organization, changes: dict, seen: dict | None = None) -> list[str]:
    """Agency staff correct an organization's name (audited, AU-01); its provider traits decide
    what may be granted (SV-02) and are not changed here."""
    organization = Organization.objects.select_for_update(no_key=True).get(pk=organization.pk)
    return _fields_update(
        actor=actor,
        obj=organization,
        changes=changes,
        editable=ORGANIZATION_EDITABLE,
        seen=seen,
        organization=organization,
    )


@transaction.atomic
def pidsl_update(*, actor, pidsl: PidSl, changes: dict, seen: dict | None = None) -> list[str]:
    """Agency staff correct a PID/SL's name and address (audited, AU-01)."""
    pidsl = pidsl_lock(pidsl.pk)
    return _fields_update(actor=actor, obj=pidsl, changes=changes, editable=PIDSL_EDITABLE, seen=seen, pidsl=pidsl)
