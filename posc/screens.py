"""What every screen that changes something ends on, written once for all the apps.

The Confirmation page (job aids, seeds 003: "Confirmation", Close), the refusal a service gives
(403 with the reason, audited: ASVS 16.3.2), and a service's refusal shown next to its field.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from audit.models import AuditEvent
from audit.services import audit_record
from posc.policy import Conflict, NotAuthorized


def confirmation(request, message: str, *, close_url: str, pidsl=None, temporary_password: str = ""):
    return render(
        request,
        "confirmation.html",
        {"message": message, "close_url": close_url, "pidsl": pidsl, "temporary_password": temporary_password},
    )


def refusal(request, exc, *, close_url: str, pidsl=None, organization=None, target_user=None):
    """A refused action: 403 with the rule in words, audited, nothing changed (the service's
    transaction rolled back). ``exc`` is the PolicyViolation (or NotAuthorized) it raised.

    A refusal of what was entered (the violation names a field: a schedule of 24 months, no
    decision chosen) is bad input, a 400. The page marks whether the actor may not do this at all
    (``authority``) or a rule refuses it now (``rule``: the Primary User cannot be removed while
    Primary), for people reading it and for the authorization tests."""
    message = exc.messages[0]
    if isinstance(exc, Conflict):
        # Issue 15: someone else changed it since the page was opened; a 409 that says what holds
        # now. Not a refused authorization, so no ACCESS_REFUSED record.
        kind, status = "conflict", 409
    else:
        kind = "authority" if isinstance(exc, NotAuthorized) else "rule"
        status = 400 if kind == "rule" and getattr(exc, "field", None) else 403
        _record_refusal(
            request, f"{request.path}: {message}", pidsl=pidsl, organization=organization, target_user=target_user
        )
    return render(
        request,
        "confirmation.html",
        {
            "message": message,
            "close_url": close_url,
            "pidsl": pidsl,
            "refused": True,
            "refusal_kind": kind,
            "rule": getattr(exc, "rule", ""),
        },
        status=status,
    )


def refuse(request, reason: str, *, detail: str, pidsl=None, organization=None):
    """Refuse a request the actor may not make at all: the 403 page with ``reason`` (written for the
    user), and an ACCESS_REFUSED record naming what was asked (ASVS 16.3.2)."""
    _record_refusal(request, detail, pidsl=pidsl, organization=organization)
    raise PermissionDenied(reason)


def _record_refusal(request, detail: str, *, pidsl=None, organization=None, target_user=None) -> None:
    # ASVS 16.3.2: every refused authorization is recorded, with what was asked.
    audit_record(
        action=AuditEvent.Action.ACCESS_REFUSED,
        actor=request.user,
        target_user=target_user,
        pidsl=pidsl,
        organization=organization,
        detail=detail,
    )
