"""The review page at any size (issue 16): kept counts (ReviewCount, kept by the database's trigger
in the statement that writes the items) and paging by them (audit/reviews/paging.py)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import ProgramReviewSettings, ReviewCount, ReviewItem
from audit.reviews import services as reviews
from audit.reviews.counts import review_counts_daily, review_counts_drift, review_counts_rebuild
from audit.reviews.defaults import review_decide_by_default
from audit.reviews.paging import ReviewRows, progress
from providers.models import Access
from tests import factories


@pytest.fixture
def review(cast):
    return reviews.review_create(organization=cast.eddys, actor=cast.alice)


def _kept(review):
    return {(c.pidsl_id, c.recommendation): (c.total, c.pending) for c in ReviewCount.objects.filter(review=review)}


def test_creation_keeps_the_counts_the_items_make(cast, review):
    items = ReviewItem.objects.filter(review=review)
    assert sum(total for total, _ in _kept(review).values()) == items.count()
    assert sum(pending for _, pending in _kept(review).values()) == items.count()
    assert review_counts_drift() == []


def test_every_way_of_deciding_keeps_the_counts(cast, review):
    carol = ReviewItem.objects.get(review=review, user=cast.carol)
    reviews.review_decide(actor=cast.alice, item=carol, decision="keep")
    assert progress(review)["decided"] == 1
    assert review_counts_drift() == []
    reviews.review_keep_remaining(actor=cast.alice, review=review)
    assert review_counts_drift() == []
    left = ReviewItem.objects.filter(review=review, decision="").count()
    assert progress(review)["pending"] == left
    # AR-06's bulk UPDATE, one statement for every undecided item.
    review.due_date = timezone.localdate() - timedelta(days=30)
    review.save(update_fields=["due_date"])
    review_decide_by_default(review.pk, timezone.localdate())
    assert progress(review)["pending"] == 0
    assert review_counts_drift() == []


def test_deleting_items_takes_them_out_of_the_counts(cast, review):
    ReviewItem.objects.filter(review=review, user=cast.carol).delete()
    assert review_counts_drift() == []


def test_drift_is_found_rebuilt_and_reported_once(cast, review, caplog):
    # Written with the trigger off (as a restore might): the kept counts no longer agree.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_reviewitem DISABLE TRIGGER audit_review_counts_update")
        cursor.execute("UPDATE audit_reviewitem SET decision = 'keep' WHERE review_id = %s", [review.pk])
        cursor.execute("ALTER TABLE audit_reviewitem ENABLE TRIGGER audit_review_counts_update")
    assert review_counts_drift()
    assert review_counts_daily(timezone.localdate()) == {"review_counts_fixed": len(_kept(review))}
    assert "drifted" in caplog.text
    assert review_counts_drift() == []
    assert progress(review)["pending"] == 0
    assert review_counts_rebuild() == 0  # the second run finds nothing to fix


def _large(cast, per_pidsl):
    """An organization whose PID/SLs were enrolled out of code order, with ``per_pidsl`` users each."""
    org = factories.OrganizationFactory()
    primary = factories.UserFactory(home_organization=org)
    pidsls = []
    for location in ("C", "A", "B"):
        pidsl = factories.PidSlFactory(organization=org, provider_id="987654321", service_location=location)
        factories.AccessFactory(user=primary, pidsl=pidsl, role=Access.Role.PRIMARY)
        for _ in range(per_pidsl):
            factories.AccessFactory(user=factories.UserFactory(home_organization=org), pidsl=pidsl)
        pidsls.append(pidsl)
    return org, primary, reviews.review_create(organization=org, actor=primary)


def test_pages_walk_the_pidsls_in_code_order_and_link_order(cast):
    org, primary, review = _large(cast, 12)
    allowed = {p.pk for p in org.pidsls.all()}
    rows = ReviewRows(review, pending=True, allowed=allowed, exclude_user=primary.pk)
    # AR-05: the reader's own three rows are not theirs to decide, and are counted as others.
    assert rows.count() == 36 and rows.others == 3
    seen = rows[0:25] + rows[25:50]
    assert len(seen) == 36 and len({item.pk for item in seen}) == 36
    codes = [item.pidsl.code for item in seen]
    assert codes == sorted(codes)
    assert primary.pk not in {item.user_id for item in seen}
    for code in {"987654321A", "987654321B", "987654321C"}:
        links = [item.access_id for item in seen if item.pidsl.code == code]
        assert links == sorted(links)
    # Every row (the reader's own too), on one PID/SL, by recommendation.
    b = org.pidsls.get(service_location="B")
    assert ReviewRows(review, pending=False, pidsl_id=b.pk).count() == 13
    assert ReviewRows(review, pending=False, recommendation="remove").count() == sum(
        1 for item in ReviewItem.objects.filter(review=review) if item.recommendation == "remove"
    )


def test_a_decided_row_leaves_the_still_to_decide_pages(cast):
    org, primary, review = _large(cast, 3)
    first = ReviewRows(review, pending=True, exclude_user=primary.pk)[0:1][0]
    reviews.review_decide(actor=primary, item=first, decision="keep")
    after = ReviewRows(review, pending=True, exclude_user=primary.pk)
    assert after.count() == 8 and first.pk not in {item.pk for item in after[0:25]}


@pytest.mark.parametrize("per_pidsl", [4, 30])
def test_the_review_page_reads_no_more_for_a_bigger_review(client, cast, per_pidsl, django_assert_max_num_queries):
    org, primary, review = _large(cast, per_pidsl)
    ProgramReviewSettings.current()
    client.force_login(primary)
    with django_assert_max_num_queries(28):
        response = client.get(reverse("reviews:detail", args=[org.pk, review.pk]) + "?page=2")
    assert response.status_code == 200
    expected = min(max(3 * per_pidsl - 25, 0), 25) if 3 * per_pidsl > 25 else 3 * per_pidsl
    assert len(response.context["rows"]) == expected
    assert response.context["others"] == 3


def test_another_organizations_pidsl_in_the_filter_shows_nothing(client, cast, review):
    client.force_login(cast.alice)
    other = factories.PidSlFactory(organization=cast.other)
    response = client.get(reverse("reviews:detail", args=[cast.eddys.pk, review.pk]) + f"?pidsl={other.code}")
    assert response.status_code == 200 and response.context["rows"] == []
