"""Access reviews (AR-01..AR-05): create, decide item by item, complete with an attestation.

Each function is one transaction that checks the rules, writes, and audits (AU-01). A
decision takes effect through the same services a Primary User's screens use.
"""

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from posc.policy import Conflict, NotAuthorized, PolicyViolation
from providers import authority, catalog
from providers.models import Access, Organization, Service
from subordinates import services as subordinate_services

from ..models import AccessReview, AuditEvent, Report, ReviewItem
from ..services import audit_event, audit_record, audit_records
from .reports import report_enqueue

ATTESTATION = (
    "I validated that every user listed is actively performing services for the organization, "
    "and that each holds only the services they need to perform their job."
)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_review_date(organization: Organization, last_period_end: date | None) -> date:
    """AR-01: a review falls due one schedule period after the last one (or after enrollment)."""
    start = last_period_end or timezone.localdate(organization.created_at)
    return add_months(start, organization.review_frequency)


def _inactive_before():
    return timezone.now() - timedelta(days=settings.POSC_INACTIVITY_DAYS)


_SNAPSHOT_SQL = """
INSERT INTO audit_reviewitem
    (review_id, access_id, user_id, pidsl_id, role, outside_user, services_before, last_login,
     findings, decision, services_after)
SELECT %(review)s, a.id, a.user_id, a.pidsl_id, a.role,
       COALESCE(u.home_organization_id <> %(org)s, TRUE),
       COALESCE(sv.codes, '[]'::jsonb), u.last_login,
       to_jsonb(array_remove(ARRAY[
           CASE WHEN NOT u.is_active THEN 'US-06' END,
           CASE WHEN COALESCE(u.last_login, a.granted_at) < %(inactive)s THEN 'US-07' END,
           CASE WHEN a.role = %(subordinate)s AND COALESCE(sv.n, 0) >= %(full)s THEN 'SV-04' END
       ], NULL)),
       '', '[]'::jsonb
FROM providers_access a
JOIN providers_pidsl p ON p.id = a.pidsl_id
JOIN accounts_user u ON u.id = a.user_id
LEFT JOIN LATERAL (
    SELECT jsonb_agg(s.code ORDER BY s.position) AS codes,
           count(*) FILTER (WHERE s.constraint <> %(admin_only)s) AS n
    FROM providers_access_services x JOIN providers_service s ON s.id = x.service_id
    WHERE x.access_id = a.id
) sv ON TRUE
WHERE p.organization_id = %(org)s AND a.ended_at IS NULL
"""


def _snapshot_items(review: AccessReview) -> int:
    """Copy every open link to the organization's PID/SLs into the review (AR-02), in one statement
    on PostgreSQL so a review of a million links costs about what reading them costs."""
    org = review.organization
    # SV-04's "every": what authority allows a subordinate at this organization's PID/SLs; a
    # subordinate never holds an administrator's own service (PU-04), so those are not counted.
    params = {
        "review": review.pk,
        "org": org.pk,
        "inactive": _inactive_before(),
        "full": authority.allowed_count(org, authority.SUBORDINATE),
        "subordinate": authority.SUBORDINATE,
        "admin_only": catalog.ADMIN_ONLY,
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_SNAPSHOT_SQL, params)
            return cursor.rowcount
    # SQLite (the embedded demo): the same snapshot through the ORM.
    items = []
    accesses = Access.objects.open().filter(pidsl__organization=org).select_related("user").prefetch_related("services")
    for a in accesses:
        codes = [s.code for s in sorted(a.services.all(), key=lambda s: s.position)]
        findings = []
        if not a.user.is_active:
            findings.append("US-06")
        if (a.user.last_login or a.granted_at) < params["inactive"]:
            findings.append("US-07")
        held = sum(1 for s in a.services.all() if s.constraint != params["admin_only"])
        if a.role == authority.SUBORDINATE and held >= params["full"]:
            findings.append("SV-04")
        items.append(
            ReviewItem(
                review=review,
                access=a,
                user=a.user,
                pidsl_id=a.pidsl_id,
                role=a.role,
                outside_user=a.user.home_organization_id != org.pk,
                services_before=codes,
                last_login=a.user.last_login,
                findings=findings,
            )
        )
    ReviewItem.objects.bulk_create(items, batch_size=2000)
    return len(items)


