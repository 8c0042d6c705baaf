"""The Subordinates Search Results query (subordinates/search.py) and the count it relies on.

Pages past the middle are read from the far end, and the unfiltered count is PidSl.listed_links:
both must give exactly what a plain ORM query gives, on every page, with and without filters.
"""

import pytest

from providers.models import Access, PidSl
from subordinates import services as subordinate_services
from subordinates.search import search_page
from tests import factories
from tests.helpers import assert_listed_links_match_access, services

PER_PAGE = 4


def expected(pidsl, *, first_name="", last_name="", username="") -> list[int]:
    """The same search through the ORM, in name order."""
    links = Access.objects.open().filter(pidsl=pidsl).exclude(role=Access.Role.PRIMARY)
    if username:
        links = links.filter(user__username__istartswith=username)
    if first_name:
        links = links.filter(user__first_name__istartswith=first_name)
    if last_name:
        links = links.filter(sort_name__startswith=last_name.lower())
    return list(links.order_by("sort_name").values_list("pk", flat=True))


def every_page(pidsl, **terms) -> list[int]:
    fresh = PidSl.objects.get(pk=pidsl.pk)
    first = search_page(pidsl=fresh, number=1, per_page=PER_PAGE, **terms)
    seen = [a.pk for a in first.object_list]
    for number in first.paginator.page_range[1:]:
        seen += [a.pk for a in search_page(pidsl=fresh, number=number, per_page=PER_PAGE, **terms).object_list]
    return seen


@pytest.fixture
def crowd(cast):
    names = ["Adams", "Baker", "Baker", "Clark", "Davis", "Evans", "Foster", "Green", "Hall", "Irwin", "Jones"]
    firsts = ["Ann", "Bea", "Al", "Cy", "Di", "Ed", "Fay", "Gus", "Hal", "Ivy", "Jo"]
    for last, first in zip(names, firsts, strict=True):
        factories.AccessFactory(
            user=factories.UserFactory(
                home_organization=cast.eddys, last_name=last, first_name=first, username=f"crowd{len(first)}{first}"
            ),
            pidsl=cast.pidsl_a,
        )
    return cast


@pytest.mark.parametrize(
    "terms",
    [
        {},
        {"last_name": "b"},
        {"last_name": "BAKER"},
        {"first_name": "a"},
        {"first_name": "a", "last_name": "bak"},
        # Issue 18: the User ID, by its first letters in any case, alone or with a name.
        {"username": "crowd"},
        {"username": "CROWD1"},
        {"username": "crowd", "first_name": "a"},
    ],
)
def test_every_page_together_is_the_whole_list_in_order(crowd, terms):
    # 14 rows at 4 a page: pages 3 and 4 are read from the far end.
    assert every_page(crowd.pidsl_a, **terms) == expected(crowd.pidsl_a, **terms)


def test_the_last_page_holds_the_remainder(crowd):
    pidsl = PidSl.objects.get(pk=crowd.pidsl_a.pk)
    total = len(expected(pidsl))
    last = search_page(pidsl=pidsl, number=-(-total // PER_PAGE), per_page=PER_PAGE)
    assert last.paginator.count == total
    assert [a.pk for a in last.object_list] == expected(pidsl)[(last.number - 1) * PER_PAGE :]


def test_like_wildcards_in_a_name_are_taken_literally(crowd):
    factories.AccessFactory(
        user=factories.UserFactory(home_organization=crowd.eddys, last_name="O_Neil", first_name="Pat"),
        pidsl=crowd.pidsl_a,
    )
    assert [
        a.user.last_name for a in search_page(pidsl=crowd.pidsl_a, number=1, per_page=9, last_name="o_").object_list
    ] == ["O_Neil"]
    assert list(search_page(pidsl=crowd.pidsl_a, number=1, per_page=9, last_name="%").object_list) == []
    assert list(search_page(pidsl=crowd.pidsl_a, number=1, per_page=9, username="_").object_list) == []


def test_rows_carry_what_the_page_shows(crowd):
    row = search_page(pidsl=PidSl.objects.get(pk=crowd.pidsl_a.pk), number=1, per_page=1).object_list[0]
    assert row.user.display_name == "ADAMS, ANN"
    assert row.get_role_display() == "Subordinate"
    assert row.user.is_active and row.user.home_organization_id == crowd.eddys.pk


def test_listed_links_follow_create_link_remove_and_role_changes(cast):
    """PidSl.listed_links (the unfiltered count) moves with every service that opens or ends a link."""
    assert_listed_links_match_access()
    subordinate_services.link_end(actor=cast.alice, access=cast.access(cast.carol, cast.pidsl_a))
    assert_listed_links_match_access()
    subordinate_services.user_link(
        actor=cast.alice,
        pidsl=cast.pidsl_a,
        username=cast.carol.username,
        last_name=cast.carol.last_name,
        services=services("portal_services"),
    )
    assert_listed_links_match_access()
    before = PidSl.objects.get(pk=cast.pidsl_a.pk).listed_links
    factories.AccessFactory(pidsl=cast.pidsl_a, role=Access.Role.SUBORDINATE)
    assert PidSl.objects.get(pk=cast.pidsl_a.pk).listed_links == before + 1
    assert_listed_links_match_access()
