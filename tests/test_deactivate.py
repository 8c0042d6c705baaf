"""Deactivating and reactivating a user (US-06), and the organizations that hear of it (LK-02)."""

import pytest

from audit.models import AuditEvent
from posc.policy import NotAuthorized, PolicyViolation
from providers.models import Access, Notification
from providers.services import backup_appoint, change_request_file
from subordinates.services import (
    access_services_set,
    link_end,
    password_reset_temporary,
    subordinate_create,
    user_deactivate,
    user_link,
    user_reactivate,
)
from tests.helpers import assert_permissions_match_access, fresh, guardian_codes, held, services
from tests.test_subordinate_create import NEW_HIRE


def open_links(user) -> set[tuple[int, str, frozenset]]:
    return {
        (a.pk, a.role, frozenset(s.code for s in a.services.all()))
        for a in Access.objects.open().filter(user=user).prefetch_related("services")
    }


def test_us06_the_home_organizations_primary_user_deactivates_a_subordinate(cast):
    user_deactivate(actor=cast.alice, user=cast.carol, reason="left the practice")

    carol = fresh(cast.carol)
    assert not carol.is_active
    assert carol.deactivated_at is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.USER_DEACTIVATE)
    assert (event.actor, event.target_user, event.organization) == (cast.alice, cast.carol, cast.eddys)
    assert (event.before, event.after, event.detail) == ({"is_active": True}, {"is_active": False}, "left the practice")


def test_us06_deactivation_removes_every_guardian_permission_but_keeps_the_links(cast):
    before = open_links(cast.carol)

    user_deactivate(actor=cast.alice, user=cast.carol)

    assert guardian_codes(cast.carol, cast.pidsl_a) == set()
    assert not fresh(cast.carol).has_perm("providers.svc_claims", cast.pidsl_a)
    assert open_links(cast.carol) == before
    assert_permissions_match_access()


def test_us06_reactivation_restores_the_prior_links_and_permissions(cast):
    before = open_links(cast.carol)
    user_deactivate(actor=cast.alice, user=cast.carol)

    user_reactivate(actor=cast.alice, user=cast.carol)

    carol = fresh(cast.carol)
    assert carol.is_active
    assert carol.deactivated_at is None
    assert open_links(cast.carol) == before
    assert guardian_codes(cast.carol, cast.pidsl_a) == {"portal_services", "claims", "provider_reports"}
    assert carol.has_perm("providers.svc_claims", cast.pidsl_a)
    event = AuditEvent.objects.get(action=AuditEvent.Action.USER_REACTIVATE)
    assert (event.actor, event.target_user, event.after) == (cast.alice, cast.carol, {"is_active": True})
    assert_permissions_match_access()


def test_us06_a_deactivated_backup_gets_its_administrator_services_back_on_reactivation(cast):
    before = held(cast.bob, cast.pidsl_a)
    user_deactivate(actor=cast.alice, user=cast.bob)
    assert guardian_codes(cast.bob, cast.pidsl_a) == set()

    user_reactivate(actor=cast.agency, user=cast.bob)

    assert guardian_codes(cast.bob, cast.pidsl_a) == before
    assert cast.access(cast.bob, cast.pidsl_a).role == Access.Role.BACKUP


@pytest.mark.parametrize(
    "attempt",
    [
        pytest.param(
            lambda c: subordinate_create(
                actor=c.bob, pidsl=c.pidsl_a, identity=NEW_HIRE, services=services("portal_services")
            ),
            id="create",
        ),
        pytest.param(
            lambda c: access_services_set(
                actor=c.bob, access=c.access(c.carol, c.pidsl_a), services=services("portal_services")
            ),
            id="services",
        ),
        pytest.param(
            lambda c: user_link(
                actor=c.bob, pidsl=c.pidsl_a, username="frank", last_name="Frank", services=services("portal_services")
            ),
            id="link",
        ),
        pytest.param(lambda c: link_end(actor=c.bob, access=c.access(c.carol, c.pidsl_a)), id="remove"),
        pytest.param(lambda c: user_deactivate(actor=c.bob, user=c.carol), id="deactivate"),
        pytest.param(lambda c: password_reset_temporary(actor=c.bob, user=c.carol, pidsl=c.pidsl_a), id="reset"),
        pytest.param(lambda c: change_request_file(actor=c.bob, pidsl=c.pidsl_a, new_primary=c.frank), id="request"),
    ],
)
def test_us06_a_deactivated_user_cannot_act(cast, attempt):
    user_deactivate(actor=cast.alice, user=cast.bob)
    bob = fresh(cast.bob)
    cast.bob = bob
    links = Access.objects.count()
    events = AuditEvent.objects.count()

    with pytest.raises(NotAuthorized) as refused:
        attempt(cast)

    assert refused.value.rule == "US-06"
    assert (Access.objects.count(), AuditEvent.objects.count()) == (links, events)
    assert fresh(cast.carol).is_active


