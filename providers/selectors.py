"""Read-side queries that pages share. Each runs a fixed number of queries, whatever the rows."""

from collections import defaultdict
from datetime import timedelta
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from . import authority
from .models import Access, BroadcastMessage, PidSl, Service

# Home's broadcast messages: those posted in the last month, the highest priority first; the rest
# are on View Broadcast Messages (docs/decisions.md, issue 18).
BROADCAST_CURRENT_DAYS = 30
BROADCASTS_ON_HOME = 5


def user_links(user) -> QuerySet[Access]:
    """The user's open links with their PID/SL and organization, in provider order (one query)."""
    return (
        Access.objects.open()
        .filter(user=user)
        .select_related("pidsl__organization")
        .order_by("pidsl__provider_id", "pidsl__service_location")
    )


def user_links_holding(user, codes) -> QuerySet[Access]:
    """The user's open links holding any of these services, each with those services in catalog
    order as `area_services` (two queries a page)."""
    return (
        user_links(user)
        .filter(Exists(Access.services.through.objects.filter(access=OuterRef("pk"), service__code__in=codes)))
        .prefetch_related(
            Prefetch(
                "services",
                queryset=Service.objects.filter(code__in=codes).order_by("position"),
                to_attr="area_services",
            )
        )
    )


class Contact(NamedTuple):
    """A Primary User or backup as Home shows them (IN-01)."""

    first_name: str
    last_name: str
    email: str
    phone: str
    is_active: bool


def administrators_by_pidsl(pidsl_ids) -> dict[int, dict[str, Contact]]:
    """IN-01: who the Primary and backup Primary Users of these PID/SLs are (one query).
    Plain values, not model instances: a page of 25 PID/SLs built 100 of those."""
    result: dict[int, dict[str, Contact]] = defaultdict(dict)
    rows = (
        authority.administrator_links()
        .filter(pidsl_id__in=list(pidsl_ids))
        .values_list(
            "pidsl_id",
            "role",
            "user__first_name",
            "user__last_name",
            "user__email",
            "user__phone",
            "user__is_active",
        )
    )
    for pidsl_id, role, *contact in rows:
        result[pidsl_id][role] = Contact(*contact)
    return result


def pidsls_missing_backup(user, limit: int) -> list[PidSl]:
    """PU-03: up to ``limit`` (+1, to tell there are more) of the PID/SLs whose backup the user
    may appoint (PU-02) that have none, in provider order (one query)."""
    backup = Access.objects.open().filter(pidsl_id=OuterRef("pk"), role=authority.BACKUP)
    return list(
        PidSl.objects.filter(pk__in=authority.backup_appointer_pidsl_ids(user))
        .exclude(Exists(backup))
        .only("id", "provider_id", "service_location", "name")
        .order_by("provider_id", "service_location")[: limit + 1]
    )


def backup_user_ids(pidsl_ids) -> dict[int, int]:
    """{PID/SL id: its backup Primary User's id} for those of these PID/SLs that have one (PU-02:
    at most one each; one query)."""
    links = authority.administrator_links().filter(role=authority.BACKUP, pidsl_id__in=list(pidsl_ids))
    return dict(links.values_list("pidsl_id", "user_id"))


def current_broadcasts(now=None) -> list[BroadcastMessage]:
    """The broadcast messages Home shows everyone: posted within BROADCAST_CURRENT_DAYS, at most
    BROADCASTS_ON_HOME, highest priority and newest first (one query)."""
    since = (now or timezone.now()) - timedelta(days=BROADCAST_CURRENT_DAYS)
    return list(
        BroadcastMessage.objects.filter(posted_at__gte=since)
        .only("id", "subject", "body", "priority", "posted_at")
        .order_by("priority", "-posted_at")[:BROADCASTS_ON_HOME]
    )


def service_labels_by_access(access_ids) -> dict[int, list[str]]:
    """The labels of the services each link holds, in catalog order (one query, no Service objects)."""
    result: dict[int, list[str]] = defaultdict(list)
    rows = (
        Access.services.through.objects.filter(access_id__in=list(access_ids))
        .order_by("access_id", "service__position")
        .values_list("access_id", "service__label")
    )
    for access_id, label in rows:
        result[access_id].append(label)
    return result


def pidsl_search(*, business_name: str = "", provider_id: str = "", city: str = "", zip_code: str = "") -> QuerySet:
    """Provider Search (seeds 004): enrolled PID/SLs by business name, provider ID, city, ZIP."""
    qs = PidSl.objects.select_related("organization")
    if business_name:
        qs = qs.filter(Q(name__icontains=business_name) | Q(organization__name__icontains=business_name))
    if provider_id:
        qs = qs.filter(provider_id=provider_id[:9])
        if len(provider_id) == 10:
            qs = qs.filter(service_location=provider_id[9].upper())
    if city:
        qs = qs.filter(city__iexact=city.strip())
    if zip_code:
        qs = qs.filter(zip_code__startswith=zip_code.replace("-", "")[:5])
    return qs.order_by("name", "provider_id", "service_location")
