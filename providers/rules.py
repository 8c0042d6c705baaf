"""The POLICY.md checks that more than one service needs, each naming its rule.

Services call these inside their transaction, after taking the row locks, so
the answer cannot change between the check and the write.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from posc.policy import NotAuthorized, PolicyViolation

from . import catalog
from .models import Access, PidSl, Service


def require_active(actor) -> None:
    # US-06: a deactivated user cannot act anywhere.
    if actor is None or not actor.is_active:
        raise NotAuthorized(_("Your user ID is deactivated."), rule="US-06")


def require_agency(actor) -> None:
    require_active(actor)
    if not actor.is_agency_staff:
        raise NotAuthorized(_("Only MassHealth agency staff can do this."))


def administrator_access(actor, pidsl: PidSl) -> Access | None:
    return Access.objects.open().administrators().filter(user=actor, pidsl=pidsl).first()


def require_administrator(actor, pidsl: PidSl) -> Access:
    """The actor is the Primary User or backup Primary User of this PID/SL (PU-04)."""
    require_active(actor)
    access = administrator_access(actor, pidsl)
    if access is None:
        raise NotAuthorized(
            _("Only the Primary User or backup Primary User of %(pidsl)s can do this.") % {"pidsl": pidsl.code},
            rule="PU-04",
        )
    return access


def require_primary(actor, pidsl: PidSl) -> None:
    require_active(actor)
    if not Access.objects.open().filter(user=actor, pidsl=pidsl, role=Access.Role.PRIMARY).exists():
        raise NotAuthorized(_("Only the Primary User of %(pidsl)s can do this.") % {"pidsl": pidsl.code}, rule="PU-02")


def require_linkable(user) -> None:
    if not user.is_active:
        raise PolicyViolation("US-06", _("%(user)s is deactivated; reactivate the user first.") % {"user": user})


def check_services(*, pidsl: PidSl, role: str, services: list[Service]) -> list[Service]:
    """Check a set of services for one user at one PID/SL; return it in catalog order.

    SV-01: Portal Services is always held. SV-02: provider-type services only where
    the provider type allows. PU-04: Manage Subordinate Accounts only for the Primary
    User and backup. PU-05: the Primary and backup hold every grantable service.
    """
    codes = {s.code for s in services}
    grantable = list(Service.objects.grantable_at(pidsl))
    grantable_codes = {s.code for s in grantable}
    if catalog.PORTAL_SERVICES not in codes:
        raise PolicyViolation(
            "SV-01", _("Primary Portal User is held by every linked user and cannot be removed."), field="services"
        )
    not_here = [s for s in services if s.code not in grantable_codes]
    if not_here:
        raise PolicyViolation(
            "SV-02",
            _("%(services)s cannot be granted at %(pidsl)s: the provider type does not allow it.")
            % {"services": ", ".join(s.label for s in not_here), "pidsl": pidsl.code},
            field="services",
        )
    is_admin_role = role in (Access.Role.PRIMARY, Access.Role.BACKUP)
    if catalog.MANAGE_SUBORDINATES in codes and not is_admin_role:
        raise PolicyViolation(
            "PU-04",
            _("Manage Subordinate Accounts can be held only by the Primary User and the backup Primary User."),
            field="services",
        )
    if is_admin_role and codes != grantable_codes:
        raise PolicyViolation(
            "PU-05",
            _("The Primary User and the backup Primary User hold every service at the PID/SL."),
            field="services",
        )
    return [s for s in grantable if s.code in codes]


def check_primary_cap(user) -> None:
    # PU-07: above the hard cap a new Primary User assignment is refused.
    held = Access.objects.open().filter(user=user, role=Access.Role.PRIMARY).count()
    cap = settings.POSC_PRIMARY_PIDSL_CAP
    if held + 1 > cap:
        raise PolicyViolation(
            "PU-07",
            _("%(user)s is already the Primary User of %(held)d PID/SLs; the limit is %(cap)d.")
            % {"user": user, "held": held, "cap": cap},
        )


def check_not_primary_anywhere(user, *, rule: str, message: str) -> None:
    if Access.objects.open().filter(user=user, role=Access.Role.PRIMARY).exists():
        raise PolicyViolation(rule, message)


def require_user_administrator(actor, user, *, pidsl: PidSl | None = None) -> None:
    """The actor may act on this user's account (password reset, sign-in unlock).

    Agency staff may for anyone. A Primary User or backup may only for a user linked to a
    PID/SL they administer (``pidsl`` when given), and never for someone who is a Primary
    User or backup anywhere: those accounts are MassHealth's to reset (US-05).
    """
    require_active(actor)
    if actor.is_agency_staff:
        return
    links = Access.objects.open().filter(user=user)
    if pidsl is not None:
        links = links.filter(pidsl=pidsl)
    administered = Access.objects.open().administrators().filter(user=actor).values("pidsl_id")
    if not links.filter(pidsl_id__in=administered).exists():
        raise NotAuthorized(_("This user is not linked to a PID/SL you administer."), rule="US-05")
    if Access.objects.open().administrators().filter(user=user).exists():
        raise PolicyViolation(
            "US-05",
            _("A Primary User's account can be reset only by MassHealth Customer Service (1-800-841-2900)."),
        )
