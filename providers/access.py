"""The low-level writers of the Access table, used only by the services modules.

They do no policy checks: the calling service has checked and holds the locks.
Each keeps the guardian permissions in step in the same transaction.
"""

from django.db import connection
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.compliance import tallies

from . import authority
from .models import Access, PidSl, Service
from .permissions import object_permissions_revoke_ended, object_permissions_sync


def sort_name_for(user) -> str:
    return f"{user.last_name} {user.first_name} {user.username}".lower()


def sort_names_refresh(user) -> None:
    """After a user's name changes, the order their links sort in (a derived column)."""
    Access.objects.filter(user=user).update(sort_name=sort_name_for(user))


def pidsl_lock(pidsl_id: int) -> PidSl:
    """The services' mutex on a PID/SL, taken before anything else they lock there (its links, its
    listed_links count), so every service locks in one order: PID/SL, then Access.

    FOR NO KEY UPDATE: no wait for another transaction's foreign-key check on the row (its audit
    record names the PID/SL), which FOR UPDATE would turn into a deadlock.
    """
    return PidSl.objects.select_for_update(no_key=True).select_related("organization").get(pk=pidsl_id)


def _listed_links_add(access: Access, delta: int) -> None:
    """PidSl.listed_links counts the open links the Subordinates Search Results list (all but the
    Primary User's). The UPDATE locks the PID/SL row, which the caller already holds (pidsl_lock)."""
    if access.role != authority.PRIMARY:
        PidSl.objects.filter(pk=access.pidsl_id).update(listed_links=F("listed_links") + delta)


def _listed_links_subtract(counts: list[tuple[int, int]]) -> None:
    """listed_links of each PID/SL minus its count of links just ended, in one statement."""
    if not counts:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE providers_pidsl p SET listed_links = p.listed_links - c.n "
                "FROM unnest(%s::bigint[], %s::integer[]) AS c(id, n) WHERE p.id = c.id",
                [[pidsl_id for pidsl_id, _ in counts], [n for _, n in counts]],
            )
        return
    for pidsl_id, n in counts:  # SQLite (the laptop demo)
        PidSl.objects.filter(pk=pidsl_id).update(listed_links=F("listed_links") - n)


def listed_links_recount() -> int:
    """Set every PID/SL's listed_links from the Access table: for bulk loads that bypass
    access_open/access_close (generate_scale_data). Returns the number of PID/SLs updated."""
    counts = (
        Access.objects.open()
        .exclude(role=authority.PRIMARY)
        .filter(pidsl=OuterRef("pk"))
        .order_by()
        .values("pidsl")
        .annotate(n=Count("*"))
        .values("n")
    )
    return PidSl.objects.update(listed_links=Coalesce(Subquery(counts), 0))


# Every writer below keeps the finding tallies of the users it changes (audit/compliance/tallies.py).


def access_open(*, user, pidsl: PidSl, role: str, services: list[Service], granted_by) -> Access:
    with tallies.tracking(user_ids=[user.pk]):
        access = Access.objects.create(
            user=user,
            pidsl=pidsl,
            role=role,
            granted_by=granted_by,
            granted_at=timezone.now(),
            sort_name=sort_name_for(user),
        )
        _listed_links_add(access, 1)
        access.services.set(services)
    object_permissions_sync(user=user, pidsl=pidsl)
    return access


def access_close(*, access: Access, ended_by, reason: str) -> None:
    with tallies.tracking(user_ids=[access.user_id]):
        access.ended_at = timezone.now()
        access.ended_by = ended_by
        access.end_reason = reason[:200]
        access.save(update_fields=["ended_at", "ended_by", "end_reason"])
        _listed_links_add(access, -1)
    object_permissions_sync(user=access.user, pidsl=access.pidsl)


def access_close_many(*, access_ids, ended_by, reason: str):
    """access_close for a set of links at once (AR-06's default decision, up to a million links):
    one UPDATE ends those still open, one the PID/SLs' listed_links, one the guardian rows. The caller
    holds the PID/SLs' locks (pidsl_lock's order) and has checked the rules. ``access_ids`` is a
    subquery of Access ids; returns the links this call ended, as a QuerySet."""
    now = timezone.now()
    ending = Access.objects.filter(pk__in=access_ids, ended_at__isnull=True)
    with tallies.tracking(user_ids=ending.order_by().values_list("user_id", flat=True).distinct()):
        ending.update(ended_at=now, ended_by=ended_by, end_reason=reason[:200])
    ended = Access.objects.filter(pk__in=access_ids, ended_at=now)
    # One grouped count, then one UPDATE joined to it. A correlated subquery per PID/SL re-ran the
    # selection of links for each row: minutes at the large organization's million links.
    counts = list(
        ended.exclude(role=authority.PRIMARY)
        .order_by()
        .values("pidsl_id")
        .annotate(n=Count("*"))
        .values_list("pidsl_id", "n")
    )
    _listed_links_subtract(counts)
    object_permissions_revoke_ended(ended)
    return ended


def access_services_replace(*, access: Access, services: list[Service]) -> None:
    # The link's services as the caller read them under its lock (prefetched): remove and add the
    # difference, without set()'s own read of them.
    current = {s.pk: s for s in access.services.all()}
    wanted = {s.pk for s in services}
    stale = [s for pk, s in current.items() if pk not in wanted]
    missing = [s for s in services if s.pk not in current]
    if (stale or missing) and access.ended_at is None:
        tallies.link_services_changing(access, current.values(), services)
    if stale:
        access.services.remove(*stale)
    if missing:
        access.services.add(*missing)
    object_permissions_sync(user=access.user, pidsl=access.pidsl)


def service_codes(access: Access) -> list[str]:
    return sorted(s.code for s in access.services.all())


def role_move(*, user, pidsl: PidSl, role: str, services: list[Service], actor, reason: str) -> Access:
    """Give a user a new role at a PID/SL, ending the link they had there (one open link per user and PID/SL)."""
    current = Access.objects.open().select_for_update().filter(user=user, pidsl=pidsl).first()
    if current is not None:
        access_close(access=current, ended_by=actor, reason=reason)
    return access_open(user=user, pidsl=pidsl, role=role, services=services, granted_by=actor)


def demote_to_subordinate(*, access: Access, actor, reason: str) -> Access:
    """An outgoing Primary User or backup stays linked as a subordinate, keeping every service
    but Manage Subordinate Accounts (PU-04)."""
    keep = authority.kept_when_demoted(access.services.all())
    return role_move(
        user=access.user, pidsl=access.pidsl, role=authority.SUBORDINATE, services=keep, actor=actor, reason=reason
    )
