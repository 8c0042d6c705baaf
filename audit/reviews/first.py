"""AR-07: the overdue review first after signing in, and the review due date on Home and in View
Notifications from fourteen days before.

From its due date until it is completed (by a person, or by default at the deadline, AR-06), an
organization's open review is the first page its Primary Users and backups see after signing in,
once the other sign-in steps are done (two-step, terms, temporary password: AccountGateMiddleware
runs first and this middleware is never reached while one of them is pending). While the review is
pending in the session, the review pages are open and every other page leads back to it; "Go on"
(a POST, audited) or completing the review ends that for the session.

Cost: one query on the first page after sign-in, then nothing while the session says "nothing
overdue" (the key is gone) or while the user stays on the review pages. Leaving them before going
on asks again (one query), so a review completed meanwhile lets the user through.
"""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from posc.urlcache import cached_reverse
from providers import authority

from ..models import AccessReview, AuditEvent
from ..services import audit_record

SESSION_KEY = "posc_review_first"
CHECK = "check"  # set at sign-in: look for an overdue review on the next page
NOTICE_DAYS = 14  # AR-07: the due date shows on Home and View Notifications from 14 days before
# Reachable while the review is pending, besides the review pages and the account pages (sign-out,
# "Stay signed in", the sign-in steps themselves, so a password change's POST is never redirected).
_ALWAYS = ("rules", "healthz", "healthz_ready")


def signed_in(request) -> None:
    """Called by the sign-in view on success: the next page after the remaining sign-in steps looks
    for an overdue review (sessions started otherwise, such as the test client's, are not stopped)."""
    request.session[SESSION_KEY] = CHECK


def overdue_reviews(user, today: date | None = None) -> list[AccessReview]:
    """AR-07: the open reviews due today or earlier of the organizations the user runs reviews for,
    the oldest due first. One query."""
    today = today or timezone.localdate()
    return list(
        AccessReview.objects.filter(
            status=AccessReview.Status.OPEN,
            due_date__lte=today,
            organization_id__in=authority.review_first_organization_ids(user),
        )
        .select_related("organization")
        .only("pk", "due_date", "organization__name")
        .order_by("due_date", "pk")
    )


def reviews_due(user, today: date | None = None) -> list[AccessReview]:
    """AR-07: the open reviews due within NOTICE_DAYS or overdue that Home and View Notifications show
    the user (Primary Users, backups and compliance officers of the organization), soonest due
    first, each with ``overdue`` and ``due_today``. One query."""
    today = today or timezone.localdate()
    reviews = list(
        AccessReview.objects.filter(authority.review_due_reader_q(user))
        .filter(status=AccessReview.Status.OPEN, due_date__lte=today + timedelta(days=NOTICE_DAYS))
        .select_related("organization")
        .only("pk", "due_date", "organization__name")
        .order_by("due_date", "pk")
    )
    for review in reviews:
        review.overdue = review.due_date < today
        review.due_today = review.due_date == today
    return reviews


def _entry(review: AccessReview) -> dict:
    return {
        "review": review.pk,
        "org": review.organization_id,
        "name": review.organization.name,
        "due": review.due_date.isoformat(),
    }


def pending(request) -> dict | None:
    """The overdue review this session was sent to and has not gone on from, or None."""
    state = request.session.get(SESSION_KEY)
    return state if isinstance(state, dict) else None


def shown_closed(request, review) -> None:
    """The review page of a review that is no longer open (completed, or decided by default): if it
    is the one this session was sent to, its notice goes and the next page looks again (another
    review may still be overdue). The gate reads no review on review pages, so it is told here."""
    state = pending(request)
    if state is not None and state.get("review") == review.pk and review.status != AccessReview.Status.OPEN:
        request.session[SESSION_KEY] = CHECK


def _on_review_pages(path: str) -> bool:
    return path.startswith(cached_reverse("reviews:index"))


def _always_reachable(path: str) -> bool:
    accounts = cached_reverse("accounts:logout").removesuffix("logout/")
    return path.startswith(accounts) or path in {cached_reverse(name) for name in _ALWAYS}


def _gate_state(request):
    """The session's AR-07 state where the gate applies: a signed-in user's page, not a static file
    nor an always-reachable one; None elsewhere (and no session is read for anonymous requests)."""
    authenticated = getattr(request, "user", None) is not None and request.user.is_authenticated
    if not authenticated or request.path.startswith(settings.STATIC_URL) or _always_reachable(request.path):
        return None
    return request.session.get(SESSION_KEY)


def _next_path(request, state) -> str:
    """Where "Continue" returns: the page the user asked for (a GET of this site), not Home."""
    if request.method == "GET" and request.path != cached_reverse("home") and not _on_review_pages(request.path):
        return request.get_full_path()
    return state.get("next", "") if isinstance(state, dict) else ""


class ReviewFirstMiddleware:
    """AR-07, after AccountGateMiddleware (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = _gate_state(request)
        if not state:
            return self.get_response(request)
        on_review = _on_review_pages(request.path)
        if state != CHECK and on_review:
            return self.get_response(request)
        reviews = overdue_reviews(request.user)
        if not reviews:
            request.session.pop(SESSION_KEY, None)
            return self.get_response(request)
        first, *others = reviews
        fresh = {**_entry(first), "others": [_entry(r) for r in others], "next": _next_path(request, state)}
        if fresh != state:
            request.session[SESSION_KEY] = fresh
        if on_review:
            return self.get_response(request)
        return redirect(reverse("reviews:detail", args=[first.organization_id, first.pk]))


def notice(request) -> dict | None:
    """What the review page's AR-07 notice shows, from the session (no query)."""
    state = pending(request)
    if state is None:
        return None
    return {
        **state,
        "due": date.fromisoformat(state["due"]),
        "others": [{**o, "due": date.fromisoformat(o["due"])} for o in state.get("others", [])],
        "continues": bool(state.get("next")),
    }


class ReviewFirstContinueView(LoginRequiredMixin, View):
    """AR-07's "Go on": leave the overdue review for the rest of the session; audited (AU-01)."""

    http_method_names = ["post"]

    def post(self, request):
        state = request.session.pop(SESSION_KEY, None)
        home = cached_reverse("home")
        if not isinstance(state, dict):
            return redirect(home)
        target = state.get("next") or home
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
            target = home
        review = get_object_or_404(AccessReview.objects.select_related("organization"), pk=state["review"])
        audit_record(
            action=AuditEvent.Action.REVIEW_DEFERRED,
            actor=request.user,
            organization=review.organization,
            after={"review": review.pk, "due": review.due_date.isoformat(), "went_on_to": target},
            detail=(
                f"review {review.pk}: AR-07 went on without completing the review due "
                f"{review.due_date:%m/%d/%Y}; shown first after sign-in"
            ),
        )
        return redirect(target)
