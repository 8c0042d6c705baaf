"""AR-07: from its due date until it is completed, an organization's access review is the first page its
Primary Users and backups see after signing in (after two-step, terms and a temporary password), with
a way to go on that is recorded; the due date is on Home and View Notifications from 14 days before."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Terms
from audit.models import AccessReview, AuditEvent
from audit.reviews import first
from audit.reviews import services as reviews
from providers.models import Access
from subordinates.services import password_reset_temporary
from tests import factories
from tests.factories import DEMO_PASSWORD
from tests.test_mfa import code_for

LOGIN = reverse("accounts:login")
HOME = reverse("home")
GO_ON = reverse("reviews:go_on")
NOTIFICATIONS = reverse("subordinates:notifications")


def review_of(organization, *, due_in_days: int, actor=None) -> AccessReview:
    review = reviews.review_create(organization=organization, actor=actor)
    AccessReview.objects.filter(pk=review.pk).update(due_date=timezone.localdate() + timedelta(days=due_in_days))
    review.refresh_from_db()
    return review


def detail(review) -> str:
    return reverse("reviews:detail", args=[review.organization_id, review.pk])


def sign_in(client, user, next_url: str = ""):
    response = client.post(
        LOGIN + (f"?next={next_url}" if next_url else ""), {"username": user.username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302, response.content
    return response


def first_page(client, user, next_url: str = ""):
    """Sign in through the form and follow to the first page that is not a redirect."""
    sign_in(client, user, next_url)
    return client.get(next_url or HOME, follow=True)


@pytest.fixture
def overdue(cast):
    return review_of(cast.eddys, due_in_days=-3)


@pytest.mark.parametrize("who", ["alice", "bob", "dave"])
def test_the_primary_users_and_backups_land_on_the_overdue_review(client, cast, overdue, who):
    response = first_page(client, getattr(cast, who))
    assert response.redirect_chain[-1][0] == detail(overdue)
    body = response.content.decode()
    assert f"Your organization's access review was due {overdue.due_date:%m/%d/%Y}" in body
    assert "#AR-07" in body and "Go on to Home" in body


@pytest.mark.parametrize("who", ["carol", "compliance", "erin", "biller"])
def test_nobody_else_is_stopped(client, cast, overdue, who):
    response = first_page(client, getattr(cast, who))
    assert response.redirect_chain == [] and response.status_code == 200


def test_not_before_the_due_date_and_from_the_due_date_on(client, cast):
    review = review_of(cast.eddys, due_in_days=1)
    assert first_page(client, cast.alice).redirect_chain == []
    client.post(reverse("accounts:logout"))
    AccessReview.objects.filter(pk=review.pk).update(due_date=timezone.localdate())
    assert first_page(client, cast.alice).redirect_chain[-1][0] == detail(review)


def test_not_once_the_review_is_completed(client, cast, overdue):
    AccessReview.objects.filter(pk=overdue.pk).update(status=AccessReview.Status.COMPLETED, completed_at=timezone.now())
    assert first_page(client, cast.alice).redirect_chain == []


def test_not_in_a_session_that_did_not_sign_in_here(client, cast, overdue):
    # The gate follows a sign-in; a session started otherwise (the test client's force_login) is not stopped.
    client.force_login(cast.alice)
    assert client.get(HOME).status_code == 200


def test_going_on_is_recorded_and_lasts_for_the_session(client, cast, overdue):
    first_page(client, cast.alice)
    response = client.post(GO_ON)
    assert response.status_code == 302 and response["Location"] == HOME
    event = AuditEvent.objects.get(actor=cast.alice, detail__startswith=f"review {overdue.pk}: AR-07")
    assert event.action == AuditEvent.Action.REVIEW_DEFERRED
    assert event.organization_id == cast.eddys.pk
    assert event.after == {"review": overdue.pk, "due": overdue.due_date.isoformat(), "went_on_to": HOME}
    assert client.get(HOME).status_code == 200
    assert client.get(NOTIFICATIONS).status_code == 200
    # A second "Go on" in the same session records nothing more.
    assert client.post(GO_ON)["Location"] == HOME
    assert AuditEvent.objects.filter(actor=cast.alice, detail__contains="AR-07").count() == 1


def test_the_next_sign_in_shows_it_again(client, cast, overdue):
    first_page(client, cast.alice)
    client.post(GO_ON)
    client.post(reverse("accounts:logout"))
    assert first_page(client, cast.alice).redirect_chain[-1][0] == detail(overdue)


def test_until_going_on_other_pages_lead_back_to_the_review(client, cast, overdue):
    first_page(client, cast.alice)
    assert client.get(NOTIFICATIONS)["Location"] == detail(overdue)
    assert client.get(HOME)["Location"] == detail(overdue)
    # The review pages, the rules, "Stay signed in" and signing out are reachable: no loop.
    assert client.get(detail(overdue)).status_code == 200
    assert client.get(reverse("reviews:organization", args=[cast.eddys.pk])).status_code == 200
    assert client.get(reverse("rules")).status_code == 200
    assert client.post(reverse("accounts:keepalive")).status_code == 200
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert client.get(HOME)["Location"].startswith(LOGIN)


def test_completing_the_review_lets_the_user_through(client, cast, overdue):
    first_page(client, cast.alice)
    AccessReview.objects.filter(pk=overdue.pk).update(status=AccessReview.Status.COMPLETED, completed_at=timezone.now())
    assert client.get(HOME).status_code == 200
    assert first.SESSION_KEY not in client.session


def test_the_notice_goes_once_the_review_it_names_is_closed(client, cast, overdue):
    """Decided by default while the user stayed on the review pages (which the gate does not check):
    the closed review's own page drops the notice, and the next page looks again (AR-07)."""
    first_page(client, cast.alice)
    assert 'data-testid="review-first"' in client.get(detail(overdue)).content.decode()
    AccessReview.objects.filter(pk=overdue.pk).update(status=AccessReview.Status.COMPLETED, completed_at=timezone.now())
    assert 'data-testid="review-first"' not in client.get(detail(overdue)).content.decode()
    assert client.get(HOME).status_code == 200
    assert first.SESSION_KEY not in client.session


