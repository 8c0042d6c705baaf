"""The program view (issue 17): every organization agency staff oversee, a compliance officer's
own; review status, weak PID/SLs, findings by rule, dormancy losses; filters, sort, CSV; constant
queries whatever the number of organizations."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessReview, AuditEvent
from providers.models import Organization
from tests import factories

URL = reverse("compliance:program")
CSV_URL = reverse("compliance:program_csv")


def review(org, *, due_in: int, status=AccessReview.Status.OPEN):
    today = timezone.localdate()
    return AccessReview.objects.create(
        organization=org,
        period_start=today - timedelta(days=200),
        period_end=today - timedelta(days=20),
        due_date=today + timedelta(days=due_in),
        status=status,
        created_at=timezone.now(),
    )


def rows(response) -> dict[str, object]:
    return {o.name: o for o in response.context["rows"]}


def test_agency_sees_every_organization_with_its_review_status_and_findings(client, cast):
    review(cast.eddys, due_in=-5)
    review(cast.other, due_in=10)
    client.force_login(cast.agency)
    response = client.get(URL)
    assert response.status_code == 200
    shown = rows(response)
    assert set(shown) == set(Organization.objects.values_list("name", flat=True))
    eddys = shown["Eddy's Group Practice"]
    assert eddys.review_status == "overdue" and eddys.days_overdue == 5
    assert shown["Other Clinic"].review_status == "due_soon"
    assert shown["Bay State Billing"].review_status == "none"
    assert eddys.findings["AR-03"] == 1
    counts = dict((key, n) for key, _, n in response.context["counts"])
    assert counts["overdue"] == 1 and counts["due_soon"] == 1


def test_filters_and_sort(client, cast):
    review(cast.eddys, due_in=-5)
    pidsl = cast.pidsl_x
    pidsl.city, pidsl.zip_code = "Worcester", "01608"
    pidsl.save(update_fields=["city", "zip_code"])
    client.force_login(cast.agency)
    assert set(rows(client.get(URL, {"status": "overdue"}))) == {"Eddy's Group Practice"}
    assert set(rows(client.get(URL, {"region": "worcester"}))) == {"Other Clinic"}
    assert set(rows(client.get(URL, {"region": "016"}))) == {"Other Clinic"}
    assert set(rows(client.get(URL, {"kind": "billing"}))) == {"Bay State Billing"}
    assert set(rows(client.get(URL, {"q": "eddy"}))) == {"Eddy's Group Practice"}
    first = next(iter(rows(client.get(URL, {"order": "overdue"}))))
    assert first == "Eddy's Group Practice"


def test_bad_filters_are_named_next_to_the_field(client, cast):
    client.force_login(cast.agency)
    response = client.get(URL, {"status": "sideways", "kind": "x"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_weak_pidsls_and_dormancy_losses_are_counted_now(client, cast):
    # PID/SL B has a Primary User (dave) and no backup: PU-03.
    client.force_login(cast.agency)
    eddys = rows(client.get(URL))["Eddy's Group Practice"]
    assert eddys.weak_pidsls == 1


def test_a_compliance_officer_sees_their_organizations_only(client, cast):
    client.force_login(cast.compliance)
    assert set(rows(client.get(URL))) == {"Eddy's Group Practice"}
    assert "Other Clinic" not in client.get(CSV_URL).getvalue().decode()


@pytest.mark.parametrize("who", ["alice", "bob", "dave", "carol", "erin", "biller"])
def test_nobody_else_reads_it(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(URL).status_code == 403
    assert client.get(CSV_URL).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, cast):
    assert client.get(URL).status_code == 302


def test_the_csv_uses_the_screens_labels_and_is_audited(client, cast):
    review(cast.eddys, due_in=-5)
    client.force_login(cast.agency)
    body = client.get(CSV_URL, {"status": "overdue"}).getvalue().decode("utf-8-sig")
    header, *lines = body.splitlines()
    assert header.startswith("Organization,Review,Review due,Days overdue")
    assert len(lines) == 1 and lines[0].startswith("Eddy's Group Practice,Overdue,")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REPORT_DOWNLOAD, after__report="program").exists()


@pytest.mark.parametrize("extra", [3, 30])
def test_queries_do_not_grow_with_the_number_of_organizations(client, cast, extra, django_assert_max_num_queries):
    for _ in range(extra):
        org = factories.OrganizationFactory()
        factories.PidSlFactory(organization=org)
        review(org, due_in=-1)
    client.force_login(cast.agency)
    # The findings by rule: the kept tallies in one query, the three LIVE rules in four.
    with django_assert_max_num_queries(19):
        response = client.get(URL)
    assert response.status_code == 200
    assert len(response.context["rows"]) == min(extra + 3, 25)
