"""Issue 18: reports a compliance officer opens without help (AR-04).

- Each CSV (a review's, the User Access Report) is one header row of the screens' labels right after
  the BOM, then the table: services by their labels, not codes; times in Eastern time with the zone.
- The review PDF starts with a summary (organization, period, due date, reviewer, completion time,
  attestation and the counts kept, modified and removed, by a person or by AR-06's default), and is
  tagged (Section 508): language, title shown, and every piece of text in the structure tree.
"""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader
from pypdf.generic import ContentStream

from audit.models import AccessReview, ProgramReviewSettings, Report, ReviewItem, ReviewPolicy
from audit.reviews import reports
from audit.reviews import services as reviews
from audit.reviews.reminders import reviews_daily
from audit.reviews.reports import REVIEW_COLUMNS, USER_ACCESS_COLUMNS, report_build, report_path
from audit.reviews.summary import review_summary
from posc import spreadsheet
from providers.models import Access

BY_DEFAULT = "By default at the deadline (AR-06)"
SUMMER = datetime(2026, 7, 1, 18, 5, tzinfo=UTC)  # 14:05 EDT
WINTER = datetime(2026, 11, 30, 19, 5, tzinfo=UTC)  # 14:05 EST
CODES = re.compile(r"\b(portal_services|batch_files|provider_reports|manage_subordinates)\b")


def item(review, user, pidsl) -> ReviewItem:
    return ReviewItem.objects.get(review=review, user=user, pidsl=pidsl)


def table(data: bytes) -> list[dict[str, str]]:
    """The CSV as a spreadsheet reads it: the BOM, then the header row, then the rows."""
    assert data.startswith(spreadsheet.BOM_BYTES)
    header, *rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [dict(zip(header, row, strict=True)) for row in rows]


def built(review, kind) -> Report:
    return Report.objects.get(review=review, kind=kind, status=Report.Status.DONE)


@pytest.fixture
def by_default(cast, django_capture_on_commit_callbacks):
    """Eddy's review: alice removes carol at A and keeps bob; nobody decides the rest, and at the
    deadline AR-06 applies Eddy's default, "remove" (a Primary User's link is kept: PU-06)."""
    type(cast.carol).objects.filter(pk=cast.biller.pk).update(last_login=SUMMER)
    review = reviews.review_create(organization=cast.eddys, actor=cast.alice)
    reviews.review_decide(actor=cast.alice, item=item(review, cast.carol, cast.pidsl_a), decision="remove")
    reviews.review_decide(actor=cast.alice, item=item(review, cast.bob, cast.pidsl_a), decision="keep")
    ReviewItem.objects.filter(pk=item(review, cast.bob, cast.pidsl_a).pk).update(decided_at=WINTER)
    ReviewPolicy.objects.create(organization=cast.eddys, default_decision="remove", updated_at=timezone.now())
    deadline = review.due_date + timedelta(days=ProgramReviewSettings.current().grace_days)
    with django_capture_on_commit_callbacks(execute=True):
        reviews_daily(deadline)
    review = AccessReview.objects.get(pk=review.pk)
    assert review.completed_by_default
    return review


# --- the CSVs ------------------------------------------------------------------------------------


def test_ar04_the_review_csv_is_its_header_row_then_the_table(cast, by_default):
    data = report_path(built(by_default, Report.Kind.REVIEW_CSV)).read_bytes()
    first_line = data[len(spreadsheet.BOM_BYTES) :].split(b"\r\n", 1)[0].decode()
    assert first_line == ",".join(REVIEW_COLUMNS)  # no "#" lines before it: the spreadsheet opens it square
    assert b"\n#" not in data and not data[len(spreadsheet.BOM_BYTES) :].startswith(b"#")
    rows = table(data)
    assert len(rows) == ReviewItem.objects.filter(review=by_default).count()


def test_ar04_the_review_csv_names_services_decisions_and_roles_in_the_screens_words(cast, by_default):
    data = report_path(built(by_default, Report.Kind.REVIEW_CSV)).read_bytes()
    assert not CODES.search(data.decode("utf-8-sig")), "a service code in the CSV"
    rows = {(r["Username"], r["PID/SL"]): r for r in table(data)}
    biller = rows["biller", cast.pidsl_a.code]
    assert biller["Services before the review"] == (
        "Primary Portal User; Claims Submission and Status; Batch File Submit and Download"
    )
    assert biller["Outside user"] == "Yes" and biller["Role"] == "Subordinate"
    carol = rows["carol", cast.pidsl_a.code]
    assert (carol["Decision"], carol["Decided by"], carol["Services after the review"]) == (
        "Remove from the PID/SL",
        "alice",
        "",
    )
    assert rows["bob", cast.pidsl_a.code]["Role"] == "Backup Primary User"


