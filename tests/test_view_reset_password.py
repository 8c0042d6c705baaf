"""Reset Password: a one-time temporary password for a subordinate (US-04); never for a
Primary User or backup, whose passwords agency staff reset (US-05)."""

import re

import pytest

from audit.models import AuditEvent
from tests.helpers import audit_count, fresh
from tests.view_helpers import access_url, db_state, page, text


def reset_url(cast, user):
    return access_url("reset_password", cast.access(user, cast.pidsl_a))


def temporary_password(response) -> str:
    return re.search(r'data-testid="temporary-password">([^<]+)<', page(response)).group(1)


@pytest.mark.parametrize("actor", ["alice", "bob"])
def test_it_issues_a_temporary_password(client, cast, actor):
    client.force_login(getattr(cast, actor))

    response = client.post(reset_url(cast, cast.carol))

    assert response.status_code == 200
    assert "Confirmation" in page(response)
    password = temporary_password(response)
    carol = fresh(cast.carol)
    assert carol.check_password(password)
    assert carol.must_change_password is True
    assert carol.temporary_password_expires_at is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_RESET, target_user=cast.carol)
    assert event.actor == getattr(cast, actor)
    assert password not in str(event.after)


def test_lk03_an_outside_user_linked_here_is_not_reset_here(client, cast):
    """The takeover finding: a PID/SL that links another organization's user cannot reset it."""
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(reset_url(cast, cast.biller))

    assert response.status_code == 403
    assert "Bay State Billing" in page(response) and "(LK-03)" in text(response)
    assert 'data-testid="temporary-password"' not in page(response)
    assert fresh(cast.biller).must_change_password is False
    assert db_state() == before


def test_it_rejects_get(client, cast):
    client.force_login(cast.alice)
    before = db_state()

    response = client.get(reset_url(cast, cast.carol))

    assert response.status_code == 405
    assert db_state() == before


@pytest.mark.parametrize(
    ("actor", "target"),
    [
        pytest.param("alice", "bob", id="the-backup"),
        pytest.param("bob", "alice", id="the-primary-by-the-backup"),
        pytest.param("alice", "alice", id="the-primary-herself"),
    ],
)
def test_us05_an_administrators_password_is_not_reset_here(client, cast, actor, target):
    client.force_login(getattr(cast, actor))
    before = db_state()

    response = client.post(reset_url(cast, getattr(cast, target)))

    assert response.status_code == 403
    assert "(US-05)" in text(response)
    assert 'data-testid="temporary-password"' not in page(response)
    assert db_state() == before
    assert fresh(getattr(cast, target)).must_change_password is False
    assert audit_count(action=AuditEvent.Action.PASSWORD_RESET) == 0


def test_us05_a_subordinate_who_is_primary_elsewhere_is_not_reset_here(client, cast):
    from tests import factories

    factories.AccessFactory(user=cast.dave, pidsl=cast.pidsl_a)
    client.force_login(cast.alice)
    before = db_state()

    response = client.post(reset_url(cast, cast.dave))

    assert response.status_code == 403
    assert "(US-05)" in text(response)
    assert db_state() == before


def test_lk03_the_update_page_offers_no_reset_for_an_outside_user_and_says_why(client, cast):
    client.force_login(cast.alice)

    response = client.get(access_url("update", cast.access(cast.biller, cast.pidsl_a)))

    assert response.status_code == 200
    assert 'form="reset-form"' not in page(response)
    assert "Reset Password: Only the Primary User or backup of the user&#x27;s own organization" in page(response)
    assert "Bay State Billing" in page(response)


def test_the_update_page_offers_reset_for_the_organizations_own_subordinate(client, cast):
    client.force_login(cast.alice)

    response = client.get(access_url("update", cast.access(cast.carol, cast.pidsl_a)))

    assert 'form="reset-form"' in page(response)
    assert "Reset Password:" not in page(response)


def test_pu06_the_update_page_offers_no_remove_for_the_primary_user(client, cast):
    client.force_login(cast.bob)

    response = client.get(access_url("update", cast.access(cast.alice, cast.pidsl_a)))

    assert "Remove: The Primary User cannot be removed while still Primary" in page(response)
    assert access_url("remove", cast.access(cast.alice, cast.pidsl_a)) not in page(response)
