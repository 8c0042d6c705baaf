"""Report files: a completed review's CSV and PDF (kept unchanged once built) and the
User Access Report of the present state (AR-04).

Built by a Celery task into a temporary file that is renamed into place only when
complete, so a worker killed half-way leaves no half-written report: the task is retried
(acks_late) or picked up again by the periodic sweep, and only then marked done.
"""

import csv
import hashlib
import io
import logging
import os
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from posc.queue import task_send
from posc.spreadsheet import BOM_BYTES, sql_cell

from ..models import AccessReview, AuditEvent, Report
from ..sealed import seal
from ..storage import local_path, reports_storage, store, work_dir

logger = logging.getLogger(__name__)

REVIEW_COLUMNS = [
    "pidsl",
    "pidsl_name",
    "username",
    "last_name",
    "first_name",
    "outside_user",
    "role",
    "services_before",
    "services_after",
    "decision",
    "decided_by",
    "decided_at",
    "last_sign_in",
    "findings",
    "recommendation",
    "recommendation_reason",
]
USER_ACCESS_COLUMNS = [
    "pidsl",
    "pidsl_name",
    "username",
    "last_name",
    "first_name",
    "home_organization",
    "role",
    "services",
    "granted_at",
    "granted_by",
    "last_sign_in",
    "active",
]

# ASVS 1.2.10: every column of text a person typed (names, user IDs) is guarded against formula
# injection by the query itself, since COPY writes cells as they are (posc/spreadsheet.py); the
# others are codes, yes/no and timestamps the portal writes.
_REVIEW_SQL = f"""
SELECT p.provider_id || p.service_location, {sql_cell("p.name")}, {sql_cell("u.username")},
       {sql_cell("u.last_name")}, {sql_cell("u.first_name")},
       CASE WHEN i.outside_user THEN 'yes' ELSE 'no' END, i.role,
       (SELECT string_agg(x, ' ') FROM jsonb_array_elements_text(i.services_before) x),
       (SELECT string_agg(x, ' ') FROM jsonb_array_elements_text(i.services_after) x),
       i.decision, {sql_cell("d.username")}, to_char(i.decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       to_char(i.last_login AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       (SELECT string_agg(x, ' ') FROM jsonb_array_elements_text(i.findings) x),
       i.recommendation, i.recommendation_reason
FROM audit_reviewitem i
JOIN providers_pidsl p ON p.id = i.pidsl_id
JOIN accounts_user u ON u.id = i.user_id
LEFT JOIN accounts_user d ON d.id = i.decided_by_id
WHERE i.review_id = %s
ORDER BY p.provider_id, p.service_location, u.last_name, u.first_name, u.id
"""  # noqa: S608 - the SQL text is this file's only; the id is a parameter

_USER_ACCESS_SQL = f"""
SELECT p.provider_id || p.service_location, {sql_cell("p.name")}, {sql_cell("u.username")},
       {sql_cell("u.last_name")}, {sql_cell("u.first_name")}, {sql_cell("COALESCE(o.name, '')")}, a.role,
       (SELECT string_agg(s.code, ' ' ORDER BY s.position)
          FROM providers_access_services x JOIN providers_service s ON s.id = x.service_id
         WHERE x.access_id = a.id),
       to_char(a.granted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), {sql_cell("g.username")},
       to_char(u.last_login AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       CASE WHEN u.is_active THEN 'yes' ELSE 'no' END
FROM providers_access a
JOIN providers_pidsl p ON p.id = a.pidsl_id
JOIN accounts_user u ON u.id = a.user_id
LEFT JOIN providers_organization o ON o.id = u.home_organization_id
LEFT JOIN accounts_user g ON g.id = a.granted_by_id
WHERE p.organization_id = %s AND a.ended_at IS NULL
ORDER BY p.provider_id, p.service_location, u.last_name, u.first_name, u.id
"""  # noqa: S608 - the SQL text is this file's only; the id is a parameter


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


def _copy_csv(out: HashingWriter, sql: str, params, columns: list[str]) -> int:
    """Rows as CSV with a header: PostgreSQL's COPY when there, the ORM cursor otherwise. The query
    guards its cells (sql_cell), so both write the rows as they come."""
    out.write((",".join(columns) + "\r\n").encode())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            query = cursor.cursor.mogrify(sql, params).decode()
            cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", out)
            return cursor.cursor.rowcount
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(_sqlite(sql), params)
        for row in cursor:
            writer.writerow(row)
            count += 1
    text.detach()
    return count


def _sqlite(sql: str) -> str:
    # The embedded demo runs on SQLite: the few PostgreSQL-only spellings, translated.
    return (
        sql.replace("to_char(i.decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", "i.decided_at")
        .replace("to_char(i.last_login AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", "i.last_login")
        .replace("to_char(a.granted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", "a.granted_at")
        .replace("to_char(u.last_login AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", "u.last_login")
        .replace(
            "(SELECT string_agg(x, ' ') FROM jsonb_array_elements_text(i.services_before) x)",
            "(SELECT group_concat(value, ' ') FROM json_each(i.services_before))",
        )
        .replace(
            "(SELECT string_agg(x, ' ') FROM jsonb_array_elements_text(i.services_after) x)",
            "(SELECT group_concat(value, ' ') FROM json_each(i.services_after))",
        )
        .replace(
            "(SELECT string_agg(x, ' ') FROM jsonb_array_elements_text(i.findings) x)",
            "(SELECT group_concat(value, ' ') FROM json_each(i.findings))",
        )
        .replace("string_agg(s.code, ' ' ORDER BY s.position)", "group_concat(s.code, ' ')")
    )


def _review_preamble(review: AccessReview) -> str:
    """The review's heading lines, one cell each through the csv writer: an organization name with
    a comma, a quote or a line break stays in its cell and cannot start a line of its own."""
    reviewer = review.completed_by.username if review.completed_by else ""
    lines = io.StringIO()
    writer = csv.writer(lines)
    for line in (
        f"# Access review of {review.organization.name}",
        f"# Period {review.period_start} to {review.period_end}; due {review.due_date}",
        f"# Completed {review.completed_at:%Y-%m-%d %H:%M} UTC by {reviewer}",
        f"# Attestation: {review.attestation}",
    ):
        writer.writerow([line])
    return lines.getvalue()


def _write(report: Report, out: HashingWriter) -> int:
    # Every CSV starts with a BOM (posc/spreadsheet.py), through the writer that hashes the file.
    if report.kind == Report.Kind.USER_ACCESS_CSV:
        out.write(BOM_BYTES)
        return _copy_csv(out, _USER_ACCESS_SQL, [report.organization_id], USER_ACCESS_COLUMNS)
    review = AccessReview.objects.select_related("organization", "completed_by").get(pk=report.review_id)
    if report.kind == Report.Kind.REVIEW_CSV:
        out.write(BOM_BYTES)
        out.write(_review_preamble(review).encode())
        return _copy_csv(out, _REVIEW_SQL, [review.pk], REVIEW_COLUMNS)
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