def test_ar06_the_review_csv_says_which_items_were_decided_by_default(cast, by_default):
    rows = {(r["Username"], r["PID/SL"]): r for r in table(report_path(built(by_default, "review_csv")).read_bytes())}
    # AR-06 with "remove": an undecided subordinate is removed, a Primary User kept (PU-06).
    biller, alice = rows["biller", cast.pidsl_a.code], rows["alice", cast.pidsl_a.code]
    assert (biller["Decision"], biller["Decided by"]) == ("Remove from the PID/SL", BY_DEFAULT)
    assert (alice["Decision"], alice["Decided by"]) == ("Keep", BY_DEFAULT)
    assert rows["bob", cast.pidsl_a.code]["Decided by"] == "alice"


def test_the_review_csv_writes_times_in_eastern_time_with_the_zone(cast, by_default):
    rows = {(r["Username"], r["PID/SL"]): r for r in table(report_path(built(by_default, "review_csv")).read_bytes())}
    assert rows["bob", cast.pidsl_a.code]["Decided at"] == "2026-11-30 14:05 EST"
    assert rows["biller", cast.pidsl_a.code]["Last sign-in"] == "2026-07-01 14:05 EDT"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T", r["Decided at"]) for r in rows.values())


def test_ar04_the_user_access_report_is_its_header_row_labels_and_eastern_time(cast):
    Access.objects.filter(pk=cast.access(cast.biller, cast.pidsl_a).pk).update(granted_at=WINTER)
    type(cast.biller).objects.filter(pk=cast.biller.pk).update(last_login=SUMMER)
    type(cast.carol).objects.filter(pk=cast.carol.pk).update(last_login=None)
    report = report_build(reviews.user_access_report_request(actor=cast.compliance, organization=cast.eddys).pk)
    data = report_path(report).read_bytes()
    assert data[len(spreadsheet.BOM_BYTES) :].startswith(",".join(USER_ACCESS_COLUMNS).encode() + b"\r\n")
    assert not CODES.search(data.decode("utf-8-sig"))
    rows = {(r["Username"], r["PID/SL"]): r for r in table(data)}
    biller = rows["biller", cast.pidsl_a.code]
    assert biller["Services"] == "Primary Portal User; Claims Submission and Status; Batch File Submit and Download"
    assert (biller["Granted at"], biller["Last sign-in"]) == ("2026-11-30 14:05 EST", "2026-07-01 14:05 EDT")
    assert biller["Home organization"] == cast.billing.name and biller["Active"] == "Yes"
    assert rows["carol", cast.pidsl_a.code]["Last sign-in"] == "Never"
    assert rows["alice", cast.pidsl_a.code]["Role"] == "Primary User"


def test_the_demos_eastern_time_is_the_same_as_postgresqls():
    # SQLite (make run) keeps UTC text and has no zones: its posc_eastern gives what PostgreSQL does.
    assert reports._sqlite_eastern("2026-07-01 18:05:00.123456") == "2026-07-01 14:05 EDT"
    assert reports._sqlite_eastern("2026-11-30 19:05:00") == "2026-11-30 14:05 EST"
    assert reports._sqlite_eastern("2026-03-08 07:30:00") == "2026-03-08 03:30 EDT"  # the spring-forward day
    assert reports._sqlite_eastern(None) is None


# --- the summary and the PDF ---------------------------------------------------------------------


def test_ar04_the_summary_counts_kept_modified_removed_and_by_default(cast, by_default):
    items = ReviewItem.objects.filter(review=by_default)
    summary = review_summary(by_default)
    counts = {c.label: (c.items, c.by_default) for c in summary.decisions}
    removed_by_default = items.filter(decision="remove", decided_by__isnull=True).count()
    kept_by_default = items.filter(decision="keep", decided_by__isnull=True).count()
    assert removed_by_default >= 1 and kept_by_default >= 2  # biller; alice and dave (PU-06)
    assert counts == {
        "Kept": (kept_by_default + 1, kept_by_default),  # bob, kept by alice
        "Services modified": (0, 0),
        "Removed from the PID/SL": (removed_by_default + 1, removed_by_default),  # carol, removed by alice
        "User deactivated": (0, 0),
    }
    assert summary.total == items.count() and summary.total_by_default == items.filter(decided_by__isnull=True).count()
    assert summary.reviewer == "Nobody: completed by default at the deadline (AR-06)"
    assert summary.completed.endswith((" EST", " EDT")) and "Completed by default (AR-06)" in summary.attestation