def test_us06_a_deactivated_primary_user_cannot_appoint_a_backup(cast):
    alice = fresh(cast.alice)
    alice.is_active = False
    alice.save()

    with pytest.raises(NotAuthorized) as refused:
        backup_appoint(actor=alice, pidsl=cast.pidsl_a, user=cast.frank)

    assert refused.value.rule == "US-06"
    assert not Access.objects.filter(user=cast.frank).exists()


@pytest.mark.parametrize("actor", ["erin", "carol", "biller", "compliance"])
def test_us06_only_the_home_organizations_administrators_or_agency_staff_deactivate(cast, actor):
    with pytest.raises(NotAuthorized) as refused:
        user_deactivate(actor=getattr(cast, actor), user=cast.carol)

    assert refused.value.rule == "LK-03"
    assert fresh(cast.carol).is_active
    assert guardian_codes(cast.carol, cast.pidsl_a) == {"portal_services", "claims", "provider_reports"}


def test_us06_a_pidsl_that_links_an_outside_user_cannot_deactivate_it(cast):
    with pytest.raises(NotAuthorized) as refused:
        user_deactivate(actor=cast.alice, user=cast.biller)

    assert refused.value.rule == "LK-03"
    assert fresh(cast.biller).is_active


def test_us06_an_administrator_of_another_pidsl_of_the_home_organization_may_deactivate(cast):
    user_deactivate(actor=cast.dave, user=cast.carol)

    assert not fresh(cast.carol).is_active


def test_us06_agency_staff_may_deactivate_and_reactivate_any_user(cast):
    user_deactivate(actor=cast.agency, user=cast.biller)
    assert not fresh(cast.biller).is_active

    user_reactivate(actor=cast.agency, user=cast.biller)
    assert fresh(cast.biller).is_active


@pytest.mark.parametrize("actor", ["erin", "carol"])
def test_us06_only_the_home_organizations_administrators_or_agency_staff_reactivate(cast, actor):
    user_deactivate(actor=cast.alice, user=cast.carol)

    with pytest.raises(NotAuthorized):
        user_reactivate(actor=getattr(cast, actor), user=cast.carol)

    assert not fresh(cast.carol).is_active
    assert guardian_codes(cast.carol, cast.pidsl_a) == set()


def test_us06_nobody_deactivates_their_own_user_id(cast):
    with pytest.raises(PolicyViolation) as refused:
        user_deactivate(actor=cast.bob, user=cast.bob)

    assert refused.value.rule == "US-06"
    assert fresh(cast.bob).is_active


def test_us06_deactivating_twice_is_refused(cast):
    user_deactivate(actor=cast.alice, user=cast.carol)

    with pytest.raises(PolicyViolation) as refused:
        user_deactivate(actor=cast.alice, user=cast.carol)

    assert refused.value.rule == "US-06"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.USER_DEACTIVATE).count() == 1


# LK-02: every other organization the user is linked to is notified


def test_lk02_deactivation_notifies_every_other_organization_the_user_is_linked_to(cast):
    user_link(
        actor=cast.erin, pidsl=cast.pidsl_x, username="biller", last_name="Biller", services=services("portal_services")
    )
    Notification.objects.all().delete()

    user_deactivate(actor=cast.agency, user=cast.biller)

    notes = Notification.objects.order_by("organization__name")
    assert [(n.organization, n.kind, n.subject_user) for n in notes] == [
        (cast.eddys, Notification.Kind.USER_DEACTIVATED, cast.biller),
        (cast.other, Notification.Kind.USER_DEACTIVATED, cast.biller),
    ]
    assert all(n.delivered_at is None for n in notes)


def test_lk02_the_home_organization_is_not_notified_of_its_own_deactivation(cast):
    user_deactivate(actor=cast.alice, user=cast.carol)

    assert not Notification.objects.exists()


def test_lk02_a_refused_deactivation_notifies_nobody(cast):
    with pytest.raises(NotAuthorized):
        user_deactivate(actor=cast.erin, user=cast.biller)

    assert not Notification.objects.exists()


def test_us06_deactivation_ends_every_session_even_after_reactivation(client, cast):
    """The finding (issue 14, ASVS 7.4.2): a session opened before a deactivation worked again
    after the reactivation. Now it is over for good; a new sign-in works."""
    from django.test import Client
    from django.urls import reverse

    other_browser = Client()
    client.force_login(cast.carol)
    other_browser.force_login(cast.carol)
    assert client.get(reverse("home")).status_code == 200

    user_deactivate(actor=cast.alice, user=cast.carol)
    user_reactivate(actor=cast.alice, user=cast.carol)

    for browser in (client, other_browser):
        response = browser.get(reverse("home"))
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    client.force_login(fresh(cast.carol))
    assert client.get(reverse("home")).status_code == 200


def test_us06_deactivation_changes_the_session_hash_django_checks(cast):
    carol = fresh(cast.carol)
    before = carol.get_session_auth_hash()
    user_deactivate(actor=cast.alice, user=carol)
    assert fresh(cast.carol).get_session_auth_hash() != before
