"""Issue 16: reviews that finish themselves. AR-06 default decisions at the deadline, and the
recommendations (decision aids) computed with the snapshot. Each test fails when its rule goes."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessReview, AuditEvent, EvidencePackage, ProgramReviewSettings, Report, ReviewItem
from audit.reviews import defaults
from audit.reviews import services as reviews
from audit.reviews.evidence import evidence_seal
from audit.reviews.reminders import reviews_daily
from posc.policy import PolicyViolation
from providers import authority
from providers.models import Access, Notification
from tests.helpers import assert_listed_links_match_access, assert_permissions_match_access
from tests.view_helpers import text

User = get_user_model()
DAYS_AGO = timedelta(days=1)


def signed_in(user, days_ago: int | None):
    when = None if days_ago is None else timezone.now() - timedelta(days=days_ago)
    User.objects.filter(pk=user.pk).update(last_login=when)


def granted(cast, user, pidsl, days_ago: int):
    Access.objects.filter(pk=cast.access(user, pidsl).pk).update(granted_at=timezone.now() - timedelta(days=days_ago))


def item(review, user, pidsl) -> ReviewItem:
    return ReviewItem.objects.get(review=review, user=user, pidsl=pidsl)


@pytest.fixture
def active(cast):
    """Everyone signed in yesterday, their links granted a year ago: nothing to recommend."""
    for user in (cast.alice, cast.bob, cast.carol, cast.dave, cast.biller):
        signed_in(user, 1)
    Access.objects.update(granted_at=timezone.now() - timedelta(days=365))
    return cast


# --- recommendations -------------------------------------------------------------------------


def test_recommendation_keep_for_an_active_user(active):
    review = reviews.review_create(organization=active.eddys, actor=active.alice)
    carol = item(review, active.carol, active.pidsl_a)
    assert (carol.recommendation, carol.recommendation_reason) == ("keep", "Signed in within 90 days")


def test_recommendation_remove_when_not_signed_in_for_the_inactivity_window_us07(active):
    signed_in(active.carol, 200)
    review = reviews.review_create(organization=active.eddys, actor=active.alice)
    carol = item(review, active.carol, active.pidsl_a)
    assert carol.recommendation == "remove" and "US-07" in carol.recommendation_reason
    assert "Not signed in for 90 days" in carol.recommendation_reason


def test_recommendation_remove_when_never_signed_in_but_not_for_a_new_link(active):
    signed_in(active.carol, None)
    signed_in(active.bob, None)
    granted(active, active.bob, active.pidsl_a, 5)  # added last week: not yet a finding
    review = reviews.review_create(organization=active.eddys, actor=active.alice)
    carol = item(review, active.carol, active.pidsl_a)
    assert carol.recommendation == "remove" and carol.recommendation_reason.startswith("Never signed in")
    bob = item(review, active.bob, active.pidsl_a)
    assert bob.recommendation == "keep" and "not signed in yet" in bob.recommendation_reason


def test_recommendation_remove_an_outside_user_deactivated_by_the_home_organization_lk03(active):
    User.objects.filter(pk=active.biller.pk).update(is_active=False)
    review = reviews.review_create(organization=active.eddys, actor=active.alice)
    biller = item(review, active.biller, active.pidsl_a)
    assert biller.recommendation == "remove" and "home organization" in biller.recommendation_reason
    assert "LK-03" in biller.recommendation_reason


def test_recommendation_remove_an_outside_user_who_has_not_used_this_pidsl(active):
    signed_in(active.biller, 70)  # within the inactivity window, but before the link was granted
    granted(active, active.biller, active.pidsl_a, 60)
    review = reviews.review_create(organization=active.eddys, actor=active.alice)
    biller = item(review, active.biller, active.pidsl_a)
    assert biller.recommendation == "remove"
    assert biller.recommendation_reason == "Outside user who has not signed in since linked here"


def test_recommendation_never_removes_the_primary_user_pu06(active):
    signed_in(active.alice, 200)
    review = reviews.review_create(organization=active.eddys, actor=active.bob)
    alice = item(review, active.alice, active.pidsl_a)
    assert alice.recommendation == "keep" and "PU-06" in alice.recommendation_reason


def test_recommendation_modify_when_holding_every_grantable_service_sv04(active):
    access = active.access(active.carol, active.pidsl_a)
    access.services.set(authority.organization_services(active.eddys, authority.SUBORDINATE))
    review = reviews.review_create(organization=active.eddys, actor=active.alice)
    carol = item(review, active.carol, active.pidsl_a)
    assert carol.recommendation == "modify" and "SV-04" in carol.recommendation_reason


# --- AR-06: the default decision at the deadline ---------------------------------------------


def deadline_of(review):
    return review.due_date + timedelta(days=ProgramReviewSettings.current().grace_days)


@pytest.fixture
def due_review(active):
    signed_in(active.carol, 200)  # recommended for removal (US-07)
    return reviews.review_create(organization=active.eddys, actor=active.alice)


def run_day(day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return reviews_daily(day)


def test_ar06_nothing_happens_before_the_deadline(cast, due_review, django_capture_on_commit_callbacks):
    assert deadline_of(due_review) == due_review.due_date + timedelta(days=14)  # the default grace
    run_day(deadline_of(due_review) - timedelta(days=1), django_capture_on_commit_callbacks)
    due_review.refresh_from_db()
    assert due_review.status == "open"
    assert not ReviewItem.objects.filter(review=due_review).exclude(decision="").exists()


def test_ar06_the_program_minimum_applies_the_recommendations(cast, due_review, django_capture_on_commit_callbacks):
    result = run_day(deadline_of(due_review), django_capture_on_commit_callbacks)
    assert result["decided_by_default"] == 1
    due_review.refresh_from_db()
    assert due_review.status == "completed" and due_review.completed_by_default
    assert due_review.completed_by is None and "Completed by default (AR-06)" in due_review.attestation
    assert item(due_review, cast.carol, cast.pidsl_a).decision == "remove"
    assert not Access.objects.open().filter(user=cast.carol, pidsl=cast.pidsl_a).exists()
    assert item(due_review, cast.bob, cast.pidsl_a).decision == "keep"
    assert Access.objects.open().filter(user=cast.bob, pidsl=cast.pidsl_a).exists()
    assert_permissions_match_access()
    assert_listed_links_match_access()


def test_ar06_the_organizations_choice_remove_keeps_the_primary_pu06_and_delinks_outside_users_lk03(
    cast, due_review, django_capture_on_commit_callbacks
):
    reviews.review_default_set(actor=cast.alice, organization=cast.eddys, default_decision="remove")
    run_day(deadline_of(due_review), django_capture_on_commit_callbacks)
    for user in (cast.bob, cast.carol, cast.biller):
        assert item(due_review, user, cast.pidsl_a).decision == "remove"
        assert not Access.objects.open().filter(user=user, pidsl=cast.pidsl_a).exists()
    alice = item(due_review, cast.alice, cast.pidsl_a)
    assert alice.decision == "keep"  # PU-06
    assert Access.objects.open().filter(user=cast.alice, pidsl=cast.pidsl_a, role=authority.PRIMARY).exists()
    record = AuditEvent.objects.get(action="review_decision", target_user=cast.alice)
    assert "PU-06" in record.detail
    biller = User.objects.get(pk=cast.biller.pk)
    assert biller.is_active  # LK-03: delinked, never deactivated
    assert not AuditEvent.objects.filter(action="user_deactivate").exists()
    told = Notification.objects.filter(organization=cast.billing, kind="outside_remove", subject_user=cast.biller)
    assert told.count() == 1 and "AR-06" in told.get().message
    assert_permissions_match_access()
    assert_listed_links_match_access()


def test_ar06_the_organizations_choice_keep_is_refused_below_the_program_minimum(cast):
    with pytest.raises(PolicyViolation) as refused:
        reviews.review_default_set(actor=cast.alice, organization=cast.eddys, default_decision="keep")
    assert refused.value.rule == "AR-06"
    with pytest.raises(PolicyViolation):  # the Primary User's choice, not the backup's
        reviews.review_default_set(actor=cast.bob, organization=cast.eddys, default_decision="remove")
    reviews.program_review_settings_set(actor=cast.agency, grace_days=7, minimum_default="keep")
    reviews.review_default_set(actor=cast.alice, organization=cast.eddys, default_decision="keep")
    assert defaults.effective_default(cast.eddys.pk) == "keep"
    # A minimum raised later wins over a weaker choice made before.
    reviews.program_review_settings_set(actor=cast.agency, grace_days=7, minimum_default="remove")
    assert defaults.effective_default(cast.eddys.pk) == "remove"
    with pytest.raises(PolicyViolation):
        reviews.program_review_settings_set(actor=cast.alice, grace_days=7, minimum_default="keep")


def test_ar06_keep_keeps_everything(cast, due_review, django_capture_on_commit_callbacks):
    reviews.program_review_settings_set(actor=cast.agency, grace_days=3, minimum_default="keep")
    reviews.review_default_set(actor=cast.alice, organization=cast.eddys, default_decision="keep")
    run_day(due_review.due_date + timedelta(days=3), django_capture_on_commit_callbacks)
    assert set(ReviewItem.objects.filter(review=due_review).values_list("decision", flat=True)) == {"keep"}
    assert Access.objects.open().filter(user=cast.carol, pidsl=cast.pidsl_a).exists()


def test_ar06_one_record_per_item_reports_evidence_notices_and_a_quiet_second_run(
    cast, due_review, django_capture_on_commit_callbacks
):
    decided = reviews.review_decide(
        actor=cast.alice, item=item(due_review, cast.bob, cast.pidsl_a), decision="keep"
    )  # a person's decision stays theirs
    undecided = ReviewItem.objects.filter(review=due_review, decision="").count()
    day = deadline_of(due_review)
    run_day(day, django_capture_on_commit_callbacks)
    records = AuditEvent.objects.filter(action="review_decision", detail__contains="decided by default at the deadline")
    assert records.count() == undecided
    assert set(records.values_list("target_user_id", "pidsl_id")) == set(
        ReviewItem.objects.filter(review=due_review).exclude(pk=decided.pk).values_list("user_id", "pidsl_id")
    )
    assert item(due_review, cast.bob, cast.pidsl_a).decided_by == cast.alice
    assert AuditEvent.objects.filter(action="review_complete", detail__contains="completed by default").count() == 1
    assert set(Report.objects.filter(review=due_review).values_list("kind", "status")) == {
        ("review_csv", "done"),
        ("review_pdf", "done"),
    }
    evidence_seal(due_review.pk)  # as the last report's worker does
    package = EvidencePackage.objects.get(review=due_review)
    assert package.manifest
    notices = Notification.objects.filter(kind="review_overdue", message__contains="completed by default")
    assert set(notices.values_list("organization_id", "recipient_id")) == {
        (cast.eddys.pk, None),  # the organization's Primary Users and backups
        (cast.eddys.pk, cast.compliance.pk),
    }
    # Idempotent: the same date again changes and sends nothing.
    counts = (AuditEvent.objects.count(), Notification.objects.count(), Report.objects.count())
    assert run_day(day, django_capture_on_commit_callbacks)["decided_by_default"] == 0
    assert (AuditEvent.objects.count(), Notification.objects.count(), Report.objects.count()) == counts
    assert AccessReview.objects.get(pk=due_review.pk).status == "completed"


def test_ar06_a_decision_after_the_default_names_it(cast, due_review, django_capture_on_commit_callbacks):
    stale = item(due_review, cast.bob, cast.pidsl_a)
    run_day(deadline_of(due_review), django_capture_on_commit_callbacks)
    with pytest.raises(PolicyViolation):
        reviews.review_decide(actor=cast.alice, item=stale, decision="remove")


# --- the review page a large organization works through ---------------------------------------


def _post_many(client, review, items, **data):
    url = reverse("reviews:decide_many", args=[review.organization_id, review.pk])
    return client.post(url, {"items": [i.pk for i in items], **data})


def test_bulk_decide_applies_authority_per_item_ar05_and_says_what_it_did(client, due_review):
    review = due_review
    alice = User.objects.get(username="alice")
    client.force_login(alice)
    own = ReviewItem.objects.get(review=review, user=alice)
    carol = ReviewItem.objects.get(review=review, user__username="carol")
    response = _post_many(client, review, [own, carol], decision="keep")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Kept carol at 110000001A" in text
    assert "AR-05" in text  # her own access is the other administrator's
    own.refresh_from_db()
    carol.refresh_from_db()
    assert own.decision == "" and carol.decision == "keep" and carol.decided_by == alice


def test_bulk_accept_recommendations_removes_what_is_recommended(client, due_review):
    alice = User.objects.get(username="alice")
    client.force_login(alice)
    carol = ReviewItem.objects.get(review=due_review, user__username="carol")
    biller = ReviewItem.objects.get(review=due_review, user__username="biller")
    assert carol.recommendation == "remove" and biller.recommendation == "keep"
    response = _post_many(client, due_review, [carol, biller], accept="1")
    text = response.content.decode()
    assert "Removed carol from 110000001A" in text and "Kept biller at 110000001A" in text
    assert not Access.objects.open().filter(user__username="carol", pidsl__service_location="A").exists()


def test_removing_the_backup_asks_first_naming_pu03(client, due_review):
    alice = User.objects.get(username="alice")
    client.force_login(alice)
    bob = ReviewItem.objects.get(review=due_review, user__username="bob")
    asked = _post_many(client, due_review, [bob], decision="remove")
    asked_text = asked.content.decode()
    assert "110000001A will have no backup Primary User" in asked_text and "PU-03" in asked_text
    assert Access.objects.open().filter(user__username="bob", role=authority.BACKUP).exists()  # not yet
    with pytest.raises(PolicyViolation) as refused:  # the service asks too
        reviews.review_decide_many(actor=alice, review=due_review, item_ids=[bob.pk], decision="remove")
    assert refused.value.rule == "PU-03"
    done = _post_many(client, due_review, [bob], decision="remove", confirmed="1")
    assert "Removed bob from 110000001A" in done.content.decode()
    assert not Access.objects.open().filter(user__username="bob", role=authority.BACKUP).exists()


def test_the_page_shows_the_readers_rows_filters_and_progress_in_constant_queries(
    client, due_review, django_assert_max_num_queries
):
    alice = User.objects.get(username="alice")
    client.force_login(alice)
    url = reverse("reviews:detail", args=[due_review.organization_id, due_review.pk])
    # 29: the kept counts, the reader's own rows, the page's ids and its rows (audit/reviews/paging.py)
    # where one counting pass and one page query read the whole review before; and who is each shown
    # PID/SL's backup now (the PU-03 warning of issue 18), one query whatever the page's size.
    with django_assert_max_num_queries(29):
        response = client.get(url + "?recommendation=remove&pidsl=110000001A")
    rows = [item for item, _ in response.context["rows"]]
    assert [i.user.username for i in rows] == ["carol"]
    assert "Not signed in for 90 days (US-07)" in text(response)
    everything = client.get(url)
    assert alice.pk not in [i.user_id for i, _ in everything.context["rows"]]  # AR-05: hers is bob's
    assert everything.context["others"] >= 1 and "<progress" in everything.content.decode()
