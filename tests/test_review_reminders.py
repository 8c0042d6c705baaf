"""The daily review job: reviews start on schedule (AR-01), reminders before the due date and an
escalation when overdue (AR-03), each sent once however often the job runs on a day."""

from datetime import timedelta

from django.utils import timezone

from audit.models import AccessReview, ReviewReminder
from audit.reviews import services as reviews
from audit.reviews.reminders import reviews_daily
from providers.models import Notification, Organization


def age(org, months):
    Organization.objects.filter(pk=org.pk).update(created_at=timezone.now() - timedelta(days=31 * months))


def test_ar01_a_review_starts_when_the_schedule_says(cast):
    age(cast.eddys, 7)  # semi-annual by default: due after 6 months
    result = reviews_daily()
    assert result["created"] >= 1
    review = AccessReview.objects.get(organization=cast.eddys, status="open")
    assert review.items.count() > 0
    assert Notification.objects.filter(organization=cast.eddys, kind="review_created").count() == 1
    assert reviews_daily()["created"] == 0  # one open review at a time


def test_ar01_no_review_before_the_schedule_says(cast):
    age(cast.eddys, 2)
    reviews_daily()
    assert not AccessReview.objects.filter(organization=cast.eddys).exists()
    Organization.objects.filter(pk=cast.eddys.pk).update(review_frequency=Organization.ReviewFrequency.QUARTERLY)
    age(cast.eddys, 4)
    reviews_daily()
    assert AccessReview.objects.filter(organization=cast.eddys).exists()


def test_ar03_reminders_go_out_14_7_and_1_days_before_once_each(cast):
    review = reviews.review_create(organization=cast.eddys, actor=cast.alice, due_in_days=14)
    today = timezone.localdate()
    reviews_daily(today)
    reviews_daily(today)  # a rerun the same day sends nothing twice
    assert list(ReviewReminder.objects.values_list("kind", flat=True)) == ["due_14"]
    assert Notification.objects.filter(kind="review_reminder", organization=cast.eddys).count() == 1
    reviews_daily(today + timedelta(days=1))  # 13 days before: nothing
    reviews_daily(today + timedelta(days=7))
    reviews_daily(today + timedelta(days=13))
    assert sorted(ReviewReminder.objects.filter(review=review).values_list("kind", flat=True)) == [
        "due_1",
        "due_14",
        "due_7",
    ]


def test_ar03_an_overdue_review_escalates_to_compliance_officers_and_agency_staff(cast):
    review = reviews.review_create(organization=cast.eddys, actor=cast.alice, due_in_days=1)
    overdue_day = review.due_date + timedelta(days=1)
    reviews_daily(overdue_day)
    reviews_daily(overdue_day)
    escalations = Notification.objects.filter(kind="review_overdue")
    assert set(escalations.exclude(recipient=None).values_list("recipient__username", flat=True)) == {
        "compliance",
        "agency",
    }
    assert escalations.filter(recipient=None, organization=cast.eddys).count() == 1  # the administrators
    count = escalations.count()
    reviews_daily(overdue_day + timedelta(days=1))  # weekly after the first
    assert escalations.count() == count
    reviews_daily(overdue_day + timedelta(days=7))
    assert escalations.count() == 2 * count


def test_a_completed_review_gets_no_reminders(cast):
    review = reviews.review_create(organization=cast.eddys, actor=cast.alice, due_in_days=7)
    AccessReview.objects.filter(pk=review.pk).update(status="completed")
    reviews_daily()
    assert not ReviewReminder.objects.exists()
