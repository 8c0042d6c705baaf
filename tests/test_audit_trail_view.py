"""The Audit Trail page and its CSV export (AU-01): each reader sees only their scope, the filters
work and survive paging, the download is streamed, named by the server and itself audited, bad
input is a 400 at its field, and the query count does not grow with the records."""

import csv
import io
import re
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.chain import chain_verify
from audit.models import AuditEvent
from audit.services import audit_record
from tests.helpers import audit_count
from tests.view_helpers import field_errors, is_sign_in_redirect

Action = AuditEvent.Action
TRAIL = reverse("audit:trail")
EXPORT = reverse("audit:export")
EVERY = {"rec-a", "rec-b", "rec-x", "rec-eddys", "rec-none", "rec-old"}


@pytest.fixture
def trail(cast, monkeypatch):
    """One record per place a record can be filed, each named by its detail."""
    audit_record(
        action=Action.SERVICES_CHANGE,
        actor=cast.alice,
        target_user=cast.carol,
        pidsl=cast.pidsl_a,
        after={"services": ["portal_services"]},
        detail="rec-a",
    )
    audit_record(action=Action.LINK_CREATE, actor=cast.dave, target_user=cast.frank, pidsl=cast.pidsl_b, detail="rec-b")
    audit_record(action=Action.USER_CREATE, actor=cast.erin, pidsl=cast.pidsl_x, detail="rec-x")
    audit_record(action=Action.ORG_ENROLL, actor=cast.agency, organization=cast.eddys, detail="rec-eddys")
    audit_record(action=Action.SIGN_IN, actor=cast.biller, detail="rec-none")
    # An older record at A, for the date range (records cannot be back-dated once written).
    monkeypatch.setattr(timezone, "now", lambda: timezone.make_aware(datetime(2026, 1, 10, 23, 30)))
    audit_record(
        action=Action.PASSWORD_RESET, actor=cast.bob, target_user=cast.carol, pidsl=cast.pidsl_a, detail="rec-old"
    )
    monkeypatch.undo()
    return cast


def shown(response) -> set[str]:
    # Signing the reader in writes a record too; only the fixture's records are compared.
    return {e.detail for e in response.context["page"].object_list if e.detail.startswith("rec-")}


def csv_rows(response) -> list[dict]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")  # the BOM, as a spreadsheet reads it
    return list(csv.DictReader(io.StringIO(content)))


# Who reads what


@pytest.mark.parametrize(
    ("reader", "expected"),
    [
        ("agency", EVERY),
        ("alice", {"rec-a", "rec-old"}),  # her PID/SL only: not B of her own organization, not X
        ("bob", {"rec-a", "rec-old"}),
        # LK-03: carol is of dave's organization, so her password reset at A is in his trail too.
        ("dave", {"rec-b", "rec-old"}),
        ("compliance", {"rec-a", "rec-b", "rec-eddys", "rec-old"}),  # all of Eddy's
        ("erin", {"rec-x"}),  # nothing of Eddy's
    ],
)
def test_each_reader_sees_only_their_scope(client, trail, reader, expected):
    client.force_login(getattr(trail, reader))

    response = client.get(TRAIL)

    assert response.status_code == 200
    assert shown(response) == expected
    assert {row["Detail"] for row in csv_rows(client.get(EXPORT)) if row["Detail"].startswith("rec-")} == expected


@pytest.mark.parametrize("reader", ["carol", "biller", "frank"])
@pytest.mark.parametrize("url", [TRAIL, EXPORT])
def test_anyone_else_is_refused_and_the_refusal_is_audited(client, trail, reader, url):
    user = getattr(trail, reader)
    client.force_login(user)

    assert client.get(url).status_code == 403
    assert audit_count(action=Action.ACCESS_REFUSED, actor=user, detail="audit trail") == 1
    assert audit_count(action=Action.REPORT_DOWNLOAD) == 0


@pytest.mark.parametrize("url", [TRAIL, EXPORT])
def test_anonymous_is_sent_to_sign_in(client, trail, url):
    assert is_sign_in_redirect(client.get(url))


