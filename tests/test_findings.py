"""Compliance findings (audit/compliance/findings.py): each "finding" rule of POLICY.md reports the state it
names and stays quiet when the state is fixed. The cast's Eddy's is compliant except that B has
no backup (PU-03); the `compliant` fixture appoints frank there."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.compliance.findings import RULES, findings_for_organization, rule_matches
from audit.models import AccessReview, AuditEvent
from providers import authority
from providers.models import Access, Organization
from tests import factories

DAY = timedelta(days=1)


def found(organization, rule: str):
    return [f for f in findings_for_organization(organization) if f.rule == rule]


def usernames(findings) -> list[str]:
    return [f.user.username for f in findings]


@pytest.fixture
def compliant(cast):
    factories.AccessFactory(user=cast.frank, pidsl=cast.pidsl_b, role=Access.Role.BACKUP, granted_by=cast.dave)
    return cast


def test_a_compliant_organization_has_no_findings(compliant):
    assert findings_for_organization(compliant.eddys) == []


# PU-03


def test_pu03_a_pidsl_without_a_backup(cast):
    (finding,) = found(cast.eddys, "PU-03")
    assert finding.pidsl == cast.pidsl_b
    assert finding.user is None
    assert finding.fix_url == reverse("subordinates:backup", kwargs={"pidsl": cast.pidsl_b.code})
    assert finding.fix_primary_only


def test_pu03_a_deactivated_backup(compliant):
    compliant.bob.is_active = False
    compliant.bob.save()
    (finding,) = found(compliant.eddys, "PU-03")
    assert (finding.user, finding.pidsl) == (compliant.bob, compliant.pidsl_a)
    assert "deactivated" in finding.subject


@pytest.mark.parametrize(("days_ago", "reported"), [(91, True), (89, False)])
def test_pu03_a_primary_not_signed_in_for_the_window(compliant, days_ago, reported):
    compliant.alice.last_login = timezone.now() - days_ago * DAY
    compliant.alice.save()
    findings = found(compliant.eddys, "PU-03")
    assert usernames(findings) == (["alice"] if reported else [])
    if reported:
        assert findings[0].fix_url == reverse("subordinates:change_primary", kwargs={"pidsl": compliant.pidsl_a.code})


def test_pu03_never_signed_in_counts_from_the_grant(compliant):
    Access.objects.open().filter(user=compliant.dave).update(granted_at=timezone.now() - 91 * DAY)
    (finding,) = found(compliant.eddys, "PU-03")
    assert finding.user == compliant.dave
    assert "never signed in" in finding.subject


# PU-07


def _make_primary_elsewhere(user, count: int, organization) -> None:
    for _ in range(count):
        factories.AccessFactory(user=user, pidsl=factories.PidSlFactory(organization=organization), role="primary")


@pytest.mark.parametrize(("limit", "reported"), [(2, True), (3, False)])
def test_pu07_a_primary_user_of_more_pidsls_than_the_limit(compliant, settings, limit, reported):
    settings.POSC_PRIMARY_PIDSL_FINDING = limit
    # alice: A, another of Eddy's and one of another organization: three in all.
    _make_primary_elsewhere(compliant.alice, 1, compliant.eddys)
    _make_primary_elsewhere(compliant.alice, 1, compliant.other)
    findings = found(compliant.eddys, "PU-07")
    assert usernames(findings) == (["alice"] if reported else [])  # once, however many of Eddy's she holds
    if reported:
        assert "3 PID/SLs" in findings[0].subject


# US-07


@pytest.mark.parametrize(("days_ago", "reported"), [(91, True), (89, False)])
def test_us07_a_user_not_signed_in_for_the_window(compliant, days_ago, reported):
    compliant.carol.last_login = timezone.now() - days_ago * DAY
    compliant.carol.save()
    findings = found(compliant.eddys, "US-07")
    assert usernames(findings) == (["carol"] if reported else [])
    if reported:
        access = compliant.access(compliant.carol, compliant.pidsl_a)
        assert findings[0].fix_url == reverse(
            "subordinates:update", kwargs={"pidsl": compliant.pidsl_a.code, "access_id": access.pk}
        )


def test_us07_leaves_out_deactivated_users(compliant):
    compliant.carol.last_login = timezone.now() - 200 * DAY
    compliant.carol.is_active = False
    compliant.carol.save()
    assert found(compliant.eddys, "US-07") == []


# US-08


def _sign_in(user, ip: str, at, action=AuditEvent.Action.SIGN_IN):
    factories.AuditEventFactory(actor=user, action=action, ip_address=ip, at=at)


def test_us08_sign_ins_from_two_addresses_within_ten_minutes(compliant):
    start = timezone.now() - 2 * DAY
    _sign_in(compliant.carol, "10.0.0.1", start)
    _sign_in(compliant.carol, "192.0.2.7", start + timedelta(minutes=9))
    (finding,) = found(compliant.eddys, "US-08")
    assert finding.user == compliant.carol


@pytest.mark.parametrize(
    ("second_ip", "gap", "days_ago", "action"),
    [
        ("10.0.0.1", timedelta(minutes=1), 2, AuditEvent.Action.SIGN_IN),  # the same address
        ("192.0.2.7", timedelta(minutes=11), 2, AuditEvent.Action.SIGN_IN),  # outside the window
        ("192.0.2.7", timedelta(minutes=1), 31, AuditEvent.Action.SIGN_IN),  # before the last 30 days
        ("192.0.2.7", timedelta(minutes=1), 2, AuditEvent.Action.SIGN_IN_FAILED),  # not a sign-in
    ],
)
def test_us08_is_quiet_otherwise(compliant, second_ip, gap, days_ago, action):
    start = timezone.now() - days_ago * DAY
    _sign_in(compliant.carol, "10.0.0.1", start)
    _sign_in(compliant.carol, second_ip, start + gap, action)
    assert found(compliant.eddys, "US-08") == []


# SV-04


def _subordinate_with(cast, codes):
    user = factories.UserFactory(home_organization=cast.eddys)
    factories.AccessFactory(user=user, pidsl=cast.pidsl_a, services=sorted(codes))
    return user


def _grantable_codes(pidsl) -> set[str]:
    return {s.code for s in authority.services_allowed(pidsl, authority.SUBORDINATE)}


def test_sv04_a_subordinate_holding_every_grantable_service(compliant):
    user = _subordinate_with(compliant, _grantable_codes(compliant.pidsl_a))
    (finding,) = found(compliant.eddys, "SV-04")
    assert (finding.user, finding.pidsl) == (user, compliant.pidsl_a)


def test_sv04_one_service_fewer_is_no_finding(compliant):
    _subordinate_with(compliant, _grantable_codes(compliant.pidsl_a) - {"financial_data"})
    assert found(compliant.eddys, "SV-04") == []


def test_sv04_at_a_pace_provider_the_pace_service_counts_too(compliant):
    Organization.objects.filter(pk=compliant.eddys.pk).update(is_pace=True)
    compliant.pidsl_a.refresh_from_db()
    codes = _grantable_codes(compliant.pidsl_a)
    assert "sco_pace_members" in codes
    _subordinate_with(compliant, codes - {"sco_pace_members"})
    assert found(compliant.eddys, "SV-04") == []
    _subordinate_with(compliant, codes)
    assert len(found(compliant.eddys, "SV-04")) == 1


# SV-05


@pytest.mark.parametrize(("limit", "reported"), [(2, True), (3, False)])
def test_sv05_a_subordinate_linked_to_more_pidsls_than_the_limit(compliant, settings, limit, reported):
    settings.POSC_SUBORDINATE_PIDSL_FINDING = limit
    # biller: A, plus two PID/SLs of other organizations: three in all.
    for _ in range(2):
        factories.AccessFactory(user=compliant.biller, pidsl=factories.PidSlFactory(organization=compliant.other))
    findings = found(compliant.eddys, "SV-05")
    assert usernames(findings) == (["biller"] if reported else [])


# AR-03


@pytest.mark.parametrize(
    ("due_in_days", "status", "reported"),
    [(-1, AccessReview.Status.OPEN, True), (0, AccessReview.Status.OPEN, False), (-1, "completed", False)],
)
def test_ar03_an_overdue_open_review(compliant, due_in_days, status, reported):
    today = timezone.localdate()
    AccessReview.objects.create(
        organization=compliant.eddys,
        period_start=today - 180 * DAY,
        period_end=today - 30 * DAY,
        due_date=today + due_in_days * DAY,
        status=status,
        created_at=timezone.now(),
    )
    assert len(found(compliant.eddys, "AR-03")) == (1 if reported else 0)


# Every rule, at two sizes


def _grow(cast, n: int) -> None:
    """n more PID/SLs of Eddy's, each breaking every rule at once."""
    old = timezone.now() - 200 * DAY
    codes = _grantable_codes(cast.pidsl_a)
    for i in range(n):
        pidsl = factories.PidSlFactory(organization=cast.eddys)
        factories.AccessFactory(user=cast.dave, pidsl=pidsl, role=Access.Role.PRIMARY)
        user = factories.UserFactory(home_organization=cast.eddys, last_login=old)
        factories.AccessFactory(user=user, pidsl=pidsl, services=sorted(codes))
        factories.AccessFactory(user=cast.biller, pidsl=pidsl)
        # SV-02 drift: Manage MMQ at a provider that is not long-term care, written around the services.
        factories.AccessFactory(pidsl=pidsl, services=["portal_services", "mmq"])
        _sign_in(user, "10.0.0.1", timezone.now() - DAY)
        _sign_in(user, f"192.0.2.{i + 1}", timezone.now() - DAY + timedelta(minutes=2))


