"""What users do to their own account. Each writes its audit record (AU-01)."""

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
