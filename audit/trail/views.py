"""The Audit Trail page and its CSV export (AU-01; HIPAA 164.308(a)(1)(ii)(D) activity review).

Who reads what: agency staff the whole trail; a compliance officer the records of their
organizations; a Primary User or backup the records of the PID/SLs they administer. Nobody
else, and the refusal is audited (ASVS 16.3.2).
"""

import csv
from datetime import datetime, time, timedelta

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from posc import screens, spreadsheet
from posc.paging import CappedPaginator
from providers import authority
from providers.authority import trail_scope

from ..checkpoints import latest_checkpoint
from ..models import AuditEvent
from ..services import audit_record
from .forms import AuditTrailFilterForm

PAGE_SIZE = 25
TEMPLATE = "audit/trail.html"
TRAIL_COLUMNS = (
    "at",
    "action",
    "actor_username",
    "target_username",
    "ip_address",
    "detail",
    "before",
    "after",
    "pidsl__provider_id",
    "pidsl__service_location",
    "organization__name",
)
ACTION_LABELS = dict(AuditEvent.Action.choices)
CSV_COLUMNS = (
    ("id", "Record"),
    ("at", "When"),
    ("action", "Action"),
    ("actor_username", "Done by"),
    ("target_username", "Done to"),
    ("pidsl__provider_id", "Provider ID"),
    ("pidsl__service_location", "Service location"),
    ("organization__name", "Organization"),
    ("ip_address", "Address"),
    ("detail", "Detail"),
    ("before", "Before"),
    ("after", "After"),
    ("hash", "Hash"),
)


def _day_start(day):
    # A range on `at` itself, not `at__date`, so the index on `at` serves it.
    return timezone.make_aware(datetime.combine(day, time.min))


def trail_events(scope: Q, filters: dict) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(scope)
    if filters["date_from"]:
        events = events.filter(at__gte=_day_start(filters["date_from"]))
    if filters["date_to"]:
        events = events.filter(at__lt=_day_start(filters["date_to"] + timedelta(days=1)))
    if filters["actor"]:
        events = events.filter(actor_username=filters["actor"])
    if filters["target"]:
        events = events.filter(target_username=filters["target"])
    if filters["pidsl"]:
        events = events.filter(pidsl=filters["pidsl"])
    if filters["action"]:
        events = events.filter(action=filters["action"])
    return events.order_by("-at", "-id")


class AuditTrailReaderMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.form = AuditTrailFilterForm(request.GET)
        pidsl = self.form.cleaned_data.get("pidsl") if self.form.is_valid() else None
        self.scope = trail_scope(request.user, pidsl=pidsl)
        if self.scope is None:
            screens.refuse(
                request,
                "The audit trail is for agency staff, compliance officers and Primary Users.",
                detail="audit trail",
            )
        return super().dispatch(request, *args, **kwargs)

    def refuse_filters(self):
        # Bad input is the visitor's mistake: 400 with the message at its field, never a 500.
        return render(self.request, TEMPLATE, {"form": self.form, "page": None}, status=400)


class AuditTrailView(AuditTrailReaderMixin, View):
    def get(self, request):
        if not self.form.is_valid():
            return self.refuse_filters()
        # Only the columns the page shows (not the hashes, ids, or the PID/SL's address).
        events = (
            trail_events(self.scope, self.form.cleaned_data)
            .select_related("pidsl", "organization")
            .only(*TRAIL_COLUMNS)
        )
        # The count runs on the same filtered query and stops at a cap (posc/paging.py), so the
        # agency's unfiltered trail never counts the whole table.
        page = CappedPaginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
        # ASVS 16.4.3: agency staff see what the last nightly check of the chain found.
        check = latest_checkpoint() if authority.is_agency(request.user) else None
        return render(request, TEMPLATE, {"form": self.form, "page": page, "chain_check": check})


class _Echo:
    """csv.writer writes into this and gets the line back, for streaming."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: QuerySet):
    writer = csv.writer(_Echo())
    # ASVS 1.2.10 and the BOM: posc/spreadsheet.py, the one rule every CSV of the portal follows.
    yield spreadsheet.BOM + writer.writerow([label for _, label in CSV_COLUMNS])
    for row in rows.iterator(chunk_size=2000):
        record = dict(zip((name for name, _ in CSV_COLUMNS), row, strict=True))
        record["at"] = timezone.localtime(record["at"]).isoformat()
        record["action"] = ACTION_LABELS.get(record["action"], record["action"])
        yield writer.writerow(spreadsheet.row(record.values()))


class AuditTrailExportView(AuditTrailReaderMixin, View):
    """The filtered trail as CSV, streamed row by row so a long trail never sits in memory."""

    def get(self, request):
        if not self.form.is_valid():
            return self.refuse_filters()
        rows = trail_events(self.scope, self.form.cleaned_data).values_list(*(name for name, _ in CSV_COLUMNS))
        # AU-01: a report download is itself recorded, with the filters that shaped it, filed
        # under the downloader's organization so its compliance officer sees it.
        audit_record(
            action=AuditEvent.Action.REPORT_DOWNLOAD,
            actor=request.user,
            organization=request.user.home_organization,
            detail=f"audit trail CSV: {self.form.describe()}",
        )
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
        # ASVS 5.4.1: the server names the file; nothing from the request reaches the header.
        response["Content-Disposition"] = f'attachment; filename="audit-trail-{timezone.localtime():%Y%m%d-%H%M%S}.csv"'
        return response