def _pdf(review) -> PdfReader:
    return PdfReader(report_path(built(review, Report.Kind.REVIEW_PDF)))


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_ar04_the_pdf_starts_with_the_summary_then_the_items(cast, by_default):
    reader = _pdf(by_default)
    first = reader.pages[0].extract_text()
    summary = review_summary(by_default)
    for label, value in summary.facts():
        assert label in first and value in first, label
    counted = " ".join(first.split())
    for count in summary.decisions:
        assert f"{count.label} {count.items} {count.by_default}" in counted, count.label
    assert f"Total {summary.total} {summary.total_by_default}" in counted
    assert "Completed by default (AR-06)" in counted
    text = " ".join(_text(reader).split())  # a cell's lines joined, as a reader reads on
    assert text.index("Decisions") < text.index("Attestation") < text.index("Every user reviewed")
    assert "Batch File Submit and Download" in text and not CODES.search(text)
    assert "2026-11-30" not in text and "11/30/2026 14:05 EST" in text  # bob's decision, in Eastern time
    assert "by default at the deadline (AR-06)" in text


def _elements(node, found=None):
    """Every structure element under node, depth first, as (type, element)."""
    found = [] if found is None else found
    kids = node.get("/K", [])
    for kid in kids if isinstance(kids, list) else [kids]:
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if isinstance(kid, dict) and "/S" in kid:
            found.append((kid["/S"], kid))
            _elements(kid, found)
    return found


def test_section_508_the_review_pdf_is_tagged_in_english_under_its_title(cast, by_default):
    data = report_path(built(by_default, Report.Kind.REVIEW_PDF)).read_bytes()
    assert b"/StructTreeRoot" in data and b"/MarkInfo <</Marked true>>" in data and b"/Lang (en-US)" in data
    reader = _pdf(by_default)
    root = reader.trailer["/Root"]
    title = f"Access review of {cast.eddys.name}"
    assert root["/Lang"] == "en-US" and bool(root["/MarkInfo"]["/Marked"])
    assert reader.metadata.title == title and bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert title in reader.xmp_metadata.dc_title.values()
    elements = _elements(root["/StructTreeRoot"].get_object())
    kinds = [kind for kind, _ in elements]
    assert kinds[:3] == ["/Document", "/H1", "/P"] and "/H2" in kinds
    assert {"/Table", "/TR", "/TH", "/TD"} <= set(kinds)
    # PDF/UA: each header cell says what it heads: the items' columns, the summary's rows.
    scopes = {element["/A"]["/Scope"] for kind, element in elements if kind == "/TH"}
    assert scopes == {"/Column", "/Row"}
    assert title in reader.pages[0].extract_text()  # the title is shown, too


def test_section_508_every_piece_of_text_is_tagged_or_an_artifact(cast, by_default):
    reader = _pdf(by_default)
    parent_tree = dict(
        zip(*[iter(reader.trailer["/Root"]["/StructTreeRoot"]["/ParentTree"]["/Nums"])] * 2, strict=True)
    )
    for page in reader.pages:
        stack, mcids = [], []
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator in (b"BDC", b"BMC"):
                tag = operands[0]
                stack.append(tag)
                if operator == b"BDC" and tag != "/Artifact":
                    mcids.append(operands[1]["/MCID"])
            elif operator == b"EMC":
                stack.pop()
            elif operator in (b"Tj", b"TJ", b"'", b'"'):
                assert stack, "text outside any tag or artifact"
        # Each sequence is found from its page: the parent tree lists the page's elements by MCID.
        listed = parent_tree[page["/StructParents"]].get_object()
        assert mcids == list(range(len(listed)))
        for mcid, element in enumerate(listed):
            element = element.get_object()
            assert mcid in element["/K"] and element.raw_get("/Pg").idnum == page.indirect_reference.idnum
