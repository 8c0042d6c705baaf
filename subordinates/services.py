"""Administer Account: what a Primary User or backup does to the users of a PID/SL.

Each function is one transaction that checks the POLICY.md rules (naming them in
its refusal), writes, keeps guardian permissions in step and writes the audit
record (AU-01). Views, the admin, commands and tasks call these; none writes
Access or User directly.
"""

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import sign_in_failures_clear
from audit.compliance import tallies
from audit.models import AuditEvent
from audit.services import audit_event, audit_record, audit_records
from posc.policy import PolicyViolation, check_seen
from providers import authority
from providers.access import (
    access_close,
    access_close_many,
    access_open,
    access_services_replace,
    pidsl_lock,
    service_codes,
    sort_names_refresh,
)
from providers.models import Access, Notification, PidSl, Service
from providers.notifications import notifications_save, notify_organizations, organizations_linked_to
from providers.permissions import object_permissions_revoke_users, object_permissions_sync_user

User = get_user_model()

# No 0/O/1/l/I: the Primary User reads the temporary password out to the person.
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_TEMP_LENGTH = 16


@dataclass(frozen=True)
class Identity:
    """What a new subordinate must give (US-02); the first four identify the person (US-01)."""

    last_name: str
    first_name: str
    birth_month: int
    birth_day: int
    pin: str
    email: str
    zip_code: str
    middle_initial: str = ""
    phone: str = ""


def _temporary_password() -> str:
    return "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(_TEMP_LENGTH))


def _set_temporary_password(user) -> str:
    password = _temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.temporary_password_expires_at = timezone.now() + timedelta(hours=settings.POSC_TEMP_PASSWORD_HOURS)
    return password


def _username_for(first_name: str, last_name: str) -> str:
    """The POSC style: first initial, last name, a number (jdoe11)."""
    # NFKD splits "é" into "e" and its accent, so Zoë Nguyễn is znguyen, not zngyn (issue 15).
    stem = re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", first_name[:1] + last_name).lower())[:20] or "user"
    taken = set(User.objects.filter(username__startswith=stem).values_list("username", flat=True))
    n = 1
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def duplicate_person(identity: Identity):
    """The existing user with the same identity, if any (US-01)."""
    return (
        User.objects.annotate(ln=Lower("last_name"), fn=Lower("first_name"))
        .filter(
            ln=identity.last_name.strip().lower(),
            fn=identity.first_name.strip().lower(),
            birth_month=identity.birth_month,
            birth_day=identity.birth_day,
            pin=identity.pin,
        )
        .first()
    )


def _check_birth_date(month: int, day: int) -> None:
    # US-02: a real month/day; 02/29 is real (some people are born on it).
    try:
        timezone.datetime(2000, int(month), int(day))
    except (TypeError, ValueError) as exc:
        raise PolicyViolation("US-02", _("Enter a real date of birth as mm/dd."), field="birth_date") from exc


def _check_required(identity: Identity) -> None:
    # US-02: the model leaves these blank-able (agency staff have none), so the service requires them.
    missing = [f for f in ("last_name", "first_name", "pin", "email", "zip_code") if not getattr(identity, f).strip()]
    if missing:
        raise PolicyViolation(
            "US-02",
            _("Required: %(fields)s.") % {"fields": ", ".join(f.replace("_", " ") for f in missing)},
            field=missing[0],
        )


def _lock_access(access: Access) -> Access:
    # Only the Access row, and FOR NO KEY UPDATE: locking the joined user, PID/SL and organization
    # too (in no set order) deadlocked with a change request approval locking the PID/SL first.
    locked = Access.objects.select_for_update(no_key=True).prefetch_related("services").get(pk=access.pk)
    if not locked.is_open:
        raise PolicyViolation("AR-02", _("This link has already ended."))
    # A link's user and PID/SL never change: the caller's copies (the view read them, the PID/SL with
    # its organization) spare joining them again.
    locked.user, locked.pidsl = access.user, access.pidsl
    return locked


