"""mhughes completes Eddy's access review with keep, modify and remove decisions, and
eddy.compliance downloads the review's CSV and PDF, which are opened and checked (AR-02, AR-04)."""

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from audit.models import AccessReview, ReviewItem
from audit.reviews.services import review_keep_remaining
from providers import authority
from providers.models import Access


def _other_sites_decide(review):
    """The other sites' administrators do their part (through the service: not this test's walk)."""
    for admin in authority.administrator_links().filter(pidsl__organization=review.organization):
        if admin.pidsl.service_location != "A":
            review_keep_remaining(actor=admin.user, review=review)


def _open_review(page, review):
    page.get_by_role("navigation", name="Provider Services").get_by_role("link", name="Access Reviews").click()
    page.get_by_role("link", name="Eddy's Group Practice").click()
    page.get_by_role("link", name=f"{review.period_start:%m/%d/%Y} – {review.period_end:%m/%d/%Y}").click()


def decide(page, username, decision, shot=None):
    row = page.get_by_role("row").filter(has_text=username).filter(has=page.get_by_role("button", name="Decide"))
    row.get_by_role("combobox").select_option(decision)
    if decision == "modify":
        row.get_by_text("Services if modified").click()
        row.get_by_label("View Provider Reports").uncheck()
    if shot:
        shot(f"decide-{username}")
    row.get_by_role("button", name="Decide").click()


def test_mhughes_completes_the_review_and_compliance_downloads_it(page, sign_in, shot, demo):
    review = AccessReview.objects.get(organization__name="Eddy's Group Practice", status="open")
    _other_sites_decide(review)

    # AR-05, in the browser: rpatel, the backup, decides mhughes's own item on the page.
    sign_in("rpatel")
    _open_review(page, review)
    # Issue 16: the page lists the rows she decides; her own is counted among the others (AR-05).
    expect(page.get_by_role("row").filter(has_text="rpatel")).to_have_count(0)
    expect(page.get_by_text("decided by another administrator or MassHealth")).to_be_visible()
    decide(page, "mhughes", "keep", shot)
    decided_rows = (
        page.get_by_role("row").filter(has_text="mhughes").filter(has=page.get_by_role("button", name="Decide"))
    )
    expect(decided_rows).to_have_count(0)
    mhughes_item = ReviewItem.objects.get(review=review, user__username="mhughes", pidsl__service_location="A")
    assert mhughes_item.decision == "keep" and mhughes_item.decided_by.username == "rpatel"
    page.get_by_role("button", name="Logout").click()

    sign_in("mhughes")
    page.get_by_role("navigation", name="Provider Services").get_by_role("link", name="Access Reviews").click()
    page.get_by_role("link", name="Eddy's Group Practice").click()
    shot("organization-reviews")
    page.get_by_role("link", name=f"{review.period_start:%m/%d/%Y} – {review.period_end:%m/%d/%Y}").click()
    shot("review")
    decide(page, "jdoe11", "modify", shot)
    decide(page, "bkim1", "remove")
    decide(page, "swhite1", "keep")
    page.get_by_role("button", name="Keep all remaining").click()
    page.get_by_label("I validated that every user listed").check()
    shot("attest")
    page.get_by_role("button", name="Complete review").click()
    expect(page.get_by_role("table", name="Reviews")).to_contain_text("Completed by mhughes")

    decided = {i.user.username: i for i in ReviewItem.objects.filter(review=review).select_related("user")}
    assert decided["jdoe11"].decision == "modify" and "provider_reports" not in decided["jdoe11"].services_after
    assert decided["bkim1"].decision == "remove"
    assert not Access.objects.open().filter(user__username="bkim1", pidsl__service_location="A").exists()
    page.get_by_role("button", name="Logout").click()

    sign_in("eddy.compliance")
    page.get_by_role("navigation", name="Provider Services").get_by_role("link", name="Access Reviews").click()
    page.get_by_role("link", name="Eddy's Group Practice").click()
    page.get_by_role("link", name=f"{review.period_start:%m/%d/%Y} – {review.period_end:%m/%d/%Y}").click()
    expect(page.get_by_role("link", name="Download", exact=True)).to_have_count(2, timeout=15000)
    shot("compliance-reports")
    links = page.get_by_role("row").filter(has_text="Access review (CSV)").get_by_role("link", name="Download")
    with page.expect_download() as csv_download:
        links.click()
    # As a spreadsheet reads it: the BOM (issue 15), then one header row (issue 18), then the table.
    text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    header, *lines = csv.reader(io.StringIO(text, newline=""))
    rows = [dict(zip(header, row, strict=True)) for row in lines]
    by_user = {(r["Username"], r["PID/SL"]): r for r in rows}
    assert by_user[("jdoe11", "110000001A")]["Decision"] == "Modify services"
    assert by_user[("bkim1", "110000001A")]["Decision"] == "Remove from the PID/SL"
    with page.expect_download() as pdf_download:
        page.get_by_role("row").filter(has_text="Access review (PDF)").get_by_role("link", name="Download").click()
    pdf = PdfReader(pdf_download.value.path())
    pdf_text = "".join(p.extract_text() for p in pdf.pages)
    assert "Access review of Eddy's Group Practice" in pdf_text and "jdoe11" in pdf_text and "bkim1" in pdf_text
    assert "I validated" in pdf_text  # the attestation, in the PDF's summary (issue 18)
    # AU-02: the compliance officer takes the sealed evidence package, its manifest matching its files.
    page.reload()
    with page.expect_download() as evidence_download:
        page.get_by_role("link", name="Download the evidence package").click()
    with zipfile.ZipFile(evidence_download.value.path()) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    assert archive.namelist() and "audit-extract.csv" in manifest["files"]
