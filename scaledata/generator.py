"""A state-sized, deterministic data set for load tests (issue 6), written with PostgreSQL's COPY.

The shape: one large organization (hundreds of PID/SLs, tens of thousands of users), one PID/SL
with 20,000 subordinates, a billing intermediary whose user is linked to 1,000 PID/SLs, and
thousands of ordinary organizations. Every row obeys the policy (one Primary and one backup per
PID/SL, PU-04/05, SV-01/02, one ID per person), guardian permissions equal the Access table, and
the audit records carry a valid hash chain. Rows are generated in Python and streamed to COPY in
chunks, so memory stays flat whatever the size.
"""

import io
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import DatabaseError, connection, transaction

from accounts.legal import FIRST_VERSION
from audit.chain import record_hash
from audit.compliance import tallies
from providers import authority, catalog
from providers.access import listed_links_recount
from providers.models import Service

BENCH_PASSWORD = "bench-scale-password-2026"
CHUNK = 200_000
SUBORDINATE_EXTRAS = ("claims", "provider_reports", "member_eligibility", "batch_files", "referrals", "financial_data")


@dataclass(frozen=True)
class Size:
    organizations: int
    pidsls: int
    users: int
    access: int
    audit: int
    large_pidsls: int
    large_users: int
    big_pidsl_subordinates: int
    billing_links: int
    large_access: int  # open links to the large organization's PID/SLs (its User Access Report)


SIZES = {
    "default": Size(5_000, 20_000, 300_000, 1_500_000, 5_000_000, 500, 50_000, 20_000, 1_000, 1_000_000),
    "small": Size(60, 300, 4_000, 16_000, 30_000, 40, 1_500, 600, 50, 8_000),
}


