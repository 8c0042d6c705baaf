"""The left-hand navigation shows an entry only when the user holds a service it needs (seeds 004)."""

import pytest
from django.urls import reverse

from providers.models import Access
from tests import factories


def labels(response):
    return [e.label for e in response.context["nav"]]


def test_a_subordinate_has_no_administer_account(client, cast):
    client.force_login(cast.carol)
    nav = labels(client.get(reverse("home")))
    assert "Administer Account" not in nav
    assert "Manage Claims and Payments" in nav  # carol holds Claims Submission and Status
    assert "Manage Batch Files" not in nav


def test_a_primary_user_has_administer_account(client, cast):
    client.force_login(cast.alice)
    assert "Administer Account" in labels(client.get(reverse("home")))


def test_an_area_lists_where_the_user_may_use_it(client, cast):
    client.force_login(cast.carol)
    response = client.get(reverse("area", args=["claims"]))
    assert response.status_code == 200
    assert cast.pidsl_a.code in response.content.decode()


def test_an_area_the_user_holds_nothing_of_is_refused(client, cast):
    client.force_login(cast.carol)
    assert client.get(reverse("area", args=["batch-files"])).status_code == 403
    assert client.get(reverse("area", args=["no-such-area"])).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, db):
    assert client.get(reverse("area", args=["claims"])).status_code == 302


# Session, user, the count, the page of links and their area services.
AREA_QUERIES = 5


def test_an_area_pages_its_providers_in_a_fixed_number_of_queries(client, cast, django_assert_max_num_queries):
    # A billing intermediary's user may hold the area's services at a thousand PID/SLs.
    client.force_login(cast.biller)
    url = reverse("area", args=["claims"])
    client.get(url)  # the first page of a session reads the terms and navigation once
    with django_assert_max_num_queries(AREA_QUERIES):
        assert client.get(url).status_code == 200
    before = Access.objects.open().filter(user=cast.biller, services__code="claims").count()
    for _ in range(30):
        pidsl = factories.PidSlFactory(organization=cast.eddys)
        factories.AccessFactory(user=cast.biller, pidsl=pidsl, services=["portal_services", "claims"])
    # Linked, but holding nothing of the area: not listed.
    factories.AccessFactory(user=cast.biller, pidsl=factories.PidSlFactory(organization=cast.eddys))

    with django_assert_max_num_queries(AREA_QUERIES):
        response = client.get(url)

    assert response.context["page"].paginator.count == before + 30
    assert len(response.context["rows"]) == 25
    assert all([s.code for s in held] == ["claims"] for _, held in response.context["rows"])


@pytest.mark.parametrize("number", ["abc", "-1", "999999", "'; DROP TABLE x; --"])
def test_a_nonsense_page_number_on_an_area_shows_a_page(client, cast, number):
    client.force_login(cast.carol)

    response = client.get(reverse("area", args=["claims"]), {"page": number})

    assert response.status_code == 200
    assert cast.pidsl_a.code in response.content.decode()


# --- issue 18: an area page says what to do next -------------------------------------------------


def test_an_area_says_what_to_do_next(client, cast):
    client.force_login(cast.carol)
    response = client.get(reverse("area", args=["claims"]))
    page = response.content.decode()
    assert "What to do next" in page
    assert f'<a href="{reverse("home")}">Home</a> shows whom to contact' in page
    # carol administers nothing: no step about assigning services (PU-04).
    assert reverse("subordinates:manage") not in page.split("What to do next")[1]


def test_an_administrator_is_told_where_to_assign_the_areas_services(client, cast):
    client.force_login(cast.alice)
    page = client.get(reverse("area", args=["claims"])).content.decode()
    link = f'<a href="{reverse("subordinates:manage")}">Manage Subordinate Accounts</a>'
    assert link in page.split("What to do next")[1]


def test_the_correspondence_area_leads_to_the_broadcast_messages(client, cast):
    client.force_login(cast.carol)
    page = client.get(reverse("area", args=["correspondence"])).content.decode()
    link = f'<a href="{reverse("providers:broadcasts")}">View Broadcast Messages</a>'
    assert link in page.split("What to do next")[1]


def test_an_area_refusal_says_whom_to_ask(client, cast):
    client.force_login(cast.carol)
    response = client.get(reverse("area", args=["batch-files"]))
    assert response.status_code == 403
    assert "Ask your organization&#x27;s Primary User to assign you one." in response.content.decode()
