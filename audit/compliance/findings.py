"""Compliance findings: the states POLICY.md allows but reports until they are fixed.

Every rule of kind "finding" is computed here and nowhere else, so the compliance page, the
nightly scan and any report show the same list. Each rule is one or two set-based queries over
every organization asked for at once: a page or the nightly scan costs the same number of
queries however many PID/SLs, users and sign-ins an organization has.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, RowNumber
from django.urls import reverse
from django.utils import timezone

from providers import authority
from providers.models import Access, Organization, PidSl

from ..models import AccessReview, AuditEvent

HIGH = "high"
MEDIUM = "medium"

# US-08: two successful sign-ins of one user ID from different addresses this close together
# look like two people sharing it. A phone moving between networks or a VPN reconnecting
# looks the same, which is why this is a finding for a person to judge, never a refusal.
SHARED_ID_WINDOW = timedelta(minutes=10)
SHARED_ID_LOOKBACK = timedelta(days=30)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("PU-03", "PID/SL without an active backup, or with an inactive Primary User or backup", HIGH),
        Rule("PU-07", "Primary User of too many PID/SLs", MEDIUM),
        Rule("US-07", "User not signed in for the inactivity window", MEDIUM),
        Rule("US-08", "Signs of a shared user ID", HIGH),
        Rule("SV-02", "Service held where the provider type does not allow it", HIGH),
        Rule("SV-04", "Subordinate holding every grantable service", MEDIUM),
        Rule("SV-05", "Subordinate linked to too many PID/SLs", MEDIUM),
        Rule("AR-03", "Overdue access review", HIGH),
    )
}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    organization_id: int
    subject: str
    action: str
    pidsl: PidSl | None = None
    user: object | None = None
    fix_url: str = ""
    # The backup screen is the Primary User's alone (PU-02); any administrator may use the others.
    fix_primary_only: bool = False

    def as_json(self) -> dict:
        """What a snapshot keeps: codes and user IDs, readable whatever later happens to the rows."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "subject": self.subject,
            "action": self.action,
            "pidsl": self.pidsl.code if self.pidsl else None,
            "user": self.user.username if self.user else None,
            "fix_url": self.fix_url,
        }


def _finding(rule_id: str, organization_id: int, subject: str, action: str, **kwargs) -> Finding:
    return Finding(rule_id, RULES[rule_id].severity, organization_id, subject, action, **kwargs)


class Matches:
    """One rule's findings for the organizations asked. A query-backed rule is counted and sliced in
    SQL, so a page shows 25 findings of an organization with 500,000 without building the rest;
    iterating gives every finding (the nightly scan), a chunk at a time.

    `prepare`, when given, reads what a batch of rows needs in one query (its result is passed to
    `to_finding` with each row), instead of a correlated subquery over every candidate row.
    """

    CHUNK = 2000

    def __init__(self, rows, to_finding: Callable | None = None, *, prepare: Callable | None = None, walk=None):
        self.rows = rows  # a QuerySet, or a list of Findings already built
        self.to_finding = to_finding
        self.prepare = prepare
        self.walk = walk  # a PidslWalk: how a page of one organization's many findings is read
        self.known_count = None  # the kept number (audit/compliance/tallies.py), when the page has it

    def count(self) -> int:
        if self.known_count is not None:
            return self.known_count
        return self.rows.count() if isinstance(self.rows, QuerySet) else len(self.rows)

    def __getitem__(self, window: slice) -> list[Finding]:
        # Django's Paginator slices; so does the Compliance page's preview.
        if self.walk is not None:
            return self._convert(self.walk.rows(window.start or 0, window.stop))
        return self._convert(list(self.rows[window]))

    def __iter__(self) -> Iterator[Finding]:
        if not isinstance(self.rows, QuerySet):
            yield from self._convert(self.rows)
            return
        chunk = []
        for row in self.rows.iterator(chunk_size=self.CHUNK):
            chunk.append(row)
            if len(chunk) == self.CHUNK:
                yield from self._convert(chunk)
                chunk = []
        yield from self._convert(chunk)

    def _convert(self, rows: list) -> list[Finding]:
        if self.to_finding is None or not rows:
            return list(rows)
        if self.prepare is None:
            return [self.to_finding(row) for row in rows]
        prepared = self.prepare(rows)
        return [self.to_finding(row, prepared) for row in rows]


