"""An administrator unlocks a user ID locked by failed sign-ins (audited); US-05 limits who may."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.services import locked_usernames, lockout_clear
from audit.models import AuditEvent
from posc.policy import PolicyViolation
from tests.factories import DEMO_PASSWORD
from tests.helpers import sign_in_failures

LOGIN = reverse("accounts:login")


def lock(client, username):
    # The failures a patient attacker gets in after every wait (tests/test_sign_in_throttle.py
    # proves the waits); the last one through the sign-in page, so axes' own bookkeeping runs.
    sign_in_failures(username, settings.AXES_FAILURE_LIMIT - 1)
    client.post(LOGIN, {"username": username, "password": "wrong-password-here"})
    assert locked_usernames([username]) == {username}


def test_the_primary_user_unlocks_a_subordinate(client, cast):
    lock(client, "carol")
    assert locked_usernames(["carol", "bob"]) == {"carol"}
    admin = client.__class__()
    admin.force_login(cast.alice)
    page = admin.get(reverse("subordinates:users")).content.decode()
    assert "Sign-in locked" in page
    response = admin.post(reverse("subordinates:unlock", kwargs={"user_id": cast.carol.pk}))
    assert response.status_code == 200
    assert locked_usernames(["carol"]) == set()
    assert AuditEvent.objects.filter(action="lockout_clear", target_user=cast.carol, actor=cast.alice).exists()
    assert client.post(LOGIN, {"username": "carol", "password": DEMO_PASSWORD}).status_code == 302


def test_us05_a_primary_user_cannot_unlock_another_administrator(cast):
    with pytest.raises(PolicyViolation) as exc:
        lockout_clear(actor=cast.alice, user=cast.bob)
    assert exc.value.rule == "US-05"
    assert not AuditEvent.objects.filter(action="lockout_clear").exists()


def test_lk03_the_home_organizations_administrator_of_another_pidsl_unlocks(cast):
    lockout_clear(actor=cast.dave, user=cast.carol)
    assert AuditEvent.objects.filter(action="lockout_clear", target_user=cast.carol, actor=cast.dave).exists()


@pytest.mark.parametrize("actor", ["erin", "carol", "compliance"])
def test_lk03_nobody_outside_the_home_organizations_administrators_unlocks(cast, actor):
    with pytest.raises(PolicyViolation):
        lockout_clear(actor=getattr(cast, actor), user=cast.carol)


def test_lk03_a_linking_organization_cannot_unlock_an_outside_user(cast):
    with pytest.raises(PolicyViolation) as refused:
        lockout_clear(actor=cast.alice, user=cast.biller)
    assert refused.value.rule == "LK-03"


def test_agency_staff_unlock_anyone(cast):
    lockout_clear(actor=cast.agency, user=cast.alice)
    assert AuditEvent.objects.filter(action="lockout_clear", target_user=cast.alice).exists()


def test_other_organizations_cannot_use_the_unlock_url(client, cast):
    client.force_login(cast.erin)
    assert client.post(reverse("subordinates:unlock", kwargs={"user_id": cast.carol.pk})).status_code == 403
