"""AU-01 / ASVS 16.3.1: every sign-in attempt is recorded, success or failure."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from audit.compliance import tallies
from audit.models import AuditEvent
from audit.services import audit_record_unblocked


def record_last_login(sender, request, user, **kwargs):
    """Django's update_last_login, with the user's US-07 tallies kept (audit/compliance/tallies.py):
    a sign-in moves each of the user's links to today's bucket."""
    with tallies.tracking(user_ids=[user.pk], rules=[tallies.US07]):
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])


@receiver(user_logged_in)
def record_sign_in(sender, request, user, **kwargs):
    audit_record_unblocked(
        action=AuditEvent.Action.SIGN_IN, actor=user, target_user=user, organization=user.home_organization
    )


@receiver(user_logged_out)
def record_sign_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record_unblocked(action=AuditEvent.Action.SIGN_OUT, actor=user, target_user=user)


@receiver(user_login_failed)
def record_sign_in_failure(sender, credentials, request=None, **kwargs):
    # The attempted user ID only: never the password (ASVS 16.2.5). Escaped by the template on display.
    username = str(credentials.get("username", ""))[:150]
    target = get_user_model().objects.filter(username=username).first()
    audit_record_unblocked(
        action=AuditEvent.Action.SIGN_IN_FAILED,
        actor_username=username,
        target_user=target,
        detail=_failure_detail(request),
    )


def _failure_detail(request) -> str:
    # ASVS 16.3.1: a refused attempt is recorded too, saying why (accounts/throttle.py).
    wait = getattr(request, "posc_sign_in_wait", 0)
    if wait:
        return f"sign-in refused: wait {wait} s after repeated failures (password not checked)"
    if getattr(request, "axes_locked_out", False):
        return "sign-in refused: user ID locked after repeated failures"
    return "sign-in failed"
