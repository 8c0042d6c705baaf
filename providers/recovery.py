"""PU-08: a Primary User who cannot sign in asks MassHealth for recovery from the sign-in page.

The request names the PID/SL and the person (name, date of birth, 4-digit PIN). It is kept for
agency staff, with whether the identity matched the PID/SL's Primary User on record (never the
PIN typed). The answer is the same whatever was typed, whether the PID/SL exists and whether the
identity matched, and requests are throttled per PID/SL typed and per address, like registration's.

Agency staff verify (the request is a lead, not proof: they call the organization) and decide:
- a one-time temporary password for the matched Primary User (US-04, US-05), or
- a new PIN letter to designate a replacement: the unreachable Primary User's role ends and the
  letter's holder registers as the new one (PU-01; the backup administers meanwhile), or
- decline, with a note.
Each step is audited, and the PID/SL's backup and the Primary User on record are told.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from posc.policy import PolicyViolation
from posc.throttle import growing_wait, seconds_left, wait_words
from subordinates.services import password_reset_temporary

from . import authority
from .access import access_close, pidsl_lock
from .models import Notification, PidSl, RecoveryRequest
from .notifications import notifications_save
from .registration import designation_approve, recent_failures, throttle_rows

# Requests, not failures, are what is counted: two a day per PID/SL and five per address are free,
# then each waits longer (from a minute, doubling, at most a day). Staff read every one.
PIDSL_FREE = 2
ADDRESS_FREE = 5
FIRST_WAIT_SECONDS = 60
MAX_WAIT_SECONDS = 24 * 60 * 60


class RecoveryThrottled(PolicyViolation):
    def __init__(self, seconds: int):
        self.seconds = seconds
        super().__init__(
            "PU-08",
            _("Too many requests. Wait %(wait)s, then try again, or call MassHealth.") % {"wait": wait_words(seconds)},
        )


@dataclass(frozen=True)
class Claimant:
    """Who the request says they are."""

    first_name: str
    last_name: str
    birth_month: int
    birth_day: int
    pin: str
    contact: str


def _wait(row, now) -> int:
    free = PIDSL_FREE if row.key.startswith("recovery:pidsl:") else ADDRESS_FREE
    wait = growing_wait(recent_failures(row, now), free=free, first=FIRST_WAIT_SECONDS, cap=MAX_WAIT_SECONDS)
    return seconds_left(wait, row.last_failure_at, now)


def _matching_primary(pidsl: PidSl | None, who: Claimant):
    """The PID/SL's Primary User when the identity typed is theirs (US-01's identity), else None."""
    if pidsl is None:
        return None
    primary = authority.holder_link(pidsl, authority.PRIMARY)
    if primary is None:
        return None
    user = primary.user
    same = (
        user.first_name.strip().lower() == who.first_name.strip().lower()
        and user.last_name.strip().lower() == who.last_name.strip().lower()
        and (user.birth_month, user.birth_day) == (who.birth_month, who.birth_day)
        and user.pin == who.pin
    )
    return user if same else None


@transaction.atomic
def recovery_request_file(*, pidsl_code: str, who: Claimant, address: str | None = None) -> None:
    """File the request; returns nothing, so the caller cannot answer differently (PU-08)."""
    code = pidsl_code.strip().upper()
    keys = [f"recovery:pidsl:{code}"] + ([f"recovery:address:{address}"] if address else [])
    now = timezone.now()
    rows = throttle_rows(keys)
    wait = max(_wait(row, now) for row in rows)
    if wait:
        raise RecoveryThrottled(wait)
    for row in rows:
        row.failures = recent_failures(row, now) + 1
        row.last_failure_at = now
    type(rows[0]).objects.bulk_update(rows, ["failures", "last_failure_at"])
    pidsl = (
        PidSl.objects.select_related("organization").filter(provider_id=code[:9], service_location=code[9:]).first()
        if len(code) == 10
        else None
    )
    matched = _matching_primary(pidsl, who)
    request = RecoveryRequest.objects.create(
        pidsl_code=code[:10],
        pidsl=pidsl,
        first_name=who.first_name.strip(),
        last_name=who.last_name.strip(),
        birth_month=who.birth_month,
        birth_day=who.birth_day,
        contact=who.contact.strip(),
        matched_user=matched,
        filed_at=now,
        address=address,
    )
    audit_record(
        action=AuditEvent.Action.RECOVERY_REQUEST,
        actor_username="(not signed in)",
        target_user=matched,
        pidsl=pidsl,
        after={"request": request.pk, "identity_matched": matched is not None},
        detail=f"recovery of the Primary User of {code[:10]} requested (PU-08)",
    )
    if pidsl is not None:
        _tell(
            request,
            _(
                "Someone asked MassHealth on %(when)s to recover the Primary User's access to %(pidsl)s. MassHealth "
                "verifies every request before acting. If you did not expect it, call MassHealth."
            )
            % {"when": timezone.localtime(now).strftime("%m/%d/%Y %I:%M %p %Z"), "pidsl": pidsl.code},
        )


def _tell(request: RecoveryRequest, message: str) -> None:
    """The PID/SL's backup and the Primary User on record, each by name (PU-08)."""
    pidsl = request.pidsl
    people = {request.matched_user_id}
    for role in (authority.BACKUP, authority.PRIMARY):
        holder = authority.holder_id(pidsl, role)
        people.add(holder)
    now = timezone.now()
    notifications_save(
        [
            Notification(
                organization_id=pidsl.organization_id,
                recipient_id=user_id,
                kind=Notification.Kind.RECOVERY,
                pidsl=pidsl,
                message=message,
                created_at=now,
            )
            for user_id in sorted(p for p in people if p is not None)
        ]
    )


