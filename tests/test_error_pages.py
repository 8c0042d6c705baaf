"""Refusals and errors are pages of the portal, in its words, with a way back (not Django's bare text)."""

import re

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from tests.view_helpers import page, text

# A rule's ID in a message: a link to its entry, named for a screen reader by its title (issue 18).
LK03_LINK = (
    '(<a href="/rules/#LK-03" class="rule-link" title="Rule LK-03: An account belongs to its own organization" '
    'aria-label="Rule LK-03: An account belongs to its own organization">LK-03</a>)'
)


def test_a_refusal_says_why_inside_the_layout(client, cast):
    client.force_login(cast.carol)  # a subordinate: no Manage Subordinate Accounts anywhere

    response = client.get(reverse("subordinates:manage"))

    assert response.status_code == 403
    html = page(response)
    assert "You cannot open this page" in html
    assert "Manage Subordinate Accounts is for Primary Users and their backups (PU-04)." in text(response)
    assert 'id="side-nav"' in html  # the layout, with the user's navigation
    assert f'href="{reverse("home")}"' in html


def test_a_refusal_of_another_organizations_pidsl_says_why(client, cast):
    client.force_login(cast.alice)  # Primary User at Eddy's, nothing at the other clinic

    response = client.get(reverse("subordinates:results", kwargs={"pidsl": cast.pidsl_x.code}))

    assert response.status_code == 403
    assert "Only the Primary User or backup Primary User of this provider can use this page (PU-04)." in text(response)


def test_an_unknown_address_is_a_page_not_found(client, cast):
    client.force_login(cast.alice)

    response = client.get("/no/such/page/")

    assert response.status_code == 404
    html = page(response)
    assert "Page not found" in html
    assert "Resolver404" not in html


def test_an_expired_form_explains_itself_and_changes_nothing(cast):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.alice)

    response = browser.post(reverse("accounts:logout"))

    assert response.status_code == 403
    assert "This form has expired" in page(response)
    assert "Nothing was changed" in page(response)
    assert browser.get(reverse("home")).status_code == 200  # still signed in


def test_the_server_error_page_stands_alone(db):
    # Rendered with no request context: it must not need the user, the session or the database.
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "1-800-841-2900" in html


def test_a_request_for_another_host_is_a_400_page(client, cast):
    # DisallowedHost is caught before the user is known: the page must not need one.
    response = client.get(reverse("home"), HTTP_HOST="portal.example.invalid")

    assert response.status_code == 400
    assert "The request could not be understood" in page(response)


def test_a_refusal_links_its_rule_to_the_rules_page(client, cast):
    """The rule's ID in a refusal is a link to its plain-words entry (the standard: the ID links to
    its explanation), and the entry is there."""
    client.force_login(cast.alice)
    biller_at_a = cast.access(cast.biller, cast.pidsl_a)
    response = client.post(
        reverse("subordinates:reset_password", kwargs={"pidsl": cast.pidsl_a.code, "access_id": biller_at_a.pk})
    )
    assert response.status_code == 403
    assert LK03_LINK in response.content.decode()
    rules = client.get("/rules/").content.decode()
    assert 'id="LK-03"' in rules and "An account belongs to its own organization" in rules


def test_the_rules_page_is_open_to_everyone(client):
    response = client.get(reverse("rules"))
    assert response.status_code == 200
    assert 'id="PU-01"' in response.content.decode()


def test_rule_links_escape_the_message_and_link_only_known_rules():
    from posc.rules import rule_links

    shown = rule_links('<script>x</script> "quoted" (LK-03) (ZZ-99) (AR-02, AR-05)')
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert LK03_LINK in shown
    assert "(ZZ-99)" in shown and "#ZZ-99" not in shown
    # Issue 18: a list of IDs links each, and each link is named for what it is.
    assert 'href="/rules/#AR-02"' in shown and 'href="/rules/#AR-05"' in shown
    assert 'aria-label="Rule AR-05: Nobody reviews their own access"' in shown


def test_a_rule_shown_alone_gets_its_title_first():
    from posc.rules import rule_named

    shown = rule_named("US-07")
    assert shown.startswith("Inactive users (<a ")
    assert 'href="/rules/#US-07"' in shown
    assert rule_named("ZZ-99") == "ZZ-99"


def test_a_block_of_markup_is_linked_without_escaping_it_again():
    from django.template import Context, Template

    shown = Template("{% filter rule_links %}<p>Kept by default (AR-06).</p>{% endfilter %}").render(Context())
    assert shown.startswith("<p>Kept by default (<a ")
    assert 'href="/rules/#AR-06"' in shown


@pytest.mark.parametrize("path", ["/no/such/page/", "/administer/999999999Z/subordinates/"])
def test_the_demo_shows_the_portals_page_not_found_too(client, cast, settings, path):
    # make run has DEBUG on; Django's technical 404 (its URL patterns) is not for providers' eyes.
    settings.DEBUG = True
    client.force_login(cast.alice)

    response = client.get(path)

    assert response.status_code == 404
    html = page(response)
    assert "There is no page at this address" in html
    assert "NONE,NOARCHIVE" not in html and "URLconf" not in html
    assert 'id="side-nav"' in html  # inside the portal's frame


def test_every_page_names_its_favicon(client):
    response = client.get(reverse("accounts:login"))
    assert 'rel="icon" href="/static/uswds/img/favicons/favicon.ico"' in page(response)


def test_every_rule_the_screens_name_is_explained_on_the_rules_page():
    # Issue 18: an ID without an entry (AR-06, PU-08, SV-06 were missing) stayed bare text.
    from pathlib import Path

    from django.conf import settings

    from posc.rules import RULE_IDS

    named = set()
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        named |= set(re.findall(r"\b[A-Z]{2}-\d{2}\b", path.read_text()))
    assert named - RULE_IDS == set()
