"""Update Subordinate: details, Available/Assigned Services, Assign/Unassign, Submit (seeds 003).

Without JavaScript, Assign and Unassign re-render with the working set in hidden fields;
only Submit saves, through the service. A tampered hidden field is refused (PU-04, SV-02).
"""

import re

import pytest

from audit.models import AuditEvent
from tests import factories
from tests.helpers import audit_count, guardian_codes, held
from tests.view_helpers import access_url, assigned_codes, db_state, page, seen_of, services_errors


def update_url(cast, user=None):
    return access_url("update", cast.access(user or cast.carol, cast.pidsl_a))


def submit(cast, user=None) -> dict:
    """Submit, with the services the page showed when it was opened (issue 15)."""
    return {"action": "submit", "seen": seen_of(cast.access(user or cast.carol, cast.pidsl_a))}


def test_it_shows_the_subordinate_and_the_services(client, cast):
    client.force_login(cast.alice)

    response = client.get(update_url(cast))

    assert response.status_code == 200
    html = page(response)
    assert "Update Subordinate" in html
    assert cast.carol.username in html
    assert cast.carol.last_name.upper() in html
    assert "•••• <span" in html  # the PIN is on file, never shown
    assert [s.code for s in response.context["assigned"]] == ["portal_services", "claims", "provider_reports"]
    available = [s.code for s in response.context["available"]]
    assert "financial_data" in available
    # PU-04 and SV-02: never offered to a subordinate at this (non-LTC, non-PACE) provider.
    assert not {"manage_subordinates", "mmq", "sco_pace_members"} & set(available)


def test_an_outside_user_is_marked(client, cast):
    client.force_login(cast.alice)

    response = client.get(update_url(cast, cast.biller))

    assert "linked from another organization" in page(response)


def test_enter_submits_not_assign(client, cast):
    # Issue 18: the browser's default button is the first, "Assign ›"; services.js sends Enter to
    # the one button marked data-default-action, Submit.
    client.force_login(cast.alice)

    html = page(client.get(update_url(cast, cast.biller)))

    marked = re.findall(r"<button[^>]*data-default-action[^>]*>([^<]*)</button>", html)
    assert marked == ["Submit"]
    assert "js/services.js" in html


def test_the_backup_may_use_it(client, cast):
    client.force_login(cast.bob)

    assert client.get(update_url(cast)).status_code == 200


def test_assign_moves_services_without_saving(client, cast):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(
        update_url(cast),
        {"services": ["portal_services", "claims", "provider_reports"], "available": ["referrals"], "action": "assign"},
    )

    assert response.status_code == 200
    assert assigned_codes(response) == ["portal_services", "claims", "provider_reports", "referrals"]
    assert db_state() == before


def test_unassign_moves_services_back_without_saving(client, cast):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(
        update_url(cast),
        {"services": ["portal_services", "claims", "provider_reports"], "assigned": ["claims"], "action": "unassign"},
    )

    assert response.status_code == 200
    assert assigned_codes(response) == ["portal_services", "provider_reports"]
    assert "claims" in [s.code for s in response.context["available"]]
    assert db_state() == before


def test_portal_services_cannot_be_unassigned(client, cast):
    client.force_login(cast.alice)

    response = client.post(
        update_url(cast),
        {"services": ["portal_services", "claims"], "assigned": ["portal_services"], "action": "unassign"},
    )

    assert assigned_codes(response) == ["portal_services", "claims"]


def test_submit_saves_through_the_service(client, cast):
    client.force_login(cast.alice)

    response = client.post(update_url(cast), {"services": ["portal_services", "referrals"], **submit(cast)})

    assert response.status_code == 200
    assert "Confirmation" in page(response)
    assert f"The services of {cast.carol.display_name} (carol) were updated." in page(response)
    assert held(cast.carol, cast.pidsl_a) == {"portal_services", "referrals"}
    assert guardian_codes(cast.carol, cast.pidsl_a) == {"portal_services", "referrals"}
    event = AuditEvent.objects.get(action=AuditEvent.Action.SERVICES_CHANGE, target_user=cast.carol)
    assert event.actor == cast.alice
    assert event.before == {"services": ["claims", "portal_services", "provider_reports"]}
    assert event.after == {"services": ["portal_services", "referrals"]}


