"""One-action off-boarding of a person who left (issue 17): every link at the PID/SLs the actor
administers ends, one audit record per PID/SL, the other organizations the user is linked to are
told (LK-02), and for the home organization's own staff the user ID can be deactivated in the same
step (US-06; only the home organization may, LK-03). A Primary User still Primary is refused
(PU-06): the replacement comes first, by a change request."""

from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_event, audit_records
from providers import authority
from providers.access import service_codes
from providers.models import Access

from .services import links_end_many, lock_user, user_deactivate

REASON = "off-boarded: the person left"


@transaction.atomic
def offboard(*, actor, user, deactivate: bool = False) -> dict:
    """End the user's links at every PID/SL the actor administers, and deactivate when asked;
    returns {"ended": [PID/SL codes], "deactivated": bool}. All or nothing."""
    user = lock_user(user)
    links = list(authority.offboard_links(actor, user))
    refusal = authority.offboard_refusal(actor, user, links)
    if refusal is not None:
        raise refusal
    if deactivate:
        authority.require_account_authority(actor, user, authority.DEACTIVATE)
    before = {link.pk: {"role": link.role, "services": service_codes(link)} for link in links}
    links_end_many(
        actor=actor,
        access_ids=Access.objects.filter(pk__in=list(before)).values("pk"),
        reason=REASON,
        notice_suffix=" " + _("(Off-boarded: the person left.)"),
    )
    audit_records(
        [
            audit_event(
                action=AuditEvent.Action.LINK_END,
                actor=actor,
                target_user=user,
                pidsl=link.pidsl,
                before=before[link.pk],
                after={"ended": True},
                detail=REASON,
            )
            for link in links
        ]
    )
    if deactivate:
        user_deactivate(actor=actor, user=user, reason=REASON)
    return {"ended": [link.pidsl.code for link in links], "deactivated": deactivate}
