"""AR-07 in the demo: Eddy's access review is overdue, so mhughes lands on it when she signs in, reads
why, and goes on to Home (recorded), where the due date stays in view; axe-core on each page."""

import re

from playwright.sync_api import expect

from audit.models import AccessReview, AuditEvent
from tests.browser.conftest import no_axe_violations


def test_mhughes_lands_on_the_overdue_review_then_goes_on_to_home(page, sign_in, shot, demo):
    review = AccessReview.objects.get(organization__name="Eddy's Group Practice", status="open")
    due = f"{review.due_date:%m/%d/%Y}"

    sign_in("mhughes", go_on=False)
    expect(page).to_have_url(f"{demo.url}/reviews/{review.organization_id}/{review.pk}/")
    notice = page.get_by_test_id("review-first")
    expect(notice).to_contain_text(f"Your organization's access review was due {due}")
    expect(notice.get_by_role("link", name=re.compile(r"^Rule AR-07: "))).to_be_visible()
    no_axe_violations(page)
    shot("review-first")

    # Home is not reachable by the menu until she goes on: it leads back to the review.
    page.get_by_role("navigation", name="Provider Services").get_by_role("link", name="Home").first.click()
    expect(page.get_by_test_id("review-first")).to_be_visible()

    page.get_by_role("button", name="Go on to Home").click()
    expect(page.get_by_text("Welcome mhughes")).to_be_visible()
    line = page.get_by_test_id("review-due")
    expect(line.get_by_role("link", name=f"Access review of Eddy's Group Practice due {due}")).to_be_visible()
    expect(line).to_contain_text("overdue")
    no_axe_violations(page)
    shot("home")
    assert AuditEvent.objects.filter(
        actor__username="mhughes", detail__startswith=f"review {review.pk}: AR-07"
    ).exists()

    page.get_by_role("navigation", name="Provider Services").get_by_role("link", name="View Notifications").click()
    expect(page.get_by_test_id("review-due")).to_contain_text(f"Access review of Eddy's Group Practice due {due}")


def test_mhughes_accepts_some_recommendations_and_the_deadline_decides_the_rest(page, sign_in, shot, demo):
    """Issue 16's demo, end to end: the selected rows by their recommendations, then AR-06 at the
    deadline through `run_daily_jobs --date`, with the notice, the records and the reports."""
    import re
    from datetime import timedelta

    from django.core.management import call_command

    from audit.models import ReviewItem
    from audit.reviews.defaults import DETAIL, deadline
    from providers.models import Notification

    review = AccessReview.objects.get(organization__name="Eddy's Group Practice", status="open")
    sign_in("mhughes", go_on=False)
    page.get_by_label("Recommendation").select_option(label="Remove from the PID/SL")
    page.get_by_role("button", name="Search").click()
    boxes = page.get_by_role("checkbox", name=re.compile(r"^Select "))
    expect(boxes.first).to_be_visible()
    picked = [boxes.nth(i).get_attribute("value") for i in range(min(2, boxes.count()))]
    for value in picked:
        page.locator(f"input[name=items][value='{value}']").check()
    page.get_by_role("button", name="Accept the recommendations for the selected rows").click()
    if page.get_by_role("heading", name="Remove the backup Primary User?").count():
        no_axe_violations(page)
        page.get_by_role("button", name="Remove and leave no backup").click()
    done = page.get_by_test_id("done")
    expect(done.get_by_role("listitem")).to_have_count(len(picked))
    no_axe_violations(page)
    shot("accepted")
    decided = set(ReviewItem.objects.filter(review=review).exclude(decision="").values_list("pk", flat=True))
    assert {int(v) for v in picked} <= decided
    left = ReviewItem.objects.filter(review=review, decision="").count()
    assert left

    # The day before the deadline nothing happens; on it, the rest get the default (AR-06).
    due_by = deadline(review)
    call_command("run_daily_jobs", date=f"{due_by - timedelta(days=1):%Y-%m-%d}")
    assert ReviewItem.objects.filter(review=review, decision="").count() == left
    call_command("run_daily_jobs", date=f"{due_by:%Y-%m-%d}")
    review.refresh_from_db()
    assert review.completed_by_default and not ReviewItem.objects.filter(review=review, decision="").exists()
    assert AuditEvent.objects.filter(detail=f"review {review.pk}: {DETAIL}").count() == left
    assert Notification.objects.filter(organization=review.organization, message__contains="completed by default")

    page.goto(f"{demo.url}/reviews/{review.organization_id}/{review.pk}/")
    expect(page.get_by_text("Completed by default (AR-06)").first).to_be_visible()
    expect(page.get_by_test_id("review-first")).to_have_count(0)  # AR-07 ends with the review
    expect(page.get_by_text("by default (AR-06)", exact=False).nth(1)).to_be_visible()
    no_axe_violations(page)
    shot("completed-by-default")
