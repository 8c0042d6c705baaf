"""Sealed files (AU-02; ASVS 16.4.3; HIPAA 164.312(c)(1), 164.316(b)(2)).

The findings: a review report's sha256 sat in an ordinary row and was never checked again; there
was no evidence package. Now each report's fingerprint is a chain record, every download re-hashes
the file against it, and a completed review is kept as one package for six years.
"""

import hashlib
import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, InternalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.chain import record_intact
from audit.models import AccessReview, AuditEvent, EvidencePackage, Report
from audit.reviews import services as reviews
from audit.reviews.evidence import evidence_delete_expired, evidence_path, evidence_seal, retain_until
from audit.reviews.reports import report_build, report_path
from audit.reviews.tasks import reports_sweep
from tests import factories
from tests.helpers import completed_review
from tests.view_helpers import text

Action = AuditEvent.Action


@pytest.fixture
def sealed(cast):
    return completed_review(cast)


def _download(client, cast, review):
    return client.get(reverse("reviews:evidence", args=[cast.eddys.pk, review.pk]))


def _report_url(cast, report):
    return reverse("reviews:download", args=[cast.eddys.pk, report.pk])


# --- review reports: the fingerprint is in the chain ---------------------------------------------


def test_au02_a_built_report_puts_its_sha256_into_the_chain(cast):
    report = report_build(reviews.user_access_report_request(actor=cast.alice, organization=cast.eddys).pk)
    event = report.built_event
    assert event.action == Action.REPORT_BUILT and record_intact(event)
    assert event.after == {"report": report.pk, "kind": report.kind, "sha256": report.sha256, "size": report.size}
    assert hashlib.sha256(report_path(report).read_bytes()).hexdigest() == event.after["sha256"]


def test_au02_a_changed_report_file_is_refused_and_agency_staff_are_told(client, cast):
    report = report_build(reviews.user_access_report_request(actor=cast.alice, organization=cast.eddys).pk)
    report_path(report).write_bytes(b"pidsl,username\r\n110000001A,intruder\r\n")
    client.force_login(cast.compliance)

    response = client.get(_report_url(cast, report))

    assert response.status_code == 403
    assert "no longer matches the fingerprint" in text(response) and "(AU-02)" in text(response)
    assert not AuditEvent.objects.filter(action=Action.REPORT_DOWNLOAD).exists()
    assert [m.to for m in mail.outbox] == [[cast.agency.email]]


def test_au02_rewriting_the_rows_sha256_to_match_a_changed_file_does_not_help(client, cast):
    # The attacker with the database changes the file and the row together: the chain record decides.
    report = report_build(reviews.user_access_report_request(actor=cast.alice, organization=cast.eddys).pk)
    forged = b"pidsl,username\r\n110000001A,intruder\r\n"
    report_path(report).write_bytes(forged)
    Report.objects.filter(pk=report.pk).update(sha256=hashlib.sha256(forged).hexdigest())
    client.force_login(cast.alice)

    assert client.get(_report_url(cast, report)).status_code == 403


def test_au02_pointing_a_report_at_another_files_record_does_not_help(client, cast):
    first = report_build(reviews.user_access_report_request(actor=cast.alice, organization=cast.eddys).pk)
    second = report_build(reviews.user_access_report_request(actor=cast.alice, organization=cast.eddys).pk)
    report_path(second).write_bytes(report_path(first).read_bytes())
    Report.objects.filter(pk=second.pk).update(built_event=first.built_event)
    client.force_login(cast.alice)

    assert client.get(_report_url(cast, second)).status_code == 403


def test_an_unchanged_report_is_served_and_the_download_recorded(client, cast):
    report = report_build(reviews.user_access_report_request(actor=cast.alice, organization=cast.eddys).pk)
    client.force_login(cast.alice)
    response = client.get(_report_url(cast, report))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == report_path(report).read_bytes()
    assert AuditEvent.objects.filter(action=Action.REPORT_DOWNLOAD, actor=cast.alice).count() == 1


# --- AU-02 evidence packages ---------------------------------------------------------------------


