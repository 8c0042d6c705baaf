"""providers.authority: each question it answers, asked by every kind of actor.

The cast (tests/conftest.py): alice is the Primary User of Eddy's 110000001A and bob her backup;
carol a subordinate there; dave the Primary User of Eddy's 110000001B; erin the Primary User of
Other Clinic's 330000001A; biller, of Bay State Billing, is linked to 110000001A (an outside user);
compliance is Eddy's compliance officer; agency is MassHealth staff. Each table below fails when
one answer changes.
"""

import pytest

from accounts.services import lockout_clear
from audit.models import AuditEvent, ReviewItem
from audit.reviews.services import review_create, review_decide, review_keep_remaining
from posc.policy import PolicyViolation
from providers import authority, catalog
from providers.models import Access, Notification
from providers.services import backup_appoint, change_request_approve, change_request_file
from subordinates import services

from . import factories

pytestmark = pytest.mark.django_db

ACTORS = ("alice", "bob", "dave", "erin", "carol", "biller", "compliance", "agency")


def who(cast, name):
    return getattr(cast, name)


@pytest.mark.parametrize(
    ("actor", "pidsl", "expected"),
    [
        ("alice", "pidsl_a", True),  # PU-04: the Primary User
        ("bob", "pidsl_a", True),  # PU-04: the backup
        ("dave", "pidsl_a", False),  # Primary User of the other site of the same organization
        ("erin", "pidsl_a", False),  # another organization's Primary User
        ("carol", "pidsl_a", False),  # a subordinate
        ("biller", "pidsl_a", False),  # an outside user linked there
        ("compliance", "pidsl_a", False),  # a compliance officer changes nothing
        ("agency", "pidsl_a", False),  # agency staff oversee; they do not administer a PID/SL
        ("dave", "pidsl_b", True),
    ],
)
def test_pu04_who_administers_a_pidsl(cast, actor, pidsl, expected):
    assert authority.administers(who(cast, actor), who(cast, pidsl)) is expected
    holds_msa = who(cast, pidsl) in authority.administered_pidsls(who(cast, actor))
    assert holds_msa is expected


def test_pu04_a_deactivated_administrator_administers_nothing(cast):
    services.user_deactivate(actor=cast.agency, user=cast.bob)
    cast.bob.refresh_from_db()
    assert authority.administers(cast.bob, cast.pidsl_a) is False
    assert authority.administered_organization_ids(cast.bob) == set()


# LK-03 / US-05: who may reset, unlock, change the contact details of and deactivate whom.
# carol: a subordinate of Eddy's; biller: Bay State Billing's user linked to Eddy's 110000001A.
ACCOUNT_MATRIX = [
    # (actor, target, may reset)
    ("alice", "carol", True),  # the home organization's Primary User
    ("bob", "carol", True),  # its backup
    ("dave", "carol", True),  # Primary User of another PID/SL of the same organization (LK-03: the home)
    ("erin", "carol", False),  # another organization: LK-03
    ("carol", "frank", False),  # a subordinate
    ("compliance", "carol", False),  # a compliance officer
    ("agency", "carol", True),  # agency staff
    ("alice", "biller", False),  # LK-03: linked to alice's PID/SL, but Bay State Billing's user
    ("bob", "biller", False),
    ("agency", "biller", True),
    ("alice", "bob", False),  # US-05: an administrator's password is the agency's
    ("agency", "alice", True),
    ("agency", "agency", False),  # nobody resets their own password here
    ("alice", "compliance", True),  # an officer of Eddy's is an Eddy's user
    ("erin", "compliance", False),
]


@pytest.mark.parametrize(("actor", "target", "expected"), ACCOUNT_MATRIX)
def test_lk03_who_may_reset_a_password(cast, actor, target, expected):
    assert authority.may_act_on_account(who(cast, actor), who(cast, target), authority.RESET) is expected


