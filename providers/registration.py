"""Registration on the POSC with the PIN letter (seeds 001 "Register on the Provider Online
Service Center", seeds 002): agency staff approve the Data Collection Form, which issues a
one-time registration PIN; the designated person creates their user ID with it and becomes
the PID/SL's first Primary User (PU-01)."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from posc.policy import PolicyViolation

from . import authority
from .models import Access, Designation, PidSl
from .services import primary_designate

# Letters and digits a person can read off paper without confusing them.
_PIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PIN_LENGTH = 10
MAX_PIN_FAILURES = 5


@dataclass(frozen=True)
class Registrant:
    username: str
    password: str
    first_name: str
    last_name: str
    email: str
    birth_month: int
    birth_day: int
    pin: str  # the person's own 4-digit PIN (US-01), not the letter's registration PIN
    zip_code: str
    phone: str = ""


def _new_pin() -> str:
    return "".join(secrets.choice(_PIN_ALPHABET) for _ in range(_PIN_LENGTH))


@transaction.atomic
def designation_approve(*, actor, pidsl: PidSl, first_name: str, last_name: str, email: str, phone: str = ""):
    """Agency staff approve a Data Collection Form; returns (designation, registration PIN) — the PIN once."""
    authority.require_agency(actor)
    pidsl = PidSl.objects.select_for_update(no_key=True).get(pk=pidsl.pk)
    if Access.objects.open().filter(pidsl=pidsl, role=authority.PRIMARY).exists():
        raise PolicyViolation(
            "PU-06", _("%(pidsl)s already has a Primary User; use a change request.") % {"pidsl": pidsl.code}
        )
    now = timezone.now()
    # A new letter voids any earlier unused one.
    Designation.objects.filter(pidsl=pidsl, registered_at__isnull=True, voided_at__isnull=True).update(voided_at=now)
    pin = _new_pin()
    designation = Designation.objects.create(
        pidsl=pidsl,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip(),
        phone=phone.strip(),
        approved_by=actor,
        approved_at=now,
        pin_hash=make_password(pin),
        pin_expires_at=now + timedelta(days=settings.POSC_REGISTRATION_PIN_DAYS),
    )
    audit_record(
        action=AuditEvent.Action.DESIGNATION_APPROVE,
        actor=actor,
        pidsl=pidsl,
        after={
            "designee": f"{designation.first_name} {designation.last_name}",
            "expires": str(designation.pin_expires_at.date()),
        },
    )
    return designation, pin


def registration_complete(*, pidsl_code: str, registration_pin: str, person: Registrant):
    """Create the designated person's user ID and make them the Primary User. The PIN works once."""
    generic = _("The Provider ID/Service Location and registration PIN do not match a letter we issued.")
    code = pidsl_code.strip().upper()
    pidsl = PidSl.objects.filter(provider_id=code[:9], service_location=code[9:10]).first()
    if pidsl is None or len(code) != 10:
        raise PolicyViolation("PU-01", generic, field="registration_pin")
    with transaction.atomic():
        designation = (
            Designation.objects.select_for_update(no_key=True)
            .filter(pidsl=pidsl, registered_at__isnull=True, voided_at__isnull=True)
            .first()
        )
        if designation is None or designation.pin_expires_at < timezone.now():
            raise PolicyViolation("PU-01", generic, field="registration_pin")
        if not check_password(registration_pin.strip().upper(), designation.pin_hash):
            designation.failed_attempts += 1
            if designation.failed_attempts >= MAX_PIN_FAILURES:
                # Guessing ends here: agency staff must issue a new letter.
                designation.voided_at = timezone.now()
            designation.save(update_fields=["failed_attempts", "voided_at"])
            audit_record(
                action=AuditEvent.Action.REGISTRATION_FAILED,
                pidsl=pidsl,
                actor_username=person.username[:150],
                detail="wrong registration PIN",
            )
            failed = True
        else:
            failed = False
    if failed:
        # Outside the atomic block so the failure count is kept.
        raise PolicyViolation("PU-01", generic, field="registration_pin")
    return _register(designation_id=designation.pk, person=person)


@transaction.atomic
def _register(*, designation_id: int, person: Registrant):
    designation = (
        Designation.objects.select_for_update(no_key=True, of=("self",))
        .select_related("pidsl__organization")
        .get(pk=designation_id)
    )
    if designation.registered_at is not None or designation.voided_at is not None:
        raise PolicyViolation("PU-01", _("This registration PIN was already used."), field="registration_pin")
    if (person.first_name.strip().lower(), person.last_name.strip().lower()) != (
        designation.first_name.lower(),
        designation.last_name.lower(),
    ):
        raise PolicyViolation(
            "PU-01",
            _("Your name does not match the person named on the Data Collection Form."),
            field="last_name",
        )
    User = get_user_model()
    if User.objects.filter(username__iexact=person.username.strip()).exists():
        raise PolicyViolation("US-01", _("That user ID is taken; choose another."), field="username")
    user = User(
        username=person.username.strip(),
        first_name=person.first_name.strip(),
        last_name=person.last_name.strip(),
        email=person.email.strip(),
        birth_month=person.birth_month,
        birth_day=person.birth_day,
        pin=person.pin,
        zip_code=person.zip_code,
        phone=person.phone.strip(),
        home_organization=designation.pidsl.organization,
    )
    validate_password(person.password, user)
    user.set_password(person.password)
    user.full_clean()
    user.save()
    # The agency's approval of the form is what designates; registration carries it out.
    primary_designate(actor=designation.approved_by, pidsl=designation.pidsl, user=user)
    designation.registered_user = user
    designation.registered_at = timezone.now()
    designation.save(update_fields=["registered_user", "registered_at"])
    audit_record(
        action=AuditEvent.Action.REGISTRATION,
        actor=user,
        target_user=user,
        pidsl=designation.pidsl,
        after={"username": user.username, "role": "primary"},
    )
    return user
