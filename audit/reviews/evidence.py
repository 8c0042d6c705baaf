"""AU-02 evidence packages: a completed review kept as one file for the retention period
(HIPAA 164.316(b)(2): six years by default; 164.312(b) audit controls).

One zip per completed review, sealed once both of its reports are built: the review's CSV and PDF
(each re-hashed against its own chain record before it goes in), the attestation, the audit extract
of the review (its start, every decision, its completion, its reports' fingerprints) and
``manifest.json`` with the sha256 of each. The zip's sha256 and the manifest's go into the chain.
The row can never be changed and the database refuses to delete it before ``retain_until``.
"""

import csv
import io
import json
import os
import shutil
import tempfile
import uuid
import zipfile
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from posc import spreadsheet

from ..models import AccessReview, AuditEvent, EvidencePackage, Report
from ..sealed import file_sha256, open_sealed, seal
from ..storage import local_path, reports_storage, store, work_dir
from .reports import HashingWriter
from .summary import review_summary

EXTRACT_COLUMNS = ["id", "at", "action", "done_by", "done_to", "pidsl", "before", "after", "detail", "hash"]
_FILE_NAMES = {Report.Kind.REVIEW_CSV: "access-review.csv", Report.Kind.REVIEW_PDF: "access-review.pdf"}


def retain_until(completed: date, years: int | None = None) -> date:
    """The day the retention ends; a review completed on 29 February is kept until 1 March."""
    years = settings.POSC_EVIDENCE_RETENTION_YEARS if years is None else years
    try:
        return completed.replace(year=completed.year + years)
    except ValueError:
        return date(completed.year + years, 3, 1)


def review_extract_q(review: AccessReview, report_event_ids: list[int]) -> Q:
    """The review's own records: started and completed (after.review), decided one by one or with
    "Keep all remaining" (detail "review N" / "review N: ..."), and its reports' fingerprints."""
    mark = f"review {review.pk}"
    return Q(after__review=review.pk) | Q(detail=mark) | Q(detail__startswith=f"{mark}:") | Q(pk__in=report_event_ids)


def _write_extract(review: AccessReview, report_event_ids: list[int], out) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    text.write(spreadsheet.BOM)  # as every CSV of the portal (posc/spreadsheet.py)
    writer = csv.writer(text)
    writer.writerow(EXTRACT_COLUMNS)
    records = (
        AuditEvent.objects.filter(organization_id=review.organization_id, at__gte=review.created_at)
        .filter(review_extract_q(review, report_event_ids))
        .select_related("pidsl")
        .order_by("id")
    )
    for event in records.iterator(chunk_size=2000):
        writer.writerow(
            spreadsheet.row(
                [
                    event.pk,
                    # Eastern time with its zone, to the second, as the portal's other reports
                    timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S %Z"),
                    event.get_action_display(),
                    event.actor_username,
                    event.target_username,
                    event.pidsl.code if event.pidsl_id else "",
                    json.dumps(event.before, sort_keys=True),
                    json.dumps(event.after, sort_keys=True),
                    event.detail,
                    event.hash,
                ]
            )
        )
    text.flush()
    text.detach()  # the zip member is closed by its owner


def _attestation(review: AccessReview) -> bytes:
    # The review's summary as the PDF prints it first (AR-04): who attested what, and the counts;
    # AR-06: a review completed by default at its deadline has no reviewer, and it says so.
    return review_summary(review).text().encode()


def evidence_seal(review_id: int) -> EvidencePackage | None:
    """Seal the package of a completed review once both its reports are built; safe to run again."""
    with transaction.atomic():
        review = (
            AccessReview.objects.select_for_update(of=("self",))
            .select_related("organization", "completed_by")
            .get(pk=review_id)
        )
        existing = EvidencePackage.objects.filter(review=review).first()
        if existing is not None or review.status != AccessReview.Status.COMPLETED:
            return existing
        reports = {
            r.kind: r
            for r in Report.objects.filter(review=review, status=Report.Status.DONE, built_event__isnull=False)
            .select_related("built_event")
            .order_by("pk")
        }
        if set(reports) != set(_FILE_NAMES):
            return None  # the other report's build seals it
        sealed_at = timezone.now()
        package = EvidencePackage(
            review=review,
            organization=review.organization,
            sealed_at=sealed_at,
            retain_until=retain_until(timezone.localdate(review.completed_at)),
        )
        name, manifest, sha256, size = _write_zip(review, reports, package)
        try:
            package.file_path, package.sha256, package.size, package.manifest = name, sha256, size, manifest
            package.sealed_event = seal(
                action=AuditEvent.Action.EVIDENCE_SEALED,
                organization=review.organization,
                names={"evidence": review.pk, "files": manifest["files"]},
                sha256=sha256,
                size=size,
            )
            package.save(force_insert=True)
        except BaseException:
            reports_storage().delete(name)
            raise
    return package


