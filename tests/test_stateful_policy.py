"""Random sequences of Administer Account and role calls, by random actors, keep every hard rule.

A hypothesis state machine drives the services; each call may be refused (PolicyViolation), and
then nothing changed and nothing but an access refusal was audited. After every step the hard
rules of POLICY.md hold over the whole database, guardian permissions equal the Access table, and
a change that happened has its audit record (AU-01). Each example builds its cast in a savepoint
that its teardown rolls back, so examples start clean.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from audit.models import AuditEvent
from posc.policy import PolicyViolation
from providers import authority, catalog
from providers.models import (
    Access,
    Notification,
    Organization,
    PidSlUserObjectPermission,
    PrimaryChangeRequest,
)
from providers.services import backup_appoint, change_request_approve, change_request_file
from subordinates.services import (
    access_services_set,
    link_end,
    password_reset_temporary,
    user_deactivate,
    user_link,
    user_reactivate,
)
from tests import factories
from tests.helpers import assert_listed_links_match_access, assert_permissions_match_access, services

User = get_user_model()

# alice Primary of A, bob her backup, carol a subordinate there; dave Primary of B; erin Primary of X
# (a PACE provider); hank Primary of H (long-term care); frank, gina, ivy unlinked or subordinates;
# biller an outside user at A; agency is MassHealth.
USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank", "ivy", "biller", "agency"]
PIDSLS = ["A", "B", "X", "H"]
CODES = [entry.code for entry in catalog.CATALOG]

users = st.sampled_from(USERS)
# Mostly the PID/SL's (or the user's organization's) administrators, so most calls get past the
# authorization check and reach the rules; sometimes anyone at all.
actors = st.sampled_from(["@primary"] * 10 + ["@backup"] * 4 + USERS)
pidsls = st.sampled_from(PIDSLS)
PLAIN = [entry.code for entry in catalog.CATALOG if not entry.constraint]
# Mostly sets a subordinate may hold (Portal Services and plain services), sometimes one that a
# rule refuses: without Portal Services (SV-01), Manage Subordinate Accounts (PU-04), MMQ or
# SCO/PACE (SV-02).
service_sets = st.builds(
    lambda plain, portal, extra: plain | ({catalog.PORTAL_SERVICES} if portal else set()) | extra,
    st.sets(st.sampled_from(PLAIN), max_size=4),
    st.integers(0, 5).map(bool),
    st.one_of(st.just(set()), st.just(set()), st.sets(st.sampled_from(CODES), max_size=1)),
)


def _state() -> tuple:
    """Everything a refused call must leave as it was."""
    links = frozenset(
        (a.pk, a.user_id, a.pidsl_id, a.role, a.ended_at is None, frozenset(s.code for s in a.services.all()))
        for a in Access.objects.prefetch_related("services")
    )
    people = frozenset(User.objects.values_list("pk", "is_active", "password", "must_change_password"))
    requests = frozenset(PrimaryChangeRequest.objects.values_list("pk", "status"))
    permissions = frozenset(
        PidSlUserObjectPermission.objects.values_list("user_id", "content_object_id", "permission_id")
    )
    return links, people, requests, permissions, Notification.objects.count()


def _audited() -> int:
    return AuditEvent.objects.exclude(action=AuditEvent.Action.ACCESS_REFUSED).count()


class PolicyMachine(RuleBasedStateMachine):
    @initialize()
    def build_cast(self):
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        f = factories
        agency = f.AgencyStaffFactory(username="agency")
        eddys = f.OrganizationFactory(name="Eddy's Group Practice")
        pace = f.OrganizationFactory(name="Elder Care PACE", is_pace=True)
        harbor = f.OrganizationFactory(name="Harborview Nursing Center", is_long_term_care=True)
        billing = f.OrganizationFactory(name="Bay State Billing", kind=Organization.Kind.BILLING_INTERMEDIARY)
        self.pidsls = {
            "A": f.PidSlFactory(organization=eddys, provider_id="110000001", service_location="A"),
            "B": f.PidSlFactory(organization=eddys, provider_id="110000001", service_location="B"),
            "X": f.PidSlFactory(organization=pace, provider_id="330000001", service_location="A"),
            "H": f.PidSlFactory(organization=harbor, provider_id="440000001", service_location="A"),
        }
        home = {"erin": pace, "hank": harbor, "ivy": harbor, "biller": billing}
        people = {name: f.UserFactory(username=name, home_organization=home.get(name, eddys)) for name in USERS[:-1]}
        a, b, x, h = (self.pidsls[code] for code in PIDSLS)
        for user, pidsl in ((people["alice"], a), (people["dave"], b), (people["erin"], x), (people["hank"], h)):
            f.AccessFactory(user=user, pidsl=pidsl, role=Access.Role.PRIMARY, granted_by=agency)
        f.AccessFactory(user=people["bob"], pidsl=a, role=Access.Role.BACKUP, granted_by=people["alice"])
        f.AccessFactory(user=people["carol"], pidsl=a, services=["portal_services", "claims", "provider_reports"])
        f.AccessFactory(user=people["gina"], pidsl=b, services=["portal_services", "referrals"])
        f.AccessFactory(user=people["ivy"], pidsl=h, services=["portal_services", "mmq"])
        f.AccessFactory(user=people["biller"], pidsl=a, services=["portal_services", "claims", "batch_files"])

    def teardown(self):
        savepoint = getattr(self, "_savepoint", None)
        if savepoint is not None:
            transaction.set_rollback(True)
            savepoint.__exit__(None, None, None)

    # Helpers

    def user(self, name):
        # Fresh each step: an actor deactivated two steps ago must not act with a stale is_active.
        return User.objects.get(username=name)

    def actor(self, who, *, code=None, user=None):
        """A named user, or the Primary ("@primary") or backup of the PID/SL or, for a user-wide
        action, of a PID/SL of the user's home organization (MassHealth when it has none)."""
        if not who.startswith("@"):
            return self.user(who)
        links = authority.administrator_links().select_related("user")
        if code is not None:
            links = links.filter(pidsl=self.pidsls[code])
        else:
            links = links.filter(pidsl__organization_id=self.user(user).home_organization_id)
        # The backup when there is one and it was asked for, else the Primary.
        found = links.order_by("-role" if who == "@primary" else "role", "pidsl_id").first()
        return found.user if found is not None else self.user("agency")

    def links_at(self, code):
        """One of the PID/SL's open links (every PID/SL here always has its Primary's)."""
        links = Access.objects.open().filter(pidsl=self.pidsls[code]).select_related("user", "pidsl").order_by("pk")
        return st.sampled_from(list(links))

    def call(self, service, **kwargs) -> None:
        """Run one service; a refusal changes nothing and audits nothing, a change is audited."""
        state, audited = _state(), _audited()
        try:
            service(**kwargs)
        except PolicyViolation as exc:
            event(f"{service.__name__} refused ({exc.rule})")
            assert _state() == state, f"{service.__name__} was refused but changed something"
            assert _audited() == audited, f"{service.__name__} was refused but wrote an audit record"
            return
        event(f"{service.__name__} done")
        if _state() != state:
            assert _audited() > audited, f"{service.__name__} changed something without an audit record"

    # Rules: one per service

    @rule(actor=actors, code=pidsls, user=users)
    def appoint_backup(self, actor, code, user):
        self.call(backup_appoint, actor=self.actor(actor, code=code), pidsl=self.pidsls[code], user=self.user(user))

    @rule(actor=actors, code=pidsls, codes=service_sets, data=st.data())
    def set_services(self, actor, code, codes, data):
        access = data.draw(self.links_at(code))
        self.call(access_services_set, actor=self.actor(actor, code=code), access=access, services=services(*codes))

    @rule(actor=actors, code=pidsls, user=users, codes=service_sets)
    def link_user(self, actor, code, user, codes):
        target = self.user(user)
        self.call(
            user_link,
            actor=self.actor(actor, code=code),
            pidsl=self.pidsls[code],
            username=target.username,
            last_name=target.last_name,
            services=services(*codes),
        )

    @rule(actor=actors, code=pidsls, data=st.data())
    def remove(self, actor, code, data):
        access = data.draw(self.links_at(code))
        self.call(link_end, actor=self.actor(actor, code=code), access=access)

    @rule(actor=actors, user=users)
    def deactivate(self, actor, user):
        self.call(user_deactivate, actor=self.actor(actor, user=user), user=self.user(user))

    @precondition(lambda self: User.objects.filter(is_active=False).exists())
    @rule(actor=actors, data=st.data())
    def reactivate(self, actor, data):
        inactive = User.objects.filter(is_active=False).order_by("username").values_list("username", flat=True)
        user = data.draw(st.sampled_from(list(inactive)))
        self.call(user_reactivate, actor=self.actor(actor, user=user), user=self.user(user))

    @rule(actor=actors, code=pidsls, user=users, stays=st.booleans())
    def file_change_request(self, actor, code, user, stays):
        self.call(
            change_request_file,
            actor=self.actor(actor, code=code),
            pidsl=self.pidsls[code],
            new_primary=self.user(user),
            old_primary_stays=stays,
        )

    @precondition(lambda self: PrimaryChangeRequest.objects.filter(status=PrimaryChangeRequest.Status.PENDING).exists())
    @rule(actor=st.sampled_from(["agency"] * 8 + USERS), data=st.data())
    def approve_change_request(self, actor, data):
        pending = list(PrimaryChangeRequest.objects.filter(status=PrimaryChangeRequest.Status.PENDING).order_by("pk"))
        if pending:
            self.call(change_request_approve, actor=self.user(actor), request=data.draw(st.sampled_from(pending)))

    @rule(actor=actors, code=pidsls, data=st.data())
    def reset_password(self, actor, code, data):
        access = data.draw(self.links_at(code))
        self.call(password_reset_temporary, actor=self.actor(actor, code=code), user=access.user, pidsl=access.pidsl)

    # The hard rules, after every step

    @invariant()
    def one_primary_per_pidsl(self):
        # PU-01: every PID/SL here started with a Primary, so it has exactly one; PU-06: who is active.
        for code, pidsl in getattr(self, "pidsls", {}).items():
            primaries = Access.objects.open().filter(pidsl=pidsl, role=Access.Role.PRIMARY)
            assert primaries.count() == 1, f"PU-01 at {code}"
            assert primaries.get().user.is_active, f"PU-06: the Primary of {code} is deactivated"

    @invariant()
    def at_most_one_backup_never_the_primary(self):
        # PU-02
        for code, pidsl in getattr(self, "pidsls", {}).items():
            backups = list(
                Access.objects.open().filter(pidsl=pidsl, role=Access.Role.BACKUP).values_list("user", flat=True)
            )
            primaries = set(
                Access.objects.open().filter(pidsl=pidsl, role=Access.Role.PRIMARY).values_list("user", flat=True)
            )
            assert len(backups) <= 1, f"PU-02 at {code}"
            assert not set(backups) & primaries, f"PU-02: the backup of {code} is its Primary"

    @invariant()
    def services_follow_the_rules(self):
        for access in Access.objects.open().select_related("pidsl__organization").prefetch_related("services"):
            held = {s.code for s in access.services.all()}
            org = access.pidsl.organization
            where = f"{access.user_id} at {access.pidsl.code}"
            if access.role == Access.Role.SUBORDINATE:
                assert catalog.MANAGE_SUBORDINATES not in held, f"PU-04: {where}"
            else:
                grantable = {s.code for s in authority.administrator_services(access.pidsl)}
                assert held == grantable, f"PU-05: {where}"
            assert catalog.PORTAL_SERVICES in held, f"SV-01: {where}"
            if not org.is_long_term_care:
                assert "mmq" not in held, f"SV-02: {where}"
            if not (org.is_pace or org.is_sco):
                assert "sco_pace_members" not in held, f"SV-02: {where}"

    @invariant()
    def permissions_equal_the_access_table(self):
        assert_permissions_match_access()

    @invariant()
    def listed_links_count_the_open_links(self):
        assert_listed_links_match_access()


@pytest.mark.slow
@pytest.mark.django_db
def test_random_sequences_of_services_keep_every_hard_rule():
    run_state_machine_as_test(
        PolicyMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
