"""Read-side queries for the Administer Account screens; each a fixed number of queries."""

from django.db.models import Prefetch, Q, QuerySet

from providers import authority
from providers.models import Access, PidSl, Service

SEARCH_WORDS = 4  # "Alma Rivera", "arivera": more words than a name has narrow nothing


def administered_pidsls(user) -> QuerySet[PidSl]:
    """The Provider dropdown: PID/SLs where the user holds Manage Subordinate Accounts (PU-04)."""
    return (
        authority.administered_pidsls(user)
        .only("id", "provider_id", "service_location", "name", "organization_id")
        .order_by("provider_id", "service_location")
    )


def link_exists(access_id: int) -> bool:
    """Whether any link, open or ended, anywhere, has this number (issue 18: none is a 404)."""
    return Access.objects.filter(pk=access_id).exists()


def open_link_at(access_id: int, pidsl: PidSl, *, with_services: bool = False) -> Access | None:
    """An open link of this PID/SL with its user. The PID/SL is the caller's, read with its
    organization by the permission check: joining it again cost more to plan than to run."""
    links = Access.objects.open().filter(pk=access_id, pidsl=pidsl).select_related("user__home_organization")
    if with_services:
        links = links.prefetch_related(Prefetch("services", queryset=Service.objects.order_by("position")))
    access = links.first()
    if access is not None:
        access.pidsl = pidsl
    return access


def organization_users(*, organization_id: int, term: str = "") -> QuerySet:
    """Every user of an organization, with their open links anywhere (LK-02: outside ones too).
    ``term``: each of its words starts the user's first name, last name or user ID (issue 18)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(home_organization_id=organization_id)
    for word in term.split()[:SEARCH_WORDS]:
        users = users.filter(
            Q(username__istartswith=word) | Q(first_name__istartswith=word) | Q(last_name__istartswith=word)
        )
    return users.prefetch_related(
        Prefetch(
            "accesses",
            queryset=Access.objects.open().select_related("pidsl__organization").order_by("pidsl__provider_id"),
            to_attr="open_links",
        )
    ).order_by("last_name", "first_name", "username")


def notifications_for(user):
    from providers.models import Notification

    mine = Q(recipient=user) | Q(
        recipient__isnull=True, organization_id__in=authority.administered_organization_ids(user)
    )
    return (
        Notification.objects.filter(mine)
        .select_related("subject_user", "pidsl", "organization")
        .order_by("-created_at")
    )
