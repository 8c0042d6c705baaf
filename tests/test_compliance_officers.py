"""A compliance officer is appointed by agency staff or the organization's Primary User (issue 5)."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from posc.policy import PolicyViolation
from providers.models import ComplianceAssignment
from providers.services import compliance_officer_appoint, compliance_officer_end


def test_the_primary_appoints_and_ends_from_organization_users(client, cast):
    client.force_login(cast.alice)
    page = client.get(reverse("subordinates:users")).content.decode()
    assert "Make compliance officer" in page
    url = reverse("subordinates:compliance_officer", kwargs={"user_id": cast.frank.pk})
    assert client.post(url, {"action": "appoint"}).status_code == 200
    assert ComplianceAssignment.objects.filter(user=cast.frank, ended_at__isnull=True).exists()
    assert client.post(url, {"action": "end"}).status_code == 200
    assert not ComplianceAssignment.objects.filter(user=cast.frank, ended_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="compliance_end", target_user=cast.frank).exists()


@pytest.mark.parametrize("who", ["bob", "carol", "compliance", "erin"])
def test_only_the_primary_or_agency_appoints(cast, who):
    with pytest.raises(PolicyViolation):
        compliance_officer_appoint(actor=getattr(cast, who), organization=cast.eddys, user=cast.frank)
    assert not ComplianceAssignment.objects.filter(user=cast.frank).exists()


def test_another_organizations_primary_cannot_use_the_url(client, cast):
    client.force_login(cast.erin)
    url = reverse("subordinates:compliance_officer", kwargs={"user_id": cast.frank.pk})
    assert client.post(url, {"action": "appoint"}).status_code == 403
    assert not ComplianceAssignment.objects.filter(user=cast.frank).exists()


def test_the_primary_appoints_only_own_users(cast):
    with pytest.raises(PolicyViolation):
        compliance_officer_appoint(actor=cast.alice, organization=cast.eddys, user=cast.biller)


def test_agency_staff_appoint_from_the_users_screen(client, cast):
    client.force_login(cast.agency)
    url = reverse("agency:user_action", kwargs={"user_id": cast.biller.pk})
    assert client.post(url, {"action": "compliance"}).status_code == 200
    assert ComplianceAssignment.objects.filter(user=cast.biller, organization=cast.billing).exists()


def test_ending_twice_is_refused(cast):
    assignment = ComplianceAssignment.objects.get(user=cast.compliance)
    compliance_officer_end(actor=cast.agency, assignment=assignment)
    with pytest.raises(PolicyViolation):
        compliance_officer_end(actor=cast.agency, assignment=assignment)
