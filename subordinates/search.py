"""Subordinates Search Results: the open links at a PID/SL (all but the Primary User's), by name.

The busiest list of the portal, and at MassHealth's size its longest (20,000 subordinates behind
one PID/SL), so it is one hand-written SQL statement a page (docs/performance.md):

- the count is the PID/SL's maintained `listed_links` when there is no name filter, not a COUNT(*);
- a subquery walks only the PID/SL's name index `(pidsl_id, sort_name) WHERE ended_at IS NULL`
  (index-only) to the page, and the outer query joins that page's 25 rows to their users;
- a page past the middle is found from the far end (the last page walks no rows, not 19,975);
- the statement is written out, not built by the ORM: compiling the equivalent queryset cost
  more than PostgreSQL took to run it.
"""

from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db import connection

from accounts.models import display_name
from providers import authority
from providers.models import Access, PidSl

# What the page shows of each link and its user, in the statement's column order.
ACCESS_COLUMNS = ("id", "role")
USER_COLUMNS = ("id", "username", "first_name", "last_name", "is_active", "home_organization_id")
ROLE_LABELS = dict(Access.Role.choices)


@dataclass(frozen=True, slots=True)
class ListedUser:
    pk: int
    username: str
    first_name: str
    last_name: str
    is_active: bool
    home_organization_id: int | None

    @property
    def display_name(self) -> str:
        return display_name(self.last_name, self.first_name)


@dataclass(frozen=True, slots=True)
class ListedLink:
    """One row of the results: a link (its pk names the Update Subordinate URL) and its user.
    Plain values, not model instances: building 50 of those was most of the rows' cost."""

    pk: int
    role: str
    user: ListedUser

    def get_role_display(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


def _prefix(value: str) -> str:
    """A LIKE pattern matching values that start with `value` (its own % and _ taken literally)."""
    return connection.ops.prep_for_like_query(value) + "%"


class SubordinateRows:
    """The search as a sliceable sequence for Django's Paginator: count(), then one slice a page.

    Each row is a ListedLink with its ListedUser, in name order.
    """

    def __init__(self, *, pidsl: PidSl, first_name: str = "", last_name: str = "", username: str = ""):
        self.pidsl = pidsl
        self.first_name = first_name.strip()
        # sort_name is "last first username" in lower case: a last name is a prefix of it.
        self.last_name = last_name.strip().lower()
        self.username = username.strip()  # issue 18: the User ID, by its first letters

    def _keys(self) -> tuple[str, list]:
        """FROM and WHERE of the links searched (alias k), and their parameters."""
        sql = f"{Access._meta.db_table} k"
        where = ["k.pidsl_id = %s", "k.ended_at IS NULL", "k.role <> %s"]
        params = [self.pidsl.pk, authority.PRIMARY]
        if self.first_name or self.username:
            sql += f" JOIN {get_user_model()._meta.db_table} ku ON ku.id = k.user_id"
        if self.first_name:
            where.append("UPPER(ku.first_name) LIKE UPPER(%s)")
            params.append(_prefix(self.first_name))
        if self.username:
            where.append("UPPER(ku.username) LIKE UPPER(%s)")
            params.append(_prefix(self.username))
        if self.last_name:
            where.append("k.sort_name LIKE %s")
            params.append(_prefix(self.last_name))
        return f"{sql} WHERE {' AND '.join(where)}", params

    @cached_property
    def _count(self) -> int:
        if not (self.first_name or self.last_name or self.username):
            return self.pidsl.listed_links
        keys, params = self._keys()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {keys}", params)  # noqa: S608 - no user input in the SQL text
            return cursor.fetchone()[0]

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, window: slice) -> list[ListedLink]:
        start, stop = window.start or 0, min(window.stop, self._count)
        if stop <= start:
            return []
        # Past the middle, the same page counted from the end: a shorter walk of the index.
        from_end = start > self._count // 2
        offset = self._count - stop if from_end else start
        keys, params = self._keys()
        user_table = get_user_model()._meta.db_table
        columns = ", ".join([f"a.{c}" for c in ACCESS_COLUMNS] + [f"u.{c}" for c in USER_COLUMNS])
        sql = (
            f"SELECT {columns} FROM {Access._meta.db_table} a JOIN {user_table} u ON u.id = a.user_id"  # noqa: S608
            f" WHERE a.id IN (SELECT k.id FROM {keys}"
            f" ORDER BY k.sort_name {'DESC' if from_end else 'ASC'} LIMIT %s OFFSET %s)"
            " ORDER BY a.sort_name"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, stop - start, offset])
            rows = cursor.fetchall()
        return [ListedLink(pk, role, ListedUser(*user)) for pk, role, *user in rows]


def search_page(
    *, pidsl: PidSl, number, per_page: int, first_name: str = "", last_name: str = "", username: str = ""
) -> Page:
    """One page of Subordinates Search Results: one query, or two with a name or User ID filter (the count)."""
    rows = SubordinateRows(pidsl=pidsl, first_name=first_name, last_name=last_name, username=username)
    return Paginator(rows, per_page).get_page(number)
