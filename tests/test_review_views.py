"""Access review screens: who reads, who decides, downloads audited; constant queries."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent, Report, ReviewItem
from audit.reviews import services as reviews
from audit.reviews.reports import report_build
from providers.models import Access
from tests import factories


@pytest.fixture
def review(cast):
    return reviews.review_create(organization=cast.eddys, actor=cast.alice)


def url(name, cast, *args):
    return reverse(f"reviews:{name}", args=[cast.eddys.pk, *args])


@pytest.mark.parametrize(
    "who, status",
    [
        ("alice", 200),
        ("bob", 200),
        ("compliance", 200),
        ("agency", 200),
        ("erin", 403),
        ("carol", 403),
        ("biller", 403),
    ],
)
def test_who_may_read_an_organizations_reviews(client, cast, review, who, status):
    client.force_login(getattr(cast, who))
    assert client.get(url("organization", cast)).status_code == status
    assert client.get(url("detail", cast, review.pk)).status_code == status


def test_anonymous_is_sent_to_sign_in(client, cast, review):
    assert client.get(url("detail", cast, review.pk)).status_code == 302


def test_the_primary_decides_from_the_page(client, cast, review):
    client.force_login(cast.alice)
    target = ReviewItem.objects.get(review=review, user=cast.carol)
    response = client.post(url("decide", cast, review.pk, target.pk), {"decision": "remove"})
    assert response.status_code == 302
    assert not Access.objects.open().filter(user=cast.carol, pidsl=cast.pidsl_a).exists()


@pytest.mark.parametrize("who", ["compliance", "erin", "carol"])
def test_readers_and_strangers_change_nothing(client, cast, review, who):
    client.force_login(getattr(cast, who))
    target = ReviewItem.objects.get(review=review, user=cast.carol)
    response = client.post(url("decide", cast, review.pk, target.pk), {"decision": "remove"})
    assert response.status_code == 403
    assert Access.objects.open().filter(user=cast.carol, pidsl=cast.pidsl_a).exists()
    assert client.post(url("keep_remaining", cast, review.pk)).status_code == 403
    assert client.post(url("complete", cast, review.pk), {"attested": "on"}).status_code == 403
    assert not ReviewItem.objects.filter(review=review).exclude(decision="").exists()


def test_ar05_the_page_offers_no_decision_on_the_readers_own_access(client, cast, review):
    client.force_login(cast.alice)
    own = ReviewItem.objects.get(review=review, user=cast.alice)
    page = client.get(url("detail", cast, review.pk) + "?show=all").content.decode()
    assert reverse("reviews:decide", args=[cast.eddys.pk, review.pk, own.pk]) not in page
    response = client.post(url("decide", cast, review.pk, own.pk), {"decision": "keep"})
    assert response.status_code == 403
    assert b"AR-05" in response.content


def test_a_bad_decision_is_refused_with_a_message(client, cast, review):
    client.force_login(cast.alice)
    target = ReviewItem.objects.get(review=review, user=cast.carol)
    response = client.post(url("decide", cast, review.pk, target.pk), {"decision": "<script>x</script>"})
    assert response.status_code == 400
    assert b"<script>x</script>" not in response.content
    target.refresh_from_db()
    assert target.decision == ""


def test_the_schedule_form_refuses_a_bad_value(client, cast):
    client.force_login(cast.alice)
    assert client.post(url("schedule", cast), {"months": "24"}).status_code == 400
    assert client.post(url("schedule", cast), {"months": "abc"}).status_code == 400
    assert client.post(url("schedule", cast), {"months": "3"}).status_code == 302


def test_downloads_are_audited_and_scoped(client, cast):
    report = report_build(reviews.user_access_report_request(actor=cast.compliance, organization=cast.eddys).pk)
    client.force_login(cast.compliance)
    response = client.get(url("download", cast, report.pk))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="user-access-csv-org')
    assert b"carol" in b"".join(response.streaming_content)
    assert AuditEvent.objects.filter(action="report_download", actor=cast.compliance).exists()
    other = factories.UserFactory(home_organization=cast.other)
    factories.ComplianceAssignmentFactory(user=other, organization=cast.other, granted_by=cast.agency)
    client.force_login(other)
    assert client.get(url("download", cast, report.pk)).status_code == 403


def test_a_report_not_ready_is_not_served(client, cast):
    report = Report.objects.create(
        organization=cast.eddys, kind="user_access_csv", requested_by=cast.alice, requested_at=cast.alice.date_joined
    )
    client.force_login(cast.alice)
    assert client.get(url("download", cast, report.pk)).status_code == 404
    assert client.get(url("report_status", cast, report.pk)).json()["status"] == "pending"


def _organization_with(cast, n):
    org = factories.OrganizationFactory()
    pidsl = factories.PidSlFactory(organization=org)
    primary = factories.UserFactory(home_organization=org)
    factories.AccessFactory(user=primary, pidsl=pidsl, role=Access.Role.PRIMARY)
    for _ in range(n):
        factories.AccessFactory(
            user=factories.UserFactory(home_organization=org), pidsl=pidsl, services=["claims", "portal_services"]
        )
    return primary, reviews.review_create(organization=org, actor=primary)


@pytest.mark.parametrize("size", [5, 40])
def test_the_review_page_runs_constant_queries(client, cast, size, django_assert_max_num_queries):
    primary, review = _organization_with(cast, size)
    client.force_login(primary)
    # 22 before issue 16; its filters add five, none per row: whether the reader reviews here, the
    # reader's and the others' counts (one pass), the PID/SL list, the program's settings and the
    # organization's default decision (AR-06).
    with django_assert_max_num_queries(27):
        response = client.get(
            reverse("reviews:detail", args=[review.organization_id, review.pk]) + "?show=all&scope=all"
        )
    assert response.status_code == 200
    assert len(response.context["rows"]) == min(size + 1, 25)


# --- issue 18: removing the backup says the PID/SL will have none (PU-03) ------------------------


def test_pu03_the_backups_decision_warns_that_the_pidsl_will_have_no_backup(client, cast, review):
    client.force_login(cast.alice)  # AR-05: the Primary User decides the backup's item
    response = client.get(url("detail", cast, review.pk) + "?show=all")
    body = response.content.decode()
    bob = ReviewItem.objects.get(review=review, user=cast.bob)
    carol = ReviewItem.objects.get(review=review, user=cast.carol)
    warning = f'id="no-backup-{bob.pk}"'
    assert warning in body
    assert "bob is the backup Primary User of 110000001A. Removing or deactivating them leaves 110000001A" in body
    assert "PU-03" in body
    # Tied to the decision it is about, and to no other row's.
    assert f'id="decision-{bob.pk}" name="decision" aria-describedby="no-backup-{bob.pk}"' in body
    assert f'id="no-backup-{carol.pk}"' not in body
    assert body.count('data-testid="no-backup-warning"') == 1


def test_pu03_no_warning_where_the_reader_does_not_decide_the_backup(client, cast, review):
    # bob's own item is alice's to decide (AR-05); a reader decides nothing.
    for who in ("bob", "compliance"):
        client.force_login(getattr(cast, who))
        body = client.get(url("detail", cast, review.pk) + "?show=all").content.decode()
        assert 'data-testid="no-backup-warning"' not in body


def test_pu03_a_user_no_longer_the_backup_brings_no_warning(client, cast, review):
    # The warning follows who is the backup now, not the role the review recorded.
    link = cast.access(cast.bob, cast.pidsl_a)
    Access.objects.filter(pk=link.pk).update(role=Access.Role.SUBORDINATE)
    client.force_login(cast.alice)
    body = client.get(url("detail", cast, review.pk) + "?show=all").content.decode()
    assert 'data-testid="no-backup-warning"' not in body
