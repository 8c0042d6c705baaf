from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from providers.selectors import administrators_by_pidsl, user_accesses

HOME_PAGE_SIZE = 25


@login_required
def home(request):
    """The user's PID/SLs, services at each, and who administers them (IN-01)."""
    page = Paginator(user_accesses(request.user), HOME_PAGE_SIZE).get_page(request.GET.get("page"))
    admins = administrators_by_pidsl(a.pidsl_id for a in page.object_list)
    rows = [(access, admins.get(access.pidsl_id, {})) for access in page.object_list]
    return render(request, "home.html", {"page": page, "rows": rows})
