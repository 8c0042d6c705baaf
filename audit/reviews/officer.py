"""What a compliance officer's Home shows (issue 18): each organization they read (AU-01), its open
access review with the due date, and its latest report ready to download (AR-04)."""

from datetime import date

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from providers import authority
from providers.models import Organization

from ..models import AccessReview, Report

ORGANIZATIONS_ON_HOME = 25


def officer_organizations(user, today: date | None = None) -> list[Organization]:
    """Up to ORGANIZATIONS_ON_HOME (+1, to tell there are more) organizations the user is a
    compliance officer of, by name, each with ``open_review_id`` and ``open_due`` (the open review
    due first; None without one), ``overdue``, ``due_today``, and ``report_id``, ``report_kind``,
    ``report_at`` (the latest ready report; None without one). One query, whatever the rows."""
    today = today or timezone.localdate()
    open_reviews = AccessReview.objects.filter(organization=OuterRef("pk"), status=AccessReview.Status.OPEN).order_by(
        "due_date", "pk"
    )
    ready = Report.objects.filter(organization=OuterRef("pk"), status=Report.Status.DONE).order_by(
        "-completed_at", "-pk"
    )
    organizations = list(
        Organization.objects.filter(pk__in=authority.officer_organization_ids(user))
        .annotate(
            open_review_id=Subquery(open_reviews.values("pk")[:1]),
            open_due=Subquery(open_reviews.values("due_date")[:1]),
            report_id=Subquery(ready.values("pk")[:1]),
            report_kind=Subquery(ready.values("kind")[:1]),
            report_at=Subquery(ready.values("completed_at")[:1]),
        )
        .only("id", "name")
        .order_by("name", "pk")[: ORGANIZATIONS_ON_HOME + 1]
    )
    labels = dict(Report.Kind.choices)
    for organization in organizations:
        due = organization.open_due
        organization.overdue = due is not None and due < today
        organization.due_today = due == today
        organization.report_label = labels.get(organization.report_kind, "")
    return organizations