def _who(user) -> str:
    return f"{user.display_name} ({user.username})"


def _update_url(access: Access) -> str:
    return reverse("subordinates:update", kwargs={"pidsl": access.pidsl.code, "access_id": access.pk})


def _backup_url(pidsl: PidSl) -> str:
    return reverse("subordinates:backup", kwargs={"pidsl": pidsl.code})


def _change_primary_url(pidsl: PidSl) -> str:
    return reverse("subordinates:change_primary", kwargs={"pidsl": pidsl.code})


def _last_seen():
    # A user who has never signed in counts from when the link was granted (PU-03, US-07).
    return Coalesce("user__last_login", "granted_at")


def inactive_before(now: datetime) -> datetime:
    """US-07 (and PU-03's inactive administrators): last seen before the start of the Eastern day
    POSC_INACTIVITY_DAYS ago. Whole days, so a day's count holds all day and a link's bucket in the
    kept tallies is the day it was last seen (audit/compliance/tallies.py)."""
    day = timezone.localdate(now) - timedelta(days=settings.POSC_INACTIVITY_DAYS)
    return timezone.make_aware(datetime.combine(day, time.min))


def _scope_q(org_ids, user_ids, prefix: str = "") -> Q:
    q = Q()
    if org_ids is not None:
        q &= Q(**{f"{prefix}pidsl__organization_id__in": org_ids})
    if user_ids is not None:
        q &= Q(**{f"{prefix}user_id__in": user_ids})
    return q


def links_in(org_ids=None, user_ids=None) -> QuerySet[Access]:
    """The open links a rule looks at: of these organizations and users (None: every one)."""
    return Access.objects.open().filter(_scope_q(org_ids, user_ids))


def _ordered(links: QuerySet[Access]) -> QuerySet[Access]:
    # The Subordinates list's order at each PID/SL (last name, first name, user ID): PidslWalk
    # reads the same order from the (pidsl, sort_name) index.
    return links.select_related("user", "pidsl").order_by(
        "pidsl__organization_id", "pidsl__provider_id", "pidsl__service_location", "sort_name", "pk"
    )


class PidslWalk:
    """A page of one organization's findings of a rule with many (US-07, SV-05), read the way a
    person reads them: its PID/SLs in code order and, at each, its links in the Subordinates list
    order, straight from the (pidsl, sort_name) index of open links. A LATERAL subquery per PID/SL
    stops after the rows the page needs, so the first page of 580,000 findings reads a few dozen
    links, where sorting the matches of a PID/SL of 40,000 links came first (PostgreSQL only: the
    demo's SQLite pages the ordered query).

    ``links`` is the rule's finding links (one per finding, filters included); rows are read
    again by id, with their user and PID/SL, for the page alone."""

    def __init__(self, organization_id: int, links: QuerySet[Access]):
        self.organization_id = organization_id
        self.links = links

    def ids(self, start: int, stop: int) -> list[int]:
        if stop is None or stop <= start:
            return []  # an empty page (no findings): [:0] has no SQL
        at_pidsl = (
            self.links.filter(pidsl_id=RawSQL('"walk_p"."id"', ()))
            .order_by("sort_name", "pk")
            .values("id", "sort_name")[:stop]
        )
        sql, params = at_pidsl.query.sql_with_params()
        # The outer ORDER BY names the PID/SL's code alone: the code index gives that order, so no
        # sort waits to see where a PID/SL's rows end (ordering by sort_name as well made it walk
        # every later PID/SL to be sure of the first one's last row, 15 s at the large
        # organization). Every PID/SL before the last one read is read whole; the last may have
        # been cut anywhere, so its first rows are read again in order, and the page is sorted here.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT walk_p.id, walk_p.provider_id, walk_p.service_location, x.sort_name, x.id "  # noqa: S608
                f"FROM providers_pidsl walk_p CROSS JOIN LATERAL ({sql}) x WHERE walk_p.organization_id = %s "
                "ORDER BY walk_p.provider_id, walk_p.service_location LIMIT %s",
                [*params, self.organization_id, stop],
            )
            rows = cursor.fetchall()
        if not rows:
            return []
        last = rows[-1]
        cut = sum(1 for row in rows if row[0] == last[0])
        again = self.links.filter(pidsl_id=last[0]).order_by("sort_name", "pk").values_list("sort_name", "id")[:cut]
        rows = [row for row in rows if row[0] != last[0]] + [(*last[:3], name, pk) for name, pk in again]
        rows.sort(key=lambda row: row[1:])
        return [row[4] for row in rows[start:stop]]

    def rows(self, start: int, stop: int) -> list[Access]:
        ids = self.ids(start, stop)
        by_id = Access.objects.select_related("user", "pidsl").in_bulk(ids)
        return [by_id[pk] for pk in ids]