def _member(archive: zipfile.ZipFile, name: str, fill) -> str:
    """Write one member with ``fill(binary_file)``; its sha256."""
    with archive.open(name, "w", force_zip64=True) as raw:
        out = HashingWriter(raw)
        fill(out)
        return out.sha.hexdigest()


def _write_zip(review, reports, package) -> tuple[str, dict, str, int]:
    """Build the ZIP on this machine's scratch folder and put it into the shared store."""
    fd, tmp = tempfile.mkstemp(dir=work_dir(), suffix=".part")
    hashes = {}
    try:
        with os.fdopen(fd, "w+b") as raw:
            with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for kind, name in _FILE_NAMES.items():
                    report = reports[kind]
                    # Re-hashed against its own chain record first: a changed report never goes in.
                    with open_sealed(report.file_path, report.built_event, {"report": report.pk}) as handle:
                        hashes[name] = _member(archive, name, lambda out, h=handle: shutil.copyfileobj(h, out, 1 << 20))
                hashes["attestation.txt"] = _member(
                    archive, "attestation.txt", lambda out: out.write(_attestation(review))
                )
                event_ids = [r.built_event_id for r in reports.values()]
                hashes["audit-extract.csv"] = _member(
                    archive, "audit-extract.csv", lambda out: _write_extract(review, event_ids, out)
                )
                manifest = {
                    "review": review.pk,
                    "organization": review.organization.name,
                    "completed_at": review.completed_at.isoformat(),
                    "sealed_at": package.sealed_at.isoformat(),
                    "retain_until": package.retain_until.isoformat(),
                    "files": dict(hashes),
                }
                text = json.dumps(manifest, indent=2, sort_keys=True).encode()
                manifest["files"]["manifest.json"] = _member(archive, "manifest.json", lambda out: out.write(text))
            raw.flush()
            raw.seek(0)
            digest = file_sha256(raw)
            size = raw.tell()
        name = store(Path(tmp), f"evidence/{uuid.uuid4().hex}.zip")
    finally:
        Path(tmp).unlink(missing_ok=True)
    return name, manifest, digest, size


def reviews_unsealed(limit: int = 100) -> list[int]:
    """Completed reviews with both reports built and no package yet (the sweep seals them)."""
    built = Report.objects.filter(status=Report.Status.DONE, built_event__isnull=False, kind__in=list(_FILE_NAMES))
    return list(
        AccessReview.objects.filter(status=AccessReview.Status.COMPLETED, evidence__isnull=True)
        .annotate(built=Count("reports", filter=Q(reports__in=built)))
        .filter(built__gte=len(_FILE_NAMES))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def evidence_path(package: EvidencePackage) -> Path:
    """The package on this machine, for a filesystem store (tests)."""
    return local_path(package.file_path)


def evidence_delete_expired(*, actor=None, today: date | None = None) -> int:
    """Delete the packages whose retention has ended (and their files); the database refuses any
    other (AU-02). Each deletion is recorded in the trail."""
    from ..services import audit_record

    today = today or timezone.localdate()
    removed = 0
    for package in EvidencePackage.objects.filter(retain_until__lt=today).select_related("organization"):
        with transaction.atomic():
            audit_record(
                action=AuditEvent.Action.EVIDENCE_DELETE,
                actor=actor,
                organization=package.organization,
                after={
                    "evidence": package.review_id,
                    "sha256": package.sha256,
                    "retain_until": str(package.retain_until),
                },
            )
            package.delete()
        reports_storage().delete(package.file_path)
        removed += 1
    return removed