def duplicate_refusal(actor, existing) -> PolicyViolation:
    """US-01's refusal. LK-03: the user ID is named only to the person's own organization; anyone
    else learns that a user ID exists and asks the person for it (it is what Link needs)."""
    if authority.may_see_identity(actor, existing):
        return PolicyViolation(
            "US-01",
            _("This person already has user ID %(username)s. One user ID per person: link the existing user instead.")
            % {"username": existing.username},
        )
    return PolicyViolation(
        "US-01",
        _(
            "This person already has a user ID with another organization. One user ID per person: ask the person "
            "for their user ID and link it with Link Subordinate Accounts."
        ),
    )


@transaction.atomic
def subordinate_create(*, actor, pidsl: PidSl, identity: Identity, services: list[Service]) -> tuple:
    """Create a user ID owned by the PID/SL's organization and link it; returns (user, temporary password)."""
    pidsl = pidsl_lock(pidsl.pk)
    authority.require_administrator(actor, pidsl)
    _check_required(identity)
    _check_birth_date(identity.birth_month, identity.birth_day)
    existing = duplicate_person(identity)
    if existing is not None:
        raise duplicate_refusal(actor, existing)
    services = authority.check_services(pidsl=pidsl, role=authority.SUBORDINATE, services=services)
    user = User(
        username=_username_for(identity.first_name, identity.last_name),
        last_name=identity.last_name.strip(),
        first_name=identity.first_name.strip(),
        middle_initial=identity.middle_initial.strip().upper(),
        birth_month=identity.birth_month,
        birth_day=identity.birth_day,
        pin=identity.pin,
        email=identity.email.strip(),
        zip_code=identity.zip_code.replace("-", "").strip(),
        phone=identity.phone.strip(),
        home_organization=pidsl.organization,
    )
    password = _set_temporary_password(user)
    user.full_clean(exclude=["password"])  # US-02: each field's format
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        # A concurrent request created the same person first (US-01, user_one_id_per_person).
        raise PolicyViolation("US-01", _("This person already has a user ID; link the existing user instead.")) from exc
    access = access_open(user=user, pidsl=pidsl, role=authority.SUBORDINATE, services=services, granted_by=actor)
    audit_record(
        action=AuditEvent.Action.USER_CREATE,
        actor=actor,
        target_user=user,
        pidsl=pidsl,
        after={"username": user.username, "name": user.display_name, "services": service_codes(access)},
    )
    return user, password


def _tell_home_organization(access: Access, kind: str, message: str) -> None:
    """LK-03: the home organization hears when another organization links its user, changes the
    user's services there or ends the link."""
    user, pidsl = access.user, access.pidsl
    if user.home_organization_id and user.home_organization_id != pidsl.organization_id:
        notify_organizations(
            organization_ids={user.home_organization_id}, kind=kind, subject_user=user, pidsl=pidsl, message=message
        )


def _labels(services) -> str:
    return ", ".join(s.label for s in services)


def _change_applied(access: Access, chosen: list[Service], seen) -> list[Service]:
    """Issue 15: the change the person made to the services they saw, applied to what the link
    holds now (read under its lock): added = chosen - seen, removed = seen - chosen. A service
    another administrator granted or revoked since the page was rendered stays as they left it."""
    seen = set(seen)
    chosen_codes = {s.code for s in chosen}
    removed = seen - chosen_codes
    kept = [s for s in access.services.all() if s.code not in removed]
    kept_codes = {s.code for s in kept}
    return kept + [s for s in chosen if s.code not in seen and s.code not in kept_codes]


def _last_services_change_by(access: Access, actor) -> str:
    """Who last changed the link's services, for the note that someone else did meanwhile."""
    event = (
        AuditEvent.objects.filter(action=AuditEvent.Action.SERVICES_CHANGE, target_user=access.user, pidsl=access.pidsl)
        .exclude(actor=actor)
        .order_by("-pk")
        .values_list("actor_username", flat=True)
        .first()
    )
    return event or _("another administrator")