def test_au02_a_completed_review_is_sealed_as_one_package(cast, sealed):
    package = EvidencePackage.objects.get(review=sealed)
    with zipfile.ZipFile(evidence_path(package)) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        contents = {name: archive.read(name) for name in names}
    assert names == {"access-review.csv", "access-review.pdf", "attestation.txt", "audit-extract.csv", "manifest.json"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(contents[name]).hexdigest() == digest
    csv_report = Report.objects.get(review=sealed, kind="review_csv")
    assert contents["access-review.csv"] == report_path(csv_report).read_bytes()
    assert sealed.attestation in contents["attestation.txt"].decode()
    extract = contents["audit-extract.csv"].decode("utf-8-sig")  # with a BOM, as every CSV (ASVS 1.2.10)
    assert contents["audit-extract.csv"].startswith(b"\xef\xbb\xbf")
    assert "Access review started" in extract and "Access review completed" in extract
    assert extract.count("Access review decision") == sealed.items.count()
    assert "Report file built" in extract


def test_au02_the_packages_hashes_are_in_the_chain(cast, sealed):
    package = EvidencePackage.objects.select_related("sealed_event").get(review=sealed)
    event = package.sealed_event
    assert event.action == Action.EVIDENCE_SEALED and record_intact(event)
    assert event.after["sha256"] == package.sha256 == hashlib.sha256(evidence_path(package).read_bytes()).hexdigest()
    assert event.after["files"]["manifest.json"] == package.manifest["files"]["manifest.json"]
    assert set(event.after["files"]) == set(package.manifest["files"])


def test_au02_kept_six_years_from_completion(cast, sealed):
    package = EvidencePackage.objects.get(review=sealed)
    completed = timezone.localdate(sealed.completed_at)
    assert package.retain_until == completed.replace(year=completed.year + 6)
    assert retain_until(date(2024, 2, 29)) == date(2030, 3, 1)


def test_au02_sealing_twice_keeps_the_first_package(cast, sealed):
    first = EvidencePackage.objects.get(review=sealed)
    assert evidence_seal(sealed.pk) == first
    assert EvidencePackage.objects.filter(review=sealed).count() == 1


def test_au02_an_open_review_or_one_with_a_report_still_building_is_not_sealed(cast):
    review = reviews.review_create(organization=cast.eddys, actor=cast.alice)
    assert evidence_seal(review.pk) is None
    assert not EvidencePackage.objects.exists()


def test_au02_the_sweep_seals_a_package_a_lost_worker_left(cast, sealed):
    package = EvidencePackage.objects.get(review=sealed)
    path = evidence_path(package)
    other = factories.OrganizationFactory()
    assert reports_sweep() == 0  # nothing stale, nothing unsealed
    assert path.exists() and EvidencePackage.objects.count() == 1
    assert other.pk  # a second organization without reviews is untouched


@pytest.mark.parametrize("sql", ["DELETE FROM audit_evidencepackage", "UPDATE audit_evidencepackage SET size = 0"])
def test_au02_the_database_refuses_to_delete_or_change_a_package_before_its_time(cast, sealed, sql):
    with pytest.raises(InternalError, match="AU-02"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert EvidencePackage.objects.filter(review=sealed).exists()


def test_au02_only_packages_past_their_retention_are_deleted(cast, sealed):
    package = EvidencePackage.objects.get(review=sealed)
    with pytest.raises(InternalError, match="cannot be deleted before"), transaction.atomic():
        package.delete()
    # A package of an older review whose six years are over (the database decides by its own clock).
    old_review = AccessReview.objects.create(
        organization=cast.eddys,
        period_start=date(2019, 1, 1),
        period_end=date(2019, 3, 31),
        due_date=date(2019, 4, 30),
        status=AccessReview.Status.COMPLETED,
        created_at=timezone.now() - timedelta(days=7 * 365),
        completed_at=timezone.now() - timedelta(days=7 * 365),
        completed_by=cast.alice,
    )
    expired = EvidencePackage.objects.create(
        review=old_review,
        organization=cast.eddys,
        sealed_at=old_review.completed_at,
        retain_until=timezone.localdate() - timedelta(days=1),
        file_path="expired.zip",
        sha256="0" * 64,
        size=1,
        sealed_event=package.sealed_event,
    )
    evidence_path(expired).write_bytes(b"old")
    assert evidence_delete_expired(today=expired.retain_until) == 0  # its last day is still kept

    assert evidence_delete_expired() == 1

    assert list(EvidencePackage.objects.all()) == [package] and not evidence_path(expired).exists()
    assert evidence_path(package).exists()
    assert AuditEvent.objects.filter(action=Action.EVIDENCE_DELETE).count() == 1


def test_one_package_per_review(cast, sealed):
    package = EvidencePackage.objects.get(review=sealed)
    with pytest.raises(IntegrityError), transaction.atomic():
        EvidencePackage.objects.create(
            review=sealed,
            organization=cast.eddys,
            sealed_at=timezone.now(),
            retain_until=package.retain_until,
            file_path="x.zip",
            sha256="0" * 64,
            size=1,
            sealed_event=package.sealed_event,
        )


# --- who downloads it -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [
        ("compliance", 200),
        ("agency", 200),
        ("alice", 403),  # the Primary User who decided it has its reports; the package is oversight's
        ("bob", 403),
        ("carol", 403),
        ("erin", 403),
        ("biller", 403),
    ],
)
def test_au02_the_package_goes_to_compliance_officers_and_agency_staff(client, cast, sealed, who, status):
    client.force_login(getattr(cast, who))
    response = _download(client, cast, sealed)
    assert response.status_code == status
    if status == 200:
        body = b"".join(response.streaming_content)
        assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None
        assert AuditEvent.objects.filter(action=Action.EVIDENCE_DOWNLOAD, actor=getattr(cast, who)).count() == 1


def test_another_organizations_compliance_officer_is_refused(client, cast, sealed):
    other = factories.UserFactory(home_organization=cast.other)
    factories.ComplianceAssignmentFactory(user=other, organization=cast.other, granted_by=cast.agency)
    client.force_login(other)
    assert _download(client, cast, sealed).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, cast, sealed):
    response = _download(client, cast, sealed)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_au02_a_changed_package_is_refused(client, cast, sealed):
    package = EvidencePackage.objects.get(review=sealed)
    evidence_path(package).write_bytes(b"PK not the package")
    client.force_login(cast.agency)
    response = _download(client, cast, sealed)
    assert response.status_code == 403 and "(AU-02)" in text(response)
    assert not AuditEvent.objects.filter(action=Action.EVIDENCE_DOWNLOAD).exists()


def test_the_review_page_shows_the_package_and_the_link_only_to_those_who_download(client, cast, sealed):
    page = reverse("reviews:detail", args=[cast.eddys.pk, sealed.pk])
    link = reverse("reviews:evidence", args=[cast.eddys.pk, sealed.pk])
    client.force_login(cast.compliance)
    assert link in client.get(page).content.decode()
    client.force_login(cast.alice)
    shown = client.get(page).content.decode()
    assert "Evidence package" in shown and link not in shown
