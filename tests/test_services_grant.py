"""Granting services to a user at a PID/SL: who may hold what, where (PU-04, SV-01, SV-02, SV-03)."""

import pytest

from audit.models import AuditEvent
from posc.policy import NotAuthorized, PolicyViolation
from providers.models import Access
from subordinates.services import access_services_set, subordinate_create, user_link
from tests import factories
from tests.helpers import (
    assert_permissions_match_access,
    audit_count,
    fresh,
    guardian_codes,
    held,
    services,
)
from tests.test_subordinate_create import NEW_HIRE


def grant(cast, user, *codes, actor=None, pidsl=None):
    pidsl = pidsl or cast.pidsl_a
    return access_services_set(actor=actor or cast.alice, access=cast.access(user, pidsl), services=services(*codes))


def test_sv03_the_primary_user_changes_a_subordinates_services_at_one_pidsl(cast):
    access = grant(cast, cast.carol, "portal_services", "claims", "referrals")

    assert access.pk == cast.access(cast.carol, cast.pidsl_a).pk
    assert held(cast.carol, cast.pidsl_a) == {"portal_services", "claims", "referrals"}
    assert guardian_codes(cast.carol, cast.pidsl_a) == {"portal_services", "claims", "referrals"}
    event = AuditEvent.objects.get(action=AuditEvent.Action.SERVICES_CHANGE)
    assert event.before == {"services": ["claims", "portal_services", "provider_reports"]}
    assert event.after == {"services": ["claims", "portal_services", "referrals"]}
    assert_permissions_match_access()


def test_au01_setting_the_same_services_again_writes_no_audit_record(cast):
    grant(cast, cast.carol, "portal_services", "claims", "provider_reports")

    assert audit_count(action=AuditEvent.Action.SERVICES_CHANGE) == 0


@pytest.mark.parametrize("actor", ["carol", "dave", "erin", "biller"])
def test_pu04_only_the_pidsls_administrators_change_services_there(cast, actor):
    with pytest.raises(NotAuthorized):
        grant(cast, cast.carol, "portal_services", "financial_data", actor=getattr(cast, actor))

    assert held(cast.carol, cast.pidsl_a) == {"portal_services", "claims", "provider_reports"}


# PU-04: Manage Subordinate Accounts only for the Primary User and the backup


def test_pu04_subordinate_cannot_hold_manage_subordinate_accounts(cast):
    with pytest.raises(PolicyViolation) as refused:
        grant(cast, cast.carol, "portal_services", "claims", "manage_subordinates")

    assert refused.value.rule == "PU-04"
    assert "manage_subordinates" not in held(cast.carol, cast.pidsl_a)
    assert "manage_subordinates" not in guardian_codes(cast.carol, cast.pidsl_a)
    assert audit_count(action=AuditEvent.Action.SERVICES_CHANGE) == 0


def test_pu04_a_new_subordinate_cannot_be_created_with_manage_subordinate_accounts(cast):
    with pytest.raises(PolicyViolation) as refused:
        subordinate_create(
            actor=cast.alice,
            pidsl=cast.pidsl_a,
            identity=NEW_HIRE,
            services=services("portal_services", "manage_subordinates"),
        )

    assert refused.value.rule == "PU-04"
    assert not Access.objects.filter(user__last_name=NEW_HIRE.last_name).exists()


def test_pu04_a_linked_user_cannot_be_given_manage_subordinate_accounts(cast):
    with pytest.raises(PolicyViolation) as refused:
        user_link(
            actor=cast.erin,
            pidsl=cast.pidsl_x,
            username="biller",
            last_name="Biller",
            services=services("portal_services", "manage_subordinates"),
        )

    assert refused.value.rule == "PU-04"
    assert not Access.objects.filter(user=cast.biller, pidsl=cast.pidsl_x).exists()


def test_pu04_the_primary_user_and_the_backup_hold_manage_subordinate_accounts(cast):
    assert "manage_subordinates" in held(cast.alice, cast.pidsl_a)
    assert "manage_subordinates" in held(cast.bob, cast.pidsl_a)
    assert fresh(cast.bob).has_perm("providers.svc_manage_subordinates", cast.pidsl_a)
    assert not fresh(cast.carol).has_perm("providers.svc_manage_subordinates", cast.pidsl_a)


def test_pu04_a_subordinate_cannot_act_as_an_administrator(cast):
    with pytest.raises(NotAuthorized) as refused:
        grant(cast, cast.biller, "portal_services", actor=cast.carol)

    assert refused.value.rule == "PU-04"
    assert held(cast.biller, cast.pidsl_a) == {"portal_services", "claims", "batch_files"}