@transaction.atomic
def access_services_set(*, actor, access: Access, services: list[Service], seen=None) -> Access:
    """Grant or change the services a user holds at one PID/SL (SV-03: per user, per PID/SL).

    ``seen``: the service codes the person's page showed. Given, only the person's change to them
    is applied (issue 15: a stale page never silently re-grants a service another administrator
    revoked); ``access.changed_meanwhile_by`` then names who changed them since, or is "". Without
    it ``services`` replaces the link's services.
    """
    access = _lock_access(access)
    authority.require_administrator(actor, access.pidsl)
    before = service_codes(access)
    access.changed_meanwhile_by = ""
    if seen is not None:
        if set(seen) != set(before):
            access.changed_meanwhile_by = _last_services_change_by(access, actor)
        services = _change_applied(access, services, seen)
    services = authority.check_services(pidsl=access.pidsl, role=access.role, services=services)
    after = sorted(s.code for s in services)
    if before == after:
        return access
    access_services_replace(access=access, services=services)
    _tell_home_organization(
        access,
        Notification.Kind.OUTSIDE_CHANGE,
        _("%(org)s changed the services of your user %(user)s at %(pidsl)s to: %(services)s.")
        % {
            "org": access.pidsl.organization,
            "user": access.user.username,
            "pidsl": access.pidsl,
            "services": _labels(services),
        },
    )
    audit_record(
        action=AuditEvent.Action.SERVICES_CHANGE,
        actor=actor,
        target_user=access.user,
        pidsl=access.pidsl,
        before={"services": before},
        after={"services": after},
    )
    return access


def linkable_user_find(*, username: str, last_name: str):
    """LK-01: another organization's user is found only by user ID plus a matching last name."""
    return (
        User.objects.annotate(ln=Lower("last_name"))
        .filter(username=username.strip(), ln=last_name.strip().lower())
        .select_related("home_organization")
        .first()
    )


@transaction.atomic
def user_link(*, actor, pidsl: PidSl, username: str, last_name: str, services: list[Service], ends_on=None) -> Access:
    """Link an existing user (own organization or another, LK-01) to a PID/SL with chosen services;
    an outside user's link may end on a date (LK-04)."""
    pidsl = pidsl_lock(pidsl.pk)
    authority.require_administrator(actor, pidsl)
    user = linkable_user_find(username=username, last_name=last_name)
    # LK-01; LK-03: a missing, deactivated or agency user of another organization is one message.
    authority.require_choosable(actor, user, rule="LK-01", field="username", by_name=True)
    if Access.objects.open().filter(user=user, pidsl=pidsl).exists():
        raise PolicyViolation(
            "LK-01",
            _("%(user)s is already linked to %(pidsl)s.") % {"user": user, "pidsl": pidsl.code},
            field="username",
        )
    services = authority.check_services(pidsl=pidsl, role=authority.SUBORDINATE, services=services)
    refusal = authority.end_date_refusal(Access(user=user, pidsl=pidsl), ends_on, timezone.localdate())
    if refusal is not None:
        raise refusal
    try:
        with transaction.atomic():
            access = access_open(
                user=user, pidsl=pidsl, role=authority.SUBORDINATE, services=services, granted_by=actor
            )
    except IntegrityError as exc:
        raise PolicyViolation("LK-01", _("%(user)s was linked at the same time.") % {"user": user}) from exc
    if ends_on is not None:
        access.ends_on = ends_on
        access.save(update_fields=["ends_on"])
    _tell_home_organization(
        access,
        Notification.Kind.OUTSIDE_LINK,
        _("%(org)s linked your user %(user)s to %(pidsl)s with: %(services)s.")
        % {"org": pidsl.organization, "user": user.username, "pidsl": pidsl, "services": _labels(services)},
    )
    audit_record(
        action=AuditEvent.Action.LINK_CREATE,
        actor=actor,
        target_user=user,
        pidsl=pidsl,
        after={
            "services": service_codes(access),
            "home_organization": str(user.home_organization or ""),
            **({"ends_on": ends_on.isoformat()} if ends_on else {}),
        },
    )
    return access


