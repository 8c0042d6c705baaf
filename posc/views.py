from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render

from audit.reviews import first as review_first
from audit.reviews.officer import ORGANIZATIONS_ON_HOME, officer_organizations
from posc import screens
from posc.urlcache import cached_reverse
from providers import authority
from providers.selectors import (
    BROADCASTS_ON_HOME,
    administrators_by_pidsl,
    current_broadcasts,
    pidsls_missing_backup,
    service_labels_by_access,
    user_links,
    user_links_holding,
)

from . import health
from .areas import AREAS_BY_SLUG
from .navigation import COMPLIANCE_OFFICER, held_for
from .rules import SECTIONS

HOME_PAGE_SIZE = 25
HOME_LIST_SIZE = 10  # the PID/SLs without a backup Home names; the Compliance page lists every one


def healthz(request):
    """For load balancers, and the benchmark's framework floor: no database, no session."""
    return HttpResponse("ok", content_type="text/plain")


def healthz_ready(request):
    """For operators (issue 15, ASVS 16.5.2): the database and Redis (cache, broker) as JSON; 200 while
    the database answers, degraded or not ("redis": "down"); 503 only when the database does not."""
    report = health.readiness()
    response = JsonResponse(report, status=503 if report["database"] == "down" else 200)
    response["Cache-Control"] = "no-store"
    return response


def rules(request):
    """The Rules page: every rule a refusal or finding names, in plain words (open to everyone:
    the sign-in and registration pages name rules too, and nothing here is private)."""
    return render(request, "rules.html", {"sections": SECTIONS})


@login_required
def home(request):
    """Each person's work (issue 18): the user's PID/SLs, services at each, and who administers
    them (IN-01); a review due (AR-07); a compliance officer's organizations; the PID/SLs the user
    should appoint a backup for (PU-03); the current broadcast messages. A fixed number of queries,
    and those about a role only for users the navigation says hold it."""
    # The services come as labels in one query of their own, not as Service objects prefetched.
    page = Paginator(user_links(request.user), HOME_PAGE_SIZE).get_page(request.GET.get("page"))
    admins = administrators_by_pidsl(a.pidsl_id for a in page.object_list)
    labels = service_labels_by_access(a.pk for a in page.object_list)
    # Each row: the link, its services, then its Primary and backup (None where missing).
    rows = [
        (
            access,
            labels[access.pk],
            [admins.get(access.pidsl_id, {}).get(role) for role in authority.ADMINISTRATOR_ROLES],
        )
        for access in page.object_list
    ]
    # AR-07: the review due date from fourteen days before, for its Primary Users, backups and officers.
    held = held_for(request.user, request.session)
    may_be_due = authority.may_read_review_due(held, COMPLIANCE_OFFICER)
    reviews_due = review_first.reviews_due(request.user) if may_be_due else []
    # PU-02, PU-03: a Primary User whose PID/SL has no backup is offered to appoint one.
    no_backup = pidsls_missing_backup(request.user, HOME_LIST_SIZE) if authority.holds_administration(held) else []
    officer_of = officer_organizations(request.user) if COMPLIANCE_OFFICER in held else []
    return render(
        request,
        "home.html",
        {
            "page": page,
            "rows": rows,
            "reviews_due": reviews_due,
            "no_backup": no_backup[:HOME_LIST_SIZE],
            "more_without_backup": len(no_backup) > HOME_LIST_SIZE,
            "officer_of": officer_of[:ORGANIZATIONS_ON_HOME],
            "more_organizations": len(officer_of) > ORGANIZATIONS_ON_HOME,
            "broadcast_page": Paginator(current_broadcasts(), BROADCASTS_ON_HOME).page(1),
        },
    )


@login_required
def area(request, slug):
    """A POSC service area: what it holds and at which of the user's providers they may use it."""
    area = AREAS_BY_SLUG.get(slug)
    if area is None:
        raise Http404("No such area.")
    # Only the links holding a service of the area, a page at a time (a billing user has 1,000).
    links = user_links_holding(request.user, area.services)
    page = Paginator(links, HOME_PAGE_SIZE).get_page(request.GET.get("page"))
    if not page.object_list:
        screens.refuse(
            request,
            "You hold no service of this area. Ask your organization's Primary User to assign you one.",
            detail=f"area {slug}",
        )
    rows = [(access.pidsl, access.area_services) for access in page.object_list]
    held = held_for(request.user, request.session)
    steps = _next_steps(area, administers=authority.holds_administration(held))
    return render(request, "area.html", {"area": area, "rows": rows, "page": page, "next_steps": steps})


def _next_steps(area, *, administers: bool) -> list[tuple[str, str, str, str]]:
    """What a user of the area does next (issue 18), as (words before, link label, URL, words
    after): the area's own screen, who assigns its services, and for administrators where."""
    steps = []
    if area.next_screen is not None:
        before, label, name = area.next_screen
        steps.append((before + " ", label, cached_reverse(name), "."))
    steps.append(
        (
            "To use this area at a provider not listed below, ask that provider's Primary User to "
            "assign you the service: ",
            "Home",
            cached_reverse("home"),
            " shows whom to contact for each of your providers.",
        )
    )
    if administers:
        steps.append(
            (
                "To give a subordinate this area's services, find them in ",
                "Manage Subordinate Accounts",
                cached_reverse("subordinates:manage"),
                " and assign the services on Update Subordinate.",
            )
        )
    return steps