def _open_request(request: RecoveryRequest) -> RecoveryRequest:
    request = (
        RecoveryRequest.objects.select_for_update(no_key=True, of=("self",)).select_related("pidsl").get(pk=request.pk)
    )
    if request.status != RecoveryRequest.Status.OPEN:
        raise PolicyViolation(
            "PU-08",
            _("This request was already decided: %(status)s.") % {"status": request.get_status_display()},
        )
    return request


def _decided(request: RecoveryRequest, actor, status: str, note: str, after: dict) -> None:
    request.status = status
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.note = note[:500]
    request.save(update_fields=["status", "decided_by", "decided_at", "note"])
    audit_record(
        action=AuditEvent.Action.RECOVERY_DECISION,
        actor=actor,
        target_user=request.matched_user,
        pidsl=request.pidsl,
        after={"request": request.pk, "decision": status, **after},
        detail=note[:200],
    )


def decisions_open(request: RecoveryRequest) -> dict[str, bool]:
    """Which decisions a waiting request allows, for the queue to offer exactly those: a password
    reset only where the identity matched, a new letter only for an enrolled PID/SL."""
    return {"reset": request.matched_user_id is not None, "letter": request.pidsl_id is not None, "decline": True}


@transaction.atomic
def recovery_reset_password(*, actor, request: RecoveryRequest, note: str = "") -> str:
    """The matched Primary User gets a one-time temporary password (US-04, US-05); returned once."""
    authority.require_agency(actor)
    request = _open_request(request)
    if not decisions_open(request)["reset"]:
        raise PolicyViolation(
            "PU-08",
            _(
                "The identity given does not match the Primary User on record, so no password is reset. Issue a new "
                "PIN letter once the organization has confirmed who should be its Primary User, or decline."
            ),
            field="decision",
        )
    password = password_reset_temporary(actor=actor, user=request.matched_user)
    _decided(request, actor, RecoveryRequest.Status.PASSWORD_RESET, note, {})
    _tell(
        request,
        _(
            "MassHealth verified the recovery request for %(pidsl)s and reset the Primary User's password to a "
            "one-time temporary password, given to them directly. It must be changed at the next sign-in."
        )
        % {"pidsl": request.pidsl.code},
    )
    return password


@transaction.atomic
def recovery_issue_letter(*, actor, request: RecoveryRequest, first_name, last_name, email, phone="", note=""):
    """The unreachable Primary User's role ends and a PIN letter designates the replacement (PU-01,
    PU-08); returns (designation, PIN). The backup keeps administering meanwhile."""
    authority.require_agency(actor)
    request = _open_request(request)
    if not decisions_open(request)["letter"]:
        raise PolicyViolation("PU-08", _("No enrolled PID/SL has the code this request gives."), field="decision")
    pidsl_lock(request.pidsl_id)  # the PID/SL first, as every service that moves a role
    old = authority.holder_link(request.pidsl, authority.PRIMARY, lock=True)
    if old is not None:
        access_close(access=old, ended_by=actor, reason=f"Primary User replaced after recovery request {request.pk}")
    designation, pin = designation_approve(
        actor=actor, pidsl=request.pidsl, first_name=first_name, last_name=last_name, email=email, phone=phone
    )
    ended = {"primary_ended": old.user.username} if old is not None else {}
    _decided(request, actor, RecoveryRequest.Status.LETTER_ISSUED, note, {"letter": designation.pk, **ended})
    _tell(
        request,
        _(
            "MassHealth verified the recovery request for %(pidsl)s. The Primary User role was ended and a new PIN "
            "letter was issued to %(name)s to register as the Primary User. The backup administers the PID/SL "
            "until then."
        )
        % {"pidsl": request.pidsl.code, "name": f"{designation.first_name} {designation.last_name}"},
    )
    return designation, pin


@transaction.atomic
def recovery_decline(*, actor, request: RecoveryRequest, note: str) -> None:
    authority.require_agency(actor)
    request = _open_request(request)
    if not note.strip():
        raise PolicyViolation("PU-08", _("Say why the request is declined."), field="note")
    _decided(request, actor, RecoveryRequest.Status.DECLINED, note, {})
    if request.pidsl is not None:
        _tell(
            request,
            _("MassHealth declined the recovery request for %(pidsl)s: %(note)s")
            % {"pidsl": request.pidsl.code, "note": note.strip()[:500]},
        )
