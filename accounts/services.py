"""What users do to their own account. Each writes its audit record (AU-01)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record


@transaction.atomic
def password_change(*, user, new_password: str) -> None:
    """US-04: a user changes a known (or temporary) password; a temporary one is then spent."""
    was_temporary = user.must_change_password
    user.set_password(new_password)
    user.must_change_password = False
    user.temporary_password_expires_at = None
    user.save(update_fields=["password", "must_change_password", "temporary_password_expires_at"])
    audit_record(
        action=AuditEvent.Action.PASSWORD_CHANGE,
        actor=user,
        target_user=user,
        organization=user.home_organization,
        after={"from_temporary": was_temporary},
    )


def temporary_password_expired(user) -> bool:
    expires = user.temporary_password_expires_at
    return bool(user.must_change_password and expires is not None and expires < timezone.now())


@transaction.atomic
def terms_accept(*, user, terms) -> None:
    """US-03: record that the user accepted this version of the terms, and when."""
    user.terms_version = terms.version
    if hasattr(user, "_posc_current_terms"):
        del user._posc_current_terms
    user.terms_accepted_at = timezone.now()
    user.save(update_fields=["terms_version", "terms_accepted_at"])
    audit_record(
        action=AuditEvent.Action.TERMS_ACCEPT,
        actor=user,
        target_user=user,
        organization=user.home_organization,
        after={"terms_version": terms.version},
    )


def terms_pending(user):
    """The current terms if this user has not accepted them yet (US-03), else None."""
    from .models import Terms

    # The gate middleware and the page frame both ask; one query a request is enough.
    if not hasattr(user, "_posc_current_terms"):
        user._posc_current_terms = Terms.current()
    current = user._posc_current_terms
    if current is not None and user.terms_version != current.version:
        return current
    return None


def locked_usernames(usernames) -> set[str]:
    """Which of these user IDs are locked after too many consecutive failed sign-ins (one query):
    their failures at every address and browser added up (accounts/throttle.py)."""
    from axes.models import AccessAttempt
    from django.db.models import Sum

    return set(
        AccessAttempt.objects.filter(username__in=list(usernames))
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .values_list("username", flat=True)
    )


def sign_in_failures_clear(user) -> int:
    """End the user ID's run of failed sign-ins: its lock and its wait, at every address
    (ASVS 6.3.1, NIST SP 800-63B-4 §3.2.2). The failures are also what counts an address's
    different user IDs (credential stuffing), so the user's part of any address's wait goes too;
    other user IDs' failures at that address stay theirs. Returns the records removed."""
    from axes.utils import reset

    return reset(username=user.username)


@transaction.atomic
def lockout_clear(*, actor, user) -> int:
    """Unlock a user ID locked (or kept waiting) by failed sign-ins (audited).

    LK-03: the home organization's Primary User or backup (or agency staff) unlocks, never an
    organization that merely links the user; US-05: a Primary User's lockout is the agency's."""
    from providers import authority

    authority.require_account_authority(actor, user, authority.UNLOCK)
    cleared = sign_in_failures_clear(user)
    audit_record(
        action=AuditEvent.Action.LOCKOUT_CLEAR,
        actor=actor,
        target_user=user,
        organization=user.home_organization,
        after={"attempts_cleared": cleared},
    )
    return cleared