# PU-03 takes three queries (the administrators' values, the PID/SLs, then the rows the findings
# name), SV-04, SV-05 (when it finds anything: the shown users' link counts) and SV-02 (the
# provider-type services' ids first: authority.provider_type_grants) two each, the others one.
RULE_QUERIES = 13


def test_queries_do_not_grow_with_the_organization(compliant, settings, django_assert_max_num_queries):
    settings.POSC_PRIMARY_PIDSL_FINDING = 3
    settings.POSC_SUBORDINATE_PIDSL_FINDING = 3
    with django_assert_max_num_queries(RULE_QUERIES):
        assert findings_for_organization(compliant.eddys) == []
    _grow(compliant, 12)
    today = timezone.localdate()
    AccessReview.objects.create(
        organization=compliant.eddys,
        period_start=today - 90 * DAY,
        period_end=today - 30 * DAY,
        due_date=today - DAY,
        created_at=timezone.now(),
    )
    with django_assert_max_num_queries(RULE_QUERIES):
        findings = findings_for_organization(compliant.eddys)
        rendered = [f.as_json() for f in findings]  # subjects and URLs need no further query
    assert {f.rule for f in findings} == set(RULES)
    assert len(rendered) > 12 * 4


@pytest.mark.parametrize("rule", ["US-07", "SV-05"])
def test_a_walked_page_is_the_ordered_querys_page(compliant, settings, rule):
    """The rules with the most findings page by PidslWalk (one LATERAL subquery per PID/SL): each
    page holds the same findings, in the same order, as slicing the rule's ordered query."""
    settings.POSC_SUBORDINATE_PIDSL_FINDING = 2
    _grow(compliant, 6)
    for _ in range(14):
        user = factories.UserFactory(home_organization=compliant.eddys, last_login=timezone.now() - 300 * DAY)
        for pidsl in (compliant.pidsl_a, compliant.pidsl_b, *compliant.eddys.pidsls.all()[:3]):
            if not Access.objects.open().filter(user=user, pidsl=pidsl).exists():
                factories.AccessFactory(user=user, pidsl=pidsl)
    matches = rule_matches(compliant.eddys, rule)
    assert matches.walk is not None
    ordered = list(matches.rows)
    assert len(ordered) > 10
    for start in range(0, len(ordered), 4):
        walked = matches[start : start + 4]
        assert [(f.pidsl.pk, f.user.pk) for f in walked] == [
            (a.pidsl_id, a.user_id) for a in ordered[start : start + 4]
        ], start
