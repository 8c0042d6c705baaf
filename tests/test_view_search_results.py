"""Subordinates Search Results: "DOE, JOHN", the username and the role, 25 a page."""

from django.urls import reverse

from tests import factories
from tests.view_helpers import page, url

# Session, user, the PID/SL with its permission, the page (the count is PidSl.listed_links), the
# Provider dropdown and navigation on a cache miss, session save; with room to spare.
MAX_QUERIES = 16


def results(cast):
    return url("results", pidsl=cast.pidsl_a.code)


def search(client, cast, **terms):
    client.post(url("manage"), {"provider": cast.pidsl_a.code, **terms})
    return client.get(results(cast))


def add_subordinates(cast, n: int) -> None:
    for _ in range(n):
        factories.AccessFactory(
            user=factories.UserFactory(home_organization=cast.eddys),
            pidsl=cast.pidsl_a,
            services=["portal_services", "claims"],
        )


def test_it_lists_everyone_linked_but_the_primary_user(client, cast):
    client.force_login(cast.alice)

    response = client.get(results(cast))

    assert response.status_code == 200
    users = [a.user for a in response.context["page"].object_list]
    assert sorted(u.username for u in users) == ["biller", "bob", "carol"]
    assert cast.carol.display_name in page(response)
    assert "Backup Primary User" in page(response)
    assert reverse(
        "subordinates:update",
        kwargs={"pidsl": cast.pidsl_a.code, "access_id": cast.access(cast.carol, cast.pidsl_a).pk},
    ) in page(response)


def test_an_outside_user_is_marked(client, cast):
    client.force_login(cast.alice)

    response = client.get(results(cast))

    assert page(response).count("linked from another organization") == 1


def test_search_by_name_prefix(client, cast):
    client.force_login(cast.alice)

    response = search(client, cast, last_name="bil")

    assert [a.user.pk for a in response.context["page"].object_list] == [cast.biller.pk]


def test_search_by_user_id(client, cast):
    # Issue 18: Subordinates Search gains User ID, matched by its first letters in any case.
    client.force_login(cast.alice)

    response = search(client, cast, username="CAR")

    assert [a.user.pk for a in response.context["page"].object_list] == [cast.carol.pk]
    assert 'value="CAR"' in page(response)


def test_the_user_id_field_is_on_the_subordinates_search_panel(client, cast):
    client.force_login(cast.alice)
    for body in (page(client.get(url("manage"))), page(client.get(results(cast)))):
        assert "Subordinates Search" in body
        assert '<label class="usa-label" for="id_username">User ID' in body


def test_no_match_says_so(client, cast):
    client.force_login(cast.alice)

    response = search(client, cast, last_name="Zzz")

    assert "No subordinates match this search." in page(response)


def test_the_search_is_kept_per_pidsl(client, cast):
    client.force_login(cast.alice)
    search(client, cast, last_name="bil")

    response = client.get(results(cast))

    assert response.context["page"].paginator.count == 1


def test_ended_links_are_not_listed(client, cast):
    from subordinates.services import link_end

    link_end(actor=cast.alice, access=cast.access(cast.carol, cast.pidsl_a))
    client.force_login(cast.alice)

    response = client.get(results(cast))

    assert cast.carol.pk not in [a.user.pk for a in response.context["page"].object_list]


def test_it_paginates(client, cast):
    add_subordinates(cast, 30)
    client.force_login(cast.alice)

    first = client.get(results(cast))
    second = client.get(results(cast) + "?page=2")

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 33 - 25
    assert 'aria-label="Page 2" aria-current="page"' in page(second)  # numbered pages, the second current


def test_queries_do_not_grow_with_the_number_of_subordinates(client, cast, django_assert_max_num_queries):
    client.force_login(cast.alice)
    add_subordinates(cast, 5)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(results(cast))
    assert response.context["page"].paginator.count == 8

    add_subordinates(cast, 40)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(results(cast))
    assert response.context["page"].paginator.count == 48
    assert len(response.context["page"].object_list) == 25