def test_continue_returns_to_the_page_asked_for(client, cast, overdue):
    response = first_page(client, cast.alice, next_url=NOTIFICATIONS)
    assert response.redirect_chain[-1][0] == detail(overdue)
    assert "Continue to what I was doing" in response.content.decode()
    assert client.post(GO_ON)["Location"] == NOTIFICATIONS


def test_after_the_terms(client, cast, overdue):
    Terms.objects.create(
        version="2099-01", title="Terms", text="New terms.", published_at=timezone.now() + timedelta(1)
    )
    sign_in(client, cast.alice)
    assert client.get(HOME)["Location"] == reverse("accounts:terms")
    accepted = client.post(reverse("accounts:terms"), {"version": "2099-01", "decision": "accept"})
    assert accepted["Location"] == HOME
    assert client.get(HOME)["Location"] == detail(overdue)


def test_after_the_second_step(client, cast, overdue, settings):
    settings.POSC_MFA_ENFORCED = True
    device = TOTPDevice.objects.create(user=cast.alice, name="app", confirmed=True)
    sign_in(client, cast.alice)
    verify = reverse("accounts:mfa_verify")
    assert client.get(HOME)["Location"] == verify
    assert client.get(detail(overdue))["Location"] == verify
    assert client.post(verify, {"code": code_for(device)}).status_code == 302
    assert client.get(HOME)["Location"] == detail(overdue)


def test_after_the_temporary_password(client, cast, overdue):
    temporary = password_reset_temporary(actor=cast.agency, user=cast.bob)
    client.post(LOGIN, {"username": "bob", "password": temporary})
    change = reverse("accounts:password_change")
    assert client.get(HOME)["Location"] == change
    new = "a-new-password-for-bob-2026"
    assert (
        client.post(change, {"old_password": temporary, "new_password1": new, "new_password2": new})["Location"] == HOME
    )
    assert client.get(HOME)["Location"] == detail(overdue)


def test_the_oldest_overdue_review_first_and_the_others_listed(client, cast, overdue):
    clinic = factories.OrganizationFactory(name="Second Clinic")
    factories.AccessFactory(user=cast.alice, pidsl=factories.PidSlFactory(organization=clinic), role=Access.Role.BACKUP)
    older = review_of(clinic, due_in_days=-10)
    response = first_page(client, cast.alice)
    assert response.redirect_chain[-1][0] == detail(older)
    body = response.content.decode()
    assert (
        f'href="{detail(overdue)}">Access review of Eddy&#x27;s Group Practice</a>, due {overdue.due_date:%m/%d/%Y}'
        in body
    )


def test_the_gate_asks_the_database_once_after_sign_in_then_never(client, cast, overdue):
    first_page(client, cast.alice)
    with CaptureQueriesContext(connection) as pending:
        client.get(detail(overdue))
    client.post(GO_ON)
    with CaptureQueriesContext(connection) as after:
        client.get(HOME)
    client.force_login(cast.alice)  # the same pages without the gate's session key
    with CaptureQueriesContext(connection) as plain_detail:
        client.get(detail(overdue))
    with CaptureQueriesContext(connection) as plain_home:
        client.get(HOME)
    assert len(pending) == len(plain_detail)
    assert len(after) == len(plain_home)


# --- the due date on Home and View Notifications (from 14 days before) ------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "dave", "compliance"])
def test_home_and_notifications_show_the_due_date_to_its_administrators_and_officers(client, cast, who):
    review = review_of(cast.eddys, due_in_days=14)
    client.force_login(getattr(cast, who))
    line = f'href="{detail(review)}">Access review of Eddy&#x27;s Group Practice due {review.due_date:%m/%d/%Y}</a>'
    assert line in client.get(HOME).content.decode()
    notifications = client.get(NOTIFICATIONS).content.decode()
    assert line in notifications
    assert notifications.index(line) < notifications.index("<table")


@pytest.mark.parametrize("who", ["carol", "erin", "biller", "agency"])
def test_nobody_else_sees_it(client, cast, who):
    review_of(cast.eddys, due_in_days=3)
    client.force_login(getattr(cast, who))
    assert "Access review of Eddy" not in client.get(HOME).content.decode()


def test_not_earlier_than_fourteen_days_before_nor_once_completed(client, cast):
    review = review_of(cast.eddys, due_in_days=15)
    client.force_login(cast.alice)
    assert "Access review of" not in client.get(HOME).content.decode()
    AccessReview.objects.filter(pk=review.pk).update(due_date=timezone.localdate() - timedelta(days=2))
    body = client.get(HOME).content.decode()
    assert "Access review of Eddy&#x27;s Group Practice due" in body and "overdue</span>" in body
    AccessReview.objects.filter(pk=review.pk).update(status=AccessReview.Status.COMPLETED, completed_at=timezone.now())
    assert "Access review of" not in client.get(HOME).content.decode()


def test_continue_never_leaves_the_site(client, cast, overdue):
    first_page(client, cast.alice)
    session = client.session
    session[first.SESSION_KEY] = {**session[first.SESSION_KEY], "next": "//evil.example/phish"}
    session.save()
    assert client.post(GO_ON)["Location"] == HOME
