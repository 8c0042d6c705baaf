"""The portal's one answer to "may X do Y to Z".

Who administers a PID/SL or an organization, who may act on a user's account, who may decide a
review item, who may read an organization's compliance data, and which services may be granted
where: every service, view, template flag, admin screen, SQL snapshot and finding asks here, and
nothing restates it. Each answer names the POLICY.md rule it decides.

Two shapes of answer: ``may_*`` / ``*_ids`` return a fact for a page to show (a flag the view
computes), ``require_*`` raise the refusal a service gives. A service calls ``require_*`` inside
its transaction after taking its row locks, so the answer cannot change between check and write.
"""

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from posc.policy import NotAuthorized, PolicyViolation

from . import catalog
from .models import Access, ComplianceAssignment, Organization, PidSl, Service
from .permissions import pidsl_with_service_check, pidsls_with_service

PRIMARY = Access.Role.PRIMARY
BACKUP = Access.Role.BACKUP
SUBORDINATE = Access.Role.SUBORDINATE
ADMINISTRATOR_ROLES = (PRIMARY, BACKUP)

# LK-03: what an account action is called in a refusal ("reset the password of ...").
RESET = "reset"
UNLOCK = "unlock"
CONTACT = "contact"
DEACTIVATE = "deactivate"
REACTIVATE = "reactivate"
KEEP = "keep"  # US-09: "Keep these users" restarts a dormant user's clock
_ACTION_WORDS = {
    RESET: "reset the password of",
    UNLOCK: "unlock",
    CONTACT: "change the contact details of",
    DEACTIVATE: "deactivate",
    REACTIVATE: "reactivate",
    KEEP: "keep",
}

# LK-01, PU-02, PU-06: one refusal for "no such user", "deactivated" and "another organization's",
# so a form that finds users cannot be used to learn which user IDs exist where (LK-03).
NOT_FOUND_OR_NOT_ELIGIBLE = "No user you can choose here has that user ID."
NOT_FOUND_BY_NAME = "No user you can choose here has that user ID and last name. Both must match."


def role_label(role: str) -> str:
    return Access.Role(role).label


# --- the actor ---------------------------------------------------------------------------------


def require_active(actor) -> None:
    # US-06: a deactivated user cannot act anywhere.
    if actor is None or not actor.is_active:
        raise NotAuthorized(_("Your user ID is deactivated."), rule="US-06")


def is_agency(actor) -> bool:
    return bool(actor is not None and actor.is_active and actor.is_staff)


