"""The POSC's left-hand navigation (seeds 004): an entry shows only when the user holds,
at some PID/SL, a service it needs. One query: the user's guardian permissions."""

from dataclasses import dataclass

from django.urls import reverse

from providers.models import PidSlUserObjectPermission

from .areas import AREAS


@dataclass(frozen=True)
class NavEntry:
    label: str
    url: str
    children: tuple["NavEntry", ...] = ()


def held_service_codes(user) -> set[str]:
    if not user.is_active:
        return set()
    codenames = PidSlUserObjectPermission.objects.filter(user=user).values_list("permission__codename", flat=True)
    return {c.removeprefix("svc_") for c in codenames.distinct()}


def navigation_for(user) -> list[NavEntry]:
    held = held_service_codes(user)
    entries = [NavEntry("Home", reverse("home")), NavEntry("Provider Search", reverse("providers:search"))]
    areas = [NavEntry(a.label, reverse("area", args=[a.slug])) for a in AREAS if held & set(a.services)]
    # Administer Account sits after Manage Provider Information, as in the POSC.
    entries += [e for e in areas if e.label not in ("Reference Publications", "News & Updates", "Related Links")]
    if "manage_subordinates" in held:
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
    entries += [e for e in areas if e.label in ("Reference Publications", "News & Updates", "Related Links")]
    entries.append(NavEntry("Change Password", reverse("accounts:password_change")))
    entries.append(NavEntry("Two-Step Verification", reverse("accounts:mfa_setup")))
    if user.is_active:
        entries.append(NavEntry("View Broadcast Messages", reverse("providers:broadcasts")))
    if user.is_agency_staff:
        entries.append(
            NavEntry(
                "MassHealth Agency",
                reverse("agency:home"),
                (
                    NavEntry("Enroll a Provider", reverse("agency:enroll")),
                    NavEntry("Primary User Changes", reverse("agency:change_requests")),
                    NavEntry("Users", reverse("agency:users")),
                    NavEntry("Broadcast Messages", reverse("agency:broadcasts")),
                    NavEntry("Agency Administration", reverse("admin:index")),
                ),
            )
        )
    return entries