@transaction.atomic
def link_ends_on_set(*, actor, access: Access, ends_on) -> bool:
    """Set, change or clear the date an outside user's link ends (LK-04), on Update Subordinate.
    The home organization is told (LK-03) and reads it in its trail. False when nothing changed."""
    access = _lock_access(access)
    authority.require_administrator(actor, access.pidsl)
    refusal = authority.end_date_refusal(access, ends_on, timezone.localdate())
    if refusal is not None:
        raise refusal
    if access.ends_on == ends_on:
        return False
    before = access.ends_on.isoformat() if access.ends_on else None
    access.ends_on = ends_on
    access.save(update_fields=["ends_on"])
    when = ends_on.strftime("%m/%d/%Y") if ends_on else _("no end date")
    _tell_home_organization(
        access,
        Notification.Kind.OUTSIDE_CHANGE,
        _("%(org)s set the end of your user %(user)s's link to %(pidsl)s: %(when)s (LK-04).")
        % {"org": access.pidsl.organization, "user": access.user.username, "pidsl": access.pidsl, "when": when},
    )
    # At the PID/SL; the home organization reads it in its own trail too (LK-03).
    audit_record(
        action=AuditEvent.Action.LINK_UPDATE,
        actor=actor,
        target_user=access.user,
        pidsl=access.pidsl,
        before={"ends_on": before},
        after={"ends_on": ends_on.isoformat() if ends_on else None},
        detail=_("link end date (LK-04)"),
    )
    return True


@transaction.atomic
def link_end(*, actor, access: Access, reason: str = "removed by administrator", end_date_of=None) -> None:
    """Remove a user from a PID/SL: the link ends, it is not deleted (US-06 delinking).

    ``end_date_of``: the daily job ends the link on its end date (LK-04), with actor None (recorded
    as "system"): no person's authority, every other rule as for a person."""
    pidsl_lock(access.pidsl_id)
    access = _lock_access(access)
    if end_date_of is None:
        authority.require_administrator(actor, access.pidsl)
    else:
        authority.require_link_end_by_date(access, end_date_of)
    refusal = authority.end_link_refusal(access)
    if refusal is not None:
        raise refusal
    before = {"role": access.role, "services": service_codes(access)}
    access_close(access=access, ended_by=actor, reason=reason)
    user, pidsl = access.user, access.pidsl
    # LK-02: every other organization the user is linked to hears of it; LK-03: the home
    # organization hears that another organization ended its user's link.
    others = organizations_linked_to(user) - {pidsl.organization_id, user.home_organization_id}
    if others:
        notify_organizations(
            organization_ids=others,
            kind=Notification.Kind.USER_REMOVED,
            subject_user=user,
            pidsl=pidsl,
            message=_("%(user)s was removed from %(pidsl)s (%(org)s).")
            % {"user": user.username, "pidsl": pidsl, "org": pidsl.organization},
        )
    removed = (
        _("%(org)s removed your user %(user)s from %(pidsl)s.")
        if end_date_of is None
        else _("The link of your user %(user)s to %(pidsl)s (%(org)s) ended on its end date (LK-04).")
    )
    _tell_home_organization(
        access,
        Notification.Kind.OUTSIDE_REMOVE,
        removed % {"org": pidsl.organization, "user": user.username, "pidsl": pidsl},
    )
    audit_record(
        action=AuditEvent.Action.LINK_END,
        actor=actor,
        actor_username="" if actor else "system",
        target_user=user,
        pidsl=pidsl,
        before=before,
        after={"ended": True},
        detail=reason,
    )