@pytest.mark.parametrize(("actor", "target", "expected"), ACCOUNT_MATRIX)
def test_lk03_who_may_unlock(cast, actor, target, expected):
    assert authority.may_act_on_account(who(cast, actor), who(cast, target), authority.UNLOCK) is expected


@pytest.mark.parametrize(
    ("actor", "target", "expected"),
    [
        ("alice", "carol", True),
        ("dave", "carol", True),
        ("erin", "carol", False),
        ("alice", "biller", False),  # LK-03
        ("carol", "frank", False),
        ("compliance", "carol", False),
        ("agency", "biller", True),
        ("alice", "dave", False),  # PU-06: a Primary User is replaced before deactivation
        ("alice", "bob", True),  # a backup may be (the backup role is not the Primary's)
        ("alice", "alice", False),  # not oneself
    ],
)
def test_lk03_who_may_deactivate(cast, actor, target, expected):
    assert authority.may_act_on_account(who(cast, actor), who(cast, target), authority.DEACTIVATE) is expected


@pytest.mark.parametrize(
    ("actor", "target", "expected"),
    [("alice", "carol", True), ("erin", "carol", False), ("alice", "biller", False), ("agency", "biller", True)],
)
def test_lk03_who_may_change_contact_details(cast, actor, target, expected):
    assert authority.may_act_on_account(who(cast, actor), who(cast, target), authority.CONTACT) is expected


def test_lk03_a_refusal_says_whom_to_ask(cast):
    refusal = authority.account_refusal(cast.alice, cast.biller, authority.RESET)
    assert refusal.rule == "LK-03"
    assert "Bay State Billing" in refusal.messages[0]
    assert "reset the password of" in refusal.messages[0]


def erin_links(cast, user):
    """Other Clinic's Primary User links a user of Eddy's by user ID and last name (LK-01 allows it)."""
    return services.user_link(
        actor=cast.erin,
        pidsl=cast.pidsl_x,
        username=user.username,
        last_name=user.last_name,
        services=[s for s in authority.services_allowed(cast.pidsl_x) if s.code == catalog.PORTAL_SERVICES],
    )


def test_lk03_the_takeover_path_is_closed(cast):
    """The finding: erin (Other Clinic) links Eddy's carol by user ID and last name, then resets
    her password from her own PID/SL. The link is LK-01's to allow; the reset is refused, nothing
    changes, and Eddy's is told of the link."""
    erin_links(cast, cast.carol)
    password_before = type(cast.carol).objects.get(pk=cast.carol.pk).password
    with pytest.raises(PolicyViolation) as refused:
        services.password_reset_temporary(actor=cast.erin, user=cast.carol, pidsl=cast.pidsl_x)
    assert refused.value.rule == "LK-03"
    assert type(cast.carol).objects.get(pk=cast.carol.pk).password == password_before
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_RESET, target_user=cast.carol).exists()
    with pytest.raises(PolicyViolation) as refused:
        lockout_clear(actor=cast.erin, user=cast.carol)
    assert refused.value.rule == "LK-03"
    told = Notification.objects.get(organization=cast.eddys, kind=Notification.Kind.OUTSIDE_LINK)
    assert cast.carol.username in told.message and "Other Clinic" in told.message


def test_lk03_the_takeover_of_an_officer_without_two_step_is_closed(cast):
    erin_links(cast, cast.compliance)
    with pytest.raises(PolicyViolation):
        services.password_reset_temporary(actor=cast.erin, user=cast.compliance, pidsl=cast.pidsl_x)


def test_lk03_a_home_reset_is_in_the_home_organizations_trail(cast):
    services.password_reset_temporary(actor=cast.agency, user=cast.biller)
    record = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_RESET, target_user=cast.biller)
    assert record.organization_id == cast.billing.pk