@pytest.mark.parametrize(
    ("reader", "has_entry"), [("agency", True), ("alice", True), ("compliance", True), ("carol", False)]
)
def test_the_navigation_offers_the_trail_to_its_readers(client, cast, reader, has_entry):
    client.force_login(getattr(cast, reader))

    labels = [e.label for e in client.get(reverse("home")).context["nav"]]

    assert ("Audit Trail" in labels) is has_entry


# Filters


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"actor": "alice"}, {"rec-a"}),
        ({"target": "carol"}, {"rec-a", "rec-old"}),
        ({"pidsl": "110000001B"}, {"rec-b"}),
        ({"pidsl": "110000001b"}, {"rec-b"}),
        ({"action": Action.LINK_CREATE}, {"rec-b"}),
        ({"date_from": "2026-01-01", "date_to": "2026-01-10"}, {"rec-old"}),  # the end day is included
        ({"date_from": "2026-01-11"}, EVERY - {"rec-old"}),
        ({"actor": "alice", "action": Action.SIGN_IN}, set()),
    ],
)
def test_the_filters_narrow_the_records_and_the_count(client, trail, filters, expected):
    client.force_login(trail.agency)

    response = client.get(TRAIL, filters)

    assert response.status_code == 200
    assert shown(response) == expected
    page = response.context["page"]
    assert page.paginator.count == len(page.object_list) < AuditEvent.objects.count()


def test_a_filter_that_matches_nothing_says_so(client, trail):
    # An empty page is falsy: the table (and this message) once vanished with it.
    client.force_login(trail.agency)

    response = client.get(TRAIL, {"actor": "nobody-by-this-name"})

    assert response.status_code == 200
    assert "No record matches." in response.content.decode()


def test_a_change_reads_in_the_screens_words(client, trail):
    # The record keeps the service codes; the page shows the labels of Available/Assigned Services.
    client.force_login(trail.agency)

    html = client.get(TRAIL, {"pidsl": trail.pidsl_a.code, "action": Action.SERVICES_CHANGE}).content.decode()

    row = re.search(r"<tr data-record=.*?</tr>", html, re.S).group(0)
    assert "services: Primary Portal User" in row
    assert "portal_services" not in row


def test_paging_keeps_the_filters(client, cast):
    for n in range(30):
        audit_record(action=Action.SIGN_IN, actor=cast.alice, detail=f"sign-in {n}")
    audit_record(action=Action.SIGN_IN, actor=cast.bob)
    client.force_login(cast.agency)

    response = client.get(TRAIL, {"actor": "alice"})

    assert response.context["page"].paginator.count == 30
    assert re.search(r'href="\?actor=alice&amp;[^"]*page=2"', response.content.decode())
    assert len(client.get(TRAIL, {"actor": "alice", "page": 2}).context["page"].object_list) == 5


def test_a_count_past_the_cap_says_more_than_and_pages_up_to_it(client, cast, monkeypatch):
    """The agency's unfiltered trail (5,000,000 records) is never counted whole (posc/paging.py)."""
    monkeypatch.setattr("posc.paging.TRAIL_COUNT_CAP", 20)
    for n in range(30):
        audit_record(action=Action.SIGN_IN, actor=cast.alice, detail=f"sign-in {n}")
    client.force_login(cast.agency)

    response = client.get(TRAIL, {"actor": "alice"})

    assert response.context["page"].paginator.count == 20 and response.context["page"].paginator.capped
    assert "more than 20: narrow the filters to reach older ones" in response.content.decode()
    newest = response.context["page"].object_list[0]
    assert newest.detail == "sign-in 29"  # the newest first, as before
    exact = client.get(TRAIL, {"actor": "alice", "date_from": newest.at.date().strftime("%m/%d/%Y")})
    assert exact.status_code == 200


# The CSV export


