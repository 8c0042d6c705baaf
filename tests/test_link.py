"""Linking a user to a PID/SL, own organization or another (LK-01), and who hears of it (LK-02)."""

import pytest
from django.core import mail

from audit.models import AuditEvent
from posc.policy import NotAuthorized, PolicyViolation
from providers.models import Access, Notification
from providers.notifications import notifications_deliver
from subordinates.services import link_end, linkable_user_find, user_deactivate, user_link
from tests import factories
from tests.helpers import assert_permissions_match_access, audit_count, guardian_codes, held, services


def link(cast, *, actor=None, pidsl=None, username="biller", last_name="Biller", codes=("portal_services", "claims")):
    return user_link(
        actor=actor or cast.erin,
        pidsl=pidsl or cast.pidsl_x,
        username=username,
        last_name=last_name,
        services=services(*codes),
    )


# LK-01: another organization's user, found by username and matching last name


def test_lk01_an_outside_user_is_linked_with_the_chosen_services_and_stays_owned_by_home(cast):
    access = link(cast)

    assert (access.user, access.pidsl, access.role) == (cast.biller, cast.pidsl_x, Access.Role.SUBORDINATE)
    assert held(cast.biller, cast.pidsl_x) == {"portal_services", "claims"}
    assert guardian_codes(cast.biller, cast.pidsl_x) == {"portal_services", "claims"}
    cast.biller.refresh_from_db()
    assert cast.biller.home_organization == cast.billing
    # The link at Eddy's is untouched.
    assert held(cast.biller, cast.pidsl_a) == {"portal_services", "claims", "batch_files"}
    event = AuditEvent.objects.get(action=AuditEvent.Action.LINK_CREATE)
    assert (event.actor, event.target_user, event.pidsl) == (cast.erin, cast.biller, cast.pidsl_x)
    assert_permissions_match_access()


def test_lk01_the_last_name_is_matched_whatever_its_case(cast):
    access = link(cast, last_name="  bILLER ")

    assert access.user == cast.biller


def test_lk01_a_wrong_last_name_is_refused_and_links_nobody(cast):
    with pytest.raises(PolicyViolation) as refused:
        link(cast, last_name="Hughes")

    assert refused.value.rule == "LK-01"
    assert not Access.objects.filter(user=cast.biller, pidsl=cast.pidsl_x).exists()
    assert not Notification.objects.exists()
    assert audit_count(action=AuditEvent.Action.LINK_CREATE) == 0


def test_lk01_the_last_name_alone_finds_nobody(cast):
    assert linkable_user_find(username="", last_name="Biller") is None
    assert linkable_user_find(username="bill", last_name="Biller") is None
    assert linkable_user_find(username="biller", last_name="Biller") == cast.biller


def test_lk01_an_unknown_username_is_refused(cast):
    with pytest.raises(PolicyViolation) as refused:
        link(cast, username="nobody")

    assert refused.value.rule == "LK-01"


def test_lk01_a_user_already_linked_to_the_pidsl_is_not_linked_twice(cast):
    with pytest.raises(PolicyViolation) as refused:
        link(cast, actor=cast.alice, pidsl=cast.pidsl_a)

    assert refused.value.rule == "LK-01"
    assert Access.objects.filter(user=cast.biller, pidsl=cast.pidsl_a).count() == 1


def test_lk01_a_deactivated_user_cannot_be_linked(cast):
    user_deactivate(actor=cast.agency, user=cast.biller)

    with pytest.raises(PolicyViolation) as refused:
        link(cast)

    # LK-03: erin's organization is not biller's, so it learns only that no such user can be chosen.
    assert refused.value.rule == "LK-01"
    assert refused.value.messages[0].startswith("No user you can choose here")
    assert not Access.objects.filter(user=cast.biller, pidsl=cast.pidsl_x).exists()


@pytest.mark.parametrize("actor", ["alice", "carol", "biller"])
def test_lk01_only_the_pidsls_administrators_link_users_to_it(cast, actor):
    with pytest.raises(NotAuthorized):
        link(cast, actor=getattr(cast, actor))

    assert not Access.objects.filter(pidsl=cast.pidsl_x, user=cast.biller).exists()


def test_lk01_a_user_of_the_same_organization_is_linked_without_notifying_anyone(cast):
    access = link(cast, actor=cast.dave, pidsl=cast.pidsl_b, username="frank", last_name="Frank")

    assert access.user == cast.frank
    assert not Notification.objects.exists()


# LK-02: the home organization hears when an outside organization links its user


def test_lk02_the_home_organization_is_notified_when_an_outside_organization_links_its_user(cast):
    link(cast)

    note = Notification.objects.get()
    assert (note.organization, note.kind) == (cast.billing, Notification.Kind.OUTSIDE_LINK)
    assert (note.subject_user, note.pidsl) == (cast.biller, cast.pidsl_x)
    assert "Other Clinic" in note.message
    assert note.delivered_at is None


def test_lk02_a_removal_notifies_every_other_organization_the_user_is_linked_to(cast):
    link(cast)
    Notification.objects.all().delete()

    link_end(actor=cast.alice, access=cast.access(cast.biller, cast.pidsl_a))

    notes = Notification.objects.order_by("organization__name")
    assert [(n.organization, n.kind) for n in notes] == [
        (cast.billing, Notification.Kind.OUTSIDE_REMOVE),  # LK-03: the home organization
        (cast.other, Notification.Kind.USER_REMOVED),  # LK-02: another organization that links biller
    ]
    assert all(n.subject_user == cast.biller and n.pidsl == cast.pidsl_a for n in notes)
    assert not Access.objects.open().filter(user=cast.biller, pidsl=cast.pidsl_a).exists()
    assert guardian_codes(cast.biller, cast.pidsl_a) == set()
    assert held(cast.biller, cast.pidsl_x) == {"portal_services", "claims"}
    assert_permissions_match_access()


def test_lk02_removing_a_user_linked_only_at_home_notifies_nobody(cast):
    link_end(actor=cast.alice, access=cast.access(cast.carol, cast.pidsl_a))

    assert not Notification.objects.exists()
    assert not Access.objects.open().filter(user=cast.carol).exists()
    assert Access.objects.get(user=cast.carol).ended_by == cast.alice


def test_lk02_notifications_are_emailed_to_the_organizations_administrators_once(cast):
    billing_pidsl = factories.PidSlFactory(organization=cast.billing)
    billing_primary = factories.UserFactory(home_organization=cast.billing, email="boss@billing.example")
    factories.AccessFactory(user=billing_primary, pidsl=billing_pidsl, role=Access.Role.PRIMARY)
    link(cast)

    sent = notifications_deliver()

    assert sent == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["boss@billing.example"]
    assert "biller" in mail.outbox[0].body
    assert Notification.objects.get().delivered_at is not None
    # A second run finds nothing left to send.
    assert notifications_deliver() == 0
    assert len(mail.outbox) == 1