@transaction.atomic
def review_create(*, organization: Organization, actor=None, due_in_days: int | None = None) -> AccessReview:
    """Start a review (by hand, or by the daily job with actor=None)."""
    organization = Organization.objects.select_for_update(no_key=True).get(pk=organization.pk)
    if actor is not None:
        authority.require_reviewer(actor, organization)
    if AccessReview.objects.filter(organization=organization, status=AccessReview.Status.OPEN).exists():
        raise PolicyViolation("AR-01", _("%(org)s already has an open access review.") % {"org": organization})
    today = timezone.localdate()
    last = (
        AccessReview.objects.filter(organization=organization)
        .order_by("-period_end")
        .values_list("period_end", flat=True)
    ).first()
    if last == today:
        raise PolicyViolation("AR-01", _("A review of this period already exists."))
    days = settings.POSC_REVIEW_DAYS_TO_COMPLETE if due_in_days is None else due_in_days
    review = AccessReview.objects.create(
        organization=organization,
        period_start=last or timezone.localdate(organization.created_at),
        period_end=today,
        due_date=today + timedelta(days=days),
        created_at=timezone.now(),
        created_by=actor,
    )
    count = _snapshot_items(review)
    audit_record(
        action=AuditEvent.Action.REVIEW_CREATE,
        actor=actor,
        organization=organization,
        actor_username="" if actor else "system",
        after={"review": review.pk, "items": count, "due": review.due_date.isoformat()},
    )
    return review


def _lock_open_review(review: AccessReview) -> AccessReview:
    review = (
        AccessReview.objects.select_for_update(no_key=True, of=("self",))
        .select_related("organization")
        .get(pk=review.pk)
    )
    if review.status != AccessReview.Status.OPEN:
        raise PolicyViolation("AR-02", _("This review is already completed."))
    return review


@transaction.atomic
def review_decide(*, actor, item: ReviewItem, decision: str, services: list[Service] | None = None) -> ReviewItem:
    """Keep, modify services, remove from the PID/SL, or deactivate (own users only), with effect now."""
    review = _lock_open_review(item.review)
    item = (
        ReviewItem.objects.select_for_update(no_key=True, of=("self",))
        .select_related("pidsl__organization", "user", "access")
        .get(pk=item.pk, review=review)
    )
    # AR-02, AR-05: an administrator of the item's PID/SL who is not the item's user.
    authority.require_decider(actor, item)
    if item.decision:
        # Issue 15: decided by someone else since the page was opened; say who and what (a 409).
        raise Conflict(
            "AR-02",
            _("This item was already decided by %(who)s on %(when)s: %(decision)s.")
            % {
                "who": item.decided_by.username if item.decided_by_id else _("the review's default decision"),
                "when": timezone.localtime(item.decided_at).strftime("%m/%d/%Y %H:%M") if item.decided_at else "",
                "decision": item.get_decision_display(),
            },
        )
    access = item.access
    if decision == ReviewItem.Decision.KEEP:
        pass
    elif decision == ReviewItem.Decision.MODIFY:
        if not access.is_open:
            raise PolicyViolation("AR-02", _("This link has ended since the review began; keep or remove it."))
        # The boxes were shown ticked as the review found the link (services_before): only the
        # reviewer's change to those is applied to what it holds now (issue 15).
        subordinate_services.access_services_set(
            actor=actor, access=access, services=services or [], seen=item.services_before
        )
    elif decision == ReviewItem.Decision.REMOVE:
        if access.is_open:
            subordinate_services.link_end(actor=actor, access=access, reason="removed in access review")
    elif decision == ReviewItem.Decision.DEACTIVATE:
        if item.outside_user:
            raise PolicyViolation(
                "LK-03", _("Deactivation is the home organization's; remove the outside user from the PID/SL instead.")
            )
        if item.user.is_active:
            subordinate_services.user_deactivate(actor=actor, user=item.user, reason="deactivated in access review")
    else:
        raise PolicyViolation("AR-02", _("Choose keep, modify, remove or deactivate."))
    access.refresh_from_db()
    item.decision = decision
    item.services_after = (
        list(access.services.order_by("position").values_list("code", flat=True)) if access.is_open else []
    )
    item.decided_by = actor
    item.decided_at = timezone.now()
    item.save(update_fields=["decision", "services_after", "decided_by", "decided_at"])
    audit_record(**_decision_fields(actor, item, decision, item.services_after, f"review {review.pk}"))
    return item


def _decision_fields(actor, item: ReviewItem, decision: str, services_after: list, detail: str) -> dict:
    """The audit record of one item's decision (AU-01): its user and PID/SL, services before and after."""
    return {
        "action": AuditEvent.Action.REVIEW_DECISION,
        "actor": actor,
        "target_user": item.user,
        "pidsl": item.pidsl,
        "before": {"services": item.services_before},
        "after": {"decision": decision, "services": services_after},
        "detail": detail,
    }


