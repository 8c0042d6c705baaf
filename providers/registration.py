"""Registration on the POSC with the PIN letter (seeds 001 "Register on the Provider Online
Service Center", seeds 002): agency staff approve the Data Collection Form, which issues a
one-time registration PIN; the designated person creates their user ID with it and becomes
the PID/SL's first Primary User (PU-01)."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record
from posc.policy import PolicyViolation
from posc.throttle import growing_wait, seconds_left, wait_words

from . import authority
from .models import Designation, PidSl, RegistrationThrottle
from .services import primary_designate

# Letters and digits a person can read off paper without confusing them.
_PIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_PIN_LENGTH = 10

# Wrong PINs are slowed down, never punished by voiding the letter (that handed anyone who knew a
# PID/SL code a way to stop its Primary User from ever registering). ASVS 6.3.1, NIST SP 800-63B-4
# §3.2.2: per PID/SL typed, 3 tries free, then 2 s doubling up to 15 minutes; per address, 10 tries
# free, the same waits. A PIN is 10 characters of 32 (50 bits): at one try per 15 minutes a
# PID/SL's PIN outlives its 30-day letter by a factor of 10^11. docs/decisions.md.
PIDSL_FREE_TRIES = 3
ADDRESS_FREE_TRIES = 10
FIRST_WAIT_SECONDS = 2
MAX_WAIT_SECONDS = 15 * 60
# A run of failures older than this is forgotten (an address changes hands; a person comes back).
QUIET_RESET = timedelta(days=1)

GENERIC_REFUSAL = "The Provider ID/Service Location and registration PIN do not match a letter we issued."


class RegistrationThrottled(PolicyViolation):
    """A try that came before its wait was over: nothing was checked (PU-01)."""

    def __init__(self, seconds: int):
        self.seconds = seconds
        super().__init__(
            "PU-01",
            _("Too many tries. Wait %(wait)s, then try again.") % {"wait": wait_words(seconds)},
            field="registration_pin",
        )


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


@lru_cache(maxsize=4)
def _dummy_pin_hash(hasher: str) -> str:
    """A PIN hash no letter has, made by the hasher letters are made with: checked when there is no
    letter, so that path costs what a wrong PIN costs (ASVS 6.3.8: the time taken does not tell
    which PID/SLs have a pending letter)."""
    return make_password(_new_pin())


def pidsl_throttle_key(code: str) -> str:
    return f"pidsl:{code}"


@transaction.atomic
def designation_approve(*, actor, pidsl: PidSl, first_name: str, last_name: str, email: str, phone: str = ""):
    """Agency staff issue the PIN letter of an approved Data Collection Form; returns (designation,
    registration PIN), the PIN once. A new letter voids the PID/SL's earlier unused one (PU-08: a
    lost or expired letter is replaced; the old PIN stops working at once) and ends its run of
    wrong tries. Who may: providers.authority.letter_refusal."""
    authority.require_letter_issuer(actor, pidsl)
    pidsl = PidSl.objects.select_for_update(no_key=True).get(pk=pidsl.pk)
    authority.require_letter_issuer(actor, pidsl)  # again under the row lock
    now = timezone.now()
    voided = list(
        Designation.objects.filter(pidsl=pidsl, registered_at__isnull=True, voided_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    Designation.objects.filter(pk__in=voided).update(voided_at=now)
    RegistrationThrottle.objects.filter(key=pidsl_throttle_key(pidsl.code)).delete()
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
        action=AuditEvent.Action.PIN_LETTER_REISSUE if voided else AuditEvent.Action.DESIGNATION_APPROVE,
        actor=actor,
        pidsl=pidsl,
        before={"voided_letters": voided} if voided else None,
        after={
            "designee": f"{designation.first_name} {designation.last_name}",
            "expires": str(designation.pin_expires_at.date()),
        },
        detail="PIN letter reissued; the earlier letter no longer works (PU-08)" if voided else "",
    )
    return designation, pin


def throttle_rows(keys: list[str]) -> list[RegistrationThrottle]:
    """The rows of these keys, locked in one order (two tries on one PID/SL wait for each other)."""
    RegistrationThrottle.objects.bulk_create([RegistrationThrottle(key=k) for k in keys], ignore_conflicts=True)
    return list(RegistrationThrottle.objects.select_for_update().filter(key__in=keys).order_by("key"))


def recent_failures(row: RegistrationThrottle, now) -> int:
    if row.last_failure_at is None or now - row.last_failure_at > QUIET_RESET:
        return 0
    return row.failures


def _wait(row: RegistrationThrottle, now) -> int:
    free = PIDSL_FREE_TRIES if row.key.startswith("pidsl:") else ADDRESS_FREE_TRIES
    wait = growing_wait(recent_failures(row, now), free=free, first=FIRST_WAIT_SECONDS, cap=MAX_WAIT_SECONDS)
    return seconds_left(wait, row.last_failure_at, now)


def registration_complete(*, pidsl_code: str, registration_pin: str, person: Registrant, address: str | None = None):
    """Create the designated person's user ID and make them the Primary User. The PIN works once.

    PU-01. Every refusal of the code and PIN is one message, whatever the cause (no such PID/SL, no
    pending letter, expired, wrong PIN), and costs the same work: one read of the letter, one PIN
    hash check (against a dummy hash when there is no letter), one count, one audit record. Tries
    are counted per PID/SL typed and per ``address`` and slowed down, never voiding the letter; a
    try before its wait is over checks nothing (ASVS 6.3.1, NIST SP 800-63B-4 §3.2.2). A person who
    already has a user ID is asked to sign in and register the letter on it (US-01, PU-08)."""
    designation, keys = _letter_checked(pidsl_code, registration_pin, person.username, address)
    user = _register(designation_id=designation.pk, person=person)
    RegistrationThrottle.objects.filter(key__in=keys).delete()
    return user


def registration_claim(*, user, pidsl_code: str, registration_pin: str, address: str | None = None):
    """A signed-in user registers a PIN letter that names them and becomes the PID/SL's Primary User
    on the user ID they have (PU-08, US-01: one person, one user ID; Scenario 4: one person may be
    Primary of several PID/SLs). The letter is checked and throttled as at registration."""
    designation, keys = _letter_checked(pidsl_code, registration_pin, user.username, address)
    access = _claim(designation_id=designation.pk, user=user)
    RegistrationThrottle.objects.filter(key__in=keys).delete()
    return access


def _letter_checked(pidsl_code: str, registration_pin: str, username: str, address: str | None):
    """The pending letter the code and PIN open, with the throttle keys; refused in one message."""
    generic = _(GENERIC_REFUSAL)
    code = pidsl_code.strip().upper()
    keys = [pidsl_throttle_key(code)] + ([f"address:{address}"] if address else [])
    with transaction.atomic():
        now = timezone.now()
        rows = throttle_rows(keys)
        wait = max(_wait(row, now) for row in rows)
        if wait:
            raise RegistrationThrottled(wait)
        designation = (
            Designation.objects.select_for_update(no_key=True, of=("self",))
            .select_related("pidsl__organization")
            .filter(
                pidsl__provider_id=code[:9],
                pidsl__service_location=code[9:],
                registered_at__isnull=True,
                voided_at__isnull=True,
            )
            .first()
        )
        encoded = designation.pin_hash if designation is not None else _dummy_pin_hash(settings.PASSWORD_HASHERS[0])
        matched = check_password(registration_pin.strip().upper(), encoded)
        if designation is None or not matched or designation.pin_expires_at < now or len(code) != 10:
            for row in rows:
                row.failures = recent_failures(row, now) + 1
                row.last_failure_at = now
            RegistrationThrottle.objects.bulk_update(rows, ["failures", "last_failure_at"])
            audit_record(
                action=AuditEvent.Action.REGISTRATION_FAILED,
                pidsl=designation.pidsl if designation is not None else None,
                actor_username=username[:150],
                detail=f"registration PIN refused for {code[:10]}",
            )
            failed = True
        else:
            failed = False
    if failed:
        # Outside the atomic block so the count is kept.
        raise PolicyViolation("PU-01", generic, field="registration_pin")
    return designation, keys


# US-01 at registration: the letter's holder already has a user ID (the same name and date of
# birth). Never a second one, never a database message, and no user ID named to whoever holds
# the letter: they sign in and register the letter on their account.
SIGN_IN_FIRST = (
    "You already have a user ID: one person has one user ID on the POSC. Sign in with it and open "
    "this page again: signed in, it asks only for the letter's Provider ID/Service Location and PIN, "
    "and makes you the Primary User on the user ID you have."
)


def _locked_letter(designation_id: int) -> Designation:
    designation = (
        Designation.objects.select_for_update(no_key=True, of=("self",))
        .select_related("pidsl__organization")
        .get(pk=designation_id)
    )
    if designation.registered_at is not None or designation.voided_at is not None:
        raise PolicyViolation("PU-01", _("This registration PIN was already used."), field="registration_pin")
    return designation


def _letter_naming(designation_id: int, first_name: str, last_name: str, *, refusal: str, field: str):
    """The letter, locked, when it names this person (PU-01: the person on the Data Collection Form)."""
    designation = _locked_letter(designation_id)
    if (first_name.strip().lower(), last_name.strip().lower()) != (
        designation.first_name.lower(),
        designation.last_name.lower(),
    ):
        raise PolicyViolation("PU-01", refusal, field=field)
    return designation


def _letter_used(designation: Designation, user, *, existing: bool) -> None:
    designation.registered_user = user
    designation.registered_at = timezone.now()
    designation.save(update_fields=["registered_user", "registered_at"])
    after = {"username": user.username, "role": "primary"}
    if existing:
        after["on_existing_user_id"] = True
    audit_record(
        action=AuditEvent.Action.REGISTRATION, actor=user, target_user=user, pidsl=designation.pidsl, after=after
    )


@transaction.atomic
def _claim(*, designation_id: int, user):
    designation = _letter_naming(
        designation_id,
        user.first_name,
        user.last_name,
        refusal=_("This letter names another person: it is for the person named on the Data Collection Form."),
        field="registration_pin",
    )
    # The agency's approval of the form is what designates; registering the letter carries it out.
    access = primary_designate(actor=designation.approved_by, pidsl=designation.pidsl, user=user)
    _letter_used(designation, user, existing=True)
    return access


@transaction.atomic
def _register(*, designation_id: int, person: Registrant):
    designation = _letter_naming(
        designation_id,
        person.first_name,
        person.last_name,
        refusal=_("Your name does not match the person named on the Data Collection Form."),
        field="last_name",
    )
    User = get_user_model()
    same_person = User.objects.filter(
        first_name__iexact=person.first_name.strip(),
        last_name__iexact=person.last_name.strip(),
        birth_month=person.birth_month,
        birth_day=person.birth_day,
    )
    if same_person.exists():
        raise PolicyViolation("US-01", _(SIGN_IN_FIRST), field="last_name")
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
    # The identity constraint is checked above in words a person reads; a registration racing
    # this one for the same person meets the constraint itself, answered the same way.
    user.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as clash:
        if "user_one_id_per_person" in str(clash):
            raise PolicyViolation("US-01", _(SIGN_IN_FIRST), field="last_name") from None
        raise PolicyViolation("US-01", _("That user ID is taken; choose another."), field="username") from None
    # The agency's approval of the form is what designates; registration carries it out.
    primary_designate(actor=designation.approved_by, pidsl=designation.pidsl, user=user)
    _letter_used(designation, user, existing=False)
    return user
