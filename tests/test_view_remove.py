"""Remove: ends a user's link to the PID/SL after a confirm step; the link is kept, ended (US-06).
The Primary User cannot be removed while Primary (PU-06)."""

import pytest

from audit.models import AuditEvent
from providers.models import Access, Notification
from tests import factories
from tests.helpers import audit_count, guardian_codes
from tests.view_helpers import access_url, db_state, page, text


def remove_url(cast, user):
    return access_url("remove", cast.access(user, cast.pidsl_a))


def test_get_asks_to_confirm_and_changes_nothing(client, cast):
    client.force_login(cast.alice)
    before = db_state()

    response = client.get(remove_url(cast, cast.carol))

    assert response.status_code == 200
    assert f"Remove <strong>{cast.carol.display_name}</strong> (carol)" in page(response)
    assert db_state() == before


@pytest.mark.parametrize("actor", ["alice", "bob"])
def test_post_ends_the_link(client, cast, actor):
    access = cast.access(cast.carol, cast.pidsl_a)
    client.force_login(getattr(cast, actor))

    response = client.post(remove_url(cast, cast.carol))

    assert response.status_code == 200
    assert "Confirmation" in page(response)
    access.refresh_from_db()
    assert access.ended_at is not None
    assert access.ended_by == getattr(cast, actor)
    assert not Access.objects.open().filter(user=cast.carol).exists()
    assert guardian_codes(cast.carol, cast.pidsl_a) == set()
    assert audit_count(action=AuditEvent.Action.LINK_END, target_user=cast.carol) == 1
    # The user ID stays.
    assert cast.carol.__class__.objects.get(pk=cast.carol.pk).is_active


def test_removing_an_outside_user_tells_the_home_organization(client, cast):
    client.force_login(cast.alice)

    response = client.post(remove_url(cast, cast.biller))

    assert response.status_code == 200
    assert Notification.objects.filter(organization=cast.billing, subject_user=cast.biller).count() == 1


def test_removing_twice_is_refused(client, cast):
    url = remove_url(cast, cast.carol)
    client.force_login(cast.alice)
    client.post(url)
    before = db_state()

    response = client.post(url)

    assert response.status_code == 403
    assert db_state() == before


@pytest.mark.parametrize("actor", ["alice", "bob"])
def test_pu06_the_primary_user_cannot_be_removed(client, cast, actor):
    client.force_login(getattr(cast, actor))
    before = db_state()

    response = client.post(remove_url(cast, cast.alice))

    assert response.status_code == 403
    assert "(PU-06)" in text(response)
    assert db_state() == before
    assert cast.access(cast.alice, cast.pidsl_a).role == Access.Role.PRIMARY


def test_the_backup_can_be_removed(client, cast):
    # Allowed; the PID/SL without a backup is then a finding (PU-03), not a refusal.
    client.force_login(cast.alice)

    response = client.post(remove_url(cast, cast.bob))

    assert response.status_code == 200
    assert not Access.objects.open().filter(user=cast.bob, pidsl=cast.pidsl_a).exists()


def test_a_link_elsewhere_is_untouched(client, cast):
    pidsl_c = factories.PidSlFactory(organization=cast.eddys, provider_id="110000001", service_location="C")
    factories.AccessFactory(user=cast.carol, pidsl=pidsl_c)
    client.force_login(cast.alice)

    client.post(remove_url(cast, cast.carol))

    assert Access.objects.open().filter(user=cast.carol, pidsl=pidsl_c).exists()
