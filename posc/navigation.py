"""The POSC's left-hand navigation (seeds 004): an entry shows only when it leads somewhere
the user may go. Entries are added here as their screens are built."""

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class NavEntry:
    label: str
    url: str
    children: tuple["NavEntry", ...] = ()


def navigation_for(user) -> list[NavEntry]:
    entries = [NavEntry("Home", reverse("home"))]
    if user.is_agency_staff:
        entries.append(NavEntry("Agency Administration", reverse("admin:index")))
    return entries