def _walk(org_ids, links: QuerySet[Access]) -> PidslWalk | None:
    """A PidslWalk for a page of one organization's findings, where PostgreSQL can walk it."""
    if connection.vendor != "postgresql" or len(org_ids) != 1:
        return None
    return PidslWalk(org_ids[0], links)


def _first_at_pidsl(links: QuerySet[Access], role: str) -> QuerySet[Access]:
    """_first_per_user for a PidslWalk: one finding per user and organization, at the first of its
    PID/SLs (code order) where it has a link of ``role``, said as "no earlier such link" (a window
    would number the organization's million links before the first page)."""
    before = OuterRef("pidsl__provider_id")
    earlier = Access.objects.open().filter(
        Q(pidsl__provider_id__lt=before)
        | Q(pidsl__provider_id=before, pidsl__service_location__lt=OuterRef("pidsl__service_location")),
        user_id=OuterRef("user_id"),
        pidsl__organization_id=OuterRef("pidsl__organization_id"),
        role=role,
    )
    return links.exclude(Exists(earlier))


def _open_links_at(org_ids) -> QuerySet[Access]:
    return _ordered(links_in(org_ids))


def _open_links_count(**filters) -> Subquery:
    """The number of open links of the outer row's user (anywhere, every organization)."""
    links = Access.objects.open().filter(user=OuterRef("user_id"), **filters)
    return Subquery(links.values("user_id").annotate(n=Count("pk")).values("n"))


def _first_per_user(links: QuerySet[Access]) -> QuerySet[Access]:
    """One finding per user and organization, at the first of its PID/SLs (in SQL, so it counts and pages)."""
    return links.annotate(
        nth_of_user=Window(
            RowNumber(),
            partition_by=[F("pidsl__organization_id"), F("user_id")],
            order_by=[F("pidsl__provider_id").asc(), F("pidsl__service_location").asc()],
        )
    ).filter(nth_of_user=1)


def _never_or_since(user) -> str:
    if user.last_login is None:
        return "has never signed in"
    return f"has not signed in since {timezone.localdate(user.last_login):%m/%d/%Y}"


def pu03_backup_and_activity(org_ids, now: datetime) -> Matches:
    # Found from plain values, bounded by the organizations' PID/SLs, not their users: which PID/SL
    # and which link each finding names. The rows, words and fix links are made for the findings
    # shown alone (the large organization has 675; a page shows 10).
    return Matches(list(_pu03_weak(org_ids, now)), _pu03_finding, prepare=_pu03_rows)


def _pu03_weak(org_ids, now: datetime) -> Iterator[tuple]:
    """(organization, PID/SL, None) for a PID/SL without a backup; (organization, PID/SL, link)
    for an administrator who is deactivated or has not signed in for the inactivity window."""
    cutoff = inactive_before(now)
    administrators = defaultdict(dict)
    links = (
        links_in(org_ids)
        .filter(role__in=authority.ADMINISTRATOR_ROLES)
        .annotate(last_seen=_last_seen())
        .values_list("pidsl_id", "role", "pk", "user__is_active", "last_seen")
    )
    for pidsl_id, role, pk, active, last_seen in links:
        administrators[pidsl_id][role] = (pk, active and last_seen >= cutoff)
    pidsls = PidSl.objects.filter(organization_id__in=org_ids).order_by("provider_id", "service_location")
    for org_id, pidsl_id in pidsls.values_list("organization_id", "pk"):
        held = administrators[pidsl_id]
        if authority.BACKUP not in held:
            yield org_id, pidsl_id, None
        for role in (authority.PRIMARY, authority.BACKUP):
            if role in held and not held[role][1]:
                yield org_id, pidsl_id, held[role][0]