@transaction.atomic
def review_keep_remaining(*, actor, review: AccessReview) -> int:
    """ "Keep all remaining": every undecided item this reviewer may decide (AR-02, not their own:
    AR-05), each with its own audit record naming its user, as a decision one by one would."""
    review = _lock_open_review(review)
    authority.require_reviewer(actor, review.organization)
    pending = (
        ReviewItem.objects.filter(review=review, decision="")
        .filter(authority.decidable_items_q(actor))
        .select_for_update(no_key=True, of=("self",))
        .select_related("user", "pidsl__organization")
    )
    items = list(pending)
    detail = f"review {review.pk}: keep all remaining"
    records = [
        audit_event(**_decision_fields(actor, item, ReviewItem.Decision.KEEP, item.services_before, detail))
        for item in items
    ]
    # Links unchanged by a keep: services after = services before.
    ReviewItem.objects.filter(pk__in=[item.pk for item in items]).update(
        decision=ReviewItem.Decision.KEEP,
        services_after=F("services_before"),
        decided_by=actor,
        decided_at=timezone.now(),
    )
    return audit_records(records)


def review_progress(review: AccessReview) -> dict:
    counts = ReviewItem.objects.filter(review=review).aggregate(
        total=Count("id"), pending=Count("id", filter=Q(decision=""))
    )
    return {"total": counts["total"], "pending": counts["pending"], "decided": counts["total"] - counts["pending"]}


@transaction.atomic
def review_complete(*, actor, review: AccessReview, attested: bool) -> AccessReview:
    """AR-02/AR-04: every item decided and the reviewer's attestation; the reports follow."""
    review = _lock_open_review(review)
    authority.require_reviewer(actor, review.organization)
    if not attested:
        raise PolicyViolation("AR-02", _("Confirm the attestation to complete the review."), field="attested")
    pending = ReviewItem.objects.filter(review=review, decision="").count()
    if pending:
        raise PolicyViolation(
            "AR-02",
            _(
                "%(n)d users still need a decision before the review can be completed. An administrator's own "
                "access is decided by the other administrator, or by MassHealth when there is none (AR-05)."
            )
            % {"n": pending},
        )
    review.status = AccessReview.Status.COMPLETED
    review.completed_at = timezone.now()
    review.completed_by = actor
    review.attestation = ATTESTATION
    review.save(update_fields=["status", "completed_at", "completed_by", "attestation"])
    for kind in (Report.Kind.REVIEW_CSV, Report.Kind.REVIEW_PDF):
        report = Report.objects.create(
            organization=review.organization,
            review=review,
            kind=kind,
            requested_by=actor,
            requested_at=timezone.now(),
        )
        report_enqueue(report)
    audit_record(
        action=AuditEvent.Action.REVIEW_COMPLETE,
        actor=actor,
        organization=review.organization,
        after={"review": review.pk, "attestation": ATTESTATION},
    )
    return review


@transaction.atomic
def review_schedule_set(*, actor, organization: Organization, months: int) -> Organization:
    """AR-01: the organization's Primary User sets quarterly, semi-annual or annual reviews."""
    # Who may comes before what they sent: a reader's bad value is a 403, not a form error.
    authority.require_organization_primary(
        actor, organization, rule="AR-01", message=_("Only the organization's Primary User sets the review schedule.")
    )
    if months not in Organization.ReviewFrequency.values:
        raise PolicyViolation(
            "AR-01", _("Reviews are quarterly, semi-annual or annual (never longer than 12 months)."), field="months"
        )
    organization = Organization.objects.select_for_update(no_key=True).get(pk=organization.pk)
    before = organization.review_frequency
    organization.review_frequency = months
    organization.save(update_fields=["review_frequency"])
    audit_record(
        action=AuditEvent.Action.REVIEW_SCHEDULE,
        actor=actor,
        organization=organization,
        before={"months": before},
        after={"months": months},
    )
    return organization


@transaction.atomic
def user_access_report_request(*, actor, organization: Organization) -> Report:
    """AR-04: a report of the present state, built by a worker (it can be a million rows)."""
    authority.require_active(actor)
    if not authority.may_view_organization(actor, organization.pk):
        raise NotAuthorized(_("You may not see this organization's reports."), rule="AR-04")
    report = Report.objects.create(
        organization=organization, kind=Report.Kind.USER_ACCESS_CSV, requested_by=actor, requested_at=timezone.now()
    )
    report_enqueue(report)
    audit_record(
        action=AuditEvent.Action.REPORT_REQUEST,
        actor=actor,
        organization=organization,
        after={"report": report.pk, "kind": report.kind},
    )
    return report
