"""Backup Primary User: the Primary User appoints or replaces the backup, who gets every
service (PU-02, PU-05); a replaced backup stays linked as a subordinate without Manage
Subordinate Accounts (PU-04)."""

import pytest

from audit.models import AuditEvent
from providers import authority
from providers.models import Access
from tests import factories
from tests.helpers import audit_count, held
from tests.view_helpers import db_state, field_errors, page, text, url


def backup_url(cast):
    return url("backup", pidsl=cast.pidsl_a.code)


def test_it_shows_the_current_backup(client, cast):
    client.force_login(cast.alice)

    response = client.get(backup_url(cast))

    assert response.status_code == 200
    assert response.context["backup"].user == cast.bob
    assert f"<strong>{cast.bob.display_name}</strong> (bob)" in page(response)


def test_the_primary_user_appoints_frank(client, cast):
    client.force_login(cast.alice)

    response = client.post(backup_url(cast), {"username": "frank"})

    assert response.status_code == 200
    assert "Confirmation" in page(response)
    assert "is now the backup Primary User of" in page(response)
    assert cast.access(cast.frank, cast.pidsl_a).role == Access.Role.BACKUP
    # PU-05: every service at the PID/SL.
    assert held(cast.frank, cast.pidsl_a) == {s.code for s in authority.administrator_services(cast.pidsl_a)}
    # The replaced backup stays, as a subordinate without Manage Subordinate Accounts.
    bob = cast.access(cast.bob, cast.pidsl_a)
    assert bob.role == Access.Role.SUBORDINATE
    assert "manage_subordinates" not in held(cast.bob, cast.pidsl_a)
    assert audit_count(action=AuditEvent.Action.BACKUP_APPOINT, target_user=cast.frank, actor=cast.alice) == 1


def test_the_replaced_backup_loses_the_screens_at_once(client, cast):
    client.force_login(cast.alice)
    client.post(backup_url(cast), {"username": "frank"})
    client.force_login(cast.bob)

    assert client.get(url("results", pidsl=cast.pidsl_a.code)).status_code == 403


def test_a_subordinate_can_be_made_the_backup(client, cast):
    client.force_login(cast.alice)

    response = client.post(backup_url(cast), {"username": "carol"})

    assert response.status_code == 200
    assert cast.access(cast.carol, cast.pidsl_a).role == Access.Role.BACKUP


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_backup_cannot_appoint(client, cast, method):
    client.force_login(cast.bob)
    before = db_state()

    response = client.get(backup_url(cast)) if method == "get" else client.post(backup_url(cast), {"username": "frank"})

    assert response.status_code == 403
    assert db_state() == before
    assert cast.access(cast.bob, cast.pidsl_a).role == Access.Role.BACKUP


def test_pu02_the_primary_user_cannot_be_the_backup(client, cast):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(backup_url(cast), {"username": "alice"})

    assert response.status_code == 400
    assert field_errors(response, "username") == [
        "The Primary User cannot also be the backup of the same PID/SL. (PU-02)"
    ]
    assert db_state() == before


@pytest.mark.parametrize(
    ("username", "message"),
    [
        pytest.param("bob", "bob is already the backup Primary User. (PU-02)", id="already-the-backup"),
        pytest.param("biller", "No user you can choose here has that user ID. (PU-02)", id="outside-user"),
        pytest.param("erin", "No user you can choose here has that user ID. (PU-02)", id="other-org"),
    ],
)
def test_pu02_refusals(client, cast, username, message):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(backup_url(cast), {"username": username})

    assert response.status_code == 400
    assert field_errors(response, "username") == [message]
    assert db_state() == before


def test_a_deactivated_user_cannot_be_appointed(client, cast):
    type(cast.frank).objects.filter(pk=cast.frank.pk).update(is_active=False)
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(backup_url(cast), {"username": "frank"})

    assert response.status_code == 400
    # The organization's own user is named as deactivated (another organization's would not be, LK-03).
    assert any("(US-06)" in e for e in field_errors(response, "username"))
    assert db_state() == before


@pytest.mark.parametrize(
    ("username", "message"),
    [("nobody", "No user you can choose here has that user ID. (PU-02)"), ("", "Enter the user's Username.")],
)
def test_an_unknown_or_empty_username_is_refused(client, cast, username, message):
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(backup_url(cast), {"username": username})

    assert response.status_code == 400
    assert message in text(response)
    assert db_state() == before


def test_a_pidsl_without_a_backup_says_so(client, cast):
    pidsl_c = factories.PidSlFactory(organization=cast.eddys, provider_id="110000001", service_location="C")
    factories.AccessFactory(user=cast.alice, pidsl=pidsl_c, role=Access.Role.PRIMARY)
    client.force_login(cast.alice)

    response = client.get(url("backup", pidsl=pidsl_c.code))

    assert response.context["backup"] is None
    assert "(PU-03)" in text(response)
