"""Provider Search (seeds 004): signed-in users search enrolled PID/SLs; bad input is refused at the field."""

from django.urls import reverse

from tests import factories

SEARCH = reverse("providers:search")


def test_anonymous_is_sent_to_sign_in(client, db):
    assert client.get(SEARCH, {"business_name": "Eddy"}).status_code == 302


def test_it_finds_by_provider_id_city_and_name(client, cast):
    client.force_login(cast.carol)
    page = client.get(SEARCH, {"provider_id": "110000001A"}).content.decode()
    assert "110000001A" in page and "110000001B" not in page
    page = client.get(SEARCH, {"business_name": "other clinic"}).content.decode()
    assert "330000001A" in page


def test_a_search_that_finds_nothing_says_so(client, cast):
    client.force_login(cast.carol)
    assert "No provider matches." in client.get(SEARCH, {"business_name": "no such practice"}).content.decode()


def test_bad_input_gets_a_message_and_no_results(client, cast):
    client.force_login(cast.carol)
    response = client.get(SEARCH, {"provider_id": "12ab", "zip_code": "1" * 10_000})
    assert response.status_code == 400
    assert b"9-digit Provider ID" in response.content
    assert response.context["page"] is None


def test_html_is_rendered_inert(client, cast):
    client.force_login(cast.carol)
    response = client.get(SEARCH, {"business_name": "<script>alert(1)</script>"})
    assert b"<script>alert(1)</script>" not in response.content


def test_queries_are_constant(client, cast, django_assert_max_num_queries):
    for _ in range(40):
        factories.PidSlFactory(organization=cast.other, name="Other Clinic annex")
    client.force_login(cast.carol)
    with django_assert_max_num_queries(12):
        response = client.get(SEARCH, {"business_name": "Other Clinic"})
    assert response.context["page"].paginator.count == 41
