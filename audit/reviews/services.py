"""Access reviews (AR-01..AR-05): create, decide item by item, complete with an attestation.

Each function is one transaction that checks the rules, writes, and audits (AU-01). A
decision takes effect through the same services a Primary User's screens use.
"""

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from posc.policy import Conflict, NotAuthorized, PolicyViolation
from providers import authority, catalog
from providers.models import Access, Organization, Service
from subordinates import services as subordinate_services

from ..models import (
    DEFAULT_STRENGTH,
    AccessReview,
    AuditEvent,
    DefaultDecision,
    ProgramReviewSettings,
    Report,
    ReviewItem,
    ReviewPolicy,
)
from ..services import audit_event, audit_record, audit_records
from . import recommendations
from .paging import progress
from .reports import report_enqueue

ATTESTATION = (
    "I validated that every user listed is actively performing services for the organization, "
    "and that each holds only the services they need to perform their job."
)


# AR-06: a grace period longer than a quarter would outlast the next review's schedule (AR-01).
MAX_GRACE_DAYS = 90


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


_OUTSIDE = "COALESCE(u.home_organization_id <> %(org)s, TRUE)"

_SNAPSHOT_SQL = f"""
INSERT INTO audit_reviewitem
    (review_id, access_id, user_id, pidsl_id, role, outside_user, services_before, last_login,
     findings, decision, services_after, recommendation, recommendation_reason)
SELECT %(review)s, a.id, a.user_id, a.pidsl_id, a.role,
       {_OUTSIDE},
       COALESCE(sv.codes, '[]'::jsonb), u.last_login,
       to_jsonb(array_remove(ARRAY[
           CASE WHEN NOT u.is_active THEN 'US-06' END,
           CASE WHEN COALESCE(u.last_login, a.granted_at) < %(inactive)s THEN 'US-07' END,
           CASE WHEN a.role = %(subordinate)s AND COALESCE(sv.n, 0) >= %(full)s THEN 'SV-04' END
       ], NULL)),
       '', '[]'::jsonb,
       {recommendations.snapshot_columns(_OUTSIDE)}
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
"""  # noqa: S608 - the SQL text is this module's and recommendations'; every value is a parameter


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
        # Issue 16: each item's recommendation and its reason, in the same statement.
        **recommendations.snapshot_params(timezone.now()),
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
        outside = a.user.home_organization_id != org.pk
        recommendation, reason = recommendations.recommend(
            access=a,
            user=a.user,
            outside=outside,
            held=held,
            full=params["full"],
            inactive_before=params["inactive"],
            now=timezone.now(),
        )
        items.append(
            ReviewItem(
                review=review,
                access=a,
                user=a.user,
                pidsl_id=a.pidsl_id,
                role=a.role,
                outside_user=outside,
                services_before=codes,
                last_login=a.user.last_login,
                findings=findings,
                recommendation=recommendation,
                recommendation_reason=reason,
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


MAX_DECIDE_MANY = 200  # rows decided in one step: a few pages' worth


def _done_words(item: ReviewItem, decision: str) -> str:
    """What a decision did, for the confirmation ("Removed carol from 110000001A")."""
    user, pidsl = item.user.username, item.pidsl.code
    return {
        ReviewItem.Decision.KEEP: _("Kept %(user)s at %(pidsl)s"),
        ReviewItem.Decision.MODIFY: _("Changed the services of %(user)s at %(pidsl)s"),
        ReviewItem.Decision.REMOVE: _("Removed %(user)s from %(pidsl)s"),
        ReviewItem.Decision.DEACTIVATE: _("Deactivated %(user)s"),
    }[decision] % {"user": user, "pidsl": pidsl}


def backup_removals(review: AccessReview, item_ids, *, decision=None, accept_recommendations=False) -> list[str]:
    """PU-03: the PID/SLs that would be left with no backup Primary User by removing these items."""
    items = ReviewItem.objects.filter(review=review, pk__in=item_ids, decision="", role=authority.BACKUP)
    if accept_recommendations:
        items = items.filter(recommendation=ReviewItem.Decision.REMOVE)
    elif decision not in (ReviewItem.Decision.REMOVE, ReviewItem.Decision.DEACTIVATE):
        return []
    return [
        _("%(pidsl)s will have no backup Primary User (PU-03).") % {"pidsl": pidsl.code}
        for pidsl in {i.pidsl for i in items.select_related("pidsl")}
    ]


def review_decide_many(
    *, actor, review: AccessReview, item_ids, decision=None, accept_recommendations=False, confirmed=False
) -> tuple[list[str], list[str]]:
    """Decide many rows in one step: keep or remove each, or accept each one's recommendation. Each
    item goes through review_decide (its authority, AR-02/AR-05, and every rule); an item the actor
    may not decide, or whose recommendation needs services chosen, is left with the reason.
    Removing a backup Primary User needs ``confirmed`` (PU-03 names the consequence).
    Returns (what was done, what was left and why)."""
    item_ids = list(item_ids)[:MAX_DECIDE_MANY]
    authority.require_reviewer(actor, review.organization)
    if not accept_recommendations and decision not in (ReviewItem.Decision.KEEP, ReviewItem.Decision.REMOVE):
        raise PolicyViolation("AR-02", _("Choose keep or remove for the selected rows."), field="decision")
    warnings = backup_removals(review, item_ids, decision=decision, accept_recommendations=accept_recommendations)
    if warnings and not confirmed:
        raise PolicyViolation("PU-03", " ".join(warnings) + " " + _("Confirm to remove."), field="confirmed")
    done, left = [], []
    items = ReviewItem.objects.filter(review=review, pk__in=item_ids).select_related("user", "pidsl__organization")
    # AR-02, AR-05: selected rows none of which are the actor's to decide are refused as one would be.
    administered = set(authority.administered_pidsl_ids(actor).values_list("pidsl_id", flat=True))
    refusals = [authority.decide_refusal(actor, item, administered) for item in items]
    if refusals and all(refusals):
        raise refusals[0]
    for item in items.order_by("pidsl__provider_id", "pidsl__service_location", "user__last_name", "pk"):
        chosen = item.recommendation if accept_recommendations else decision
        if chosen == ReviewItem.Decision.MODIFY:
            left.append(
                _("%(user)s at %(pidsl)s: choose the services to keep yourself (SV-04).")
                % {"user": item.user.username, "pidsl": item.pidsl.code}
            )
            continue
        try:
            review_decide(actor=actor, item=item, decision=chosen or ReviewItem.Decision.KEEP)
        except ValidationError as refused:
            left.append(f"{item.user.username} at {item.pidsl.code}: {' '.join(refused.messages)}")
            continue
        done.append(_done_words(item, chosen or ReviewItem.Decision.KEEP))
    return done, left


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


@transaction.atomic
def review_complete(*, actor, review: AccessReview, attested: bool) -> AccessReview:
    """AR-02/AR-04: every item decided and the reviewer's attestation; the reports follow."""
    review = _lock_open_review(review)
    authority.require_reviewer(actor, review.organization)
    if not attested:
        raise PolicyViolation("AR-02", _("Confirm the attestation to complete the review."), field="attested")
    pending = progress(review)["pending"]  # the kept counts, current under the review's lock
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
    reports_start(review, actor)
    audit_record(
        action=AuditEvent.Action.REVIEW_COMPLETE,
        actor=actor,
        organization=review.organization,
        after={"review": review.pk, "attestation": ATTESTATION},
    )
    return review


def reports_start(review: AccessReview, actor) -> None:
    """AR-04: a completed review's CSV and PDF, built by a worker; the evidence package is sealed
    once both are built (AU-02). ``actor`` None: completed by default (AR-06)."""
    for kind in (Report.Kind.REVIEW_CSV, Report.Kind.REVIEW_PDF):
        report = Report.objects.create(
            organization=review.organization,
            review=review,
            kind=kind,
            requested_by=actor,
            requested_at=timezone.now(),
        )
        report_enqueue(report)


@transaction.atomic
def review_default_set(*, actor, organization: Organization, default_decision: str) -> ReviewPolicy:
    """AR-06: the organization's Primary User chooses what happens to the items nobody decided by
    the deadline, never weaker than the program's minimum (remove > recommendations > keep)."""
    authority.require_organization_primary(
        actor,
        organization,
        rule="AR-06",
        message=_("Only the organization's Primary User chooses the review's default decision."),
    )
    if default_decision not in DefaultDecision.values:
        raise PolicyViolation(
            "AR-06", _("Choose remove, apply the recommendations, or keep."), field="default_decision"
        )
    program = ProgramReviewSettings.current()
    if DEFAULT_STRENGTH[default_decision] < DEFAULT_STRENGTH[program.minimum_default]:
        raise PolicyViolation(
            "AR-06",
            _("MassHealth requires at least “%(minimum)s” for items nobody decided by the deadline.")
            % {"minimum": program.get_minimum_default_display()},
            field="default_decision",
        )
    organization = Organization.objects.select_for_update(no_key=True).get(pk=organization.pk)
    policy = ReviewPolicy.objects.filter(organization=organization).first()
    before = policy.default_decision if policy else ""
    policy = policy or ReviewPolicy(organization=organization)
    policy.default_decision, policy.updated_at, policy.updated_by = default_decision, timezone.now(), actor
    policy.save()
    audit_record(
        action=AuditEvent.Action.REVIEW_DEFAULT_SET,
        actor=actor,
        organization=organization,
        before={"default_decision": before},
        after={"default_decision": default_decision},
    )
    return policy


@transaction.atomic
def program_review_settings_set(*, actor, grace_days: int, minimum_default: str) -> ProgramReviewSettings:
    """AR-06: agency staff set the grace period after the due date and the weakest default allowed."""
    authority.require_agency(actor)
    if not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise PolicyViolation(
            "AR-06", _("The grace period is 0 to %(n)d days.") % {"n": MAX_GRACE_DAYS}, field="grace_days"
        )
    if minimum_default not in DefaultDecision.values:
        raise PolicyViolation("AR-06", _("Choose remove, apply the recommendations, or keep."), field="minimum_default")
    program = ProgramReviewSettings.objects.select_for_update().get_or_create(pk=1)[0]
    before = {"grace_days": program.grace_days, "minimum_default": program.minimum_default}
    program.grace_days, program.minimum_default = grace_days, minimum_default
    program.updated_at, program.updated_by = timezone.now(), actor
    program.save()
    audit_record(
        action=AuditEvent.Action.REVIEW_PROGRAM_SET,
        actor=actor,
        before=before,
        after={"grace_days": grace_days, "minimum_default": minimum_default},
    )
    return program


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
