"""MassHealth Agency screens: enrollment with the PIN letter, Primary User change requests
(PU-06), Primary Users' password resets (US-05), deactivation and broadcast messages.
For agency staff only; everyone else is refused and nothing changes."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.urls import reverse

from audit.models import AuditEvent
from providers import authority
from providers.models import (
    Access,
    BroadcastMessage,
    Designation,
    Organization,
    PidSl,
    PrimaryChangeRequest,
)
from tests import factories
from tests.helpers import assert_permissions_match_access, audit_count, fresh, held
from tests.view_helpers import field_errors, is_sign_in_redirect, page, text

User = get_user_model()

# alice: Primary of A. carol: subordinate at A. compliance: Eddy's officer. erin: another organization.
REFUSED = ("alice", "carol", "compliance", "erin")


def agency_url(name: str, **kwargs) -> str:
    return reverse(f"agency:{name}", kwargs=kwargs)


def enroll_data(**changes) -> dict:
    data = {
        "name": "Harbor Clinic",
        "kind": Organization.Kind.PROVIDER,
        "provider_id": "770000001",
        "service_location": "a",
        "pidsl_name": "Harbor Clinic - Main",
        "street": "1 Harbor Way",
        "city": "Salem",
        "zip_code": "01970",
        "designee_first_name": "Nina",
        "designee_last_name": "Alvarez",
        "designee_email": "nina@example.org",
        "designee_phone": "",
    }
    data.update(changes)
    return data


def letter_pin(response) -> str:
    return re.search(r'data-testid="letter-pin">([^<]+)<', page(response)).group(1)


def temporary_password(response) -> str:
    return re.search(r'data-testid="temporary-password">([^<]+)<', page(response)).group(1)


def snapshot() -> dict:
    """Everything an agency screen can write; refusals are audited, so those rows are left out."""
    return {
        "organizations": sorted(Organization.objects.values_list("pk", "name")),
        "pidsls": sorted(PidSl.objects.values_list("pk", "provider_id", "service_location")),
        "designations": sorted(Designation.objects.values_list("pk", "voided_at")),
        "links": sorted(Access.objects.values_list("pk", "user_id", "pidsl_id", "role", "ended_at")),
        "requests": sorted(PrimaryChangeRequest.objects.values_list("pk", "status")),
        "users": sorted(User.objects.values_list("pk", "is_active", "password", "must_change_password")),
        "broadcasts": BroadcastMessage.objects.count(),
        "audit": sorted(
            AuditEvent.objects.exclude(action=AuditEvent.Action.ACCESS_REFUSED).values_list("pk", "action")
        ),
    }


@pytest.fixture
def change_request(cast):
    """alice asks MassHealth to make frank the Primary User of A."""
    return factories.PrimaryChangeRequestFactory(pidsl=cast.pidsl_a, new_primary=cast.frank, requested_by=cast.alice)


def every_screen(cast, change_request):
    """(method, URL, data) for every agency screen."""
    return [
        ("get", agency_url("home"), {}),
        ("get", agency_url("enroll"), {}),
        ("post", agency_url("enroll"), enroll_data()),
        ("get", agency_url("add_pidsl"), {}),
        ("post", agency_url("add_pidsl"), {**enroll_data(service_location="B"), "organization": cast.eddys.pk}),
        ("get", agency_url("change_requests"), {}),
        ("post", agency_url("change_requests"), {"request_id": change_request.pk, "decision": "approve"}),
        ("get", agency_url("users"), {"q": "alice"}),
        ("post", agency_url("user_action", user_id=cast.carol.pk), {"action": "deactivate"}),
        ("post", agency_url("user_action", user_id=cast.alice.pk), {"action": "reset"}),
        ("get", agency_url("broadcasts"), {}),
        ("post", agency_url("broadcasts"), {"subject": "Outage", "priority": 1, "body": "Tonight."}),
    ]


# Who gets in


def test_agency_staff_get_into_every_screen(client, cast, change_request):
    client.force_login(cast.agency)

    for method, url, data in every_screen(cast, change_request):
        response = getattr(client, method)(url, data)
        assert response.status_code in (200, 302), (method, url, response.status_code)


@pytest.mark.parametrize("actor", REFUSED)
def test_anyone_else_is_refused_every_screen_and_nothing_changes(client, cast, change_request, actor):
    client.force_login(getattr(cast, actor))
    before = snapshot()

    for method, url, data in every_screen(cast, change_request):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url, response.status_code)

    assert snapshot() == before
    assert audit_count(action=AuditEvent.Action.ACCESS_REFUSED, actor=getattr(cast, actor)) == 12


def test_anonymous_is_sent_to_sign_in_and_nothing_changes(client, cast, change_request):
    before = snapshot()

    for method, url, data in every_screen(cast, change_request):
        response = getattr(client, method)(url, data)
        assert is_sign_in_redirect(response), (method, url, response.status_code)

    assert snapshot() == before


def test_the_home_page_counts_the_pending_requests(client, cast, change_request):
    client.force_login(cast.agency)

    response = client.get(agency_url("home"))

    assert response.status_code == 200
    assert response.context["pending"] == 1


# Enroll a Provider and Add a PID/SL: the PIN letter


def test_the_letter_gives_the_portals_address_and_never_breaks_a_code(client, cast):
    # Issue 18: read on paper, the letter says where to register, and its codes stay on one line.
    client.force_login(cast.agency)

    html = page(client.post(agency_url("enroll"), enroll_data()))

    assert 'data-testid="letter-address">http://testserver/providers/register/<' in html
    assert "http://testserver/accounts/login/" in html
    assert "Dear Nina Alvarez," in html
    for testid in ("letter-pidsl", "letter-pin"):
        assert re.search(rf'<dd class="[^"]*\btext-no-wrap\b[^"]*" data-testid="{testid}">', html)


def test_enroll_creates_the_organization_pidsl_and_designation_and_prints_the_letter(client, cast):
    client.force_login(cast.agency)

    response = client.post(agency_url("enroll"), enroll_data())

    assert response.status_code == 200
    assert "Provider PIN Registration Letter" in page(response)
    assert 'data-testid="letter-pidsl">770000001A<' in page(response)
    pin = letter_pin(response)
    organization = Organization.objects.get(name="Harbor Clinic")
    pidsl = PidSl.objects.get(provider_id="770000001", service_location="A")
    assert pidsl.organization == organization
    designation = Designation.objects.get(pidsl=pidsl)
    assert (designation.first_name, designation.last_name, designation.approved_by) == ("Nina", "Alvarez", cast.agency)
    assert check_password(pin, designation.pin_hash)
    assert pin not in designation.pin_hash
    assert audit_count(action=AuditEvent.Action.ORG_ENROLL, organization=organization) == 2  # organization, PID/SL
    assert audit_count(action=AuditEvent.Action.DESIGNATION_APPROVE, pidsl=pidsl) == 1


def test_enroll_refuses_a_pidsl_code_already_enrolled_and_writes_nothing(client, cast):
    client.force_login(cast.agency)
    before = snapshot()

    response = client.post(agency_url("enroll"), enroll_data(provider_id="110000001", service_location="A"))

    assert response.status_code == 400
    assert field_errors(response, "provider_id")
    assert snapshot() == before
    assert not Organization.objects.filter(name="Harbor Clinic").exists()


def test_enroll_refuses_an_organization_name_already_enrolled_and_writes_nothing(client, cast):
    client.force_login(cast.agency)
    before = snapshot()

    response = client.post(agency_url("enroll"), enroll_data(name="Other Clinic"))

    assert response.status_code == 400
    assert field_errors(response, "name")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("kind", "hospital"),
        ("provider_id", "12345"),
        ("service_location", "1"),
        ("pidsl_name", ""),
        ("zip_code", "123"),
        ("designee_first_name", "N1na"),
        ("designee_email", "nina"),
    ],
)
def test_enroll_shows_bad_input_at_its_field_and_writes_nothing(client, cast, field, value):
    client.force_login(cast.agency)
    before = snapshot()

    response = client.post(agency_url("enroll"), enroll_data(**{field: value}))

    assert response.status_code == 400
    assert field_errors(response, field)
    assert snapshot() == before


def test_add_pidsl_issues_a_letter_for_a_new_site_of_an_organization(client, cast):
    client.force_login(cast.agency)

    response = client.post(
        agency_url("add_pidsl"),
        {**enroll_data(provider_id="110000001", service_location="C"), "organization": cast.eddys.pk},
    )

    assert response.status_code == 200
    pidsl = PidSl.objects.get(provider_id="110000001", service_location="C")
    assert pidsl.organization == cast.eddys
    assert check_password(letter_pin(response), Designation.objects.get(pidsl=pidsl).pin_hash)


def test_add_pidsl_refuses_a_pidsl_code_already_enrolled(client, cast):
    client.force_login(cast.agency)
    before = snapshot()

    response = client.post(
        agency_url("add_pidsl"),
        {**enroll_data(provider_id="110000001", service_location="B"), "organization": cast.eddys.pk},
    )

    assert response.status_code == 400
    assert field_errors(response, "provider_id")
    assert snapshot() == before


# Primary User Changes (PU-06)


def test_the_pending_requests_are_listed(client, cast, change_request):
    client.force_login(cast.agency)

    response = client.get(agency_url("change_requests"))

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [change_request]
    assert "Pending requests (1)" in page(response)


def test_pu06_approving_moves_the_primary_user_role(client, cast, change_request):
    client.force_login(cast.agency)

    response = client.post(
        agency_url("change_requests"), {"request_id": change_request.pk, "decision": "approve", "note": "Form OK"}
    )

    assert response.status_code == 200
    assert "frank is now the Primary User of 110000001A." in page(response)
    assert cast.access(cast.frank, cast.pidsl_a).role == Access.Role.PRIMARY
    assert held(cast.frank, cast.pidsl_a) == {s.code for s in authority.administrator_services(cast.pidsl_a)}
    # The outgoing Primary User stays linked as a subordinate (old_primary_stays).
    assert cast.access(cast.alice, cast.pidsl_a).role == Access.Role.SUBORDINATE
    assert Access.objects.open().filter(pidsl=cast.pidsl_a, role=Access.Role.PRIMARY).count() == 1
    assert_permissions_match_access()
    change_request.refresh_from_db()
    assert change_request.status == PrimaryChangeRequest.Status.APPROVED
    assert (change_request.decided_by, change_request.decision_note) == (cast.agency, "Form OK")
    assert audit_count(action=AuditEvent.Action.CHANGE_REQUEST_APPROVE, target_user=cast.frank) == 1


def test_pu06_rejecting_leaves_the_primary_user(client, cast, change_request):
    client.force_login(cast.agency)

    response = client.post(agency_url("change_requests"), {"request_id": change_request.pk, "decision": "reject"})

    assert response.status_code == 200
    assert "was rejected" in page(response)
    assert cast.access(cast.alice, cast.pidsl_a).role == Access.Role.PRIMARY
    assert not Access.objects.open().filter(user=cast.frank).exists()
    change_request.refresh_from_db()
    assert change_request.status == PrimaryChangeRequest.Status.REJECTED
    assert change_request.decided_by == cast.agency
    assert audit_count(action=AuditEvent.Action.CHANGE_REQUEST_REJECT) == 1


@pytest.mark.parametrize("first", ["approve", "reject"])
@pytest.mark.parametrize("second", ["approve", "reject"])
def test_pu06_a_decided_request_cannot_be_decided_again(client, cast, change_request, first, second):
    client.force_login(cast.agency)
    client.post(agency_url("change_requests"), {"request_id": change_request.pk, "decision": first})
    before = snapshot()

    response = client.post(agency_url("change_requests"), {"request_id": change_request.pk, "decision": second})

    # Issue 15: decided since the page was opened: a 409 saying how and by whom.
    assert response.status_code == 409
    decided = "approved" if first == "approve" else "rejected"
    assert f"This change request was already decided: {decided} by {cast.agency.username}. (PU-06)" in text(response)
    assert snapshot() == before


@pytest.mark.parametrize("data", [{"decision": "maybe"}, {}], ids=["unknown-decision", "no-decision"])
def test_a_request_without_a_decision_is_refused(client, cast, change_request, data):
    client.force_login(cast.agency)
    before = snapshot()

    response = client.post(agency_url("change_requests"), {"request_id": change_request.pk, **data})

    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("request_id", ["", "999999", "abc", "²", "9" * 30])
def test_an_unknown_request_is_404(client, cast, change_request, request_id):
    client.force_login(cast.agency)
    before = snapshot()

    response = client.post(agency_url("change_requests"), {"request_id": request_id, "decision": "approve"})

    assert response.status_code == 404
    assert snapshot() == before


# Users: password resets (US-05) and deactivation (US-06, PU-06)


def test_the_user_search_finds_by_user_id_or_last_name(client, cast):
    client.force_login(cast.agency)

    response = client.get(agency_url("users"), {"q": "hugh"})

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [cast.alice]


def test_a_user_search_that_finds_nobody_says_so(client, cast):
    client.force_login(cast.agency)
    assert "No user matches." in client.get(agency_url("users"), {"q": "zzzz"}).content.decode()


def test_us05_agency_staff_reset_a_primary_users_password_and_see_it_once(client, cast):
    client.force_login(cast.agency)

    response = client.post(agency_url("user_action", user_id=cast.alice.pk), {"action": "reset"})

    assert response.status_code == 200
    password = temporary_password(response)
    alice = fresh(cast.alice)
    assert alice.check_password(password)
    assert alice.must_change_password is True
    event = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_RESET, target_user=cast.alice)
    assert event.actor == cast.agency
    assert password not in str(event.after)
    assert password not in page(client.get(agency_url("users"), {"q": "alice"}))


def test_us05_another_agency_staff_users_password_is_not_reset_here(client, cast):
    colleague = factories.AgencyStaffFactory(username="agency2")
    client.force_login(cast.agency)
    before = snapshot()

    response = client.post(agency_url("user_action", user_id=colleague.pk), {"action": "reset"})

    assert response.status_code == 403
    assert snapshot() == before
    assert fresh(colleague).check_password(factories.DEMO_PASSWORD)


def test_us06_agency_staff_deactivate_and_reactivate_a_subordinate(client, cast):
    client.force_login(cast.agency)

    response = client.post(agency_url("user_action", user_id=cast.carol.pk), {"action": "deactivate"})

    assert response.status_code == 200
    assert fresh(cast.carol).is_active is False
    assert audit_count(action=AuditEvent.Action.USER_DEACTIVATE, target_user=cast.carol, actor=cast.agency) == 1

    response = client.post(agency_url("user_action", user_id=cast.carol.pk), {"action": "reactivate"})

    assert response.status_code == 200
    assert fresh(cast.carol).is_active is True
    assert_permissions_match_access()


def test_pu06_a_primary_user_cannot_be_deactivated(client, cast):
    client.force_login(cast.agency)
    before = snapshot()

    response = client.post(agency_url("user_action", user_id=cast.alice.pk), {"action": "deactivate"})

    assert response.status_code == 403
    assert "(PU-06)" in text(response)
    assert snapshot() == before
    assert fresh(cast.alice).is_active is True


def test_an_unknown_action_is_refused(client, cast):
    client.force_login(cast.agency)
    before = snapshot()

    response = client.post(agency_url("user_action", user_id=cast.carol.pk), {"action": "delete"})

    assert response.status_code == 400
    assert snapshot() == before


def test_the_user_action_rejects_get(client, cast):
    client.force_login(cast.agency)

    assert client.get(agency_url("user_action", user_id=cast.carol.pk)).status_code == 405


# Broadcast Messages


def test_a_broadcast_is_posted_and_audited(client, cast):
    client.force_login(cast.agency)

    response = client.post(
        agency_url("broadcasts"), {"subject": "Claims outage Saturday", "priority": 1, "body": "From 8 to 10 pm."}
    )

    message = BroadcastMessage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{agency_url('broadcasts')}?posted={message.pk}"
    assert (message.subject, message.priority, message.posted_by) == ("Claims outage Saturday", 1, cast.agency)
    event = AuditEvent.objects.get(action=AuditEvent.Action.BROADCAST_POST)
    assert event.actor == cast.agency
    assert event.after == {"subject": "Claims outage Saturday"}


def test_a_broadcast_without_a_subject_is_refused(client, cast):
    client.force_login(cast.agency)

    response = client.post(agency_url("broadcasts"), {"subject": "", "priority": 1, "body": "Text"})

    assert response.status_code == 400
    assert field_errors(response, "subject")
    assert not BroadcastMessage.objects.exists()
    assert audit_count(action=AuditEvent.Action.BROADCAST_POST) == 0


@pytest.mark.parametrize("reader", ["agency", "alice", "carol", "compliance", "erin", "biller"])
def test_every_signed_in_user_sees_the_broadcast(client, cast, reader):
    client.force_login(cast.agency)
    client.post(agency_url("broadcasts"), {"subject": "Claims outage Saturday", "priority": 1, "body": "8 to 10 pm."})
    client.force_login(getattr(cast, reader))

    response = client.get(reverse("providers:broadcasts"))

    assert response.status_code == 200
    assert "Claims outage Saturday" in page(response)


def test_anonymous_is_sent_to_sign_in_for_the_broadcasts(client, cast):
    assert is_sign_in_redirect(client.get(reverse("providers:broadcasts")))


# Issue 18: Deactivate goes to a confirmation that names the consequence


def test_us06_deactivate_on_the_users_list_leads_to_a_confirmation_not_an_action(client, cast):
    client.force_login(cast.agency)
    html = page(client.get(agency_url("users"), {"q": "carol"}))
    assert f'href="{agency_url("user_deactivate", user_id=cast.carol.pk)}">Deactivate' in html
    assert 'value="deactivate"' not in html


def test_us06_the_confirmation_names_the_consequence_and_changes_nothing(client, cast):
    client.force_login(cast.agency)
    before = snapshot()

    response = client.get(agency_url("user_deactivate", user_id=cast.carol.pk))

    html = page(response)
    assert response.status_code == 200
    assert "carol can no longer sign in, and every session they have open ends now." in html
    assert "reactivating the user ID restores the same access" in html
    assert "110000001A" in html  # the providers she stays linked to
    # The danger button posts to the unchanged action, with the CSRF token; Cancel goes back.
    assert f'<form method="post" action="{agency_url("user_action", user_id=cast.carol.pk)}">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<button type="submit" class="usa-button usa-button--secondary">Deactivate carol</button>' in html
    assert f'href="{agency_url("users")}?q=carol">Cancel</a>' in html
    assert snapshot() == before
    assert fresh(cast.carol).is_active is True


def test_pu06_the_confirmation_of_a_primary_user_says_why_not_and_offers_no_button(client, cast):
    client.force_login(cast.agency)
    response = client.get(agency_url("user_deactivate", user_id=cast.alice.pk))
    assert "(PU-06)" in text(response)
    assert 'value="deactivate"' not in page(response)


def test_the_confirmation_of_a_deactivated_user_says_so(client, cast):
    cast.carol.is_active = False
    cast.carol.save(update_fields=["is_active"])
    client.force_login(cast.agency)
    html = page(client.get(agency_url("user_deactivate", user_id=cast.carol.pk)))
    assert "carol is already deactivated." in html
    assert 'value="deactivate"' not in html


def test_the_confirmation_of_an_unknown_user_is_404(client, cast):
    client.force_login(cast.agency)
    assert client.get(agency_url("user_deactivate", user_id=999999)).status_code == 404


@pytest.mark.parametrize("actor", ["alice", "carol", "compliance"])
def test_the_confirmation_is_agency_staffs_alone(client, cast, actor):
    client.force_login(getattr(cast, actor))
    assert client.get(agency_url("user_deactivate", user_id=cast.carol.pk)).status_code == 403
    assert client.post(agency_url("user_deactivate", user_id=cast.carol.pk)).status_code in (403, 405)