@transaction.atomic
def links_end_many(*, actor, access_ids, reason: str, notice_suffix: str = ""):
    """link_end for a set of links in a few statements (AR-06: a review's default decision removes
    up to a million at once), with link_end's rules and side effects: PU-06 refuses a Primary User's
    link, the PID/SLs are locked first (pidsl_lock's order), guardian rows go in the same
    transaction, and LK-02/LK-03 notices go to the other organizations and the home organization.
    ``actor`` None is the daily job; a person must administer every PID/SL (PU-04). The caller
    writes one audit record per link (a review decision names the link it ended, AU-01).
    ``access_ids`` is a subquery of Access ids; returns the number of links ended."""
    links = Access.objects.open().filter(pk__in=access_ids)
    locked = PidSl.objects.select_for_update(no_key=True).filter(pk__in=links.values("pidsl_id")).order_by("pk")
    for pidsl in locked:
        if actor is not None:
            authority.require_administrator(actor, pidsl)
    primary = links.filter(role=authority.PRIMARY).select_related("pidsl").first()
    if primary is not None:
        raise authority.end_link_refusal(primary)
    ended = access_close_many(access_ids=access_ids, ended_by=actor, reason=reason)
    others: dict[int, set[int]] = {}
    for user_id, org_id in (
        Access.objects.open()
        .filter(user_id__in=ended.values("user_id"))
        .values_list("user_id", "pidsl__organization_id")
        .distinct()
    ):
        others.setdefault(user_id, set()).add(org_id)
    # LK-02: each other organization the user is still linked to; LK-03: the home organization, when
    # another organization ended its user's link. The same words as link_end's notices.
    rows = []
    elsewhere = (
        Access.objects.open()
        .filter(user_id=OuterRef("user_id"))
        .exclude(pidsl__organization_id=OuterRef("pidsl__organization_id"))
    )
    outside = Q(user__home_organization__isnull=False) & ~Q(user__home_organization_id=F("pidsl__organization_id"))
    told = ended.filter(outside | Exists(elsewhere))
    fields = ("user_id", "user__username", "user__home_organization_id", "pidsl_id", "pidsl__provider_id")
    fields += ("pidsl__service_location", "pidsl__name", "pidsl__organization_id", "pidsl__organization__name")
    for user_id, username, home_id, pidsl_id, provider_id, location, name, org_id, org_name in told.values_list(
        *fields
    ).iterator(chunk_size=5000):
        pidsl = f"{provider_id}{location} {name}"
        for other in sorted(others.get(user_id, set()) - {org_id, home_id}):
            message = _("%(user)s was removed from %(pidsl)s (%(org)s).") % {
                "user": username,
                "pidsl": pidsl,
                "org": org_name,
            }
            message += notice_suffix
            rows.append(_notice(other, Notification.Kind.USER_REMOVED, user_id, pidsl_id, message))
        if home_id and home_id != org_id:
            message = _("%(org)s removed your user %(user)s from %(pidsl)s.") % {
                "org": org_name,
                "user": username,
                "pidsl": pidsl,
            }
            message += notice_suffix
            rows.append(_notice(home_id, Notification.Kind.OUTSIDE_REMOVE, user_id, pidsl_id, message))
    notifications_save(rows)
    return ended.count()


def _notice(organization_id, kind, user_id, pidsl_id, message) -> Notification:
    return Notification(
        organization_id=organization_id,
        kind=kind,
        subject_user_id=user_id,
        pidsl_id=pidsl_id,
        message=message,
        created_at=timezone.now(),
    )


def lock_user(user):
    """The user's row, for a change to the account. NO KEY: FOR UPDATE would make a concurrent
    writer's foreign-key check on this user (its audit record names the user) wait, while it holds
    the audit chain's lock we wait for: a deadlock."""
    return User.objects.select_for_update(no_key=True, of=("self",)).select_related("home_organization").get(pk=user.pk)


@transaction.atomic
def user_deactivate(*, actor, user, reason: str = "") -> None:
    user = lock_user(user)
    # US-06, LK-03: deactivation belongs to the user's home organization (or agency staff).
    authority.require_account_authority(actor, user, authority.DEACTIVATE)
    if not user.is_active:
        raise PolicyViolation("US-06", _("%(user)s is already deactivated.") % {"user": user})
    _deactivate(
        [user],
        actor=actor,
        reason=reason,
        linked_message=_("%(user)s was deactivated by their organization and can no longer act for you."),
    )


