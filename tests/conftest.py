"""The cast every test can use, built with factories (Healthchecks' BaseTestCase, as fixtures).

eddys: Eddy's Group Practice, PID/SLs A (main office) and B.
- alice is the Primary User of A; bob is her backup; carol is a subordinate at A.
- dave is the Primary User of B (same organization): he must not administer A.
- frank is a user of Eddy's with no link yet (e.g. a new hire to link or appoint).
other: Other Clinic, PID/SL X, Primary User erin: she must never see Eddy's things.
billing: Bay State Billing, whose user biller is linked to A (an outside user, LK-01).
compliance: Eddy's compliance officer. agency: MassHealth agency staff.
"""

import os
from dataclasses import dataclass

import pytest

from providers.models import Access, Organization

from . import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _load_catalog() -> None:
    """The rows data migrations write: the service catalog and the first terms."""
    from accounts.legal import first_terms_load
    from accounts.models import Terms
    from providers.catalog import catalog_load
    from providers.models import Service

    catalog_load(Service)
    first_terms_load(Terms)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # A transactional test's flush empties the catalog the data migration wrote; a
    # reused test database may start that way, so put it back once per session.
    with django_db_blocker.unblock():
        _load_catalog()


@pytest.fixture(autouse=True)
def _empty_cache():
    # The caches outlive each test's rolled-back transaction (the current terms; a session row
    # rolled back to its state before the test while its cached copy kept the test's changes).
    from django.core.cache import caches

    for alias in caches:
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _catalog_after_flush(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (marker.kwargs.get("transaction") or (marker.args[:1] == (True,)))
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        request.getfixturevalue("transactional_db")
        _load_catalog()


@dataclass
class Cast:
    agency: object
    eddys: Organization
    other: Organization
    billing: Organization
    pidsl_a: object
    pidsl_b: object
    pidsl_x: object
    alice: object
    bob: object
    carol: object
    dave: object
    frank: object
    erin: object
    biller: object
    compliance: object

    def access(self, user, pidsl) -> Access:
        return Access.objects.open().get(user=user, pidsl=pidsl)


def build_cast() -> Cast:
    """The cast's rows; module-scoped fixtures (tests/test_authorization_matrix.py) build it once."""
    f = factories
    agency = f.AgencyStaffFactory(username="agency")
    eddys = f.OrganizationFactory(name="Eddy's Group Practice")
    other = f.OrganizationFactory(name="Other Clinic")
    billing = f.OrganizationFactory(name="Bay State Billing", kind=Organization.Kind.BILLING_INTERMEDIARY)
    pidsl_a = f.PidSlFactory(organization=eddys, provider_id="110000001", service_location="A")
    pidsl_b = f.PidSlFactory(organization=eddys, provider_id="110000001", service_location="B")
    pidsl_x = f.PidSlFactory(organization=other, provider_id="330000001", service_location="A")
    alice = f.UserFactory(username="alice", last_name="Hughes", home_organization=eddys)
    bob = f.UserFactory(username="bob", home_organization=eddys)
    carol = f.UserFactory(username="carol", home_organization=eddys)
    dave = f.UserFactory(username="dave", home_organization=eddys)
    frank = f.UserFactory(username="frank", last_name="Frank", home_organization=eddys)
    erin = f.UserFactory(username="erin", home_organization=other)
    biller = f.UserFactory(username="biller", last_name="Biller", home_organization=billing)
    compliance = f.UserFactory(username="compliance", home_organization=eddys)
    f.AccessFactory(user=alice, pidsl=pidsl_a, role=Access.Role.PRIMARY, granted_by=agency)
    f.AccessFactory(user=bob, pidsl=pidsl_a, role=Access.Role.BACKUP, granted_by=alice)
    f.AccessFactory(user=carol, pidsl=pidsl_a, services=["portal_services", "claims", "provider_reports"])
    f.AccessFactory(user=dave, pidsl=pidsl_b, role=Access.Role.PRIMARY, granted_by=agency)
    f.AccessFactory(user=erin, pidsl=pidsl_x, role=Access.Role.PRIMARY, granted_by=agency)
    f.AccessFactory(user=biller, pidsl=pidsl_a, services=["portal_services", "claims", "batch_files"])
    f.ComplianceAssignmentFactory(user=compliance, organization=eddys, granted_by=agency)
    return Cast(
        agency=agency,
        eddys=eddys,
        other=other,
        billing=billing,
        pidsl_a=pidsl_a,
        pidsl_b=pidsl_b,
        pidsl_x=pidsl_x,
        alice=alice,
        bob=bob,
        carol=carol,
        dave=dave,
        frank=frank,
        erin=erin,
        biller=biller,
        compliance=compliance,
    )


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


@pytest.fixture
def harbor(cast):
    """A newly enrolled PID/SL of a new organization, with no Primary User yet (registration)."""
    organization = factories.OrganizationFactory(name="Harbor Clinic")
    return factories.PidSlFactory(organization=organization, provider_id="770000001", service_location="A")


@pytest.fixture
def letter(cast, harbor):
    """The approved designation of Nina Alvarez for harbor, and the PIN printed on her letter."""
    from providers import registration

    return registration.designation_approve(
        actor=cast.agency, pidsl=harbor, first_name="Nina", last_name="Alvarez", email="nina@example.org"
    )