def agency_staff() -> QuerySet:
    """Everyone who acts for MassHealth now: whom program-wide alerts go to."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_staff=True, is_active=True)


def require_agency(actor) -> None:
    require_active(actor)
    if not actor.is_agency_staff:
        raise NotAuthorized(_("Only MassHealth agency staff can do this."))


# --- who administers what (PU-02, PU-04) -------------------------------------------------------


def administered_pidsls(actor) -> QuerySet[PidSl]:
    """The PID/SLs where the actor holds Manage Subordinate Accounts (PU-04), from guardian's
    table (the Provider dropdown of Administer Account)."""
    return pidsls_with_service(actor, catalog.MANAGE_SUBORDINATES)


def pidsl_with_administrator_check(actor, code: str) -> PidSl | None:
    """The PID/SL a URL names (None when there is none), with ``held``: does the actor administer
    it (PU-04)? One statement, read fresh on every request (ASVS 8.3.2)."""
    return pidsl_with_service_check(actor, catalog.MANAGE_SUBORDINATES, provider_id=code[:9], service_location=code[9:])


def holds_administration(held_codes) -> bool:
    """PU-04: holding Manage Subordinate Accounts (at some PID/SL) is what administering is; for
    the navigation, which knows the set of services a user holds."""
    return catalog.MANAGE_SUBORDINATES in held_codes


def reads_oversight(*, administers: bool, compliance_officer: bool, agency: bool) -> bool:
    """AU-01: who reads an organization's audit trail, compliance page and access reviews at all:
    its administrators, its compliance officers, agency staff (which organizations: below)."""
    return agency or administers or compliance_officer


def administrator_links() -> QuerySet[Access]:
    """Open Primary User and backup links: the administrators of PID/SLs (PU-04)."""
    return Access.objects.open().filter(role__in=ADMINISTRATOR_ROLES)


def administered_pidsl_ids(actor) -> QuerySet:
    """The PID/SLs the actor administers, as a subquery of ids (empty for a deactivated actor)."""
    return administrator_links().filter(user=actor, user__is_active=True).values("pidsl_id")


def administered_organization_ids(actor) -> set[int]:
    if actor is None or not actor.is_active:
        return set()
    return set(administrator_links().filter(user=actor).values_list("pidsl__organization_id", flat=True))


def administers(actor, pidsl: PidSl) -> bool:
    return bool(actor.is_active) and administrator_links().filter(user=actor, pidsl=pidsl).exists()


def administers_organization(actor, organization_id: int) -> bool:
    return bool(actor.is_active) and (
        administrator_links().filter(user=actor, pidsl__organization_id=organization_id).exists()
    )


def is_primary_at(actor, pidsl: PidSl) -> bool:
    return bool(actor.is_active) and Access.objects.open().filter(user=actor, pidsl=pidsl, role=PRIMARY).exists()


def is_primary_of_organization(actor, organization_id: int) -> bool:
    return bool(actor.is_active) and (
        Access.objects.open().filter(user=actor, role=PRIMARY, pidsl__organization_id=organization_id).exists()
    )


def is_primary_anywhere(user) -> bool:
    return Access.objects.open().filter(user=user, role=PRIMARY).exists()


def pidsl_roles(actor, organization_id: int) -> dict[int, str]:
    """{PID/SL id: role} where the actor is Primary User or backup in this organization."""
    if not actor.is_active:
        return {}
    links = administrator_links().filter(user=actor, pidsl__organization_id=organization_id)
    return dict(links.values_list("pidsl_id", "role"))


def holder_link(pidsl: PidSl, role: str, *, lock: bool = False) -> Access | None:
    """The open link holding the Primary User or backup role at a PID/SL (PU-01, PU-02: one each)."""
    links = Access.objects.open().filter(pidsl=pidsl, role=role).select_related("user")
    if lock:
        # The link's row only: locking the joined user too (in no set order) risks a deadlock with
        # a service that locks that user first.
        links = links.select_for_update(of=("self",))
    return links.first()


def holder_id(pidsl: PidSl, role: str) -> int | None:
    return Access.objects.open().filter(pidsl=pidsl, role=role).values_list("user_id", flat=True).first()


def is_outside_link(access: Access) -> bool:
    """LK-01: the link's user belongs to another organization than the PID/SL's."""
    return access.user.home_organization_id != access.pidsl.organization_id


def end_date_refusal(access: Access, ends_on, today) -> PolicyViolation | None:
    """LK-04: an end date (a contract's end) is for an outside user's link only, and in the future.
    None clears it."""
    if ends_on is None:
        return None
    if not is_outside_link(access):
        return PolicyViolation(
            "LK-04",
            _("Only a link of another organization's user can have an end date; %(user)s is your own user.")
            % {"user": access.user.username},
            field="ends_on",
        )
    if ends_on <= today:
        return PolicyViolation("LK-04", _("The link's end date must be after today."), field="ends_on")
    return None


def require_link_end_by_date(access: Access, today) -> None:
    """LK-04: the daily job ends a link on its end date, by the rule, not by a person: only a link
    that carries that date, and never the Primary User's (PU-06)."""
    if access.ends_on is None or access.ends_on > today:
        raise PolicyViolation("LK-04", _("This link has no end date on or before %(day)s.") % {"day": today})
    refusal = end_link_refusal(access)
    if refusal is not None:
        raise refusal


def end_link_refusal(access: Access) -> PolicyViolation | None:
    """PU-06: the Primary User is not removed from the PID/SL while Primary; a replacement is
    approved first."""
    if access.role == PRIMARY:
        return PolicyViolation(
            "PU-06",
            _("The Primary User cannot be removed while still Primary; a replacement must be approved first."),
        )
    return None


def offboard_links(actor, user) -> QuerySet:
    """The links an off-boarding by the actor ends: the user's open links at every PID/SL the
    actor administers (PU-04), in PID/SL order."""
    return (
        Access.objects.open()
        .filter(user=user, pidsl_id__in=administered_pidsl_ids(actor))
        .select_related("pidsl")
        .order_by("pidsl__provider_id", "pidsl__service_location")
    )


def offboard_refusal(actor, user, links) -> NotAuthorized | PolicyViolation | None:
    """Why the actor may not off-board the user with these links (offboard_links), or None: they
    administer no PID/SL the user is linked to (PU-04), or the user is Primary User at one (PU-06)."""
    if not links:
        return NotAuthorized(
            _("%(user)s is linked to no PID/SL you administer (PU-04).") % {"user": user.username}, rule="PU-04"
        )
    primary = next((link for link in links if link.role == PRIMARY), None)
    if primary is not None:
        return PolicyViolation(
            "PU-06",
            _(
                "%(user)s is still the Primary User of %(pidsl)s. A Primary User leaves once a replacement is "
                "approved: file a Primary User change first."
            )
            % {"user": user.username, "pidsl": primary.pidsl.code},
        )
    return None


def require_administrator(actor, pidsl: PidSl) -> Access:
    """The actor is the Primary User or backup Primary User of this PID/SL (PU-04)."""
    require_active(actor)
    access = administrator_links().filter(user=actor, pidsl=pidsl).first()
    if access is None:
        raise NotAuthorized(
            _("Only the Primary User or backup Primary User of %(pidsl)s can do this.") % {"pidsl": pidsl.code},
            rule="PU-04",
        )
    return access


def backup_appointer_pidsl_ids(actor) -> QuerySet:
    """PU-02: the PID/SLs whose backup the actor may appoint (the Primary User's alone, as
    require_primary says), as a subquery of ids (empty for a deactivated actor). Home offers them."""
    return Access.objects.open().filter(user=actor, user__is_active=True, role=PRIMARY).values("pidsl_id")


def require_primary(actor, pidsl: PidSl) -> None:
    """PU-02: some things (appointing the backup) are the Primary User's alone."""
    require_active(actor)
    if not is_primary_at(actor, pidsl):
        raise NotAuthorized(_("Only the Primary User of %(pidsl)s can do this.") % {"pidsl": pidsl.code}, rule="PU-02")


def letter_refusal(actor, pidsl: PidSl) -> NotAuthorized | PolicyViolation | None:
    """Why the actor may not issue a PIN letter for this PID/SL, or None when they may.

    PU-01, PU-08: agency staff issue the letter that lets the person named on the approved Data
    Collection Form register as the first Primary User, and a new one when that letter is lost
    or its PIN expired (the old letter stops working). PU-06: a PID/SL that has a Primary User
    changes it by an approved change request, not by a letter."""
    if actor is None or not actor.is_active:
        return NotAuthorized(_("Your user ID is deactivated."), rule="US-06")
    if not actor.is_agency_staff:
        return NotAuthorized(_("Only MassHealth agency staff issue PIN letters."), rule="PU-08")
    if holder_id(pidsl, PRIMARY) is not None:
        return PolicyViolation(
            "PU-06", _("%(pidsl)s already has a Primary User; use a change request.") % {"pidsl": pidsl.code}
        )
    return None


def require_letter_issuer(actor, pidsl: PidSl) -> None:
    refusal = letter_refusal(actor, pidsl)
    if refusal is not None:
        raise refusal


def pidsls_awaiting_primary() -> QuerySet[PidSl]:
    """PID/SLs without a Primary User: enrolled, their letter not yet used (PU-01, PU-08)."""
    return PidSl.objects.exclude(pk__in=Access.objects.open().filter(role=PRIMARY).values("pidsl_id"))


def may_act_as_organization_primary(actor, organization_id: int) -> bool:
    """The organization's Primary User (or agency staff): sets the review schedule (AR-01) and
    appoints compliance officers (AU-01)."""
    return is_agency(actor) or is_primary_of_organization(actor, organization_id)


def require_organization_primary(actor, organization: Organization, *, rule: str, message: str) -> None:
    require_active(actor)
    if not may_act_as_organization_primary(actor, organization.pk):
        raise NotAuthorized(message, rule=rule)


def check_primary_cap(user) -> None:
    # PU-07: above the hard cap a new Primary User assignment is refused.
    held = Access.objects.open().filter(user=user, role=PRIMARY).count()
    cap = settings.POSC_PRIMARY_PIDSL_CAP
    if held + 1 > cap:
        raise PolicyViolation(
            "PU-07",
            _("%(user)s is already the Primary User of %(held)d PID/SLs; the limit is %(cap)d.")
            % {"user": user, "held": held, "cap": cap},
        )


# --- acting on a user's account (LK-03, US-05, US-06) ------------------------------------------


def account_refusal(
    actor, user, action: str, *, owns: bool | None = None, roles: set[str] | None = None
) -> NotAuthorized | PolicyViolation | None:
    """Why the actor may not take this action on the user's account, or None when they may.

    LK-03: a user's password, sign-in lockout, contact details and active state belong to the
    home organization's Primary User and backup (and agency staff). Linking a user to a PID/SL
    gives that PID/SL a say over the user's services there, nothing more.
    US-05: a Primary User's or backup's own password and lockout are the agency's.
    PU-06: a Primary User is replaced (a change request) before being deactivated.

    A page that asks for many users passes what it already read: ``owns`` (the actor administers
    the user's home organization) and ``roles`` (the roles of the user's open links).
    """
    if actor is None or not actor.is_active:
        return NotAuthorized(_("Your user ID is deactivated."), rule="US-06")
    refusal = _agency_account_refusal(user)
    if refusal is not None:
        return refusal
    if not actor.is_agency_staff:
        if owns is None:
            owns = user.home_organization_id is not None and administers_organization(actor, user.home_organization_id)
        if not owns:
            home = user.home_organization.name if user.home_organization_id else _("MassHealth")
            return NotAuthorized(
                _(
                    "Only the Primary User or backup of the user's own organization (%(home)s) can %(what)s this "
                    "user. Ask them, or MassHealth Customer Service."
                )
                % {"home": home, "what": _ACTION_WORDS[action]},
                rule="LK-03",
            )
    if user.pk == actor.pk and action in (RESET, UNLOCK, DEACTIVATE, REACTIVATE):
        if action == RESET:
            return PolicyViolation("US-05", _("Use Change Password to change your own password."))
        return PolicyViolation("US-06", _("You cannot do this to your own user ID."))
    if roles is None and action in (RESET, UNLOCK, DEACTIVATE):
        roles = set(Access.objects.open().filter(user=user).values_list("role", flat=True))
    if action in (RESET, UNLOCK) and not actor.is_agency_staff and roles & set(ADMINISTRATOR_ROLES):
        return PolicyViolation(
            "US-05",
            _(
                "A Primary User's account can be reset or unlocked only by MassHealth Customer Service "
                "(1-800-841-2900)."
            ),
        )
    return _primary_refusal(user, action, roles)


def _agency_account_refusal(user) -> NotAuthorized | None:
    if user.is_staff or user.is_superuser:
        # One agency account must not be able to take over another (or a superuser).
        return NotAuthorized(_("Agency staff accounts are managed by a system administrator."), rule="US-05")
    return None


def _primary_refusal(user, action: str, roles: set[str] | None) -> PolicyViolation | None:
    if action == DEACTIVATE and PRIMARY in roles:
        return PolicyViolation(
            "PU-06",
            _("%(user)s is a Primary User; a replacement must be approved before deactivation.") % {"user": user},
        )
    return None


def system_account_refusal(
    user, action: str, *, roles: set[str] | None = None
) -> NotAuthorized | PolicyViolation | None:
    """The daily job acting on an account by a rule of its own (US-09: a dormant account is
    deactivated; no person asked for it, the record says "system"). No person's authority is
    asked, every rule about the account still is: an agency account is a system administrator's
    (US-05) and a Primary User is replaced before being deactivated (PU-06)."""
    refusal = _agency_account_refusal(user)
    if refusal is not None:
        return refusal
    if roles is None and action == DEACTIVATE:
        roles = set(Access.objects.open().filter(user=user).values_list("role", flat=True))
    return _primary_refusal(user, action, roles)


def dormancy_subjects_q() -> Q:
    """US-09: whose accounts the dormant-accounts job deactivates, as a filter on User: active users
    of an organization, never agency staff (US-05: a system administrator's), never a Primary User
    (PU-06: a replacement comes first; agency staff are told instead)."""
    primaries = Access.objects.open().filter(role=PRIMARY).values("user_id")
    return Q(is_active=True, is_staff=False, is_superuser=False, home_organization__isnull=False) & ~Q(pk__in=primaries)


def dormant_primaries_q() -> Q:
    """US-09 with PU-06: the dormant users the job may not deactivate because they are Primary."""
    primaries = Access.objects.open().filter(role=PRIMARY).values("user_id")
    return Q(is_active=True, is_staff=False, home_organization__isnull=False, pk__in=primaries)


def may_act_on_account(actor, user, action: str, **facts) -> bool:
    return account_refusal(actor, user, action, **facts) is None


def require_account_authority(actor, user, action: str, **facts) -> None:
    refusal = account_refusal(actor, user, action, **facts)
    if refusal is not None:
        raise refusal


# --- linking, appointing, nominating (LK-01, PU-02, PU-06) -------------------------------------


def eligible_for_link(user) -> bool:
    """LK-01: a user who can be linked to a PID/SL at all: active, and not agency staff."""
    return user is not None and user.is_active and not (user.is_staff or user.is_superuser)


def require_choosable(
    actor, user, *, rule: str, field: str | None = None, organization_id: int | None = None, by_name: bool = False
) -> None:
    """The user the actor named in a form (Link, Backup Primary User, Change Primary User) may be
    chosen: found, not agency staff, of ``organization_id`` when given (PU-02, PU-06), active.

    LK-03: toward another organization's users every "no" is one message, the words for a user
    who does not exist, so the form cannot be used to learn who exists where; the actor's own
    organization's deactivated user is named as such (reactivate first, US-06)."""
    missing = _(NOT_FOUND_BY_NAME if by_name else NOT_FOUND_OR_NOT_ELIGIBLE)
    if user is None or user.is_staff or user.is_superuser:
        raise PolicyViolation(rule, missing, field=field)
    if organization_id is not None and user.home_organization_id != organization_id:
        raise PolicyViolation(rule, missing, field=field)
    if not user.is_active:
        if actor is not None and may_see_identity(actor, user):
            raise PolicyViolation(
                "US-06", _("%(user)s is deactivated; reactivate the user first.") % {"user": user}, field=field
            )
        raise PolicyViolation(rule, missing, field=field)


def require_linkable(user, *, field: str | None = None, rule: str = "LK-01") -> None:
    """An agency-side choice of a user (designating a Primary User, appointing an officer)."""
    if not eligible_for_link(user):
        raise PolicyViolation(rule, _(NOT_FOUND_OR_NOT_ELIGIBLE), field=field)


def require_nominee(actor, user, pidsl: PidSl, *, filed_at=None, rule: str = "PU-06") -> None:
    """PU-06: a nominated Primary User is an active user of the PID/SL's own organization (LK-03:
    refused in the words for a user who does not exist). At approval (``filed_at`` given), a
    nominee who was linked to the PID/SL when the request was filed and has been removed since is
    refused: the organization let that person go."""
    require_choosable(actor, user, rule=rule, organization_id=pidsl.organization_id, field="username")
    if filed_at is None or Access.objects.open().filter(user=user, pidsl=pidsl).exists():
        return
    if Access.objects.filter(user=user, pidsl=pidsl, granted_at__lte=filed_at, ended_at__gt=filed_at).exists():
        raise PolicyViolation(
            rule,
            _("%(user)s was removed from %(pidsl)s after the request was filed.")
            % {"user": user.username, "pidsl": pidsl.code},
        )


def may_see_identity(actor, user) -> bool:
    """LK-03: a duplicate-person check names an existing user only to their own organization."""
    return actor.is_agency_staff or (
        user.home_organization_id is not None and administers_organization(actor, user.home_organization_id)
    )


# --- which services where (SV-01, SV-02, PU-04, PU-05) -----------------------------------------


def service_allowed(constraint: str, *, pace_sco: bool, ltc: bool, administrator: bool) -> bool:
    """May a service with this catalog constraint be held at a PID/SL of this provider type, in
    this role? SV-02: PACE/SCO and long-term-care services only where the provider type allows.
    PU-04: Manage Subordinate Accounts only for the Primary User and the backup."""
    if constraint == catalog.PACE_SCO_ONLY:
        return pace_sco
    if constraint == catalog.LTC_ONLY:
        return ltc
    if constraint == catalog.ADMIN_ONLY:
        return administrator
    return True


def _traits(organization: Organization) -> dict:
    return {"pace_sco": organization.is_pace or organization.is_sco, "ltc": organization.is_long_term_care}


def services_allowed(pidsl: PidSl, role: str = SUBORDINATE) -> list[Service]:
    """The services that may be held at this PID/SL in this role, in catalog order."""
    return organization_services(pidsl.organization, role)


def organization_services(organization: Organization, role: str = SUBORDINATE) -> list[Service]:
    """The services that may be held at the organization's PID/SLs in this role (the provider
    type is the organization's), in catalog order."""
    traits = _traits(organization)
    administrator = role in ADMINISTRATOR_ROLES
    return [
        s
        for s in Service.objects.order_by("position")
        if service_allowed(s.constraint, administrator=administrator, **traits)
    ]


def services_offered(pidsl: PidSl) -> list[Service]:
    """The picker's Available Services at a PID/SL: everything the provider type allows (SV-02);
    whether a role may hold Manage Subordinate Accounts is check_services' answer (PU-04)."""
    return services_allowed(pidsl, PRIMARY)


def allowed_count(organization: Organization, role: str = SUBORDINATE) -> int:
    """How many services a holder of this role may hold at the organization's PID/SLs (SV-04's "every")."""
    traits = _traits(organization)
    administrator = role in ADMINISTRATOR_ROLES
    constraints = Service.objects.values_list("constraint", flat=True)
    return sum(service_allowed(c, administrator=administrator, **traits) for c in constraints)


def allowed_counts_by_type(role: str = SUBORDINATE) -> dict[tuple[bool, bool], int]:
    """allowed_count for each of the four provider types, keyed (pace_sco, ltc): for SQL that
    compares a link's services with what its PID/SL allows (SV-04)."""
    constraints = list(Service.objects.values_list("constraint", flat=True))
    administrator = role in ADMINISTRATOR_ROLES
    return {
        (pace, ltc): sum(service_allowed(c, pace_sco=pace, ltc=ltc, administrator=administrator) for c in constraints)
        for pace in (True, False)
        for ltc in (True, False)
    }


def held_allowed_q(prefix: str = "") -> Q:
    """service_allowed for a subordinate, said as a filter on a link's services (``prefix`` is the
    path from the queried model to the link, such as "" for Access)."""
    org = f"{prefix}pidsl__organization__"
    pace_sco = Q(**{f"{org}is_pace": True}) | Q(**{f"{org}is_sco": True})
    ltc = Q(**{f"{org}is_long_term_care": True})
    constraint = f"{prefix}services__constraint"
    return (
        Q(**{f"{constraint}__in": ["", catalog.ALWAYS_HELD]})
        | Q(**{constraint: catalog.PACE_SCO_ONLY}) & pace_sco
        | Q(**{constraint: catalog.LTC_ONLY}) & ltc
    )


def provider_type_grants() -> QuerySet:
    """The grants (rows of Access.services.through) of services that depend on the provider type
    (SV-02), on open links: what a provider-type change can take (SV-06)."""
    # The services' ids, read first: said as a join to the services, the planner could not see that
    # these grants are about a thousand of four million, and walked every link of the organization.
    services = list(
        Service.objects.filter(constraint__in=[catalog.PACE_SCO_ONLY, catalog.LTC_ONLY]).values_list("pk", flat=True)
    )
    return Access.services.through.objects.filter(service_id__in=services, access__ended_at__isnull=True)


def ineligible_grants() -> QuerySet:
    """The open links' grants SV-02 refuses at their organization's provider type (SV-02's finding)."""
    return provider_type_grants().exclude(grant_allowed_q())


def grant_allowed_q() -> Q:
    """SV-02's provider-type test (service_allowed's pace_sco and ltc) as a filter on one grant, a
    row of Access.services.through: its service against its link's organization."""
    org = "access__pidsl__organization__"
    pace_sco = Q(**{f"{org}is_pace": True}) | Q(**{f"{org}is_sco": True})
    ltc = Q(**{f"{org}is_long_term_care": True})
    return (
        ~Q(service__constraint__in=[catalog.PACE_SCO_ONLY, catalog.LTC_ONLY])
        | Q(service__constraint=catalog.PACE_SCO_ONLY) & pace_sco
        | Q(service__constraint=catalog.LTC_ONLY) & ltc
    )


def check_services(*, pidsl: PidSl, role: str, services: list[Service]) -> list[Service]:
    """Check a set of services for one user at one PID/SL; return it in catalog order.

    SV-01: Portal Services is always held. SV-02: provider-type services only where the provider
    type allows. PU-04: Manage Subordinate Accounts only for the Primary User and backup.
    PU-05: the Primary and backup hold every service the PID/SL allows.
    """
    codes = {s.code for s in services}
    # What the provider type allows (SV-02), read once; what the role may hold is a subset (PU-04).
    offered = services_offered(pidsl)
    administrator = role in ADMINISTRATOR_ROLES
    allowed = [
        s
        for s in offered
        if administrator or service_allowed(s.constraint, pace_sco=True, ltc=True, administrator=False)
    ]
    allowed_codes = {s.code for s in allowed}
    if catalog.PORTAL_SERVICES not in codes:
        raise PolicyViolation(
            "SV-01", _("Primary Portal User is held by every linked user and cannot be removed."), field="services"
        )
    offered_codes = {s.code for s in offered}
    not_here = [s for s in services if s.code not in offered_codes]
    if not_here:
        raise PolicyViolation(
            "SV-02",
            _("%(services)s cannot be granted at %(pidsl)s: the provider type does not allow it.")
            % {"services": ", ".join(s.label for s in not_here), "pidsl": pidsl.code},
            field="services",
        )
    if codes - allowed_codes:
        raise PolicyViolation(
            "PU-04",
            _("Manage Subordinate Accounts can be held only by the Primary User and the backup Primary User."),
            field="services",
        )
    if administrator and codes != allowed_codes:
        raise PolicyViolation(
            "PU-05",
            _("The Primary User and the backup Primary User hold every service at the PID/SL."),
            field="services",
        )
    return [s for s in allowed if s.code in codes]


def administrator_services(pidsl: PidSl) -> list[Service]:
    """PU-05: what a Primary User or backup holds at a PID/SL: every service it allows."""
    return services_allowed(pidsl, PRIMARY)


def kept_when_demoted(services) -> list[Service]:
    """An outgoing Primary User or backup keeps every service but the administrator's own (PU-04)."""
    return [s for s in services if service_allowed(s.constraint, pace_sco=True, ltc=True, administrator=False)]


# --- access reviews (AR-01, AR-02, AR-05) ------------------------------------------------------


def may_run_review(actor, organization_id: int) -> bool:
    """AR-02: a review belongs to the organization's Primary Users and backups (and agency staff)."""
    return is_agency(actor) or administers_organization(actor, organization_id)


def require_reviewer(actor, organization: Organization) -> None:
    require_active(actor)
    if not may_run_review(actor, organization.pk):
        raise NotAuthorized(
            _("Only the organization's Primary Users and backups run its access reviews."), rule="AR-02"
        )


def decide_refusal(actor, item, administered: set[int] | None = None) -> PolicyViolation | None:
    """Why the actor may not decide this review item, or None when they may.

    AR-02: an item is decided by an administrator of its PID/SL (or agency staff).
    AR-05: nobody decides their own access: the Primary User's item goes to the backup, the
    backup's to the Primary User, and agency staff decide when neither can.
    ``administered`` is the actor's administered PID/SL ids, when a page already read them.
    """
    if actor is None or not actor.is_active:
        return NotAuthorized(_("Your user ID is deactivated."), rule="US-06")
    if item.user_id == actor.pk:
        return PolicyViolation(
            "AR-05", _("You cannot decide on your own access: the other administrator (or MassHealth) does.")
        )
    if actor.is_agency_staff:
        return None
    if administered is None:
        administered = set(administered_pidsl_ids(actor).values_list("pidsl_id", flat=True))
    if item.pidsl_id not in administered:
        return NotAuthorized(
            _("Only the Primary User or backup of %(pidsl)s decides on its users.") % {"pidsl": item.pidsl.code},
            rule="AR-02",
        )
    return None


def may_decide(actor, item, administered: set[int] | None = None) -> bool:
    return decide_refusal(actor, item, administered) is None


def require_decider(actor, item) -> None:
    refusal = decide_refusal(actor, item)
    if refusal is not None:
        raise refusal


def review_decisions(item) -> list[str]:
    """The decisions that fit a review item (its decision menu): services change only for a
    subordinate (PU-05: the Primary User and backup hold everything), the Primary User is not
    removed while Primary (PU-06), and only the user's own organization deactivates (LK-03)."""
    decisions = ["keep"]
    if item.role == SUBORDINATE:
        decisions.append("modify")
    if item.role != PRIMARY:
        decisions.append("remove")
    if not item.outside_user and item.role != PRIMARY:
        decisions.append("deactivate")
    return decisions


def decidable_items_q(actor) -> Q:
    """The review items the actor may decide, as a filter on ReviewItem (AR-02, AR-05)."""
    own = Q(user_id=actor.pk)
    if actor.is_agency_staff:
        return ~own
    return ~own & Q(pidsl_id__in=administered_pidsl_ids(actor))


def decidable_scope(actor, administered: set[int] | None = None) -> tuple[set[int] | None, int]:
    """decidable_items_q as data, for the review page that pages by kept counts
    (audit/reviews/paging.py): the PID/SL ids whose items the actor decides (None: every one) and
    the user whose items are excluded, their own (AR-05). ``administered``: the actor's
    administered PID/SL ids when the caller has read them already."""
    if actor.is_agency_staff:
        return None, actor.pk
    if administered is None:
        administered = set(administered_pidsl_ids(actor).values_list("pidsl_id", flat=True))
    return administered, actor.pk


def review_first_organization_ids(actor) -> QuerySet:
    """AR-07: the organizations whose overdue review the actor is shown first after signing in: those
    where they are a Primary User or backup (AR-02: the review is theirs to run). Compliance officers
    and agency staff read reviews and are not stopped. A subquery of ids (empty when deactivated)."""
    return administrator_links().filter(user=actor, user__is_active=True).values("pidsl__organization_id")


def may_read_review_due(held_codes, officer_mark: str) -> bool:
    """AR-07: whether Home's due-date line can concern the user at all, from what the navigation
    knows they hold (administering, PU-04, or a compliance appointment): the query is skipped for
    everyone else, such as a billing user linked to 1,000 PID/SLs (the "Home" bench row)."""
    return holds_administration(held_codes) or officer_mark in held_codes


def review_due_reader_q(actor) -> Q:
    """AR-07: whose review due date Home and View Notifications show the actor, as a filter on
    AccessReview: the organization's Primary Users and backups, and its compliance officers."""
    return Q(organization_id__in=review_first_organization_ids(actor)) | Q(
        organization_id__in=officer_organization_ids(actor)
    )


def officer_organization_ids(actor) -> QuerySet:
    """AU-01: the organizations the actor is a compliance officer of now, as a subquery of ids
    (empty for a deactivated actor): what their Home lists."""
    return ComplianceAssignment.objects.filter(user=actor, user__is_active=True, ended_at__isnull=True).values(
        "organization_id"
    )


# --- who reads an organization's compliance data (AU-01) ---------------------------------------


def compliance_organization_ids(user) -> set[int]:
    return set(
        ComplianceAssignment.objects.filter(user=user, ended_at__isnull=True).values_list("organization_id", flat=True)
    )


def reads_program(*, compliance_officer: bool, agency: bool) -> bool:
    """The program view (issue 17): MassHealth staff over every organization, a compliance officer
    over theirs (viewable_organization_ids says which); from facts the caller holds (navigation)."""
    return agency or compliance_officer


def may_read_program(user) -> bool:
    if user is None or not user.is_active:
        return False
    return reads_program(compliance_officer=is_compliance_officer(user), agency=is_agency(user))


def is_compliance_officer(user) -> bool:
    return user.compliance_assignments.filter(ended_at__isnull=True).exists()


def may_read_notifications(user) -> bool:
    """View Notifications: administrators, compliance officers and agency staff (LK-02, AR-03)."""
    return bool(user.is_active) and (
        user.is_agency_staff or bool(administered_organization_ids(user)) or is_compliance_officer(user)
    )


def may_download_evidence(user, organization_id: int) -> bool:
    """AU-02: a completed review's evidence package goes to the organization's compliance officers
    and to agency staff; the administrators who made the decisions have its reports already."""
    return bool(user.is_active) and (is_agency(user) or organization_id in compliance_organization_ids(user))


def may_register_passkey(user) -> bool:
    """Passkeys (WebAuthn, phishing-resistant, NIST SP 800-63B-4 AAL2) are offered to agency staff,
    compliance officers, and Primary Users and backups (issue 14). Everyone keeps TOTP."""
    return bool(user.is_active) and (
        user.is_agency_staff or is_compliance_officer(user) or bool(administered_organization_ids(user))
    )


def passkey_must_be_hardware_bound(user) -> bool:
    """NIST SP 800-63B-4 AAL3 for agency staff: their passkey's key must stay on one device (a
    security key), never a synced passkey (the authenticator data's backup-eligible flag is 0)."""
    return is_agency(user)


def viewable_organization_ids(user) -> set[int] | None:
    """The organizations whose compliance page, reviews, reports and trail the user reads; None
    means every organization (agency staff). A compliance officer reads the organizations they
    are appointed to; a Primary User or backup those of the PID/SLs they administer."""
    if not user.is_active:
        return set()
    if user.is_agency_staff:
        return None
    return compliance_organization_ids(user) | administered_organization_ids(user)


def may_view_organization(user, organization_id: int) -> bool:
    ids = viewable_organization_ids(user)
    return ids is None or organization_id in ids


def trail_scope(user, *, pidsl: PidSl | None = None) -> Q | None:
    """The audit records the user may read, as a filter; None when they may read none.
    Administrators read their PID/SLs' records and what was done to their own organization's users
    (LK-03: the home organization's, wherever it was done); compliance officers their
    organizations' records and users; agency staff everything (ASVS 8.2.2).

    ``pidsl``: the trail is being filtered to that PID/SL. When the user administers it, every
    record there is theirs and the scope is dropped: the same rows, and the page stays an ordered
    scan of one index (bench row "Audit trail, filtered, 5,000,000 records", p95 <= 100 ms; the
    scope's OR over three columns made it a bitmap scan and sort, 1 -> 9 ms)."""
    if not user.is_active:
        return None
    if user.is_agency_staff:
        return Q()
    organizations = compliance_organization_ids(user)
    links = administrator_links().filter(user=user).values_list("pidsl_id", "pidsl__organization_id")
    pidsls = {pidsl_id for pidsl_id, _ in links}
    homes = {organization_id for _, organization_id in links} | organizations
    if not (organizations or pidsls):
        return None
    if pidsl is not None and pidsl.pk in pidsls:
        return Q()
    scope = Q(pk__in=[])
    if organizations:
        scope |= Q(organization_id__in=organizations)
    if pidsls:
        scope |= Q(pidsl_id__in=pidsls)
    if homes:
        scope |= Q(home_organization_id__in=homes)
    return scope


def may_fix(finding, roles: dict[int, str]) -> bool:
    """A finding's fix link is for the administrators who may use it (``roles``: pidsl_roles)."""
    if not finding.fix_url:
        return False
    if finding.pidsl is None:
        # An organization's finding (an overdue review) is for any of its administrators (AR-05).
        return bool(roles)
    if finding.pidsl.pk not in roles:
        return False
    return not finding.fix_primary_only or roles[finding.pidsl.pk] == PRIMARY
