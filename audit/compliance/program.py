"""The program view (issue 17): every organization a reader oversees, with its access-review
status, its PID/SLs without a working backup or Primary User, its findings by rule and the users
it will lose to dormancy this month. MassHealth staff read all of them; a compliance officer reads
their organizations (authority.viewable_organization_ids).

The list is one query over organizations: the review status is worked out from the two review
dates the database keeps on each organization (audit 0023), so it filters, sorts and counts in SQL. What a row shows
beyond that is read for the page's (or a CSV batch's) organizations only, in one query each:
- findings by rule, now (audit/compliance/tallies.py: kept numbers, a few rules counted);
- PID/SLs without an active backup, or whose Primary User is inactive (PU-03), counted now;
- users to be deactivated from today to the month's end (US-09), counted now.
"""

import calendar
import csv
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from posc import spreadsheet
from providers import authority
from providers.models import Access, Organization, PidSl
from subordinates import dormancy

from . import tallies
from .findings import RULES

DUE_SOON_DAYS = 30

STATUSES = {
    "overdue": "Overdue",
    "due_soon": f"Due within {DUE_SOON_DAYS} days",
    "open": "Open, due later",
    "completed": "Completed, none open",
    "none": "No review yet",
}
KINDS = {
    "provider": "Provider",
    "billing": "Billing intermediary",
    "ltc": "Long-term care",
    "pace": "PACE",
    "sco": "SCO",
}
ORDERS = {
    "name": ("name",),
    "overdue": ("open_due", "name"),  # the longest overdue first; no open review last
    "-name": ("-name",),
}


@dataclass(frozen=True)
class Filters:
    q: str = ""
    kind: str = ""
    region: str = ""
    status: str = ""
    order: str = "name"


def program_organizations(reader, filters: Filters, today: date) -> QuerySet[Organization]:
    """The reader's organizations under the filters, with ``open_due`` (the earliest open review's
    due date), ``last_completed`` and ``review_status`` (a STATUSES key), in the chosen order."""
    ids = authority.viewable_organization_ids(reader)
    orgs = Organization.objects.all() if ids is None else Organization.objects.filter(pk__in=ids)
    # Kept on the organization by the database (audit 0023), so filtering by status is an index scan.
    orgs = orgs.annotate(
        open_due=F("open_review_due"),
        last_completed=F("last_review_completed"),
    ).annotate(
        review_status=Case(
            When(open_due__lt=today, then=Value("overdue")),
            When(open_due__lte=today + timedelta(days=DUE_SOON_DAYS), then=Value("due_soon")),
            When(open_due__isnull=False, then=Value("open")),
            When(last_completed__isnull=False, then=Value("completed")),
            default=Value("none"),
        )
    )
    if filters.q:
        orgs = orgs.filter(name__icontains=filters.q)
    if filters.kind:
        orgs = orgs.filter(_kind_q(filters.kind))
    if filters.region:
        at = PidSl.objects.filter(organization=OuterRef("pk"))
        region = filters.region.strip()
        orgs = orgs.filter(Exists(at.filter(Q(city__iexact=region) | Q(zip_code__startswith=region))))
    if filters.status:
        orgs = orgs.filter(review_status=filters.status)
    return orgs.order_by(*ORDERS.get(filters.order, ORDERS["name"]), "pk")


def _kind_q(kind: str) -> Q:
    return {
        "provider": Q(kind=Organization.Kind.PROVIDER),
        "billing": Q(kind=Organization.Kind.BILLING_INTERMEDIARY),
        "ltc": Q(is_long_term_care=True),
        "pace": Q(is_pace=True),
        "sco": Q(is_sco=True),
    }[kind]


def status_counts(orgs: QuerySet[Organization]) -> dict[str, int]:
    """How many of the listed organizations are in each review status: one grouped query, the
    status worked out once a row (a FILTER per status repeated its subqueries five times)."""
    grouped = dict(orgs.order_by().values("review_status").annotate(n=Count("pk")).values_list("review_status", "n"))
    return {key: grouped.get(key, 0) for key in STATUSES}


def enrich(organizations: list[Organization], today: date) -> list[Organization]:
    """Sets, on each organization: ``findings`` ({rule: number}, now: audit/compliance/tallies.py),
    ``findings_total``, ``weak_pidsls`` (PU-03, now), ``losing`` (US-09 this month), ``days_overdue``."""
    ids = [o.pk for o in organizations]
    numbers = tallies.finding_numbers(ids, timezone.now())
    weak = _weak_pidsls(ids)
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    losing = dict(
        dormancy.subjects()
        .filter(home_organization_id__in=ids)
        .filter(dormancy.due_between(today, month_end))
        .order_by()
        .values("home_organization_id")
        .annotate(n=Count("pk"))
        .values_list("home_organization_id", "n")
    )
    for org in organizations:
        org.findings = numbers[org.pk]
        org.findings_total = sum(org.findings.values())
        org.weak_pidsls = weak.get(org.pk, 0)
        org.losing = losing.get(org.pk, 0)
        org.days_overdue = (today - org.open_due).days if org.review_status == "overdue" else 0
        org.status_label = STATUSES[org.review_status]
    return organizations


def _weak_pidsls(org_ids: list[int]) -> dict[int, int]:
    """PU-03, now: PID/SLs without an active backup, or whose Primary User is missing or inactive."""
    holder = Access.objects.open().filter(pidsl=OuterRef("pk"), user__is_active=True)
    rows = (
        PidSl.objects.filter(organization_id__in=org_ids)
        .annotate(
            weak=Case(
                When(
                    Exists(holder.filter(role=authority.BACKUP)) & Exists(holder.filter(role=authority.PRIMARY)),
                    then=Value(0),
                ),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .filter(weak=1)
        .order_by()
        .values("organization_id")
        .annotate(n=Count("pk"))
        .values_list("organization_id", "n")
    )
    return dict(rows)


CSV_BATCH = 500


def csv_lines(orgs: QuerySet[Organization], today: date):
    """The list as CSV lines with the screen's labels, a batch of organizations at a time."""
    writer = csv.writer(_Echo())
    header = ["Organization", "Review", "Review due", "Days overdue", "Last review completed"]
    header += ["PID/SLs without a working backup or Primary User", "Users to be deactivated this month"]
    header += [f"{rule.id} {rule.title}" for rule in RULES.values()]
    yield spreadsheet.BOM + writer.writerow(header)
    batch = []
    for org in orgs.iterator(chunk_size=CSV_BATCH):
        batch.append(org)
        if len(batch) == CSV_BATCH:
            yield from _csv_batch(writer, batch, today)
            batch = []
    yield from _csv_batch(writer, batch, today)


def _csv_batch(writer, batch, today):
    for org in enrich(batch, today):
        values = [
            org.name,
            org.status_label,
            f"{org.open_due:%m/%d/%Y}" if org.open_due else "",
            org.days_overdue or "",
            f"{org.last_completed:%m/%d/%Y}" if org.last_completed else "",
            org.weak_pidsls,
            org.losing,
            *org.findings.values(),
        ]
        yield writer.writerow(spreadsheet.row(values))


class _Echo:
    def write(self, value: str) -> str:
        return value