@transaction.atomic
def users_deactivate_by_rule(*, users, reason: str, linked_message: str) -> list:
    """The bulk variant of user_deactivate for the daily job (US-09: dormant accounts): ``users``
    is the rule's query, run again here under the rows' locks, so a user who signed in or was kept
    meanwhile is left alone. No person acts (the records say "system"); every account rule still
    holds (authority.system_account_refusal: no agency account, no Primary User, PU-06). The
    deactivated users, each with what user_deactivate does to one."""
    locked = list(users.select_for_update(no_key=True, of=("self",)).select_related("home_organization"))
    roles: dict[int, set[str]] = {}
    for user_id, role in (
        Access.objects.open().filter(user_id__in=[u.pk for u in locked]).values_list("user_id", "role")
    ):
        roles.setdefault(user_id, set()).add(role)
    chosen = [
        u
        for u in locked
        if u.is_active
        and authority.system_account_refusal(u, authority.DEACTIVATE, roles=roles.get(u.pk, set())) is None
    ]
    _deactivate(chosen, actor=None, reason=reason, linked_message=linked_message)
    return chosen


def _deactivate(users: list, *, actor, reason: str, linked_message: str) -> None:
    """What deactivating does, to one user or many, in the caller's transaction (US-06): the
    accounts stop; every session ends now and stays ended after a reactivation (ASVS 7.4.2); the
    PID/SL permissions go while the links stay, so a reactivation restores them; every other
    organization each user is linked to hears of it (LK-02); one audit record each (AU-01). The
    caller locked the users, found them active and asked who (or which rule) may."""
    if not users:
        return
    now = timezone.now()
    ids = [u.pk for u in users]
    # US-07 leaves deactivated users out: their links leave its tallies (audit/compliance/tallies.py).
    with tallies.tracking(user_ids=ids, rules=[tallies.US07]):
        User.objects.filter(pk__in=ids).update(
            is_active=False, deactivated_at=now, session_epoch=F("session_epoch") + 1
        )
    for u in users:
        u.is_active, u.deactivated_at = False, now
    object_permissions_revoke_users(ids)
    by_id = {u.pk: u for u in users}
    linked = (
        Access.objects.open()
        .filter(user_id__in=ids)
        .values_list("user_id", "pidsl__organization_id")
        .distinct()
        .order_by("user_id", "pidsl__organization_id")
    )
    notifications_save(
        [
            Notification(
                organization_id=organization_id,
                kind=Notification.Kind.USER_DEACTIVATED,
                subject_user_id=user_id,
                message=linked_message % {"user": by_id[user_id].username},
                created_at=now,
            )
            for user_id, organization_id in linked
            if organization_id != by_id[user_id].home_organization_id
        ]
    )
    audit_records(
        [
            audit_event(
                action=AuditEvent.Action.USER_DEACTIVATE,
                actor=actor,
                actor_username="" if actor else "system",
                target_user=u,
                organization=u.home_organization,
                before={"is_active": True},
                after={"is_active": False},
                detail=reason,
            )
            for u in users
        ]
    )


@transaction.atomic
def users_keep(*, actor, organization, user_ids) -> list:
    """ "Keep these users" (US-09): restart the not-signed-in clock of the organization's users the
    actor keeps, one audit record each. Who may: the home organization's Primary Users and backups
    and agency staff (authority.account_refusal, KEEP: LK-03's account actions). Returns the kept."""
    authority.require_active(actor)
    users = list(
        User.objects.select_for_update(no_key=True, of=("self",))
        .select_related("home_organization")
        .filter(pk__in=list(user_ids), home_organization=organization, is_active=True)
        .order_by("pk")
    )
    owns = authority.is_agency(actor) or authority.administers_organization(actor, organization.pk)
    # The users are the organization's own: one answer for all (roles play no part in KEEP).
    for user in users or [User(home_organization=organization)]:
        authority.require_account_authority(actor, user, authority.KEEP, owns=owns, roles=set())
    now = timezone.now()
    User.objects.filter(pk__in=[u.pk for u in users]).update(dormancy_restarted_at=now)
    audit_records(
        [
            audit_event(
                action=AuditEvent.Action.DORMANCY_KEEP,
                actor=actor,
                target_user=u,
                organization=organization,
                before={
                    "dormancy_restarted_at": u.dormancy_restarted_at.isoformat() if u.dormancy_restarted_at else None
                },
                after={"dormancy_restarted_at": now.isoformat()},
                detail=_("kept: the not-signed-in clock restarts (US-09)"),
            )
            for u in users
        ]
    )
    return users


