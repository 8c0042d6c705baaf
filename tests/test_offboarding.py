"""One-action off-boarding (issue 17): every link at the PID/SLs the actor administers ends in one
step, one audit record per PID/SL, other organizations told (LK-02); the home organization may
deactivate too (LK-03, US-06); a Primary User still Primary is refused (PU-06). From every kind
of actor: the user's own organization, the backup, another organization's administrator, a
subordinate, a compliance officer, agency staff and anonymous."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from providers.models import Access, Notification
from tests import factories
from tests.snapshots import db_snapshot


@pytest.fixture
def carol_everywhere(cast):
    """carol at A (alice's), at B (dave's) and, as an outside user, at Other Clinic's X (erin's)."""
    factories.AccessFactory(user=cast.carol, pidsl=cast.pidsl_b)
    factories.AccessFactory(user=cast.carol, pidsl=cast.pidsl_x)
    return cast.carol


def url(user) -> str:
    return reverse("subordinates:offboard", args=[user.pk])


def open_at(user) -> set[str]:
    return {a.pidsl.code for a in Access.objects.open().filter(user=user).select_related("pidsl")}


def test_the_home_organization_offboards_and_deactivates_in_one_step(client, cast, carol_everywhere):
    factories.AccessFactory(user=cast.alice, pidsl=cast.pidsl_b, role=Access.Role.BACKUP)  # alice administers B too
    client.force_login(cast.alice)
    page = client.get(url(cast.carol)).content.decode()
    assert "110000001A" in page and "110000001B" in page and "330000001A" not in page
    assert 'name="deactivate"' in page
    response = client.post(url(cast.carol), {"deactivate": "on"})
    assert response.status_code == 200
    assert open_at(cast.carol) == {"330000001A"}  # Other Clinic's link is theirs to end
    cast.carol.refresh_from_db()
    assert not cast.carol.is_active
    ends = AuditEvent.objects.filter(action=AuditEvent.Action.LINK_END, target_user=cast.carol)
    assert sorted(e.pidsl.code for e in ends) == ["110000001A", "110000001B"]  # one record per PID/SL
    assert AuditEvent.objects.filter(action=AuditEvent.Action.USER_DEACTIVATE, target_user=cast.carol).exists()
    # LK-02: Other Clinic, where carol is still linked, is told.
    assert Notification.objects.filter(organization=cast.other, subject_user=cast.carol).exists()


def test_the_backup_offboards_from_the_pidsl_they_administer(client, cast, carol_everywhere):
    client.force_login(cast.bob)
    assert client.post(url(cast.carol)).status_code == 200
    assert open_at(cast.carol) == {"110000001B", "330000001A"}
    assert cast.carol.is_active


def test_another_organization_ends_only_its_link_and_may_not_deactivate(client, cast, carol_everywhere):
    client.force_login(cast.erin)
    page = client.get(url(cast.carol)).content.decode()
    assert "330000001A" in page and 'name="deactivate"' not in page  # LK-03
    before = db_snapshot()
    refused = client.post(url(cast.carol), {"deactivate": "on"})
    assert refused.status_code == 403
    assert db_snapshot() == before  # all or nothing
    assert client.post(url(cast.carol)).status_code == 200
    assert open_at(cast.carol) == {"110000001A", "110000001B"}
    # LK-03: the home organization hears that another organization ended its user's link.
    assert Notification.objects.filter(
        organization=cast.eddys, subject_user=cast.carol, kind=Notification.Kind.OUTSIDE_REMOVE
    ).exists()


def test_pu06_a_primary_user_still_primary_is_refused_with_the_reason(client, cast):
    client.force_login(cast.bob)
    before = db_snapshot()
    for response in (client.get(url(cast.alice)), client.post(url(cast.alice), {"deactivate": "on"})):
        assert response.status_code == 403
        assert "is still the Primary User of 110000001A" in response.content.decode()
    assert db_snapshot() == before


def test_pu04_an_administrator_where_the_person_is_not_linked_is_refused(client, cast):
    client.force_login(cast.dave)
    before = db_snapshot()
    response = client.post(url(cast.carol))
    assert response.status_code == 403
    assert "linked to no PID/SL you administer" in response.content.decode()
    assert db_snapshot() == before


@pytest.mark.parametrize("who", ["carol", "biller", "compliance", "agency", "frank"])
def test_no_one_who_administers_nothing_offboards(client, cast, who):
    client.force_login(getattr(cast, who))
    before = db_snapshot()
    assert client.get(url(cast.carol)).status_code == 403
    assert client.post(url(cast.carol), {"deactivate": "on"}).status_code == 403
    assert db_snapshot() == before


def test_anonymous_is_sent_to_sign_in(client, cast):
    assert client.get(url(cast.carol)).status_code == 302
    assert client.post(url(cast.carol)).status_code == 302


def test_an_unknown_user_is_404(client, cast):
    client.force_login(cast.alice)
    assert client.get(reverse("subordinates:offboard", args=[987654])).status_code == 404


def test_organization_users_and_update_subordinate_offer_it_where_authority_allows(client, cast):
    client.force_login(cast.alice)
    users = client.get(reverse("subordinates:users")).content.decode()
    assert url(cast.carol) in users and url(cast.alice) not in users and url(cast.bob) in users
    carol_link = Access.objects.open().get(user=cast.carol, pidsl=cast.pidsl_a)
    update = client.get(reverse("subordinates:update", args=[cast.pidsl_a.code, carol_link.pk])).content.decode()
    assert url(cast.carol) in update
