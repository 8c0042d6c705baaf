"""The daily access-review job: start reviews that fall due (AR-01), remind before the due
date and escalate when overdue (AR-03). Idempotent: a rerun on the same day finds the
reminders it already sent (one row per review, kind and day) and sends nothing twice."""

from datetime import date

from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from providers import authority
from providers.models import ComplianceAssignment, Notification, Organization
from providers.notifications import notifications_save

from ..models import AccessReview, ReviewReminder
from .defaults import reviews_decide_by_default
from .services import next_review_date, review_create

DAILY_JOB_LOCK = 7_260_001  # pg advisory lock key: one daily job at a time
ESCALATE_EVERY_DAYS = 7

REMINDER_KINDS = {14: ReviewReminder.Kind.DUE_IN_14, 7: ReviewReminder.Kind.DUE_IN_7, 1: ReviewReminder.Kind.DUE_IN_1}


def _lock_daily_job() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DAILY_JOB_LOCK])


def reviews_create_due(today: date) -> int:
    """AR-01: a review for every organization whose schedule says one is due and has none open."""
    organizations = (
        Organization.objects.annotate(
            last_end=Max("reviews__period_end"),
            open_reviews=Count("reviews", filter=Q(reviews__status=AccessReview.Status.OPEN)),
            pidsl_count=Count("pidsls", distinct=True),
        )
        .filter(open_reviews=0, pidsl_count__gt=0)
        .only("id", "name", "created_at", "review_frequency")
    )
    created = []
    for org in organizations:
        if org.last_end != today and next_review_date(org, org.last_end) <= today:
            created.append(review_create(organization=org))
    notifications_save(
        [
            Notification(
                organization_id=review.organization_id,
                kind=Notification.Kind.REVIEW_CREATED,
                message=f"An access review of {review.organization.name} has started; it is due {review.due_date}.",
                created_at=timezone.now(),
            )
            for review in created
        ]
    )
    return len(created)


def _due_kinds(review: AccessReview, today: date):
    days_left = (review.due_date - today).days
    if days_left in REMINDER_KINDS:
        return REMINDER_KINDS[days_left]
    if days_left < 0 and (-days_left - 1) % ESCALATE_EVERY_DAYS == 0:
        return ReviewReminder.Kind.OVERDUE
    return None


def reminders_send(today: date) -> dict:
    """AR-03: reminders to the administrators; escalation to compliance officers and agency staff."""
    days = [today.fromordinal(today.toordinal() + d) for d in REMINDER_KINDS]
    open_reviews = list(
        AccessReview.objects.filter(status=AccessReview.Status.OPEN)
        .filter(Q(due_date__in=days) | Q(due_date__lt=today))
        .select_related("organization")
    )
    wanted = {(r.pk, kind): r for r in open_reviews if (kind := _due_kinds(r, today))}
    already = set(
        ReviewReminder.objects.filter(review_id__in={pk for pk, _ in wanted}, on_date=today).values_list(
            "review_id", "kind"
        )
    )
    fresh = {key: review for key, review in wanted.items() if key not in already}
    now = timezone.now()
    ReviewReminder.objects.bulk_create(
        [ReviewReminder(review_id=pk, kind=kind, on_date=today, sent_at=now) for pk, kind in fresh],
        batch_size=1000,
    )
    agency = list(authority.agency_staff().values_list("pk", flat=True))
    officers: dict[int, list[int]] = {}
    for org_id, user_id in ComplianceAssignment.objects.filter(
        ended_at__isnull=True, organization_id__in={r.organization_id for r in fresh.values()}
    ).values_list("organization_id", "user_id"):
        officers.setdefault(org_id, []).append(user_id)
    rows, escalated = [], 0
    for (_, kind), review in fresh.items():
        overdue = kind == ReviewReminder.Kind.OVERDUE
        text = (
            f"The access review of {review.organization.name} was due {review.due_date} and is not complete."
            if overdue
            else f"The access review of {review.organization.name} is due {review.due_date}."
        )
        note_kind = Notification.Kind.REVIEW_OVERDUE if overdue else Notification.Kind.REVIEW_REMINDER
        rows.append(Notification(organization_id=review.organization_id, kind=note_kind, message=text, created_at=now))
        if overdue:
            escalated += 1
            for user_id in officers.get(review.organization_id, []) + agency:
                rows.append(
                    Notification(
                        organization_id=review.organization_id,
                        recipient_id=user_id,
                        kind=note_kind,
                        message=text,
                        created_at=now,
                    )
                )
    notifications_save(rows)
    return {"reminded": len(fresh) - escalated, "escalated": escalated}


def reviews_daily(today: date | None = None) -> dict:
    """AR-06 first (each review past its deadline decided and completed by default, one transaction
    each), then AR-01 (reviews that fall due) and AR-03 (reminders, escalation): a review completed
    by default today is not escalated too."""
    today = today or timezone.localdate()
    defaults = reviews_decide_by_default(today, lock=_lock_daily_job)
    with transaction.atomic():
        _lock_daily_job()
        created = reviews_create_due(today)
        sent = reminders_send(today)
    return {"created": created, **sent, **defaults}
