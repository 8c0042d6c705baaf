"""Change Primary User: the Primary User or the backup files the Existing Provider
Modification Data Collection Form; the role moves only when agency staff approve (PU-06)."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from providers.models import Access, PrimaryChangeRequest
from tests import factories
from tests.helpers import audit_count
from tests.view_helpers import db_state, is_sign_in_redirect, page

from .view_helpers import field_errors


def change_url(pidsl) -> str:
    return reverse("subordinates:change_primary", kwargs={"pidsl": pidsl.code})


def username_errors(response) -> list[str]:
    return field_errors(response, "username")


def requests() -> list:
    return list(PrimaryChangeRequest.objects.values_list("pidsl_id", "new_primary_id", "status"))


@pytest.mark.parametrize("actor", ["alice", "bob"])
def test_the_primary_user_and_the_backup_see_the_form(client, cast, actor):
    client.force_login(getattr(cast, actor))

    response = client.get(change_url(cast.pidsl_a))

    assert response.status_code == 200
    assert 'name="username"' in page(response)


@pytest.mark.parametrize("actor", ["alice", "bob"])
def test_pu06_the_primary_user_and_the_backup_file_a_request(client, cast, actor):
    client.force_login(getattr(cast, actor))

    response = client.post(change_url(cast.pidsl_a), {"username": "frank", "reason": "Alice retires."})

    assert response.status_code == 200
    assert "Your request to make frank the Primary User of 110000001A was sent to MassHealth" in page(response)
    request = PrimaryChangeRequest.objects.get()
    assert (request.pidsl, request.new_primary, request.requested_by) == (
        cast.pidsl_a,
        cast.frank,
        getattr(cast, actor),
    )
    assert (request.status, request.reason, request.old_primary_stays) == (
        PrimaryChangeRequest.Status.PENDING,
        "Alice retires.",
        False,  # the box was not ticked
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE_REQUEST_FILE)
    assert (event.actor, event.target_user, event.pidsl) == (getattr(cast, actor), cast.frank, cast.pidsl_a)


def test_pu06_filing_does_not_move_the_role(client, cast):
    client.force_login(cast.alice)

    client.post(change_url(cast.pidsl_a), {"username": "bob", "old_primary_stays": "on"})

    assert PrimaryChangeRequest.objects.get().old_primary_stays is True
    assert Access.objects.open().get(pidsl=cast.pidsl_a, role=Access.Role.PRIMARY).user == cast.alice
    assert cast.access(cast.bob, cast.pidsl_a).role == Access.Role.BACKUP


def test_the_pending_request_is_shown_instead_of_the_form(client, cast):
    factories.PrimaryChangeRequestFactory(pidsl=cast.pidsl_a, new_primary=cast.frank, requested_by=cast.alice)
    client.force_login(cast.bob)

    response = client.get(change_url(cast.pidsl_a))

    assert response.status_code == 200
    assert "A request to make frank the Primary User is waiting for MassHealth." in page(response)
    assert 'name="username"' not in page(response)


def test_pu06_a_second_pending_request_is_refused(client, cast):
    factories.PrimaryChangeRequestFactory(pidsl=cast.pidsl_a, new_primary=cast.frank, requested_by=cast.alice)
    client.force_login(cast.bob)
    before, filed = db_state(), requests()

    response = client.post(change_url(cast.pidsl_a), {"username": "carol"})

    assert response.status_code == 400
    assert "waiting for MassHealth" in page(response)
    assert requests() == filed
    assert db_state() == before


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "Enter the user ID of the new Primary User."),
        ("nobody", "No user you can choose here has that user ID. (PU-06)"),
        ("ALICE", "No user you can choose here has that user ID. (PU-06)"),
        # LK-03: another organization's user is refused in the same words as nobody.
        ("erin", "No user you can choose here has that user ID. (PU-06)"),
        ("biller", "No user you can choose here has that user ID. (PU-06)"),
    ],
)
def test_an_unknown_or_unchoosable_user_id_is_refused_at_the_field(client, cast, username, message):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(change_url(cast.pidsl_a), {"username": username})

    assert response.status_code == 400
    assert username_errors(response) == [message]
    assert not PrimaryChangeRequest.objects.exists()
    assert db_state() == before


def test_pu06_the_current_primary_user_is_refused_at_the_field(client, cast):
    client.force_login(cast.bob)
    before = db_state()

    response = client.post(change_url(cast.pidsl_a), {"username": "alice"})

    assert response.status_code == 400
    assert username_errors(response) == ["alice is already the Primary User. (PU-06)"]
    assert not PrimaryChangeRequest.objects.exists()
    assert db_state() == before


def test_us06_a_deactivated_user_cannot_be_named(client, cast):
    type(cast.frank).objects.filter(pk=cast.frank.pk).update(is_active=False)
    client.force_login(cast.alice)

    response = client.post(change_url(cast.pidsl_a), {"username": "frank"})

    assert response.status_code == 400
    assert "(US-06)" in username_errors(response)[0]
    assert not PrimaryChangeRequest.objects.exists()


@pytest.mark.parametrize("actor", ["dave", "carol", "erin", "compliance", "biller"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anyone_but_the_pidsls_administrators_is_refused(client, cast, actor, method):
    client.force_login(getattr(cast, actor))
    before = db_state()

    response = getattr(client, method)(change_url(cast.pidsl_a), {"username": "frank"} if method == "post" else {})

    assert response.status_code == 403
    assert not PrimaryChangeRequest.objects.exists()
    assert db_state() == before
    assert audit_count(action=AuditEvent.Action.ACCESS_REFUSED, actor=getattr(cast, actor), pidsl=cast.pidsl_a) == 1


def test_alice_cannot_file_for_a_pidsl_she_does_not_administer(client, cast):
    client.force_login(cast.alice)

    response = client.post(change_url(cast.pidsl_b), {"username": "frank"})

    assert response.status_code == 403
    assert not PrimaryChangeRequest.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_sign_in(client, cast, method):
    before = db_state()

    response = getattr(client, method)(change_url(cast.pidsl_a), {"username": "frank"} if method == "post" else {})

    assert is_sign_in_redirect(response)
    assert not PrimaryChangeRequest.objects.exists()
    assert db_state() == before


def test_an_unknown_pidsl_is_404(client, cast):
    client.force_login(cast.alice)

    response = client.get(reverse("subordinates:change_primary", kwargs={"pidsl": "999999999Z"}))

    assert response.status_code == 404
