"""The left-hand navigation shows an entry only when the user holds a service it needs (seeds 004)."""

from django.urls import reverse


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
