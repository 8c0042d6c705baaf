from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render

from providers.selectors import administrators_by_pidsl, user_accesses

from .areas import AREAS_BY_SLUG

HOME_PAGE_SIZE = 25


def healthz(request):
    """For load balancers, and the benchmark's framework floor: no database, no session."""
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request):
    """The user's PID/SLs, services at each, and who administers them (IN-01)."""
    page = Paginator(user_accesses(request.user), HOME_PAGE_SIZE).get_page(request.GET.get("page"))
    admins = administrators_by_pidsl(a.pidsl_id for a in page.object_list)
    # Each row: the link, then its Primary and backup (None where missing), rendered inline: an
    # include per cell cost more than the rest of the page.
    rows = [
        (access, [admins.get(access.pidsl_id, {}).get(role) for role in ("primary", "backup")])
        for access in page.object_list
    ]
    return render(request, "home.html", {"page": page, "rows": rows})


@login_required
def area(request, slug):
    """A POSC service area: what it holds and at which of the user's providers they may use it."""
    area = AREAS_BY_SLUG.get(slug)
    if area is None:
        raise Http404("No such area.")
    rows = []
    for access in user_accesses(request.user):
        held = [s for s in access.services.all() if s.code in area.services]
        if held:
            rows.append((access.pidsl, held))
    if not rows:
        raise PermissionDenied("You hold no service of this area.")
    return render(request, "area.html", {"area": area, "rows": rows})