def _pu03_rows(weak: list[tuple]) -> tuple[dict, dict]:
    """The PID/SLs and links the shown findings name: two queries."""
    pidsls = PidSl.objects.in_bulk([pidsl_id for _, pidsl_id, _ in weak])
    links = Access.objects.select_related("user").in_bulk([pk for _, _, pk in weak if pk is not None])
    return pidsls, links


def _pu03_finding(weak: tuple, rows: tuple[dict, dict]) -> Finding:
    _, pidsl_id, access_id = weak
    pidsl = rows[0][pidsl_id]
    access = rows[1].get(access_id)
    if access is None:
        return _finding(
            "PU-03",
            pidsl.organization_id,
            f"{pidsl} has no backup Primary User.",
            "The Primary User appoints a backup Primary User.",
            pidsl=pidsl,
            fix_url=_backup_url(pidsl),
            fix_primary_only=True,
        )
    problem = "is deactivated" if not access.user.is_active else _never_or_since(access.user)
    subject = f"The {access.get_role_display()} of {pidsl.code}, {_who(access.user)}, {problem}."
    if access.role == authority.PRIMARY:
        # PU-06: only an approved change request replaces a Primary User.
        action, fix_url, primary_only = (
            "File a Primary User change request naming an active replacement.",
            _change_primary_url(pidsl),
            False,
        )
    else:
        action, fix_url, primary_only = (
            "The Primary User appoints an active backup, or the backup signs in.",
            _backup_url(pidsl),
            True,
        )
    return _finding(
        "PU-03",
        pidsl.organization_id,
        subject,
        action,
        pidsl=pidsl,
        user=access.user,
        fix_url=fix_url,
        fix_primary_only=primary_only,
    )


def pu07_links(org_ids=None, user_ids=None) -> QuerySet[Access]:
    """The Primary User links, each with ``held``: how many PID/SLs its user is Primary of."""
    return (
        links_in(org_ids, user_ids)
        .filter(role=authority.PRIMARY)
        .annotate(held=_open_links_count(role=authority.PRIMARY))
    )


def pu07_primary_of_many(org_ids, now: datetime) -> Matches:
    limit = settings.POSC_PRIMARY_PIDSL_FINDING
    primaries = _ordered(pu07_links(org_ids)).filter(held__gt=limit)

    def finding(access: Access) -> Finding:
        return _finding(
            "PU-07",
            access.pidsl.organization_id,
            f"{_who(access.user)} is the Primary User of {access.held} PID/SLs (more than {limit}).",
            "Hand some of these PID/SLs to another Primary User through a change request.",
            pidsl=access.pidsl,
            user=access.user,
            fix_url=_change_primary_url(access.pidsl),
        )

    return Matches(_first_per_user(primaries), finding)


def us07_links(org_ids=None, user_ids=None) -> QuerySet[Access]:
    """The links of active users, each with ``last_seen``. Deactivated users are left out: they
    cannot sign in, and PU-03 reports deactivated administrators."""
    return links_in(org_ids, user_ids).filter(user__is_active=True).annotate(last_seen=_last_seen())