def test_the_export_is_a_streamed_csv_named_by_the_server(client, trail):
    client.force_login(trail.agency)

    response = client.get(EXPORT, {"pidsl": "110000001A", "actor": "alice"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="audit-trail-\d{8}-\d{6}\.csv"', response["Content-Disposition"])
    assert "no-store" in response["Cache-Control"]
    [row] = csv_rows(response)
    assert row["Action"] == "Services changed"
    assert (row["Done by"], row["Done to"], row["Provider ID"], row["Service location"]) == (
        "alice",
        "carol",
        "110000001",
        "A",
    )
    assert row["After"] == '{"services": ["portal_services"]}'
    assert row["Hash"] == AuditEvent.objects.get(detail="rec-a").hash


def test_a_download_is_itself_audited_with_its_filters(client, trail):
    client.force_login(trail.compliance)

    client.get(EXPORT, {"action": Action.LINK_CREATE, "date_from": "2026-01-01"})

    record = AuditEvent.objects.get(action=Action.REPORT_DOWNLOAD)
    assert record.actor == trail.compliance
    assert record.organization == trail.eddys  # so Eddy's compliance officer sees who exported
    assert "action=link_create" in record.detail
    assert "date_from=2026-01-01" in record.detail
    assert chain_verify()[0]


def test_a_cell_a_spreadsheet_would_run_is_made_inert(client, cast):
    audit_record(action=Action.USER_DEACTIVATE, actor=cast.alice, pidsl=cast.pidsl_a, detail="=HYPERLINK(evil)")
    client.force_login(cast.alice)

    [row] = csv_rows(client.get(EXPORT))

    assert row["Detail"] == "'=HYPERLINK(evil)"


def test_pins_and_birth_dates_never_appear(client, cast):
    audit_record(
        action=Action.USER_UPDATE,
        actor=cast.alice,
        pidsl=cast.pidsl_a,
        after={"pin": "4831", "birth_month": 7, "zip_code": "02108"},
    )
    client.force_login(cast.alice)

    [row] = csv_rows(client.get(EXPORT))

    assert row["After"] == '{"zip_code": "02108"}'
    assert not {"PIN", "Date of birth"} & set(row)


# Bad input


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_from": "0001-01-01"}, "date_from"),
        ({"date_to": "9999-12-31"}, "date_to"),
        ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "date_to"),
        ({"actor": "x" * 10240}, "actor"),
        ({"target": "x" * 10240}, "target"),
        ({"pidsl": "x" * 10240}, "pidsl"),
        ({"pidsl": "12345"}, "pidsl"),
        ({"pidsl": "999999999Z"}, "pidsl"),
        ({"action": "drop_table"}, "action"),
    ],
)
@pytest.mark.parametrize("url", [TRAIL, EXPORT])
def test_bad_filters_are_a_400_with_the_message_at_the_field(client, trail, filters, field, url):
    client.force_login(trail.agency)

    response = client.get(url, filters)

    assert response.status_code == 400
    assert field_errors(response, field)
    assert audit_count(action=Action.REPORT_DOWNLOAD) == 0


def test_a_nonsense_page_number_shows_the_first_page(client, trail):
    client.force_login(trail.agency)

    response = client.get(TRAIL, {"page": "9" * 10240})

    assert response.status_code == 200


# Query counts

# Page: session (read, save in a savepoint), user, TOTP device, terms, navigation, scope (2), PID/SL
# filter, count, rows. Export: the same less navigation and count, plus its own audit record (home
# organization, savepoint, lock, chain end, insert) and one cursor for the rows.
PAGE_QUERIES = 13
EXPORT_QUERIES = 16


@pytest.mark.parametrize("reader", ["agency", "alice", "compliance"])
def test_queries_do_not_grow_with_the_records(client, cast, reader, django_assert_max_num_queries):
    def write(count):
        for n in range(count):
            audit_record(
                action=Action.SERVICES_CHANGE,
                actor=cast.alice,
                target_user=cast.carol,
                pidsl=cast.pidsl_a,
                detail=f"change {n}",
            )

    client.force_login(getattr(cast, reader))
    for total in (5, 60):
        write(total - AuditEvent.objects.filter(pidsl=cast.pidsl_a).count())
        with django_assert_max_num_queries(PAGE_QUERIES):
            page = client.get(TRAIL, {"pidsl": "110000001A"}).context["page"]
        assert page.paginator.count == total
        with django_assert_max_num_queries(EXPORT_QUERIES):
            rows = csv_rows(client.get(EXPORT, {"actor": "alice"}))
        assert len(rows) == total
