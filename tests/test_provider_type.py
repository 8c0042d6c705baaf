"""SV-06: agency staff change an organization's provider type; every service no longer grantable
(SV-02) is revoked at once for every user there, guardian permissions follow, each revocation is
audited and the administrators and users told; PU-05: a service the new type allows goes to the
Primary Users and backups. SV-02's finding catches an ineligible grant that exists anyway."""

import pytest
from django.urls import reverse

from audit.compliance.findings import findings_for_organization
from audit.models import AuditEvent
from posc.policy import NotAuthorized
from providers import provider_type
from providers.models import Access, Notification, Organization, Service
from providers.permissions import object_permissions_sync
from tests.helpers import assert_permissions_match_access, held
from tests.snapshots import db_snapshot
from tests.view_helpers import text


@pytest.fixture
def long_term_care(cast):
    """Eddy's as a long-term-care provider: its administrators and carol hold Manage MMQ at A."""
    Organization.objects.filter(pk=cast.eddys.pk).update(is_long_term_care=True)
    cast.eddys.refresh_from_db()
    for user in (cast.alice, cast.bob, cast.carol):
        access = Access.objects.open().get(user=user, pidsl=cast.pidsl_a)
        access.services.add(*Service.objects.filter(code="mmq"))
        object_permissions_sync(user=user, pidsl=cast.pidsl_a)
    assert_permissions_match_access()
    return cast.eddys


def _change(cast, **traits):
    return provider_type.provider_type_change(actor=cast.agency, organization=cast.eddys, **traits)


def test_sv06_services_no_longer_grantable_are_revoked_for_everyone_at_once(cast, long_term_care):
    done = _change(cast, is_long_term_care=False)
    assert done["services_taken"] == ["mmq"] and done["revoked_links"] == 3
    for user in (cast.alice, cast.bob, cast.carol):
        assert "mmq" not in held(user, cast.pidsl_a)
    assert "claims" in held(cast.carol, cast.pidsl_a)  # nothing else is touched
    assert_permissions_match_access()
    records = AuditEvent.objects.filter(action=AuditEvent.Action.SERVICES_CHANGE, detail__contains="SV-06")
    assert {r.target_user_id for r in records} == {cast.alice.pk, cast.bob.pk, cast.carol.pk}
    carol = records.get(target_user=cast.carol)
    assert "mmq" in carol.before["services"] and "mmq" not in carol.after["services"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ORG_UPDATE, after__is_long_term_care=False).exists()
    notices = Notification.objects.filter(kind=Notification.Kind.SERVICES_REVOKED)
    assert notices.filter(recipient__isnull=True, organization=cast.eddys).count() == 1  # the administrators
    assert set(notices.exclude(recipient=None).values_list("recipient_id", flat=True)) == {
        cast.alice.pk,
        cast.bob.pk,
        cast.carol.pk,
    }
    assert not [f for f in findings_for_organization(cast.eddys) if f.rule == "SV-02"]


def test_pu05_a_service_the_new_type_allows_goes_to_the_primary_and_backup_only(cast):
    done = _change(cast, is_pace=True)
    assert done["granted_links"] >= 2
    assert "sco_pace_members" in held(cast.alice, cast.pidsl_a) and "sco_pace_members" in held(cast.bob, cast.pidsl_a)
    assert "sco_pace_members" not in held(cast.carol, cast.pidsl_a)
    assert_permissions_match_access()


def test_the_same_type_again_changes_and_records_nothing(cast, long_term_care):
    before = db_snapshot()
    assert _change(cast, is_long_term_care=True)["revoked_links"] == 0
    assert db_snapshot() == before


@pytest.mark.parametrize("who", ["alice", "bob", "dave", "carol", "erin", "compliance", "biller"])
def test_only_agency_staff_change_a_provider_type(client, cast, long_term_care, who):
    actor = getattr(cast, who)
    before = db_snapshot()
    with pytest.raises(NotAuthorized):
        provider_type.provider_type_change(actor=actor, organization=cast.eddys, is_long_term_care=False)
    client.force_login(actor)
    url = reverse("agency:provider_type", args=[cast.eddys.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"confirm": "on"}).status_code == 403
    assert db_snapshot() == before


def test_anonymous_is_sent_to_sign_in(client, cast):
    assert client.get(reverse("agency:provider_type", args=[cast.eddys.pk])).status_code == 302


def test_the_page_shows_what_a_change_takes_and_needs_a_confirmation(client, cast, long_term_care):
    client.force_login(cast.agency)
    url = reverse("agency:provider_type", args=[cast.eddys.pk])
    page = client.get(url).content.decode()
    assert "Manage MMQ: 3 user links" in page
    before = db_snapshot()
    response = client.post(url, {"is_long_term_care": ""})
    assert response.status_code == 400
    assert "Confirm that the services no longer grantable are removed at once (SV-06)." in text(response)
    assert db_snapshot() == before
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 200
    assert "Services removed from 3 user link(s)" in response.content.decode()
    assert "mmq" not in held(cast.carol, cast.pidsl_a)


def test_agency_finds_the_organization_by_name(client, cast):
    client.force_login(cast.agency)
    response = client.get(reverse("agency:provider_types"), {"q": cast.eddys.name[:4]})
    assert reverse("agency:provider_type", args=[cast.eddys.pk]) in response.content.decode()


def test_sv02_a_grant_the_provider_type_does_not_allow_is_a_finding(cast):
    access = Access.objects.open().get(user=cast.carol, pidsl=cast.pidsl_a)
    access.services.add(*Service.objects.filter(code="mmq"))  # written around check_services
    found = [f for f in findings_for_organization(cast.eddys) if f.rule == "SV-02"]
    assert [f.user for f in found] == [cast.carol]
