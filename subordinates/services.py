"""Administer Account: what a Primary User or backup does to the users of a PID/SL.

Each function is one transaction that checks the POLICY.md rules (naming them in
its refusal), writes, keeps guardian permissions in step and writes the audit
record (AU-01). Views, the admin, commands and tasks call these; none writes
Access or User directly.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import sign_in_failures_clear
from audit.models import AuditEvent
from audit.services import audit_record
from posc.policy import PolicyViolation, check_seen
from providers import authority
from providers.access import (
    access_close,
    access_open,
    access_services_replace,
    pidsl_lock,
    service_codes,
    sort_names_refresh,
)
from providers.models import Access, Notification, PidSl, Service
from providers.notifications import notify_organizations, organizations_linked_to
from providers.permissions import object_permissions_sync_user

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
    stem = re.sub(r"[^a-z]", "", (first_name[:1] + last_name).lower())[:20] or "user"
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
def user_link(*, actor, pidsl: PidSl, username: str, last_name: str, services: list[Service]) -> Access:
    """Link an existing user (own organization or another, LK-01) to a PID/SL with chosen services."""
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
    try:
        with transaction.atomic():
            access = access_open(
                user=user, pidsl=pidsl, role=authority.SUBORDINATE, services=services, granted_by=actor
            )
    except IntegrityError as exc:
        raise PolicyViolation("LK-01", _("%(user)s was linked at the same time.") % {"user": user}) from exc
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
        after={"services": service_codes(access), "home_organization": str(user.home_organization or "")},
    )
    return access


@transaction.atomic
def link_end(*, actor, access: Access, reason: str = "removed by administrator") -> None:
    """Remove a user from a PID/SL: the link ends, it is not deleted (US-06 delinking)."""
    pidsl_lock(access.pidsl_id)
    access = _lock_access(access)
    authority.require_administrator(actor, access.pidsl)
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
    _tell_home_organization(
        access,
        Notification.Kind.OUTSIDE_REMOVE,
        _("%(org)s removed your user %(user)s from %(pidsl)s.")
        % {"org": pidsl.organization, "user": user.username, "pidsl": pidsl},
    )
    audit_record(
        action=AuditEvent.Action.LINK_END,
        actor=actor,
        target_user=user,
        pidsl=pidsl,
        before=before,
        after={"ended": True},
        detail=reason,
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
    user.is_active = False
    user.deactivated_at = timezone.now()
    # ASVS 7.4.2: every session of the user ends now, and stays ended after a reactivation.
    user.session_epoch += 1
    user.save(update_fields=["is_active", "deactivated_at", "session_epoch"])
    # Links stay open so reactivation restores them (US-06); permissions go now.
    object_permissions_sync_user(user=user)
    others = organizations_linked_to(user) - {user.home_organization_id}
    if others:
        notify_organizations(
            organization_ids=others,
            kind=Notification.Kind.USER_DEACTIVATED,
            subject_user=user,
            message=_("%(user)s was deactivated by their organization and can no longer act for you.")
            % {"user": user.username},
        )
    audit_record(
        action=AuditEvent.Action.USER_DEACTIVATE,
        actor=actor,
        target_user=user,
        organization=user.home_organization,
        before={"is_active": True},
        after={"is_active": False},
        detail=reason,
    )


@transaction.atomic
def user_reactivate(*, actor, user) -> None:
    user = lock_user(user)
    authority.require_account_authority(actor, user, authority.REACTIVATE)
    if user.is_active:
        raise PolicyViolation("US-06", _("%(user)s is already active.") % {"user": user})
    user.is_active = True
    user.deactivated_at = None
    user.save(update_fields=["is_active", "deactivated_at"])
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
