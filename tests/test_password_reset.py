"""Resetting a forgotten password: a one-time temporary password (US-04), and who may reset whose (US-05)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from posc.policy import NotAuthorized, PolicyViolation
from subordinates.services import password_reset_temporary
from tests import factories
from tests.helpers import fresh


def password_unchanged(user) -> bool:
    return fresh(user).check_password(factories.DEMO_PASSWORD)


# US-04: a one-time temporary password


def test_us04_a_reset_issues_a_temporary_password_that_must_be_changed(cast, settings):
    settings.POSC_TEMP_PASSWORD_HOURS = 24
    start = timezone.now()

    password = password_reset_temporary(actor=cast.alice, user=cast.carol, pidsl=cast.pidsl_a)

    carol = fresh(cast.carol)
    assert carol.check_password(password)
    assert not carol.check_password(factories.DEMO_PASSWORD)
    assert carol.must_change_password
    assert start + timedelta(hours=24) <= carol.temporary_password_expires_at <= timezone.now() + timedelta(hours=24)


def test_us04_temporary_passwords_are_random(cast):
    passwords = {password_reset_temporary(actor=cast.alice, user=cast.carol, pidsl=cast.pidsl_a) for _ in range(5)}

    assert len(passwords) == 5
    assert all(len(p) >= 12 for p in passwords)


def test_us04_the_temporary_password_is_stored_only_as_a_hash(cast):
    password = password_reset_temporary(actor=cast.alice, user=cast.carol, pidsl=cast.pidsl_a)

    assert password not in fresh(cast.carol).password


def test_us04_the_reset_is_audited_without_the_password(cast):
    password = password_reset_temporary(actor=cast.alice, user=cast.carol, pidsl=cast.pidsl_a)

    event = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_RESET)
    assert (event.actor, event.target_user, event.pidsl) == (cast.alice, cast.carol, cast.pidsl_a)
    assert event.after == {"must_change_password": True}
    assert password not in f"{event.before}{event.after}{event.detail}"


# US-05: Primary Users reset subordinates' passwords only; agency staff reset Primary Users'


def test_us05_the_backup_may_reset_a_subordinates_password(cast):
    password = password_reset_temporary(actor=cast.bob, user=cast.carol, pidsl=cast.pidsl_a)

    assert fresh(cast.carol).check_password(password)


def test_us05_a_primary_user_cannot_reset_the_backups_password(cast):
    with pytest.raises(PolicyViolation) as refused:
        password_reset_temporary(actor=cast.alice, user=cast.bob, pidsl=cast.pidsl_a)

    assert refused.value.rule == "US-05"
    assert password_unchanged(cast.bob)
    assert not fresh(cast.bob).must_change_password
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_RESET).exists()


def test_us05_the_backup_cannot_reset_the_primary_users_password(cast):
    with pytest.raises(PolicyViolation) as refused:
        password_reset_temporary(actor=cast.bob, user=cast.alice, pidsl=cast.pidsl_a)

    assert refused.value.rule == "US-05"
    assert password_unchanged(cast.alice)


def test_us05_a_primary_user_of_another_pidsl_is_refused_even_when_linked_here(cast):
    # dave is Primary at B; a link as a subordinate at A does not make his password A's to reset.
    factories.AccessFactory(user=cast.dave, pidsl=cast.pidsl_a)

    with pytest.raises(PolicyViolation) as refused:
        password_reset_temporary(actor=cast.alice, user=cast.dave, pidsl=cast.pidsl_a)

    assert refused.value.rule == "US-05"
    assert password_unchanged(cast.dave)


def test_us05_agency_staff_reset_a_primary_users_password(cast):
    password = password_reset_temporary(actor=cast.agency, user=cast.alice)

    alice = fresh(cast.alice)
    assert alice.check_password(password)
    assert alice.must_change_password


def test_lk03_the_home_organization_resets_its_user_wherever_linked(cast):
    # frank is Eddy's, linked nowhere: his organization's Primary User resets him (LK-03).
    password = password_reset_temporary(actor=cast.alice, user=cast.frank)

    assert fresh(cast.frank).check_password(password)
    record = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_RESET, target_user=cast.frank)
    assert record.organization == cast.eddys


def test_lk03_another_organization_cannot_reset_even_without_a_pidsl(cast):
    with pytest.raises(NotAuthorized) as refused:
        password_reset_temporary(actor=cast.erin, user=cast.carol)

    assert refused.value.rule == "LK-03"
    assert password_unchanged(cast.carol)


@pytest.mark.parametrize("actor", ["carol", "dave", "erin", "alice", "bob"])
def test_lk03_only_the_home_organization_resets_an_outside_users_password(cast, actor):
    with pytest.raises(NotAuthorized):
        password_reset_temporary(actor=getattr(cast, actor), user=cast.biller, pidsl=cast.pidsl_a)

    assert password_unchanged(cast.biller)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_RESET).exists()


def test_us05_agency_staff_use_change_password_for_their_own(cast):
    with pytest.raises(PolicyViolation) as refused:
        password_reset_temporary(actor=cast.agency, user=cast.agency)

    assert refused.value.rule == "US-05"


def test_us05_agency_staff_cannot_reset_another_agency_account(cast):
    from posc.policy import PolicyViolation
    from subordinates.services import password_reset_temporary
    from tests.factories import AgencyStaffFactory

    other = AgencyStaffFactory()
    with pytest.raises(PolicyViolation):
        password_reset_temporary(actor=cast.agency, user=other)
    other.refresh_from_db()
    assert not other.must_change_password