def us07_inactive_users(org_ids, now: datetime) -> Matches:
    cutoff = inactive_before(now)
    links = _ordered(us07_links(org_ids))

    def finding(access: Access) -> Finding:
        primary = access.role == authority.PRIMARY
        return _finding(
            "US-07",
            access.pidsl.organization_id,
            f"{_who(access.user)} at {access.pidsl.code} {_never_or_since(access.user)}.",
            "Replace the Primary User through a change request."
            if primary
            else "Remove the user from the PID/SL if they no longer need access.",
            pidsl=access.pidsl,
            user=access.user,
            fix_url=_change_primary_url(access.pidsl) if primary else _update_url(access),
        )

    walk = _walk(org_ids, us07_links(org_ids).filter(last_seen__lt=cutoff))
    return Matches(links.filter(last_seen__lt=cutoff), finding, walk=walk)


def us08_shared_user_ids(org_ids, now: datetime) -> Matches:
    links = _us08_links(org_ids, now)

    def finding(access: Access) -> Finding:
        when = timezone.localtime(access.shared_at)
        return _finding(
            "US-08",
            access.pidsl.organization_id,
            f"{_who(access.user)} signed in from different addresses within {SHARED_ID_WINDOW.seconds // 60} "
            f"minutes on {when:%m/%d/%Y at %H:%M}.",
            "Ask the user whether someone else used their user ID; reset the password, or give each person "
            "their own user ID (US-01).",
            pidsl=access.pidsl,
            user=access.user,
            fix_url=_update_url(access),
        )

    return Matches(_first_per_user(links), finding)


def _us08_links(org_ids, now: datetime) -> QuerySet[Access]:
    """One query: a correlated self-join of the sign-in records (see SHARED_ID_WINDOW).

    A sign-in counts when the same user signed in again from another address within the window
    after it; comparing each record only with later ones still finds every such pair once.
    """
    sign_ins = AuditEvent.objects.filter(
        action=AuditEvent.Action.SIGN_IN, at__gte=now - SHARED_ID_LOOKBACK, ip_address__isnull=False
    )
    from_elsewhere = sign_ins.filter(
        actor=OuterRef("actor"),
        at__gte=OuterRef("at"),
        at__lte=ExpressionWrapper(OuterRef("at") + SHARED_ID_WINDOW, output_field=DateTimeField()),
    ).exclude(ip_address=OuterRef("ip_address"))
    latest_overlap = (
        sign_ins.filter(actor=OuterRef("user_id")).filter(Exists(from_elsewhere)).order_by("-at").values("at")[:1]
    )
    # Only the links of users with such a pair are looked at: the recent sign-ins are few, an
    # organization's links can be a million.
    shared = sign_ins.filter(Exists(from_elsewhere)).values("actor_id")
    return (
        _open_links_at(org_ids)
        .filter(user_id__in=shared)
        .annotate(shared_at=Subquery(latest_overlap))
        .filter(shared_at__isnull=False)
    )


def sv02_links(org_ids=None, user_ids=None) -> QuerySet[Access]:
    """Open links holding a grant authority's SV-02 test refuses."""
    # The same scope said on the grants, so only their links' grants are read (not a join to the links).
    ineligible = authority.ineligible_grants().filter(_scope_q(org_ids, user_ids, "access__"))
    return links_in(org_ids, user_ids).filter(pk__in=ineligible.values("access_id"))


def sv02_ineligible_grants(org_ids, now: datetime) -> Matches:
    # SV-06 revokes these when a provider type changes; anything left (a restore, a write around the
    # services) is shown here: open links holding a grant authority's SV-02 test refuses.
    links = _ordered(sv02_links(org_ids))

    def finding(access: Access) -> Finding:
        return _finding(
            "SV-02",
            access.pidsl.organization_id,
            f"{_who(access.user)} holds a service that {access.pidsl.code}'s provider type does not allow.",
            "Remove the service from the user, or correct the organization's provider type (SV-06).",
            pidsl=access.pidsl,
            user=access.user,
            fix_url=_update_url(access),
        )

    return Matches(links, finding)