@transaction.atomic
def user_reactivate(*, actor, user) -> None:
    user = lock_user(user)
    authority.require_account_authority(actor, user, authority.REACTIVATE)
    if user.is_active:
        raise PolicyViolation("US-06", _("%(user)s is already active.") % {"user": user})
    user.is_active = True
    user.deactivated_at = None
    # US-09: a reactivated user's not-signed-in clock starts again, or the next daily run would
    # deactivate a long-dormant user the day after.
    user.dormancy_restarted_at = timezone.now()
    with tallies.tracking(user_ids=[user.pk], rules=[tallies.US07]):
        user.save(update_fields=["is_active", "deactivated_at", "dormancy_restarted_at"])
    object_permissions_sync_user(user=user)
    audit_record(
        action=AuditEvent.Action.USER_REACTIVATE,
        actor=actor,
        target_user=user,
        organization=user.home_organization,
        before={"is_active": False},
        after={"is_active": True},
    )


@transaction.atomic
def password_reset_temporary(*, actor, user, pidsl: PidSl | None = None) -> str:
    """Issue a one-time temporary password (US-04); returns it once, for the confirmation panel.

    LK-03: only the home organization's Primary User or backup (or agency staff) resets a user's
    password, whichever PID/SL's screen it is asked from. US-05: Primary Users' and backups'
    passwords are reset by agency staff. The record names the user's home organization, so the
    home organization's trail shows every reset.
    """
    user = lock_user(user)
    authority.require_account_authority(actor, user, authority.RESET)
    password = _set_temporary_password(user)
    user.save(update_fields=["password", "must_change_password", "temporary_password_expires_at"])
    # ASVS 6.3.1, NIST SP 800-63B-4 §3.2.2: a sign-in lock is lifted by a reset, so a user ID an
    # attacker locked is back in use with the new password (accounts/throttle.py).
    unlocked = sign_in_failures_clear(user)
    audit_record(
        action=AuditEvent.Action.PASSWORD_RESET,
        actor=actor,
        target_user=user,
        pidsl=pidsl,
        organization=user.home_organization if pidsl is None else None,
        after={"must_change_password": True, **({"sign_in_failures_cleared": unlocked} if unlocked else {})},
    )
    return password


CONTACT_FIELDS = ("first_name", "middle_initial", "last_name", "email", "phone", "zip_code")


@transaction.atomic
def user_contact_update(*, actor, user, changes: dict, seen: dict | None = None) -> list[str]:
    """Change a user's name or contact details; returns the fields that changed.

    LK-03: the home organization's Primary User or backup, or agency staff. US-01: a name change
    that would make two user IDs of one person is refused. Audited with before and after.
    ``seen``: the values the person's page showed; a field someone else changed since is refused
    (issue 15), never overwritten unseen.
    """
    user = lock_user(user)
    authority.require_account_authority(actor, user, authority.CONTACT)
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise PolicyViolation("US-02", _("Only the name and contact details can be changed here."))
    check_seen(user, changes, seen, rule="US-02", what=_("%(user)s's details") % {"user": user.display_name})
    before = {name: getattr(user, name) for name in changes}
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(user, name, changes[name])
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    try:
        user.validate_constraints()
    except ValidationError as exc:
        raise PolicyViolation(
            "US-01", _("Another user ID has this name, date of birth and PIN. One user ID per person.")
        ) from exc
    user.save(update_fields=changed)
    if {"first_name", "last_name"} & set(changed):
        sort_names_refresh(user)
    audit_record(
        action=AuditEvent.Action.USER_UPDATE,
        actor=actor,
        target_user=user,
        organization=user.home_organization,
        before={name: before[name] for name in changed},
        after={name: changes[name] for name in changed},
        detail="name or contact details changed",
    )
    return changed
