"""AR-07 in the demo: Eddy's access review is overdue, so mhughes lands on it when she signs in, reads
why, and goes on to Home (recorded), where the due date stays in view; axe-core on each page."""

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
    expect(notice.get_by_role("link", name="(AR-07)")).to_be_visible()
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
