"""Report files: a completed review's CSV and PDF (kept unchanged once built) and the
User Access Report of the present state (AR-04).

Built by a Celery task into a temporary file that is renamed into place only when
complete, so a worker killed half-way leaves no half-written report: the task is retried
(acks_late) or picked up again by the periodic sweep, and only then marked done.

Each CSV is what a spreadsheet opens square (issue 18): the BOM, one header row of the screens'
labels, then the rows, written by PostgreSQL's COPY, so the query itself says each cell in people's
words: services by their labels ("Claims Submission and Status; Batch File Submit and Download"),
roles and decisions as the screens name them, findings as the rule's title and ID, times in
Eastern time with their zone ("2026-11-30 14:05 EST"). What the review's CSV used to say in "#"
lines above the table (organization, period, due date, who completed it, the attestation) is in
the summary the PDF starts with and the evidence package's attestation.txt (summary.py).
"""

import csv
import hashlib
import io
import logging
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from posc.queue import task_send
from posc.spreadsheet import BOM_BYTES, sql_cell
from providers.models import Access

from ..models import AccessReview, AuditEvent, Report, ReviewItem
from ..sealed import seal
from ..storage import local_path, reports_storage, store, work_dir
from .summary import FINDING_WORDS

logger = logging.getLogger(__name__)

REVIEW_COLUMNS = [
    "PID/SL",
    "Provider name",
    "Username",
    "Last name",
    "First name",
    "Outside user",
    "Role",
    "Services before the review",
    "Services after the review",
    "Decision",
    "Decided by",
    "Decided at",
    "Last sign-in",
    "Findings",
    "Recommendation",
    "Reason for the recommendation",
]
USER_ACCESS_COLUMNS = [
    "PID/SL",
    "Provider name",
    "Username",
    "Last name",
    "First name",
    "Home organization",
    "Role",
    "Services",
    "Granted at",
    "Granted by",
    "Last sign-in",
    "Active",
]

EASTERN = "America/New_York"
# AR-06: an item the daily job decided at the deadline names nobody; the CSV says so.
BY_DEFAULT = "By default at the deadline (AR-06)"


def _quoted(text: str) -> str:
    # A constant of this module's own (a label, a rule's title) as an SQL literal; "%" doubled since
    # the text goes through the driver's parameter formatting.
    return "'" + str(text).replace("'", "''").replace("%", "%%") + "'"


def _words(expression: str, choices) -> str:
    """SQL for the label of a stored code (a role, a decision, a finding), the code itself if unknown."""
    cases = " ".join(f"WHEN {_quoted(value)} THEN {_quoted(label)}" for value, label in choices)
    return f"CASE {expression} {cases} ELSE {expression} END"


def _eastern(expression: str, vendor: str) -> str:
    """SQL for a moment as "2026-11-30 14:05 EST": Eastern time with its zone, EDT in summer.

    The zone is the moment's own offset from UTC (AT TIME ZONE both ways), so each row gets the
    abbreviation of its own date, not the one in force when the report is built. SQLite (the demo)
    has no time zones: posc_eastern, a function _sqlite_functions gives the connection."""
    if vendor != "postgresql":
        return f"posc_eastern({expression})"
    local = f"({expression} AT TIME ZONE '{EASTERN}')"
    return (
        f"to_char({local}, 'YYYY-MM-DD HH24:MI') || CASE WHEN {local} - ({expression} AT TIME ZONE 'UTC')"
        " = interval '-4 hours' THEN ' EDT' ELSE ' EST' END"
    )


def _service_labels(codes: str, vendor: str) -> str:
    """SQL for a review item's services (a JSON list of codes) as the portal's labels, in catalog
    order, "; " between them."""
    if vendor != "postgresql":
        return f"""(SELECT group_concat(label, '; ') FROM (SELECT COALESCE(s.label, x.value) AS label
            FROM json_each({codes}) x LEFT JOIN providers_service s ON s.code = x.value
            ORDER BY s.position IS NULL, s.position))"""  # noqa: S608 - a column name of this file's
    return f"""(SELECT string_agg(COALESCE(s.label, x), '; ' ORDER BY s.position NULLS LAST)
        FROM jsonb_array_elements_text({codes}) x LEFT JOIN providers_service s ON s.code = x)"""  # noqa: S608 - as above


