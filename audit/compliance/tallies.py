"""The kept counts behind five finding rules (FindingTally), so no page counts a rule's matches.

The Compliance pages and the program view read a rule's number for an organization as a sum over a
few of its tally rows; counting the matches themselves meant aggregating the whole access and
services tables (seconds at the state's size). PU-03, US-08 and AR-03 stay counted live: they are
bounded by an organization's PID/SLs, the recent sign-ins and its reviews.

What a tally holds is data, not the rule's threshold (FindingTally's buckets), and it is measured
with the rule's own query (findings.py's ``*_links``), so the rule is said once:
- ``tracking`` wraps every change that can move a count (providers.access's link writers, the
  provider-type change, deactivation and reactivation, a sign-in): it measures the users (or
  organizations) it is given before and after, and adds the difference in the same transaction;
- ``rebuild`` (nightly, beat ``finding-tallies``) measures everything again, replaces the rows and
  reports any drift.

Concurrency: ``tracking`` locks the users it measures first, so two changes to one user's links
(at two PID/SLs, under two different PID/SL locks) measure one after the other; each change's
difference is an additive upsert, in key order, so concurrent changes commute.
"""

import logging
from collections import Counter
from contextlib import contextmanager
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import FindingTally
from . import findings

log = logging.getLogger(__name__)

Key = tuple[int, str, int]  # (organization id, rule, bucket)

# The rules kept here, and the link querysets (findings.py) each is measured with.
PER_USER = {"PU-07": (findings.pu07_links, "held"), "SV-05": (findings.sv05_links, "linked")}
PER_LINK = {"SV-02": findings.sv02_links, "SV-04": findings.sv04_links}
US07 = "US-07"
KEPT = ("PU-07", "US-07", "SV-02", "SV-04", "SV-05")
# The rules whose matches depend on the services held (an Update Subordinate Submit changes only these).
SERVICE_RULES = ("SV-02", "SV-04")


def measure(*, org_ids=None, user_ids=None, rules=KEPT) -> Counter:
    """The tallies of these organizations' or users' links (None: every one), as {key: count}."""
    measured = Counter()
    org = "pidsl__organization_id"
    for rule in rules:
        if rule in PER_USER:
            links, bucket = PER_USER[rule]
            rows = (
                links(org_ids, user_ids).order_by().values_list(org, bucket).annotate(n=Count("user_id", distinct=True))
            )
        elif rule == US07:
            day = TruncDate("last_seen", tzinfo=timezone.get_default_timezone())
            rows = (
                findings.us07_links(org_ids, user_ids)
                .annotate(day=day)
                .order_by()
                .values_list(org, "day")
                .annotate(n=Count("pk"))
            )
        else:
            rows = PER_LINK[rule](org_ids, user_ids).order_by().values_list(org, "pk")
            counted = Counter(org_id for org_id, _ in rows)
            measured.update({(org_id, rule, 0): n for org_id, n in counted.items()})
            continue
        for org_id, value, n in rows:
            measured[(org_id, rule, _bucket(value))] += n
    return measured


def _bucket(value) -> int:
    if isinstance(value, datetime):
        value = value.date()
    return value.toordinal() if isinstance(value, date) else int(value)


def apply(delta: Counter) -> None:
    """Add ``delta`` to the kept rows: one upsert per changed key, in key order (no deadlock
    between two changes adding to the same organization's rows)."""
    changed = sorted((key, n) for key, n in delta.items() if n)
    if not changed:
        return
    table = FindingTally._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (organization_id, rule, bucket, count) VALUES (%s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (organization_id, rule, bucket) DO UPDATE SET count = {table}.count + EXCLUDED.count",
            [(org_id, rule, bucket, n) for (org_id, rule, bucket), n in changed],
        )


def lock_users(user_ids) -> None:
    """The users' rows, locked in id order before they are measured (see the module's docstring)."""
    users = get_user_model().objects.filter(pk__in=user_ids).order_by("pk")
    if connection.vendor == "postgresql":
        list(users.select_for_update(no_key=True).values_list("pk", flat=True))


@contextmanager
def tracking(*, user_ids=None, org_ids=None, rules=KEPT):
    """Keep the tallies through a change to these users' links and accounts (or, for the rules
    that depend on the organization alone, these organizations'): measured before and after."""
    with transaction.atomic():
        if user_ids is not None:
            user_ids = sorted(set(user_ids))
            lock_users(user_ids)
        before = measure(org_ids=org_ids, user_ids=user_ids, rules=rules)
        yield
        after = measure(org_ids=org_ids, user_ids=user_ids, rules=rules)
        after.subtract(before)
        apply(after)


def link_services_changing(access, before, after) -> None:
    """Keep SV-02 and SV-04 through one link's change of services (Update Subordinate's Submit):
    its findings before and after are worked out from the two sets (findings.service_findings), so
    the commonest change measures nothing and writes a tally only when a finding comes or goes.
    The caller holds the link's lock, so changes to one link come one after another."""
    was, now = findings.service_findings(access, before, after)
    org_id = access.pidsl.organization_id
    apply(Counter({(org_id, rule, 0): (rule in now) - (rule in was) for rule in SERVICE_RULES}))


