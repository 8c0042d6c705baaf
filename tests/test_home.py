"""Home: the user's PID/SLs, services at each, and who the Primary and backup are (IN-01)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from audit.models import AccessReview, Report
from providers.models import Access
from providers.selectors import BROADCAST_CURRENT_DAYS
from tests import factories

HOME = reverse("home")


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_in01_a_subordinate_sees_its_pidsl_services_and_administrators(client, cast):
    client.force_login(cast.carol)
    response = client.get(HOME)
    assert response.status_code == 200
    page = response.content.decode()
    assert "110000001A" in page
    assert "Claims Submission and Status" in page
    # IN-01: whom to contact, with email.
    assert cast.alice.email in page
    assert cast.bob.email in page
    assert "Manage Subordinate Accounts" not in page


def test_other_organizations_pidsls_are_not_shown(client, cast):
    client.force_login(cast.carol)
    page = client.get(HOME).content.decode()
    assert cast.pidsl_x.code not in page
    assert cast.erin.email not in page


def test_an_outside_user_sees_the_pidsls_it_is_linked_to(client, cast):
    client.force_login(cast.biller)
    page = client.get(HOME).content.decode()
    assert "110000001A" in page
    assert "Eddy&#x27;s Group Practice" in page


def test_signed_in_pages_are_not_cached(client, cast):
    client.force_login(cast.carol)
    assert "no-store" in client.get(HOME)["Cache-Control"]


def test_queries_do_not_grow_with_the_number_of_pidsls(client, cast, django_assert_max_num_queries):
    billing_user = cast.biller
    for _ in range(30):
        pidsl = factories.PidSlFactory(organization=cast.eddys)
        factories.AccessFactory(
            user=factories.UserFactory(home_organization=cast.eddys), pidsl=pidsl, role=Access.Role.PRIMARY
        )
        factories.AccessFactory(user=billing_user, pidsl=pidsl, services=["portal_services", "claims"])
    client.force_login(billing_user)
    # 14, was 12: one query more for AR-07's review due date on Home (issue 16), one for the current
    # broadcast messages (issue 18); neither grows with the PID/SLs.
    with django_assert_max_num_queries(14):
        response = client.get(HOME)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 31
    with django_assert_max_num_queries(14):
        client.get(HOME + "?page=2")


# --- issue 18: each person finds their work ---------------------------------------------------


def _officer_of_many(cast, count: int) -> None:
    """``count`` more organizations of cast.compliance, each with an open review and a ready report."""
    for _ in range(count):
        organization = factories.OrganizationFactory()
        factories.ComplianceAssignmentFactory(user=cast.compliance, organization=organization)
        factories.AccessReviewFactory(organization=organization)
        factories.ReportFactory(organization=organization, status=Report.Status.DONE, completed_at=timezone.now())


def test_a_compliance_officer_sees_their_organizations_reviews_and_reports(client, cast):
    today = timezone.localdate()
    review = factories.AccessReviewFactory(organization=cast.eddys, due_date=today - timedelta(days=3))
    factories.AccessReviewFactory(
        organization=cast.eddys, status=AccessReview.Status.COMPLETED, period_end=today - timedelta(days=90)
    )
    old = factories.ReportFactory(
        organization=cast.eddys, status=Report.Status.DONE, completed_at=timezone.now() - timedelta(days=9)
    )
    report = factories.ReportFactory(
        organization=cast.eddys,
        kind=Report.Kind.REVIEW_PDF,
        status=Report.Status.DONE,
        completed_at=timezone.now() - timedelta(days=1),
    )
    factories.ReportFactory(organization=cast.other, status=Report.Status.DONE, completed_at=timezone.now())
    client.force_login(cast.compliance)

    response = client.get(HOME)

    page = response.content.decode()
    assert "You are not linked to any provider" not in page
    assert [o.name for o in response.context["officer_of"]] == ["Eddy's Group Practice"]
    assert reverse("reviews:organization", args=[cast.eddys.pk]) in page
    assert reverse("reviews:organization", args=[cast.eddys.pk]) + "#reports" in page
    detail = reverse("reviews:detail", args=[cast.eddys.pk, review.pk])
    assert f'<a href="{detail}">Access review of Eddy&#x27;s Group Practice due {review.due_date:%m/%d/%Y}</a> ' in page
    assert 'posc-tag--warn">overdue' in page
    # The latest ready report, its label in words and its time in Eastern time with the zone.
    assert reverse("reviews:download", args=[cast.eddys.pk, report.pk]) in page
    assert reverse("reviews:download", args=[cast.eddys.pk, old.pk]) not in page
    assert "Download the Access review (PDF)" in page
    assert " ET</span>" in page or " EST</span>" in page or " EDT</span>" in page
    # Another organization's report is not theirs (AU-01).
    assert "Other Clinic" not in page


def test_an_ended_appointment_leaves_home_as_for_anyone_unlinked(client, cast):
    cast.compliance.compliance_assignments.update(ended_at=timezone.now())
    client.force_login(cast.compliance)
    response = client.get(HOME)
    assert response.context["officer_of"] == []
    assert "You are not linked to any provider" in response.content.decode()


def test_a_compliance_officers_home_runs_constant_queries(client, cast, django_assert_max_num_queries):
    _officer_of_many(cast, 3)
    client.force_login(cast.compliance)
    client.get(HOME)
    _officer_of_many(cast, 12)
    # The navigation, the session, Home's lists: the organizations are one query, whatever their number.
    with django_assert_max_num_queries(14):
        response = client.get(HOME)
    assert len(response.context["officer_of"]) == 16


def test_pu03_a_primary_user_without_a_backup_is_offered_to_appoint_one(client, cast):
    client.force_login(cast.dave)  # Primary User of 110000001B, which has no backup
    response = client.get(HOME)
    page = response.content.decode()
    backup = reverse("subordinates:backup", kwargs={"pidsl": cast.pidsl_b.code})
    assert f'<a href="{backup}">Appoint a backup Primary User for 110000001B' in page
    assert 'href="/rules/#PU-03"' in page or "(PU-03)" in page
    # The link leads to the page the Primary User may use (PU-02).
    assert client.get(backup).status_code == 200


def test_pu02_only_the_primary_user_of_a_pidsl_without_a_backup_is_offered_it(client, cast):
    # alice's 110000001A has bob; bob is a backup (who appoints nobody); carol administers nothing.
    for user in (cast.alice, cast.bob, cast.carol):
        client.force_login(user)
        response = client.get(HOME)
        assert response.context["no_backup"] == []
        assert 'data-testid="no-backup"' not in response.content.decode()


def test_pu03_the_offer_goes_once_a_backup_is_appointed(client, cast):
    factories.AccessFactory(user=cast.frank, pidsl=cast.pidsl_b, role=Access.Role.BACKUP)
    client.force_login(cast.dave)
    assert client.get(HOME).context["no_backup"] == []


def test_home_shows_a_review_due_to_its_administrators(client, cast):
    review = factories.AccessReviewFactory(organization=cast.eddys, due_date=timezone.localdate() - timedelta(days=1))
    client.force_login(cast.bob)
    page = client.get(HOME).content.decode()
    assert "usa-alert--warning" in page
    assert reverse("reviews:detail", args=[cast.eddys.pk, review.pk]) in page
    client.force_login(cast.carol)  # a subordinate runs no review (AR-02)
    assert reverse("reviews:detail", args=[cast.eddys.pk, review.pk]) not in client.get(HOME).content.decode()


def test_home_shows_the_current_broadcast_messages_to_everyone(client, cast):
    factories.BroadcastMessageFactory(subject="Claims outage Saturday", body="From 10 pm to 2 am.")
    factories.BroadcastMessageFactory(
        subject="An old notice", posted_at=timezone.now() - timedelta(days=BROADCAST_CURRENT_DAYS + 1)
    )
    for user in (cast.carol, cast.compliance, cast.agency):
        client.force_login(user)
        page = client.get(HOME).content.decode()
        assert "Claims outage Saturday" in page
        assert "From 10 pm to 2 am." in page
        assert "An old notice" not in page
        assert reverse("providers:broadcasts") in page


def test_without_current_messages_home_shows_no_broadcast_table(client, cast):
    client.force_login(cast.carol)
    assert "Current messages" not in client.get(HOME).content.decode()


def test_agency_staff_are_pointed_to_their_screens(client, cast):
    client.force_login(cast.agency)
    assert reverse("agency:home") in client.get(HOME).content.decode()