# SV-01: Portal Services is held by every linked user


def test_sv01_portal_services_cannot_be_removed(cast):
    with pytest.raises(PolicyViolation) as refused:
        grant(cast, cast.carol, "claims")

    assert refused.value.rule == "SV-01"
    assert "portal_services" in held(cast.carol, cast.pidsl_a)


def test_sv01_a_new_subordinate_must_hold_portal_services(cast):
    with pytest.raises(PolicyViolation) as refused:
        subordinate_create(actor=cast.alice, pidsl=cast.pidsl_a, identity=NEW_HIRE, services=services("claims"))

    assert refused.value.rule == "SV-01"
    assert not Access.objects.filter(user__last_name=NEW_HIRE.last_name).exists()


def test_sv01_a_linked_user_must_hold_portal_services(cast):
    with pytest.raises(PolicyViolation) as refused:
        user_link(actor=cast.alice, pidsl=cast.pidsl_a, username="frank", last_name="Frank", services=[])

    assert refused.value.rule == "SV-01"
    assert not Access.objects.filter(user=cast.frank).exists()


def test_sv01_every_open_link_holds_portal_services(cast):
    for access in Access.objects.open():
        assert "portal_services" in held(access.user, access.pidsl), access


# SV-02: provider-type services only where the provider type allows


@pytest.mark.parametrize("code", ["sco_pace_members", "mmq"])
def test_sv02_provider_type_services_are_refused_at_an_ordinary_provider(cast, code):
    with pytest.raises(PolicyViolation) as refused:
        grant(cast, cast.carol, "portal_services", code)

    assert refused.value.rule == "SV-02"
    assert code not in held(cast.carol, cast.pidsl_a)


@pytest.mark.parametrize(
    "traits, allowed, refused_code",
    [
        ({"is_pace": True}, "sco_pace_members", "mmq"),
        ({"is_sco": True}, "sco_pace_members", "mmq"),
        ({"is_long_term_care": True}, "mmq", "sco_pace_members"),
    ],
)
def test_sv02_provider_type_services_are_granted_only_where_the_type_allows(cast, traits, allowed, refused_code):
    org = factories.OrganizationFactory(**traits)
    pidsl = factories.PidSlFactory(organization=org)
    primary = factories.UserFactory(home_organization=org)
    staff = factories.UserFactory(home_organization=org)
    factories.AccessFactory(user=primary, pidsl=pidsl, role=Access.Role.PRIMARY)
    factories.AccessFactory(user=staff, pidsl=pidsl)

    grant(cast, staff, "portal_services", allowed, actor=primary, pidsl=pidsl)

    assert held(staff, pidsl) == {"portal_services", allowed}
    with pytest.raises(PolicyViolation) as refused:
        grant(cast, staff, "portal_services", allowed, refused_code, actor=primary, pidsl=pidsl)
    assert refused.value.rule == "SV-02"
    assert held(staff, pidsl) == {"portal_services", allowed}
    assert_permissions_match_access()


# SV-03: services are granted per user per PID/SL


def test_sv03_services_granted_at_one_pidsl_do_not_appear_at_another(cast):
    factories.AccessFactory(user=cast.carol, pidsl=cast.pidsl_b, services=["portal_services"])

    grant(cast, cast.carol, "portal_services", "claims", "financial_data")

    carol = fresh(cast.carol)
    assert carol.has_perm("providers.svc_financial_data", cast.pidsl_a)
    assert not carol.has_perm("providers.svc_financial_data", cast.pidsl_b)
    assert not carol.has_perm("providers.svc_claims", cast.pidsl_b)
    assert held(cast.carol, cast.pidsl_b) == {"portal_services"}
    assert guardian_codes(cast.carol, cast.pidsl_b) == {"portal_services"}


def test_sv03_no_service_is_held_without_a_pidsl(cast):
    carol = fresh(cast.carol)

    assert carol.has_perm("providers.svc_claims", cast.pidsl_a)
    assert not carol.has_perm("providers.svc_claims")
    assert not fresh(cast.alice).has_perm("providers.svc_manage_subordinates")


def test_sv03_a_grant_reaches_only_the_one_user_it_names(cast):
    grant(cast, cast.carol, "portal_services", "claims", "financial_data")

    assert "financial_data" not in held(cast.biller, cast.pidsl_a)
    assert not fresh(cast.biller).has_perm("providers.svc_financial_data", cast.pidsl_a)
    assert_permissions_match_access()