def test_submit_without_portal_services_keeps_it(client, cast):
    # SV-01: Primary Portal User is held by every linked user.
    client.force_login(cast.alice)

    response = client.post(update_url(cast), {"services": ["claims"], **submit(cast)})

    assert response.status_code == 200
    assert held(cast.carol, cast.pidsl_a) == {"portal_services", "claims"}


def test_submit_unchanged_writes_no_audit_record(client, cast):
    client.force_login(cast.alice)

    response = client.post(
        update_url(cast), {"services": ["portal_services", "claims", "provider_reports"], **submit(cast)}
    )

    assert response.status_code == 200
    assert audit_count(action=AuditEvent.Action.SERVICES_CHANGE) == 0


@pytest.mark.parametrize(
    "tampered",
    [
        pytest.param("manage_subordinates", id="PU-04-manage-subordinates-for-a-subordinate"),
        pytest.param("mmq", id="SV-02-mmq-at-a-non-ltc-provider"),
        pytest.param("sco_pace_members", id="SV-02-pace-at-a-non-pace-provider"),
        pytest.param("no_such_service", id="unknown-code"),
        pytest.param("<script>alert(1)</script>", id="html"),
    ],
)
def test_a_tampered_service_is_refused_and_nothing_changes(client, cast, tampered):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(update_url(cast), {"services": ["portal_services", "claims", tampered], **submit(cast)})

    assert response.status_code == 400
    assert services_errors(response) == [f"{tampered} is not a service you can grant here."]
    assert "<script>alert(1)</script>" not in page(response)
    assert db_state() == before
    assert held(cast.carol, cast.pidsl_a) == {"portal_services", "claims", "provider_reports"}


def test_the_backups_services_are_fixed(client, cast):
    # PU-05: the backup holds every service; the picker is shown disabled.
    client.force_login(cast.alice)

    response = client.get(update_url(cast, cast.bob))

    assert response.context["fixed_services"] is True
    assert "manage_subordinates" in assigned_codes(response)


def test_taking_a_service_from_the_backup_is_refused(client, cast):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(
        update_url(cast, cast.bob), {"services": ["portal_services", "claims"], **submit(cast, cast.bob)}
    )

    assert response.status_code == 400
    assert any("(PU-05)" in e for e in services_errors(response))
    assert db_state() == before


# The page and a Submit that changes services, in queries, whatever the size of the PID/SL (issue 6:
# Update Subordinate + Submit at a PID/SL of 20,000 subordinates). Submit's service transaction is a
# savepoint here (inside the test's transaction): two of its queries. The page's sixth query reads
# the subordinate's roles anywhere, for whether Reset Password is offered (US-05: not an administrator's);
# the seventh their links at the PID/SLs the reader administers, for whether Off-board is offered.
# Submit's twenty-first reads how many services a subordinate may hold there, for whether the link
# holds every one before and after (SV-04's kept number: audit/compliance/tallies.py).
PAGE_QUERIES = 7
SUBMIT_QUERIES = 21


def test_the_page_and_submit_run_a_fixed_number_of_queries(client, cast, django_assert_max_num_queries):
    client.force_login(cast.alice)
    url = update_url(cast)
    client.get(url)  # the first page of a session reads the terms and navigation once
    for size in (0, 40):
        for _ in range(size):
            factories.AccessFactory(
                user=factories.UserFactory(home_organization=cast.eddys), pidsl=cast.pidsl_a, services=["claims"]
            )
        with django_assert_max_num_queries(PAGE_QUERIES):
            assert client.get(url).status_code == 200
        chosen = ["portal_services", "referrals"] if size else ["portal_services", "financial_data"]
        data = {"services": chosen, **submit(cast)}
        with django_assert_max_num_queries(SUBMIT_QUERIES):
            response = client.post(url, data)
        assert response.status_code == 200
        assert held(cast.carol, cast.pidsl_a) == set(chosen)
        assert guardian_codes(cast.carol, cast.pidsl_a) == set(chosen)