class _Copier:
    """Buffers rows for one table and sends them with COPY when the buffer is full."""

    def __init__(self, cursor, table: str, columns: tuple[str, ...]):
        self.cursor, self.table, self.columns = cursor, table, columns
        self.buffer, self.rows, self.total = io.StringIO(), 0, 0

    def add(self, *values) -> None:
        self.buffer.write("\t".join(_text(v) for v in values))
        self.buffer.write("\n")
        self.rows += 1
        if self.rows >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        self.buffer.seek(0)
        self.cursor.copy_expert(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN", self.buffer)
        self.total += self.rows
        self.buffer, self.rows = io.StringIO(), 0


def _text(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def _first(user_id: int) -> str:
    return f"First{user_id % 997}"


def _next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 - our own table names
    return cursor.fetchone()[0]


class ScaleData:
    def __init__(self, size: Size, seed: int = 2026, log=print):
        self.size, self.rng, self.log = size, random.Random(seed), log
        self.now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
        self.services = {s.code: s for s in Service.objects.all()}
        perms = Permission.objects.filter(content_type__app_label="providers", codename__startswith="svc_")
        self.permission_ids = {p.codename.removeprefix("svc_"): p.pk for p in perms}

    # --- layout -------------------------------------------------------------------------------------

    def _plan(self):
        """Which organization owns how many PID/SLs and users (index 0 large, 1 billing, rest even)."""
        size = self.size
        rest_orgs = size.organizations - 2
        rest_pidsls = size.pidsls - size.large_pidsls - 1
        rest_users = size.users - size.large_users - 3
        pidsls = [size.large_pidsls, 1] + [
            rest_pidsls // rest_orgs + (i < rest_pidsls % rest_orgs) for i in range(rest_orgs)
        ]
        users = [size.large_users, 3] + [
            rest_users // rest_orgs + (i < rest_users % rest_orgs) for i in range(rest_orgs)
        ]
        return pidsls, users

    def generate(self) -> dict:
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor
            self._skip_foreign_key_checks(wrapper)
            base = {
                t: _next_id(cursor, t)
                for t in (
                    "providers_organization",
                    "providers_pidsl",
                    "accounts_user",
                    "providers_access",
                    "providers_access_services",
                    "providers_pidsluserobjectpermission",
                    "audit_auditevent",
                )
            }
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            dropped = self._drop_secondary_indexes(cursor)
            counts = self._write(cursor, base)
            self.log(f"rebuilding {len(dropped)} indexes")
            for definition in dropped:
                cursor.execute(definition)
            for table in base:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
                )
            listed_links_recount()
            cursor.execute("ANALYZE")
            # Written around the services, so the finding tallies are measured once, whole.
            tallies.rebuild(expected=True)
        return counts

    BULK_TABLES = (
        "providers_access",
        "providers_access_services",
        "providers_pidsluserobjectpermission",
        "audit_auditevent",
    )

    def _drop_secondary_indexes(self, cursor) -> list[str]:
        """Building an index once after the load is far cheaper than growing it row by row. Indexes
        behind a primary key or unique constraint stay (the load must still obey them)."""
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = ANY(%s) AND NOT EXISTS (
                SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """,
            [list(self.BULK_TABLES)],
        )
        rows = cursor.fetchall()
        for name, _ in rows:
            cursor.execute(f'DROP INDEX "{name}"')
        return [definition for _, definition in rows]

    @staticmethod
    def _skip_foreign_key_checks(cursor) -> None:
        """The rows are generated consistent, so PostgreSQL's per-row foreign-key triggers only cost
        time (Django's are deferred to commit: millions of queued checks). Needs a superuser;
        without one the load is slower, not wrong."""
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            pass

    def _write(self, cursor, base) -> dict:
        size, rng, now = self.size, self.rng, self.now
        pidsl_counts, user_counts = self._plan()
        password = make_password(BENCH_PASSWORD)
        org_copy = _Copier(
            cursor,
            "providers_organization",
            ("id", "name", "kind", "is_long_term_care", "is_pace", "is_sco", "created_at", "review_frequency"),
        )
        pidsl_copy = _Copier(
            cursor,
            "providers_pidsl",
            (
                "id",
                "organization_id",
                "provider_id",
                "service_location",
                "name",
                "street",
                "city",
                "state",
                "zip_code",
                "created_at",
            ),
        )
        user_copy = _Copier(
            cursor,
            "accounts_user",
            (
                "id",
                "password",
                "last_login",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
                "middle_initial",
                "birth_month",
                "birth_day",
                "pin",
                "zip_code",
                "phone",
                "home_organization_id",
                "must_change_password",
                "terms_version",
                "terms_accepted_at",
            ),
        )
        org_ids, org_pidsls, org_users, org_traits = [], [], [], []
        pidsl_id, user_id = base["providers_pidsl"], base["accounts_user"]
        for index in range(size.organizations):
            org_id = base["providers_organization"] + index
            kind = "billing_intermediary" if index == 1 else "provider"
            ltc, pace = index % 50 == 7, index % 97 == 11
            name = {0: "Commonwealth Health Network", 1: "Scale Billing Services"}.get(
                index, f"Scale Provider {index:05d}"
            )
            org_copy.add(org_id, name, kind, ltc, pace, False, now - timedelta(days=400), 6)
            org_ids.append(org_id)
            org_traits.append((ltc, pace))
            ids = list(range(pidsl_id, pidsl_id + pidsl_counts[index]))
            for n, pid in enumerate(ids):
                provider_id = f"{600000000 + index * 10 + n // 26:09d}" if index else f"{700000000 + n // 26:09d}"
                location = chr(ord("A") + n % 26)
                pidsl_copy.add(
                    pid,
                    org_id,
                    provider_id,
                    location,
                    f"{name} site {n + 1}",
                    f"{n + 1} Main St",
                    "Boston",
                    "MA",
                    f"{2108 + index % 900:05d}",
                    now - timedelta(days=400),
                )
            pidsl_id += len(ids)
            org_pidsls.append(ids)
            users = list(range(user_id, user_id + user_counts[index]))
            for n, uid in enumerate(users):
                last_login = now - timedelta(days=rng.randint(0, 140), minutes=rng.randint(0, 1440))
                user_copy.add(
                    uid,
                    password,
                    last_login,
                    False,
                    f"u{uid}",
                    _first(uid),
                    f"Last{uid}",
                    f"u{uid}@example.org",
                    False,
                    True,
                    now - timedelta(days=300),
                    "",
                    1 + n % 12,
                    1 + n % 28,
                    f"{n % 10000:04d}",
                    "02108",
                    "",
                    org_id,
                    False,
                    FIRST_VERSION,
                    now - timedelta(days=290),
                )
            user_id += len(users)
            org_users.append(users)
        for copier in (org_copy, pidsl_copy, user_copy):
            copier.flush()
        self.log(f"organizations {org_copy.total}, PID/SLs {pidsl_copy.total}, users {user_copy.total}")

        links = self._links(org_pidsls, org_users)
        access_total, svc_total = self._write_access(cursor, base, links, org_pidsls, org_traits)
        self.log(f"access rows {access_total}, service grants and guardian permissions {svc_total} each")
        audit_total = self._write_audit(cursor, base, org_ids, org_pidsls, org_users)
        self.log(f"audit records {audit_total}")
        return {
            "organizations": org_copy.total,
            "pidsls": pidsl_copy.total,
            "users": user_copy.total,
            "access": access_total,
            "services": svc_total,
            "audit": audit_total,
        }

    def _links(self, org_pidsls, org_users):
        """Yield (user, pidsl, role, org index) for every open link, meeting the access budget exactly."""
        size = self.size
        budget = size.access
        # Primaries and backups: one Primary per 25 PID/SLs (PU-07's finding threshold), backups likewise.
        admins = set()
        for index, (pidsls, users) in enumerate(zip(org_pidsls, org_users, strict=True)):
            groups = max(1, (len(pidsls) + 24) // 25)
            for n, pid in enumerate(pidsls):
                group = n // 25
                primary, backup = users[group % len(users)], users[(groups + group) % len(users)]
                admins.update((primary, backup))
                yield primary, pid, authority.PRIMARY, index
                yield backup, pid, authority.BACKUP, index
                budget -= 2
        large_pidsls, large_users = org_pidsls[0], org_users[0]
        big_pidsl = large_pidsls[0]
        big_set = [u for u in large_users if u not in admins][: size.big_pidsl_subordinates]
        for user in big_set:
            yield user, big_pidsl, authority.SUBORDINATE, 0
        budget -= len(big_set)
        billing_user = org_users[1][2]
        others = [p for pidsls in org_pidsls[2:] for p in pidsls]
        step = max(1, len(others) // size.billing_links)
        for pid in others[::step][: size.billing_links]:
            yield billing_user, pid, "billing", 1
            budget -= 1
        # The large organization's staff first, up to its share; then everyone else. Round r links
        # each subordinate to the r-th next PID/SL of their organization, so no pair repeats.
        large_budget = size.large_access - 2 * len(large_pidsls) - len(big_set)
        large_staff = [u for u in large_users if u not in admins]
        choices = large_pidsls[1:]
        for rounds in range(len(choices)):
            for offset, user in enumerate(large_staff):
                if large_budget <= 0:
                    break
                yield user, choices[(offset + rounds) % len(choices)], authority.SUBORDINATE, 0
                large_budget -= 1
                budget -= 1
        subordinates = [
            (index, [u for u in users if u not in admins and u != billing_user])
            for index, users in enumerate(org_users)
            if index > 0
        ]
        rounds = 0
        while budget > 0:
            placed = 0
            for index, users in subordinates:
                pidsls = org_pidsls[index]
                if rounds >= len(pidsls):
                    continue
                for offset, user in enumerate(users):
                    if budget <= 0:
                        return
                    yield user, pidsls[(offset + rounds) % len(pidsls)], authority.SUBORDINATE, index
                    budget -= 1
                    placed += 1
            rounds += 1
            if not placed:
                raise ValueError("The size asks for more links than the organizations can hold.")

    def _write_access(self, cursor, base, links, org_pidsls, org_traits):
        rng, now = self.rng, self.now
        access_copy = _Copier(
            cursor, "providers_access", ("id", "user_id", "pidsl_id", "role", "granted_at", "end_reason", "sort_name")
        )
        svc_copy = _Copier(cursor, "providers_access_services", ("id", "access_id", "service_id"))
        perm_copy = _Copier(
            cursor, "providers_pidsluserobjectpermission", ("id", "user_id", "content_object_id", "permission_id")
        )
        services = self.services

        def grantable(traits):
            # PU-05: an administrator holds every service authority allows at the PID/SL.
            ltc, pace = traits
            return [
                s.code
                for s in services.values()
                if authority.service_allowed(s.constraint, pace_sco=pace, ltc=ltc, administrator=True)
            ]

        access_id, svc_id, perm_id = (
            base["providers_access"],
            base["providers_access_services"],
            base["providers_pidsluserobjectpermission"],
        )
        for user, pid, role, org_index in links:
            if role in authority.ADMINISTRATOR_ROLES:
                codes = grantable(org_traits[org_index])
            elif role == "billing":
                codes, role = [catalog.PORTAL_SERVICES, "claims", "batch_files"], authority.SUBORDINATE
            else:
                codes = [catalog.PORTAL_SERVICES, *rng.sample(SUBORDINATE_EXTRAS, rng.randint(0, 3))]
            access_copy.add(
                access_id,
                user,
                pid,
                role,
                now - timedelta(days=rng.randint(1, 365)),
                "",
                f"last{user} {_first(user).lower()} u{user}",
            )
            for code in codes:
                svc_copy.add(svc_id, access_id, services[code].pk)
                perm_copy.add(perm_id, user, pid, self.permission_ids[code])
                svc_id += 1
                perm_id += 1
            access_id += 1
        for copier in (access_copy, svc_copy, perm_copy):
            copier.flush()
        return access_copy.total, svc_copy.total

    def _write_audit(self, cursor, base, org_ids, org_pidsls, org_users) -> int:
        """Audit records over the last two years, in time order, each hash-chained to the previous."""
        rng, size = self.rng, self.size
        cursor.execute("SELECT hash FROM audit_auditevent ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        prev = row[0] if row else ""
        copier = _Copier(
            cursor,
            "audit_auditevent",
            (
                "id",
                "at",
                "action",
                "actor_id",
                "actor_username",
                "target_user_id",
                "target_username",
                "pidsl_id",
                "organization_id",
                "before",
                "after",
                "ip_address",
                "detail",
                "prev_hash",
                "hash",
            ),
        )
        start = self.now - timedelta(days=730)
        span = 730 * 86400 / max(size.audit, 1)
        actions = ("sign_in", "sign_in", "sign_in", "services_change", "link_create", "password_change")
        for n in range(size.audit):
            org_index = 0 if n % 3 == 0 else rng.randrange(len(org_ids))
            users, pidsls = org_users[org_index], org_pidsls[org_index]
            actor, target = rng.choice(users), rng.choice(users)
            action = actions[n % len(actions)]
            event = SimpleNamespace(
                at=start + timedelta(seconds=n * span),
                action=action,
                actor_id=actor,
                actor_username=f"u{actor}",
                target_user_id=target,
                target_username=f"u{target}",
                pidsl_id=rng.choice(pidsls),
                organization_id=org_ids[org_index],
                # The generated records are each about a user of the record's own organization.
                home_organization_id=None,
                before={"services": ["portal_services"]} if action == "services_change" else {},
                after={"services": ["portal_services", "claims"]} if action == "services_change" else {},
                ip_address=f"10.{n % 250}.{(n // 250) % 250}.{n % 200 + 1}",
                detail="",
                prev_hash=prev,
            )
            event.hash = record_hash(event)
            copier.add(
                base["audit_auditevent"] + n,
                event.at,
                action,
                actor,
                event.actor_username,
                target,
                event.target_username,
                event.pidsl_id,
                event.organization_id,
                json.dumps(event.before),
                json.dumps(event.after),
                event.ip_address,
                "",
                prev,
                event.hash,
            )
            prev = event.hash
        copier.flush()
        return copier.total
