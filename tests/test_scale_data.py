"""generate_scale_data --size small: the shapes issue 6 asks for, and every policy invariant holds."""

import pytest
from django.core.management import call_command
from django.db.models import Count, Q

from audit.chain import chain_verify
from providers.models import Access, Organization, PidSl
from scaledata.generator import SIZES
from tests.helpers import assert_listed_links_match_access, assert_permissions_match_access

SMALL = SIZES["small"]


@pytest.fixture
def scale(db):
    call_command("generate_scale_data", "--size", "small")


def test_it_builds_the_sizes_asked_for(scale):
    assert Organization.objects.count() == SMALL.organizations
    assert PidSl.objects.count() == SMALL.pidsls
    assert Access.objects.open().count() == SMALL.access
    large = Organization.objects.get(name="Commonwealth Health Network")
    assert large.pidsls.count() == SMALL.large_pidsls and large.users.count() == SMALL.large_users
    big = PidSl.objects.annotate(n=Count("accesses", filter=Q(accesses__role="subordinate"))).order_by("-n").first()
    assert big.n == SMALL.big_pidsl_subordinates
    billing = Organization.objects.get(name="Scale Billing Services")
    busiest = billing.users.annotate(n=Count("accesses")).order_by("-n").first()
    assert busiest.n == SMALL.billing_links


def test_every_policy_invariant_holds(scale):
    per_pidsl = PidSl.objects.annotate(
        primaries=Count("accesses", filter=Q(accesses__role="primary", accesses__ended_at__isnull=True)),
        backups=Count("accesses", filter=Q(accesses__role="backup", accesses__ended_at__isnull=True)),
    )
    assert set(per_pidsl.values_list("primaries", "backups")) == {(1, 1)}  # PU-01, PU-02
    open_links = Access.objects.open()
    assert not open_links.filter(role="subordinate", services__code="manage_subordinates").exists()  # PU-04
    assert open_links.annotate(n=Count("services", filter=Q(services__code="portal_services"))).filter(n=0).count() == 0
    assert not open_links.filter(services__code="mmq", pidsl__organization__is_long_term_care=False).exists()
    assert not open_links.filter(services__code="sco_pace_members", pidsl__organization__is_pace=False).exists()
    assert_permissions_match_access()
    assert_listed_links_match_access()
    ok, checked, bad = chain_verify()[:3]
    assert ok and checked == SMALL.audit, bad


def test_a_second_run_changes_nothing(scale):
    call_command("generate_scale_data", "--size", "small")
    assert Organization.objects.count() == SMALL.organizations
