"""The POSC's left-hand navigation (seeds 004): an entry shows only when the user holds,
at some PID/SL, a service it needs. One query: the user's guardian permissions (and whether
they are a compliance officer)."""

import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db.models import Value
from django.urls import reverse

from providers import authority
from providers.models import ComplianceAssignment, PidSlUserObjectPermission

from .areas import AREAS


@dataclass(frozen=True)
class NavEntry:
    label: str
    url: str
    children: tuple["NavEntry", ...] = ()


# Not a service code (those are slugs): marks a compliance officer among the held codes.
COMPLIANCE_OFFICER = "@compliance_officer"


def held_service_codes(user) -> set[str]:
    """The services the user holds at some PID/SL, plus COMPLIANCE_OFFICER when they are one.

    One UNION query rather than a second lookup on every page (the page query bounds count it)."""
    if not user.is_active:
        return set()
    codenames = PidSlUserObjectPermission.objects.filter(user=user).values_list("permission__codename", flat=True)
    officer = (
        ComplianceAssignment.objects.filter(user=user, ended_at__isnull=True)
        .annotate(mark=Value(COMPLIANCE_OFFICER))
        .values_list("mark", flat=True)
    )
    return {c.removeprefix("svc_") for c in codenames.union(officer)}


SESSION_NAV = "posc_nav_held"


def held_for(user, session=None) -> frozenset:
    """held_service_codes, kept in the session for a minute: what a page shows the way to, never
    what a view allows (every view checks the permission itself on every request, ASVS 8.3.2)."""
    now = int(time.time())
    if session is not None:
        stored = session.get(SESSION_NAV)
        if stored and now - stored[0] < settings.POSC_SESSION_TOUCH_SECONDS:
            return frozenset(stored[1])
    held = frozenset(held_service_codes(user))
    if session is not None:
        session[SESSION_NAV] = [now, sorted(held)]
    return held


def navigation_for(user, session=None) -> list[NavEntry]:
    """The entries depend only on what is held, so each combination is built (and reversed) once."""
    return list(_entries(held_for(user, session), user.is_active, user.is_agency_staff))


@lru_cache(maxsize=512)
def _entries(held: frozenset, is_active: bool, is_agency_staff: bool) -> tuple[NavEntry, ...]:
    entries = [NavEntry("Home", reverse("home")), NavEntry("Provider Search", reverse("providers:search"))]
    areas = [NavEntry(a.label, reverse("area", args=[a.slug])) for a in AREAS if held & set(a.services)]
    # Administer Account sits after Manage Provider Information, as in the POSC.
    entries += [e for e in areas if e.label not in ("Reference Publications", "News & Updates", "Related Links")]
    administers = authority.holds_administration(held)
    if administers:
        entries.append(
            NavEntry(
                "Administer Account",
                reverse("subordinates:manage"),
                (
                    NavEntry("Manage Subordinate Accounts", reverse("subordinates:manage")),
                    NavEntry("Organization Users", reverse("subordinates:users")),
                    NavEntry("View Notifications", reverse("subordinates:notifications")),
                ),
            )
        )
    oversight = authority.reads_oversight(
        administers=administers, compliance_officer=COMPLIANCE_OFFICER in held, agency=is_agency_staff
    )
    if is_active and oversight:
        entries.append(NavEntry("Audit Trail", reverse("audit:trail")))
        entries.append(NavEntry("Compliance", reverse("compliance:index")))
        if authority.reads_program(compliance_officer=COMPLIANCE_OFFICER in held, agency=is_agency_staff):
            entries.append(NavEntry("Program View", reverse("compliance:program")))
        entries.append(NavEntry("Access Reviews", reverse("reviews:index")))
        if not administers:
            # Compliance officers and agency staff receive review escalations (AR-03) here.
            entries.append(NavEntry("View Notifications", reverse("subordinates:notifications")))
    entries += [e for e in areas if e.label in ("Reference Publications", "News & Updates", "Related Links")]
    entries.append(NavEntry("Change Password", reverse("accounts:password_change")))
    entries.append(NavEntry("Two-Step Verification", reverse("accounts:mfa_setup")))
    if is_active:
        entries.append(NavEntry("View Broadcast Messages", reverse("providers:broadcasts")))
    if is_agency_staff:
        entries.append(
            NavEntry(
                "MassHealth Agency",
                reverse("agency:home"),
                (
                    NavEntry("Enroll a Provider", reverse("agency:enroll")),
                    NavEntry("Reissue a PIN Letter", reverse("agency:letters")),
                    NavEntry("Primary User Changes", reverse("agency:change_requests")),
                    NavEntry("Primary User Recovery", reverse("agency:recovery")),
                    NavEntry("Provider Types", reverse("agency:provider_types")),
                    NavEntry("Users", reverse("agency:users")),
                    NavEntry("Broadcast Messages", reverse("agency:broadcasts")),
                    NavEntry("Agency Administration", reverse("admin:index")),
                ),
            )
        )
    return tuple(entries)