def remeasure(org_ids, rules) -> None:
    """Measure these organizations' tallies of ``rules`` after a change that moved them all (the
    provider-type change: every link's SV-02 and SV-04 at once) and put them in place of the kept
    rows, which are locked first: one measurement instead of tracking's two. A change to one of
    their links made meanwhile waits for the lock, then adds its own difference."""
    org_ids, rules = sorted(set(org_ids)), list(rules)
    rows = FindingTally.objects.filter(organization_id__in=org_ids, rule__in=rules)
    if connection.vendor == "postgresql":
        list(rows.order_by("organization_id", "rule", "bucket").select_for_update().values_list("pk", flat=True))
    fresh = measure(org_ids=org_ids, rules=rules)
    rows.delete()
    FindingTally.objects.bulk_create(
        FindingTally(organization_id=o, rule=r, bucket=b, count=n) for (o, r, b), n in fresh.items() if n
    )


def counts(org_ids, now: datetime) -> dict[int, dict[str, int]]:
    """Each organization's number of findings of every kept rule, as of ``now``: one query over
    their tally rows, the thresholds applied here."""
    inactive_day = findings.inactive_before(now).date().toordinal()
    wanted = (
        Q(rule="PU-07", bucket__gt=settings.POSC_PRIMARY_PIDSL_FINDING)
        | Q(rule="SV-05", bucket__gt=settings.POSC_SUBORDINATE_PIDSL_FINDING)
        | Q(rule=US07, bucket__lt=inactive_day)
        | Q(rule__in=list(PER_LINK))
    )
    found = {org_id: dict.fromkeys(KEPT, 0) for org_id in org_ids}
    rows = (
        FindingTally.objects.filter(wanted, organization_id__in=list(found))
        .order_by()
        .values_list("organization_id", "rule")
        .annotate(n=Sum("count"))
    )
    for org_id, rule, n in rows:
        found[org_id][rule] = n
    return found


def stored(org_ids=None) -> Counter:
    rows = FindingTally.objects.exclude(count=0)
    if org_ids is not None:
        rows = rows.filter(organization_id__in=org_ids)
    values = rows.values_list("organization_id", "rule", "bucket", "count")
    return Counter({(org_id, rule, bucket): n for org_id, rule, bucket, n in values.iterator(chunk_size=20000)})


def _differing(fresh: Counter, kept: Counter) -> set[Key]:
    return {key for key in fresh.keys() | kept.keys() if fresh[key] != kept[key]}


def rebuild(*, expected: bool = False) -> dict:
    """Measure every tally again and put right the organizations whose kept rows differ; returns
    the drift as {"organizations": how many, "rules": {rule: summed difference}} and logs it,
    unless the caller wrote around the services on purpose (``expected``: demo and scale data).

    Two passes, so no sign-in waits for the whole measurement (half a minute at the state's size):
    the first measures everything without a lock; the organizations it finds differing (a drift,
    or a change made while it measured) are measured again with the table locked against the
    writers' upserts (they wait, then add their difference to the rebuilt rows, so nothing made
    meanwhile is lost), and only their rows are replaced."""
    first = _differing(measure(), stored())
    suspects = sorted({org_id for org_id, _, _ in first})
    drift = Counter()
    if suspects:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"LOCK TABLE {FindingTally._meta.db_table} IN EXCLUSIVE MODE")
            fresh, kept = measure(org_ids=suspects), stored(suspects)
            differing = _differing(fresh, kept)
            for org_id, rule, bucket in differing:
                drift[rule] += fresh[(org_id, rule, bucket)] - kept[(org_id, rule, bucket)]
            wrong = {org_id for org_id, _, _ in differing}
            _replace(wrong, fresh)
    else:
        wrong = set()
    report = {"organizations": len(wrong), "rules": dict(drift)}
    if wrong and not expected:
        log.warning("finding tallies drifted and were rebuilt: %s", report)
    return report


def _replace(org_ids, fresh: Counter) -> None:
    FindingTally.objects.filter(organization_id__in=org_ids).delete()
    FindingTally.objects.bulk_create(
        (
            FindingTally(organization_id=o, rule=r, bucket=b, count=n)
            for (o, r, b), n in fresh.items()
            if n and o in org_ids
        ),
        batch_size=5000,
    )


def rebuild_organizations(org_ids) -> None:
    """Measure these organizations' tallies and replace their rows, with the table locked (after a
    load written around the services at these organizations alone, as the benchmark's is)."""
    org_ids = set(org_ids)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {FindingTally._meta.db_table} IN EXCLUSIVE MODE")
        _replace(org_ids, measure(org_ids=sorted(org_ids)))


def finding_tallies_daily(today) -> dict:
    """The nightly job (beat ``finding-tallies``, run_daily_jobs): the day is not used, the
    tallies hold no time (their buckets do)."""
    return rebuild()


def finding_numbers(org_ids, now: datetime) -> dict[int, dict[str, int]]:
    """Every rule's number of findings for each organization, in RULES order: the kept rules from
    their tallies, the others counted (findings.LIVE). What the Compliance pages and the program
    view show."""
    org_ids = list(org_ids)
    kept = counts(org_ids, now)
    live = findings.live_counts(org_ids, now)
    return {
        org_id: {rule: kept[org_id][rule] if rule in KEPT else live[org_id][rule] for rule in findings.RULES}
        for org_id in org_ids
    }
