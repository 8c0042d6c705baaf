"""Access reviews: AR-01 schedule, AR-02 every user decided, AR-04 reports, AR-05 no self-certification."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AccessReview, AuditEvent, Report, ReviewItem
from audit.reviews import services as reviews
from audit.reviews.reports import report_build, report_path
from posc.policy import PolicyViolation
from providers.models import Access, Organization
from tests.helpers import assert_permissions_match_access, held, services


@pytest.fixture
def review(cast):
    return reviews.review_create(organization=cast.eddys, actor=cast.alice)


def item(review, user, pidsl):
    return ReviewItem.objects.get(review=review, user=user, pidsl=pidsl)


def test_ar02_a_review_covers_every_open_link_to_the_organizations_pidsls(cast, review):
    covered = set(ReviewItem.objects.filter(review=review).values_list("user__username", "pidsl_id"))
    expected = set(
        Access.objects.open().filter(pidsl__organization=cast.eddys).values_list("user__username", "pidsl_id")
    )
    assert covered == expected
    assert ("biller", cast.pidsl_a.pk) in covered  # outside users too
    biller = item(review, cast.biller, cast.pidsl_a)
    assert biller.outside_user
    assert biller.services_before == ["portal_services", "claims", "batch_files"]
    assert AuditEvent.objects.filter(action="review_create", organization=cast.eddys).exists()


def test_the_snapshot_carries_the_inactivity_finding(cast):
    type(cast.carol).objects.filter(pk=cast.carol.pk).update(last_login=timezone.now() - timedelta(days=200))
    review = reviews.review_create(organization=cast.eddys, actor=cast.alice)
    assert "US-07" in item(review, cast.carol, cast.pidsl_a).findings


def test_ar01_one_open_review_at_a_time(cast, review):
    with pytest.raises(PolicyViolation):
        reviews.review_create(organization=cast.eddys, actor=cast.alice)


def test_ar01_the_schedule_is_quarterly_semi_annual_or_annual_and_the_primarys(cast):
    reviews.review_schedule_set(actor=cast.alice, organization=cast.eddys, months=3)
    assert Organization.objects.get(pk=cast.eddys.pk).review_frequency == 3
    with pytest.raises(PolicyViolation) as exc:
        reviews.review_schedule_set(actor=cast.alice, organization=cast.eddys, months=18)
    assert exc.value.rule == "AR-01"
    with pytest.raises(PolicyViolation):
        reviews.review_schedule_set(actor=cast.bob, organization=cast.eddys, months=12)  # backup, not Primary
    with pytest.raises(PolicyViolation):
        reviews.review_schedule_set(actor=cast.erin, organization=cast.eddys, months=12)


def test_ar02_keep_modify_remove_and_deactivate_take_effect(cast, review):
    reviews.review_decide(actor=cast.alice, item=item(review, cast.biller, cast.pidsl_a), decision="keep")
    reviews.review_decide(
        actor=cast.alice,
        item=item(review, cast.carol, cast.pidsl_a),
        decision="modify",
        services=services("portal_services", "claims"),
    )
    assert held(cast.carol, cast.pidsl_a) == {"portal_services", "claims"}
    modified = item(review, cast.carol, cast.pidsl_a)
    assert modified.services_after == ["portal_services", "claims"]
    assert AuditEvent.objects.filter(action="review_decision", target_user=cast.carol).exists()
    assert_permissions_match_access()


def test_ar02_remove_ends_the_link(cast, review):
    reviews.review_decide(actor=cast.alice, item=item(review, cast.carol, cast.pidsl_a), decision="remove")
    assert not Access.objects.open().filter(user=cast.carol, pidsl=cast.pidsl_a).exists()


def test_ar02_deactivate_is_for_own_users_only(cast, review):
    with pytest.raises(PolicyViolation) as exc:
        reviews.review_decide(actor=cast.alice, item=item(review, cast.biller, cast.pidsl_a), decision="deactivate")
    assert exc.value.rule == "LK-03"
    cast.biller.refresh_from_db()
    assert cast.biller.is_active
    reviews.review_decide(actor=cast.alice, item=item(review, cast.carol, cast.pidsl_a), decision="deactivate")
    cast.carol.refresh_from_db()
    assert not cast.carol.is_active


def test_ar05_nobody_decides_on_their_own_access(cast, review):
    with pytest.raises(PolicyViolation) as exc:
        reviews.review_decide(actor=cast.alice, item=item(review, cast.alice, cast.pidsl_a), decision="keep")
    assert exc.value.rule == "AR-05"
    reviews.review_decide(actor=cast.bob, item=item(review, cast.alice, cast.pidsl_a), decision="keep")
    with pytest.raises(PolicyViolation):
        reviews.review_decide(actor=cast.bob, item=item(review, cast.bob, cast.pidsl_a), decision="keep")


def test_ar02_only_the_pidsls_administrators_decide(cast, review):
    for outsider in (cast.dave, cast.erin, cast.carol, cast.compliance):
        with pytest.raises(PolicyViolation):
            reviews.review_decide(actor=outsider, item=item(review, cast.carol, cast.pidsl_a), decision="remove")
    assert Access.objects.open().filter(user=cast.carol, pidsl=cast.pidsl_a).exists()


def test_keep_all_remaining_leaves_the_reviewers_own_items(cast, review):
    kept = reviews.review_keep_remaining(actor=cast.alice, review=review)
    assert kept > 0
    assert item(review, cast.alice, cast.pidsl_a).decision == ""
    assert (
        item(review, cast.carol, cast.pidsl_a).services_after == item(review, cast.carol, cast.pidsl_a).services_before
    )


def test_completion_needs_every_decision_and_the_attestation(cast, review):
    with pytest.raises(PolicyViolation):
        reviews.review_complete(actor=cast.alice, review=review, attested=True)
    reviews.review_keep_remaining(actor=cast.alice, review=review)
    reviews.review_keep_remaining(actor=cast.bob, review=review)
    reviews.review_keep_remaining(actor=cast.dave, review=review)
    with pytest.raises(PolicyViolation):  # dave's own item: B has no backup, so MassHealth decides (AR-05)
        reviews.review_complete(actor=cast.alice, review=review, attested=True)
    reviews.review_keep_remaining(actor=cast.agency, review=review)
    with pytest.raises(PolicyViolation):
        reviews.review_complete(actor=cast.alice, review=review, attested=False)
    reviews.review_complete(actor=cast.alice, review=review, attested=True)
    review.refresh_from_db()
    assert review.status == "completed" and review.attestation.startswith("I validated")


def complete(cast, review, django_capture_on_commit_callbacks):
    reviews.review_decide(actor=cast.alice, item=item(review, cast.carol, cast.pidsl_a), decision="remove")
    for admin in (cast.alice, cast.bob, cast.dave, cast.agency):
        reviews.review_keep_remaining(actor=admin, review=review)
    with django_capture_on_commit_callbacks(execute=True):
        reviews.review_complete(actor=cast.alice, review=review, attested=True)
    return {r.kind: r for r in Report.objects.filter(review=review)}


def test_ar04_a_completed_review_produces_its_csv_and_pdf(cast, review, django_capture_on_commit_callbacks):
    built = complete(cast, review, django_capture_on_commit_callbacks)
    csv_report, pdf_report = built["review_csv"], built["review_pdf"]
    assert csv_report.status == pdf_report.status == "done"
    text = report_path(csv_report).read_text(encoding="utf-8-sig")  # as a spreadsheet reads it
    # One header row, then the table: the review's heading facts are in the PDF's summary.
    header, *lines = csv.reader(io.StringIO(text, newline=""))
    assert header[:3] == ["PID/SL", "Provider name", "Username"]
    rows = [dict(zip(header, row, strict=True)) for row in lines]
    carol = next(r for r in rows if r["Username"] == "carol")
    assert carol["Decision"] == "Remove from the PID/SL" and carol["Decided by"] == "alice"
    assert carol["Services before the review"] and carol["Services after the review"] == ""
    pdf_text = "".join(page.extract_text() for page in PdfReader(report_path(pdf_report)).pages)
    assert "Access review of Eddy's Group Practice" in pdf_text and "carol" in pdf_text and "I validated" in pdf_text


def test_ar04_a_built_report_never_changes(cast, review, django_capture_on_commit_callbacks):
    report = complete(cast, review, django_capture_on_commit_callbacks)["review_csv"]
    before = (report.file_path, report.sha256)
    report_build(report.pk)
    report.refresh_from_db()
    assert (report.file_path, report.sha256) == before


def test_a_worker_killed_mid_build_leaves_no_half_report_and_a_retry_finishes(cast, monkeypatch):
    from audit.reviews import reports as reports_module

    report = reviews.user_access_report_request(actor=cast.alice, organization=cast.eddys)

    def boom(*args, **kwargs):
        raise OSError("worker lost")

    monkeypatch.setattr(reports_module, "_write", boom)
    with pytest.raises(OSError):
        report_build(report.pk)
    report.refresh_from_db()
    assert report.status != "done" and report.file_path == ""
    assert not list(report_path(report).parent.glob("*.part"))
    monkeypatch.undo()
    report_build(report.pk)
    report.refresh_from_db()
    assert report.status == "done"
    assert "carol" in report_path(report).read_text()


def test_ar04_the_user_access_report_lists_present_access(cast):
    report = report_build(reviews.user_access_report_request(actor=cast.compliance, organization=cast.eddys).pk)
    rows = list(csv.DictReader(io.StringIO(report_path(report).read_text(encoding="utf-8-sig"))))
    assert {r["Username"] for r in rows} >= {"alice", "bob", "carol", "dave", "biller"}
    assert all(r["Username"] != "erin" for r in rows)
    assert not {"pin", "PIN", "birth_month", "Birth month"} & set(rows[0])


def test_another_organizations_officer_cannot_request_a_report(cast):
    with pytest.raises(PolicyViolation):
        reviews.user_access_report_request(actor=cast.erin, organization=cast.eddys)
    assert not Report.objects.exists()


def test_the_review_is_marked_open_until_completed(cast, review):
    assert AccessReview.objects.get(pk=review.pk).status == "open"