def _findings(vendor: str) -> str:
    """SQL for a review item's findings in words, each with its rule ID ("Inactive users (US-07)")."""
    words = _words("x" if vendor == "postgresql" else "x.value", FINDING_WORDS.items())
    if vendor != "postgresql":
        return f"(SELECT group_concat({words}, '; ') FROM json_each(i.findings) x)"  # noqa: S608 - rule titles
    return f"(SELECT string_agg({words}, '; ') FROM jsonb_array_elements_text(i.findings) x)"  # noqa: S608 - rule titles


def _yes_no(expression: str) -> str:
    return f"CASE WHEN {expression} THEN 'Yes' ELSE 'No' END"


# ASVS 1.2.10: every column of text a person typed (names, user IDs) is guarded against formula
# injection by the query itself, since COPY writes cells as they are (posc/spreadsheet.py); the
# others are labels, yes/no and times the portal writes.
def _review_sql(vendor: str) -> str:
    return f"""
SELECT p.provider_id || p.service_location, {sql_cell("p.name")}, {sql_cell("u.username")},
       {sql_cell("u.last_name")}, {sql_cell("u.first_name")}, {_yes_no("i.outside_user")},
       {_words("i.role", Access.Role.choices)},
       {_service_labels("i.services_before", vendor)}, {_service_labels("i.services_after", vendor)},
       {_words("i.decision", ReviewItem.Decision.choices)},
       CASE WHEN i.decided_by_id IS NULL AND i.decision <> '' THEN {_quoted(BY_DEFAULT)}
            ELSE {sql_cell("d.username")} END,
       {_eastern("i.decided_at", vendor)}, COALESCE({_eastern("i.last_login", vendor)}, 'Never'),
       {_findings(vendor)},
       {_words("i.recommendation", ReviewItem.Decision.choices)}, i.recommendation_reason
FROM audit_reviewitem i
JOIN providers_pidsl p ON p.id = i.pidsl_id
JOIN accounts_user u ON u.id = i.user_id
LEFT JOIN accounts_user d ON d.id = i.decided_by_id
WHERE i.review_id = %s
ORDER BY p.provider_id, p.service_location, u.last_name, u.first_name, u.id
"""  # noqa: S608 - the SQL text is this file's only; the id is a parameter


def _user_access_sql(vendor: str) -> str:
    # The labels from the link's own service rows, so they cost what the codes did.
    if vendor == "postgresql":
        services = """(SELECT string_agg(s.label, '; ' ORDER BY s.position)
          FROM providers_access_services x JOIN providers_service s ON s.id = x.service_id
         WHERE x.access_id = a.id)"""
    else:  # SQLite's group_concat takes its rows' order
        services = """(SELECT group_concat(label, '; ') FROM (SELECT s.label
          FROM providers_access_services x JOIN providers_service s ON s.id = x.service_id
         WHERE x.access_id = a.id ORDER BY s.position))"""
    return f"""
SELECT p.provider_id || p.service_location, {sql_cell("p.name")}, {sql_cell("u.username")},
       {sql_cell("u.last_name")}, {sql_cell("u.first_name")}, {sql_cell("COALESCE(o.name, '')")},
       {_words("a.role", Access.Role.choices)},
       {services},
       {_eastern("a.granted_at", vendor)}, {sql_cell("g.username")},
       COALESCE({_eastern("u.last_login", vendor)}, 'Never'),
       {_yes_no("u.is_active")}
FROM providers_access a
JOIN providers_pidsl p ON p.id = a.pidsl_id
JOIN accounts_user u ON u.id = a.user_id
LEFT JOIN providers_organization o ON o.id = u.home_organization_id
LEFT JOIN accounts_user g ON g.id = a.granted_by_id
WHERE p.organization_id = %s AND a.ended_at IS NULL
ORDER BY p.provider_id, p.service_location, u.last_name, u.first_name, u.id
"""  # noqa: S608 - the SQL text is this file's only; the id is a parameter


# PostgreSQL's text, as COPY runs it (bench/jobs.py runs the same through psql for its floor).
_REVIEW_SQL = _review_sql("postgresql")
_USER_ACCESS_SQL = _user_access_sql("postgresql")


class HashingWriter(io.RawIOBase):
    """A binary file wrapper that hashes and counts what passes through."""

    def __init__(self, raw):
        self.raw, self.sha, self.size = raw, hashlib.sha256(), 0

    def writable(self):
        return True

    def write(self, data):
        data = bytes(data)
        self.sha.update(data)
        self.size += len(data)
        return self.raw.write(data)


