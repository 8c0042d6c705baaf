"""AR-06: what happens to the items nobody decided by a review's deadline.

The deadline is the due date plus the program's grace period (ProgramReviewSettings.grace_days, 14
by default, set by agency staff). The daily job of that date gives every undecided item the
organization's default decision (ReviewPolicy; none chosen, or one weaker than the program's
minimum: the minimum), through the same rules as a person's decision:

- "remove": every undecided item's link ends (subordinates.services.links_end_many, link_end's
  rules and notices in a few statements), except a Primary User's, which is kept (PU-06: only a
  change request replaces a Primary User);
- "apply the recommendations": the items recommended for removal are removed, the rest kept
  (a "modify" recommendation is kept: nobody chose which services to cancel);
- "keep": every item is kept.

Nothing is deactivated by default: an outside user is delinked, never deactivated (LK-03), and an
own user's "remove" ends the link. Each item gets one audit record ("decided by default at the
deadline"); then the review is completed by default with its reports (and so its evidence
package), and the organization's administrators, its compliance officers and the home
organizations of outside users whose links ended are told. Set-based: a handful of statements per
review, however many items, and the audit records written a batch at a time. Idempotent: a
completed review is skipped, so a second run of the same date changes and sends nothing.
"""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from providers import authority
from providers.models import ComplianceAssignment, Notification
from providers.notifications import notifications_save
from subordinates.services import links_end_many

from ..models import (
    DEFAULT_STRENGTH,
    AccessReview,
    AuditEvent,
    DefaultDecision,
    ProgramReviewSettings,
    ReviewItem,
    ReviewPolicy,
)
from ..services import audit_record, audit_records
from .services import reports_start

DETAIL = "decided by default at the deadline"
BATCH = 5000


def default_attestation(review: AccessReview, choice: str, deadline: date) -> str:
    return (
        f"Completed by default (AR-06): the items nobody decided by the deadline, "
        f"{deadline:%m/%d/%Y}, were given the organization's default decision, "
        f"\u201c{DefaultDecision(choice).label}\u201d. No person attested to them."
    )


def deadline(review: AccessReview, program: ProgramReviewSettings | None = None) -> date:
    """AR-06: the due date plus the program's grace period; the default is applied on this date."""
    program = program or ProgramReviewSettings.current()
    return review.due_date + timedelta(days=program.grace_days)


def effective_default(organization_id: int, program: ProgramReviewSettings | None = None) -> str:
    """The organization's choice, never weaker than the program's minimum (remove > recommendations > keep)."""
    program = program or ProgramReviewSettings.current()
    chosen = ReviewPolicy.objects.filter(organization_id=organization_id).values_list("default_decision", flat=True)
    choice = chosen.first() or program.minimum_default
    return max(choice, program.minimum_default, key=lambda c: DEFAULT_STRENGTH[c])


def _removes(choice: str, role: str, recommendation: str) -> bool:
    """Whether the default removes an undecided item; PU-06: never a Primary User's."""
    if choice == DefaultDecision.KEEP or role == authority.PRIMARY:
        return False
    return choice == DefaultDecision.REMOVE or recommendation == ReviewItem.Decision.REMOVE


def _removals(undecided, choice: str):
    """_removes as a filter: the undecided items the default removes."""
    if choice == DefaultDecision.KEEP:
        return undecided.none()
    removable = undecided.exclude(role=authority.PRIMARY)
    if choice == DefaultDecision.RECOMMENDATIONS:
        removable = removable.filter(recommendation=ReviewItem.Decision.REMOVE)
    return removable


def _records(review: AccessReview, undecided, choice: str, now) -> int:
    """One audit record per item (AR-06, AU-01), with what review_decide records, a batch at a time."""
    rows = undecided.order_by("pk").values_list(
        "user_id",
        "user__username",
        "user__home_organization_id",
        "pidsl_id",
        "role",
        "recommendation",
        "services_before",
    )
    written, batch = 0, []
    for user_id, username, home_id, pidsl_id, role, recommendation, services in rows.iterator(chunk_size=BATCH):
        removed = _removes(choice, role, recommendation)
        detail = f"review {review.pk}: {DETAIL}"
        if role == authority.PRIMARY and choice == DefaultDecision.REMOVE:
            detail += " (a Primary User is kept: PU-06)"
        batch.append(
            AuditEvent(
                at=now,
                action=AuditEvent.Action.REVIEW_DECISION,
                actor_username="system",
                target_user_id=user_id,
                target_username=username,
                pidsl_id=pidsl_id,
                organization_id=review.organization_id,
                # LK-03: the home organization reads what another organization decided about its user.
                home_organization_id=home_id if home_id != review.organization_id else None,
                before={"services": services},
                after={"decision": "remove" if removed else "keep", "services": [] if removed else services},
                detail=detail,
            )
        )
        if len(batch) == BATCH:
            written += audit_records(batch)
            batch = []
    return written + audit_records(batch)