def test_lk03_the_home_organization_sees_other_organizations_changes_in_its_trail(cast):
    """erin links Eddy's frank to Other Clinic and changes his services there: the records carry
    Eddy's as frank's home, so Eddy's Primary User (who administers neither PID/SL) reads them."""
    access = erin_links(cast, cast.frank)
    allowed = authority.services_allowed(cast.pidsl_x)
    services.access_services_set(actor=cast.erin, access=access, services=allowed[:2])
    services.link_end(actor=cast.erin, access=access)
    scope = authority.trail_scope(cast.alice)
    seen = set(AuditEvent.objects.filter(scope, target_user=cast.frank).values_list("action", flat=True))
    assert seen == {AuditEvent.Action.LINK_CREATE, AuditEvent.Action.SERVICES_CHANGE, AuditEvent.Action.LINK_END}
    # Eddy's compliance officer too; another organization's administrator does not.
    assert AuditEvent.objects.filter(authority.trail_scope(cast.compliance), target_user=cast.frank).count() == 3
    kinds = set(Notification.objects.filter(organization=cast.eddys).values_list("kind", flat=True))
    assert {Notification.Kind.OUTSIDE_LINK, Notification.Kind.OUTSIDE_CHANGE, Notification.Kind.OUTSIDE_REMOVE} <= kinds


def test_lk03_the_linking_organization_changes_services_and_ends_the_link(cast):
    """What a linking PID/SL may do to an outside user: services there, and end the link."""
    access = cast.access(cast.biller, cast.pidsl_a)
    keep = [s for s in access.services.all() if s.code != "batch_files"]
    services.access_services_set(actor=cast.alice, access=access, services=keep)
    services.link_end(actor=cast.bob, access=access)
    assert not Access.objects.open().filter(user=cast.biller, pidsl=cast.pidsl_a).exists()


# LK-01: who can be linked; PU-02, PU-06: who can be chosen; one message for all the "no"s.


def test_lk01_agency_staff_cannot_be_linked(cast):
    with pytest.raises(PolicyViolation) as refused:
        services.user_link(
            actor=cast.alice,
            pidsl=cast.pidsl_a,
            username=cast.agency.username,
            last_name=cast.agency.last_name,
            services=list(authority.services_allowed(cast.pidsl_a)[:1]),
        )
    assert refused.value.messages[0].startswith(authority.NOT_FOUND_BY_NAME)


def test_lk03_link_refusals_do_not_tell_missing_from_deactivated(cast):
    services.user_deactivate(actor=cast.erin, user=factories.UserFactory(username="gone", home_organization=cast.other))
    messages = []
    for username, last_name in (("nobody", "Nobody"), ("gone", "User")):
        gone = type(cast.alice).objects.filter(username=username).first()
        with pytest.raises(PolicyViolation) as refused:
            services.user_link(
                actor=cast.alice,
                pidsl=cast.pidsl_a,
                username=username,
                last_name=gone.last_name if gone else last_name,
                services=list(authority.services_allowed(cast.pidsl_a)[:1]),
            )
        messages.append(refused.value.messages[0])
    assert messages[0] == messages[1]


@pytest.mark.parametrize(
    ("choose", "candidates"),
    [
        # PU-02: nobody, another organization's user, agency staff.
        (lambda c, user: backup_appoint(actor=c.alice, pidsl=c.pidsl_a, user=user), ("erin", "agency")),
        # PU-06: nobody, another organization's users.
        (lambda c, user: change_request_file(actor=c.alice, pidsl=c.pidsl_a, new_primary=user), ("erin", "biller")),
    ],
    ids=["backup", "change-primary"],
)
def test_lk03_a_form_that_names_a_user_refuses_in_one_message(cast, choose, candidates):
    messages = set()
    for candidate in (None, *(who(cast, name) for name in candidates)):
        with pytest.raises(PolicyViolation) as refused:
            choose(cast, candidate)
        messages.add(refused.value.messages[0])
    assert len(messages) == 1


