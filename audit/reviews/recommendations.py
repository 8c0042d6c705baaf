"""Decision aids for access review items (issue 16): what the findings suggest for each item, and why.

Computed once, with the review's snapshot, from the same facts as the findings (US-06, US-07,
SV-04 in audit/compliance/findings.py): on PostgreSQL as two more columns of the snapshot's one
INSERT ... SELECT (a million items cost no extra pass), on SQLite by ``recommend`` per item. The
two say the same rules in the same order:

1. remove an outside user whose home organization has deactivated them (LK-03);
2. remove a user not signed in for the inactivity window (US-07; one who never signed in counts
   from when the link was granted, as the finding does, so a user added last week is not
   recommended for removal);
3. remove an outside user who has not used this PID/SL: no sign-in since the link was granted, the
   link older than UNUSED_AFTER_DAYS (the portal records sign-ins, not which PID/SL a session
   worked for, so a sign-in after the link was granted is what "used" can mean);
4. a Primary User is never recommended for removal: keep, with the reason (PU-06: a change
   request replaces a Primary User);
5. modify a subordinate holding every grantable service (SV-04);
6. keep otherwise.

A recommendation is a suggestion: the reviewer decides, or the organization's default does (AR-06).
"""

from datetime import datetime, timedelta

from django.conf import settings

from providers import authority

from ..models import ReviewItem

# An outside user's link is "unused" only when it is at least this old: a link granted yesterday
# has had no chance to be used.
UNUSED_AFTER_DAYS = 30

KEEP, MODIFY, REMOVE = ReviewItem.Decision.KEEP, ReviewItem.Decision.MODIFY, ReviewItem.Decision.REMOVE


def reasons() -> dict[str, str]:
    days = settings.POSC_INACTIVITY_DAYS
    return {
        "home_deactivated": "Deactivated by their home organization (LK-03)",
        "never": f"Never signed in, linked more than {days} days ago (US-07)",
        "inactive": f"Not signed in for {days} days (US-07)",
        "unused": "Outside user who has not signed in since linked here",
        "primary": "Inactive, but a Primary User is replaced only through a change request (PU-06)",
        "full": "Holds every service that can be granted (SV-04)",
        "deactivated": "Deactivated here; the link comes back if the user is reactivated (US-06)",
        "new": f"Linked within {days} days; not signed in yet",
        "active": f"Signed in within {days} days",
    }


def snapshot_params(now: datetime) -> dict:
    """The parameters SNAPSHOT_COLUMNS names (besides the snapshot's own: inactive, full, subordinate)."""
    return {
        "primary": authority.PRIMARY,
        "unused": now - timedelta(days=UNUSED_AFTER_DAYS),
        **{f"r_{key}": text for key, text in reasons().items()},
    }


def snapshot_columns(outside: str) -> str:
    """The recommendation and its reason, as two SQL expressions over the snapshot's row (a: the
    link, u: its user, sv.n: the grantable services it holds); ``outside`` is the snapshot's own
    "outside user" expression."""
    home_deactivated = f"({outside} AND NOT u.is_active)"
    inactive = "(COALESCE(u.last_login, a.granted_at) < %(inactive)s)"
    unused = f"({outside} AND a.granted_at < %(unused)s AND (u.last_login IS NULL OR u.last_login < a.granted_at))"
    remove = f"({home_deactivated} OR {inactive} OR {unused})"
    full = "(a.role = %(subordinate)s AND COALESCE(sv.n, 0) >= %(full)s)"
    decision = f"""CASE WHEN {remove} AND a.role = %(primary)s THEN '{KEEP}'
            WHEN {remove} THEN '{REMOVE}' WHEN {full} THEN '{MODIFY}' ELSE '{KEEP}' END"""
    reason = f"""CASE WHEN {remove} AND a.role = %(primary)s THEN %(r_primary)s
            WHEN {home_deactivated} THEN %(r_home_deactivated)s
            WHEN {inactive} AND u.last_login IS NULL THEN %(r_never)s
            WHEN {inactive} THEN %(r_inactive)s
            WHEN {unused} THEN %(r_unused)s
            WHEN {full} THEN %(r_full)s
            WHEN NOT u.is_active THEN %(r_deactivated)s
            WHEN u.last_login IS NULL THEN %(r_new)s
            ELSE %(r_active)s END"""
    return f"{decision}, {reason}"


def recommend(*, access, user, outside: bool, held: int, full: int, inactive_before: datetime, now: datetime):
    """(recommendation, reason) of one item: the SQL above, said in Python for the SQLite snapshot."""
    text = reasons()
    home_deactivated = outside and not user.is_active
    inactive = (user.last_login or access.granted_at) < inactive_before
    unused = (
        outside
        and access.granted_at < now - timedelta(days=UNUSED_AFTER_DAYS)
        and (user.last_login is None or user.last_login < access.granted_at)
    )
    remove = home_deactivated or inactive or unused
    if remove and access.role == authority.PRIMARY:
        return KEEP, text["primary"]
    if home_deactivated:
        return REMOVE, text["home_deactivated"]
    if inactive:
        return REMOVE, text["never" if user.last_login is None else "inactive"]
    if unused:
        return REMOVE, text["unused"]
    if access.role == authority.SUBORDINATE and held >= full:
        return MODIFY, text["full"]
    if not user.is_active:
        return KEEP, text["deactivated"]
    return KEEP, text["new" if user.last_login is None else "active"]