@transaction.atomic
def review_decide_by_default(review_id: int, today: date, *, lock=None) -> dict | None:
    """AR-06 for one review whose deadline is today or past; None when there is nothing to do
    (completed already, or the deadline not reached): a rerun changes nothing. ``lock`` takes the
    daily job's lock in this transaction (reminders.reviews_daily)."""
    if lock is not None:
        lock()
    program = ProgramReviewSettings.current()
    review = (
        AccessReview.objects.select_for_update(no_key=True, of=("self",))
        .select_related("organization")
        .get(pk=review_id)
    )
    due_by = deadline(review, program)
    if review.status != AccessReview.Status.OPEN or due_by > today:
        return None
    choice = effective_default(review.organization_id, program)
    now = timezone.now()
    undecided = ReviewItem.objects.filter(review=review, decision="")
    removals = _removals(undecided, choice)
    # The records first, while "undecided" still says which items they are.
    recorded = _records(review, undecided, choice, now)
    ended = links_end_many(
        actor=None,
        access_ids=removals.values("access_id"),
        reason=f"removed by default at the deadline of access review {review.pk} (AR-06)",
        notice_suffix=" " + _("(The access review's default decision at its deadline, AR-06.)"),
    )
    fields = {"decided_by": None, "decided_at": now}
    removed = removals.update(decision=ReviewItem.Decision.REMOVE, services_after=[], **fields)
    kept = undecided.update(decision=ReviewItem.Decision.KEEP, services_after=F("services_before"), **fields)
    review.status = AccessReview.Status.COMPLETED
    review.completed_at = now
    review.completed_by = None
    review.completed_by_default = True
    review.attestation = default_attestation(review, choice, due_by)
    review.save(update_fields=["status", "completed_at", "completed_by", "completed_by_default", "attestation"])
    reports_start(review, None)
    audit_record(
        action=AuditEvent.Action.REVIEW_COMPLETE,
        organization=review.organization,
        actor_username="system",
        after={"review": review.pk, "by_default": choice, "kept": kept, "removed": removed, "links_ended": ended},
        detail=f"completed by default at the deadline, {due_by:%m/%d/%Y} (AR-06)",
    )
    _notify(review, choice, due_by, kept=kept, removed=removed)
    return {"review": review.pk, "default": choice, "records": recorded, "kept": kept, "removed": removed}


def _notify(review: AccessReview, choice: str, due_by: date, *, kept: int, removed: int) -> None:
    """The organization's administrators (its Primary Users and backups: an organization notice),
    and each compliance officer; the home organizations heard from links_end_many (LK-03)."""
    text = _(
        "The access review of %(org)s was due %(due)s. On its deadline, %(deadline)s, the items nobody "
        "decided were given the default decision \u201c%(choice)s\u201d (AR-06): %(removed)d removed, "
        "%(kept)d kept. The review is completed by default; its reports follow."
    ) % {
        "org": review.organization.name,
        "due": f"{review.due_date:%m/%d/%Y}",
        "deadline": f"{due_by:%m/%d/%Y}",
        "choice": DefaultDecision(choice).label,
        "removed": removed,
        "kept": kept,
    }
    now = timezone.now()
    officers = ComplianceAssignment.objects.filter(ended_at__isnull=True, organization_id=review.organization_id)
    rows = [
        Notification(
            organization_id=review.organization_id,
            recipient_id=user_id,
            kind=Notification.Kind.REVIEW_OVERDUE,
            message=text,
            created_at=now,
        )
        for user_id in [None, *officers.values_list("user_id", flat=True)]
    ]
    notifications_save(rows)


def reviews_decide_by_default(today: date, *, lock=None) -> dict:
    """Every open review whose deadline is today or past, each in its own transaction (a failure
    leaves the others done and itself for the next run)."""
    program = ProgramReviewSettings.current()
    due = AccessReview.objects.filter(
        status=AccessReview.Status.OPEN, due_date__lte=today - timedelta(days=program.grace_days)
    ).order_by("due_date", "pk")
    done = [
        result for pk in due.values_list("pk", flat=True) if (result := review_decide_by_default(pk, today, lock=lock))
    ]
    return {
        "decided_by_default": len(done),
        "items_removed": sum(r["removed"] for r in done),
        "items_kept": sum(r["kept"] for r in done),
    }