def test_pu06_a_nominee_removed_since_filing_is_refused_at_approval(cast):
    request = change_request_file(actor=cast.alice, pidsl=cast.pidsl_a, new_primary=cast.carol)
    services.link_end(actor=cast.bob, access=cast.access(cast.carol, cast.pidsl_a))
    with pytest.raises(PolicyViolation) as refused:
        change_request_approve(actor=cast.agency, request=request)
    assert refused.value.rule == "PU-06"
    assert Access.objects.open().get(pidsl=cast.pidsl_a, role=Access.Role.PRIMARY).user == cast.alice


# US-01 without disclosure (LK-03)


def _identity(user):
    return services.Identity(
        last_name=user.last_name,
        first_name=user.first_name,
        birth_month=user.birth_month,
        birth_day=user.birth_day,
        pin=user.pin,
        email="x@example.org",
        zip_code="02110",
    )


def test_us01_names_the_user_id_to_the_home_organization(cast):
    with pytest.raises(PolicyViolation) as refused:
        services.subordinate_create(actor=cast.dave, pidsl=cast.pidsl_b, identity=_identity(cast.carol), services=[])
    assert cast.carol.username in refused.value.messages[0]


def test_us01_does_not_name_another_organizations_user(cast):
    with pytest.raises(PolicyViolation) as refused:
        services.subordinate_create(actor=cast.erin, pidsl=cast.pidsl_x, identity=_identity(cast.carol), services=[])
    assert refused.value.rule == "US-01"
    assert cast.carol.username not in refused.value.messages[0]
    assert "ask the person for their user ID" in refused.value.messages[0]


# AR-02 / AR-05: who decides which review item


@pytest.fixture
def review(cast):
    return review_create(organization=cast.eddys, actor=cast.alice)


def _item(review, user, pidsl):
    return ReviewItem.objects.get(review=review, user=user, pidsl=pidsl)


@pytest.mark.parametrize(
    ("actor", "item_user", "expected"),
    [
        ("bob", "alice", True),  # AR-05: the backup decides the Primary User's own item
        ("alice", "bob", True),  # and the Primary User the backup's
        ("alice", "alice", False),  # nobody their own
        ("bob", "bob", False),
        ("alice", "carol", True),
        ("dave", "carol", False),  # AR-02: the administrator of another PID/SL
        ("erin", "carol", False),
        ("carol", "biller", False),
        ("compliance", "carol", False),
        ("agency", "alice", True),  # agency staff, when neither can
    ],
)
def test_ar05_who_decides_an_item(cast, review, actor, item_user, expected):
    item = _item(review, who(cast, item_user), cast.pidsl_a)
    assert authority.may_decide(who(cast, actor), item) is expected
    if expected:
        review_decide(actor=who(cast, actor), item=item, decision=ReviewItem.Decision.KEEP)
    else:
        with pytest.raises(PolicyViolation):
            review_decide(actor=who(cast, actor), item=item, decision=ReviewItem.Decision.KEEP)


def test_ar02_keep_all_remaining_writes_one_record_per_item_with_its_user(cast, review):
    kept = review_keep_remaining(actor=cast.alice, review=review)
    records = AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_DECISION, actor=cast.alice)
    assert records.count() == kept
    assert kept == ReviewItem.objects.filter(review=review, decision="keep").count()
    assert set(records.values_list("target_user_id", flat=True)) == set(
        ReviewItem.objects.filter(review=review, decision="keep").values_list("user_id", flat=True)
    )
    # AR-05: alice's own item is left for bob.
    assert _item(review, cast.alice, cast.pidsl_a).decision == ""
    from audit.chain import chain_verify

    assert chain_verify()[0]


def test_ar02_the_decision_menu_fits_the_item(cast, review):
    assert authority.review_decisions(_item(review, cast.alice, cast.pidsl_a)) == ["keep"]
    assert "deactivate" not in authority.review_decisions(_item(review, cast.biller, cast.pidsl_a))
    assert authority.review_decisions(_item(review, cast.carol, cast.pidsl_a)) == [
        "keep",
        "modify",
        "remove",
        "deactivate",
    ]