def sv04_links(org_ids=None, user_ids=None) -> QuerySet[Access]:
    """Subordinate links holding every service their PID/SL's provider type lets a subordinate hold."""
    # How many services a subordinate may hold for each provider type, and the same test said in SQL
    # for the services each link holds: both authority's (SV-02, PU-04).
    allowed = authority.allowed_counts_by_type(authority.SUBORDINATE)

    def grantable(pace_sco: bool, ltc: bool) -> Value:
        return Value(allowed[(pace_sco, ltc)])

    pace_sco = Q(pidsl__organization__is_pace=True) | Q(pidsl__organization__is_sco=True)
    ltc = Q(pidsl__organization__is_long_term_care=True)
    held_grantable = authority.held_allowed_q()
    links = links_in(org_ids, user_ids).filter(role=authority.SUBORDINATE)
    # A link needs at least as many services as the smallest grantable set to hold every one: only
    # those few are joined to their services (one GROUP BY of the scope's grants, not a join per link).
    fewest = min(allowed.values())
    crowded = (
        Access.services.through.objects.filter(_scope_q(org_ids, user_ids, "access__"))
        .order_by()
        .values("access_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=fewest)
        .values("access_id")
    )
    return (
        links.filter(pk__in=crowded)
        .annotate(
            held=Count("services", filter=held_grantable),
            grantable=Case(
                When(pace_sco & ltc, then=grantable(True, True)),
                When(pace_sco, then=grantable(True, False)),
                When(ltc, then=grantable(False, True)),
                default=grantable(False, False),
            ),
        )
        .filter(held__gte=F("grantable"))
    )


def service_findings(access: Access, *service_sets) -> list[set[str]]:
    """Which of SV-02 and SV-04 one link would be a finding of, holding each of ``service_sets``:
    the same test sv02_links and sv04_links say in SQL, answered with authority's service_allowed,
    so a change of one link's services keeps the tallies without measuring them (one query at
    most: how many services the provider type lets a subordinate hold)."""
    organization = access.pidsl.organization
    traits = {"pace_sco": organization.is_pace or organization.is_sco, "ltc": organization.is_long_term_care}
    every = None
    answers = []
    for services in service_sets:
        found = set()
        if any(not authority.service_allowed(s.constraint, administrator=True, **traits) for s in services):
            found.add("SV-02")
        if access.role == authority.SUBORDINATE:
            if every is None:
                every = authority.allowed_count(organization, authority.SUBORDINATE)
            if sum(authority.service_allowed(s.constraint, administrator=False, **traits) for s in services) >= every:
                found.add("SV-04")
        answers.append(found)
    return answers


def sv04_full_access(org_ids, now: datetime) -> Matches:
    links = _ordered(sv04_links(org_ids))

    def finding(access: Access) -> Finding:
        return _finding(
            "SV-04",
            access.pidsl.organization_id,
            f"{_who(access.user)} holds every service that can be granted at {access.pidsl.code}.",
            "Keep only the services the user's job needs.",
            pidsl=access.pidsl,
            user=access.user,
            fix_url=_update_url(access),
        )

    return Matches(links, finding)


def sv05_links(org_ids=None, user_ids=None) -> QuerySet[Access]:
    """Subordinate links, each with ``linked``: how many PID/SLs its user is linked to."""
    return links_in(org_ids, user_ids).filter(role=authority.SUBORDINATE).annotate(linked=_open_links_count())


def sv05_linked_to_many(org_ids, now: datetime) -> Matches:
    limit = settings.POSC_SUBORDINATE_PIDSL_FINDING
    # Users over the limit, counted once each in one GROUP BY (a count per link of the organization
    # cost a correlated subquery for each of a million links).
    over = (
        Access.objects.open().order_by().values("user_id").annotate(n=Count("pk")).filter(n__gt=limit).values("user_id")
    )
    links = _ordered(links_in(org_ids)).filter(role=authority.SUBORDINATE, user_id__in=over)

    def linked_counts(rows: list[Access]) -> dict[int, int]:
        # How many PID/SLs each shown user is linked to: one query for the rows being shown.
        users = {access.user_id for access in rows}
        counted = Access.objects.open().filter(user_id__in=users).order_by().values("user_id").annotate(n=Count("pk"))
        return {row["user_id"]: row["n"] for row in counted}

    def finding(access: Access, linked: dict[int, int]) -> Finding:
        return _finding(
            "SV-05",
            access.pidsl.organization_id,
            f"{_who(access.user)} is linked to {linked[access.user_id]} PID/SLs (more than {limit}).",
            "Remove the user from the PID/SLs they no longer work for.",
            pidsl=access.pidsl,
            user=access.user,
            fix_url=_update_url(access),
        )

    # A page of one organization's: each walked link's user counted by index (dense at the state's
    # size: 20,000 of the large organization's users), instead of grouping every link first.
    walk = _walk(org_ids, _first_at_pidsl(sv05_links(org_ids).filter(linked__gt=limit), authority.SUBORDINATE))
    return Matches(_first_per_user(links), finding, prepare=linked_counts, walk=walk)


def ar03_overdue_reviews(org_ids, now: datetime) -> Matches:
    overdue = AccessReview.objects.filter(
        organization_id__in=org_ids, status=AccessReview.Status.OPEN, due_date__lt=timezone.localdate(now)
    )

    def finding(review: AccessReview) -> Finding:
        return _finding(
            "AR-03",
            review.organization_id,
            f"The access review for {review.period_start:%m/%d/%Y}–{review.period_end:%m/%d/%Y} was due "
            f"{review.due_date:%m/%d/%Y}.",
            "The Primary User and backup decide every item of the review and complete it (AR-02).",
            fix_url=reverse("reviews:detail", kwargs={"org": review.organization_id, "review": review.pk}),
        )

    return Matches(overdue.order_by("due_date", "pk"), finding)


RULE_CHECKS = (
    pu03_backup_and_activity,
    pu07_primary_of_many,
    us07_inactive_users,
    us08_shared_user_ids,
    sv02_ineligible_grants,
    sv04_full_access,
    sv05_linked_to_many,
    ar03_overdue_reviews,
)


def findings_for_organizations(org_ids: Iterable[int], *, now: datetime | None = None) -> dict[int, list[Finding]]:
    """Every finding of each organization, grouped by rule in RULES order."""
    org_ids = list(org_ids)
    now = now or timezone.now()
    found = {org_id: [] for org_id in org_ids}
    for check in RULE_CHECKS:
        for finding in check(org_ids, now):
            found[finding.organization_id].append(finding)
    return found


def findings_for_organization(organization: Organization, *, now: datetime | None = None) -> list[Finding]:
    return findings_for_organizations([organization.pk], now=now)[organization.pk]


CHECKS_BY_RULE = dict(zip(RULES, RULE_CHECKS, strict=True))


def rule_matches(organization: Organization, rule_id: str, *, now: datetime | None = None) -> Matches:
    """One rule's findings for one organization, unevaluated: the Compliance pages count and page them."""
    return CHECKS_BY_RULE[rule_id]([organization.pk], now or timezone.now())


def matches_for_organization(organization: Organization, *, now: datetime | None = None) -> dict[str, Matches]:
    now = now or timezone.now()
    return {rule_id: rule_matches(organization, rule_id, now=now) for rule_id in RULES}


# The rules counted when read: bounded by an organization's PID/SLs, the recent sign-ins and its
# reviews. The others' numbers are kept (audit/compliance/tallies.py).
LIVE = ("PU-03", "US-08", "AR-03")


def live_counts(org_ids, now: datetime) -> dict[int, dict[str, int]]:
    """The LIVE rules' numbers of findings for each organization: one query each (PU-03's are built)."""
    org_ids = list(org_ids)
    found = {org_id: dict.fromkeys(LIVE, 0) for org_id in org_ids}
    for org_id, _, _ in _pu03_weak(org_ids, now):
        found[org_id]["PU-03"] += 1
    shared = (
        _us08_links(org_ids, now)
        .order_by()
        .values_list("pidsl__organization_id")
        .annotate(n=Count("user_id", distinct=True))
    )
    overdue = ar03_overdue_reviews(org_ids, now).rows.order_by().values_list("organization_id").annotate(n=Count("pk"))
    for rule, rows in (("US-08", shared), ("AR-03", overdue)):
        for org_id, n in rows:
            found[org_id][rule] = n
    return found


def finding_counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(RULES, 0)
    for finding in findings:
        counts[finding.rule] += 1
    return counts
