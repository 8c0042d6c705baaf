"""Manage Subordinate Accounts: the Provider dropdown and Subordinates Search (seeds 003).

The search terms go by POST and wait in the session: names never appear in a URL (ASVS 14.2.1).
"""

from providers.models import Access
from tests import factories
from tests.view_helpers import is_sign_in_redirect, page, url

MANAGE = url("manage")


def test_the_dropdown_lists_the_pidsls_the_user_administers(client, cast):
    client.force_login(cast.alice)

    response = client.get(MANAGE)

    assert response.status_code == 200
    assert list(response.context["providers"]) == [cast.pidsl_a]
    assert f'value="{cast.pidsl_a.code}"' in page(response)
    assert cast.pidsl_b.code not in page(response)
    assert cast.pidsl_x.code not in page(response)


def test_the_backup_sees_the_pidsl_too(client, cast):
    client.force_login(cast.bob)

    assert list(client.get(MANAGE).context["providers"]) == [cast.pidsl_a]


def test_a_primary_user_of_two_pidsls_chooses_between_them(client, cast):
    pidsl_c = factories.PidSlFactory(organization=cast.eddys, provider_id="110000001", service_location="C")
    factories.AccessFactory(user=cast.alice, pidsl=pidsl_c, role=Access.Role.PRIMARY)
    client.force_login(cast.alice)

    response = client.get(MANAGE + f"?provider={pidsl_c.code}")

    assert list(response.context["providers"]) == [cast.pidsl_a, pidsl_c]
    assert f'value="{pidsl_c.code}" selected' in page(response)


def test_search_redirects_to_the_results_without_the_names_in_the_url(client, cast):
    client.force_login(cast.alice)

    response = client.post(
        MANAGE, {"provider": cast.pidsl_a.code, "first_name": "Ca", "last_name": "Sm", "username": "csm"}
    )

    assert response.status_code == 302
    assert response["Location"] == url("results", pidsl=cast.pidsl_a.code)
    assert "Sm" not in response["Location"]
    assert "csm" not in response["Location"]  # nor the User ID (issue 18)
    assert client.session[f"subordinates-search-{cast.pidsl_a.code}"] == {
        "first_name": "Ca",
        "last_name": "Sm",
        "username": "csm",
    }


def test_the_results_apply_the_posted_search(client, cast):
    client.force_login(cast.alice)

    response = client.post(MANAGE, {"provider": cast.pidsl_a.code, "last_name": cast.carol.last_name}, follow=True)

    assert response.status_code == 200
    assert [a.user.pk for a in response.context["page"].object_list] == [cast.carol.pk]
    assert f'value="{cast.carol.last_name}"' in page(response)


def test_a_pidsl_the_user_does_not_administer_is_refused(client, cast):
    client.force_login(cast.alice)

    for code in (cast.pidsl_x.code, cast.pidsl_b.code, "", "999999999Z"):
        response = client.post(MANAGE, {"provider": code, "last_name": "x"})
        assert response.status_code == 400
        assert "Choose a provider you administer." in page(response)
    assert not [k for k, _ in client.session.items() if k.startswith("subordinates-search-")]


def test_a_search_term_too_long_is_refused(client, cast):
    client.force_login(cast.alice)

    response = client.post(MANAGE, {"provider": cast.pidsl_a.code, "last_name": "x" * 10_000})

    assert response.status_code == 400
    assert "at most 150 characters" in page(response)


def test_a_subordinate_is_refused(client, cast):
    client.force_login(cast.carol)

    assert client.get(MANAGE).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, cast):
    assert is_sign_in_redirect(client.get(MANAGE))