# SV-01, SV-02, PU-04, PU-05: which services where


def test_sv02_provider_type_services_only_where_the_type_allows(cast):
    ltc = factories.OrganizationFactory(name="Harbor LTC", is_long_term_care=True)
    pace = factories.OrganizationFactory(name="Elder PACE", is_pace=True)
    codes = {o.name: {s.code for s in authority.organization_services(o)} for o in (cast.eddys, ltc, pace)}
    assert "mmq" in codes["Harbor LTC"] and "mmq" not in codes["Eddy's Group Practice"]
    pace_only = {e.code for e in catalog.CATALOG if e.constraint == catalog.PACE_SCO_ONLY}
    assert pace_only and pace_only <= codes["Elder PACE"] and not pace_only & codes["Eddy's Group Practice"]


def test_pu04_only_administrators_may_hold_manage_subordinate_accounts(cast):
    subordinate = {s.code for s in authority.services_allowed(cast.pidsl_a, authority.SUBORDINATE)}
    administrator = {s.code for s in authority.administrator_services(cast.pidsl_a)}
    assert catalog.MANAGE_SUBORDINATES not in subordinate
    assert administrator - subordinate == {catalog.MANAGE_SUBORDINATES}


def test_sv04_counts_agree_with_the_service_list(cast):
    for pace in (True, False):
        for ltc in (True, False):
            org = factories.OrganizationFactory(name=f"T {pace} {ltc}", is_pace=pace, is_long_term_care=ltc)
            expected = len(authority.organization_services(org, authority.SUBORDINATE))
            assert authority.allowed_counts_by_type()[(pace, ltc)] == expected == authority.allowed_count(org)


# Who reads an organization's compliance data


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("alice", True),
        ("bob", True),
        ("dave", True),
        ("compliance", True),
        ("erin", False),
        ("carol", False),
        ("biller", False),
        ("agency", True),
    ],
)
def test_au01_who_reads_eddys_compliance_data(cast, actor, expected):
    assert authority.may_view_organization(who(cast, actor), cast.eddys.pk) is expected


@pytest.mark.parametrize("actor", ["dave", "erin", "carol", "biller", "compliance", "agency"])
def test_pu04_only_the_pidsls_administrators_end_a_link_there(cast, actor):
    """link_end's own administrator check (PU-04), in the domain layer: the view's check is not
    the only one."""
    from posc.policy import NotAuthorized

    access = cast.access(cast.carol, cast.pidsl_a)
    with pytest.raises(NotAuthorized) as refused:
        services.link_end(actor=who(cast, actor), access=access)
    assert refused.value.rule == "PU-04"
    assert Access.objects.open().filter(pk=access.pk).exists()


@pytest.mark.parametrize("actor", ["alice", "bob"])
def test_pu04_the_pidsls_administrators_end_a_link(cast, actor):
    access = cast.access(cast.carol, cast.pidsl_a)
    services.link_end(actor=who(cast, actor), access=access)
    assert not Access.objects.open().filter(pk=access.pk).exists()


def test_lk03_every_administrator_of_the_home_organization_reads_its_users_account_history(cast):
    """dave administers Eddy's other site: he co-owns carol's account (LK-03), so a reset of carol
    done at 110000001A, and an unlock by the agency, are in his trail; erin's is not."""
    services.password_reset_temporary(actor=cast.alice, user=cast.carol, pidsl=cast.pidsl_a)
    lockout_clear(actor=cast.agency, user=cast.carol)
    seen = AuditEvent.objects.filter(authority.trail_scope(cast.dave), target_user=cast.carol)
    assert set(seen.values_list("action", flat=True)) == {
        AuditEvent.Action.PASSWORD_RESET,
        AuditEvent.Action.LOCKOUT_CLEAR,
    }
    assert not AuditEvent.objects.filter(authority.trail_scope(cast.erin), target_user=cast.carol).exists()