def _copy_csv(out: HashingWriter, build_sql, params, columns: list[str]) -> int:
    """Rows as CSV under one header row, the screens' labels: PostgreSQL's COPY when there, the ORM
    cursor otherwise (the demo). The query guards its cells (sql_cell) and writes every label and
    time itself, so both write the rows as they come."""
    out.write((",".join(columns) + "\r\n").encode())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            query = cursor.cursor.mogrify(build_sql("postgresql"), params).decode()
            cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", out)
            return cursor.cursor.rowcount
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    count = 0
    with connection.cursor() as cursor:
        _sqlite_functions(connection.connection)
        cursor.execute(build_sql(connection.vendor), params)
        for row in cursor:
            writer.writerow(row)
            count += 1
    text.detach()
    return count


def _sqlite_eastern(value) -> str | None:
    """The demo's posc_eastern: SQLite keeps UTC times as text, and has no time zones."""
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(EASTERN)).strftime("%Y-%m-%d %H:%M %Z")


def _sqlite_functions(raw) -> None:
    raw.create_function("posc_eastern", 1, _sqlite_eastern, deterministic=True)


def _write(report: Report, out: HashingWriter) -> int:
    # Every CSV starts with a BOM (posc/spreadsheet.py), through the writer that hashes the file,
    # then its header row: what the old "#" lines said is in the PDF's summary (audit/reviews/summary.py).
    if report.kind == Report.Kind.USER_ACCESS_CSV:
        out.write(BOM_BYTES)
        return _copy_csv(out, _user_access_sql, [report.organization_id], USER_ACCESS_COLUMNS)
    review = AccessReview.objects.select_related("organization", "completed_by").get(pk=report.review_id)
    if report.kind == Report.Kind.REVIEW_CSV:
        out.write(BOM_BYTES)
        return _copy_csv(out, _review_sql, [review.pk], REVIEW_COLUMNS)
    from .pdf import review_pdf

    return review_pdf(review, out)


def report_build(report_id: int) -> Report:
    """Build one report file; safe to run again (a done report is never rebuilt)."""
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if report.status == Report.Status.DONE:
            return report
        report.status = Report.Status.RUNNING
        report.save(update_fields=["status"])
    suffix = ".pdf" if report.kind == Report.Kind.REVIEW_PDF else ".csv"
    # Built on this machine's scratch folder, then put into the store web and worker share.
    fd, tmp = tempfile.mkstemp(dir=work_dir(), suffix=".part")
    try:
        with os.fdopen(fd, "wb") as raw:
            out = HashingWriter(raw)
            rows = _write(report, out)
        name = store(Path(tmp), f"{uuid.uuid4().hex}{suffix}")
    finally:
        Path(tmp).unlink(missing_ok=True)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if report.status == Report.Status.DONE:  # another run finished first; keep its file
            reports_storage().delete(name)
            return report
        report.file_path = name
        report.sha256 = out.sha.hexdigest()
        report.size = out.size
        report.rows_total = report.rows_done = rows
        report.status = Report.Status.DONE
        report.completed_at = timezone.now()
        # AU-02: the fingerprint into the chain in the same transaction as the row that says "done".
        report.built_event = seal(
            action=AuditEvent.Action.REPORT_BUILT,
            organization=report.organization,
            names={"report": report.pk, "kind": report.kind},
            sha256=report.sha256,
            size=report.size,
        )
        report.save()
    if report.review_id and report.kind != Report.Kind.USER_ACCESS_CSV:
        # AU-02: once both of a completed review's files exist, its evidence package can be sealed.
        transaction.on_commit(lambda: task_send("audit.reviews.tasks.evidence_seal_task", report.review_id))
    return report


def report_path(report: Report) -> Path:
    """The file on this machine, for a filesystem store (tests)."""
    return local_path(report.file_path)


def report_enqueue(report: Report) -> None:
    """Ask a worker after commit; with the broker down the sweep picks it up later."""

    # The page polls the Report row; a broker outage leaves the row for reports_sweep.
    transaction.on_commit(lambda: task_send("audit.reviews.tasks.report_build_task", report.pk))


def reports_stale(*, older_than: timedelta = timedelta(minutes=10)):
    """Reports waiting too long or left "running" by a killed worker: the sweep builds them again."""
    cutoff = timezone.now() - older_than
    return Report.objects.filter(status__in=(Report.Status.PENDING, Report.Status.RUNNING), requested_at__lt=cutoff)


def report_parts_remove(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Delete the half-written files of killed workers: never served, but they hold users' names.

    A file still being written has a recent modification time, so it is left alone."""
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for part in work_dir().glob("*.part"):
        try:
            if part.stat().st_mtime < cutoff:
                part.unlink()
                removed += 1
        except FileNotFoundError:  # another sweep got there first
            continue
    return removed
