"""Notifications to organizations (LK-02): rows written with the change, emailed after."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from posc.queue import task_send

from . import authority
from .models import Access, Notification, Organization

logger = logging.getLogger(__name__)


def _deliver_soon() -> None:
    """Ask a worker to send now; if the broker is down, the beat task sends them later."""
    task_send("providers.tasks.notifications_deliver")


def organizations_linked_to(user) -> set[int]:
    """The user's home organization and every organization where the user has an open link."""
    ids = set(Access.objects.open().filter(user=user).values_list("pidsl__organization_id", flat=True))
    if user.home_organization_id:
        ids.add(user.home_organization_id)
    return ids


def notify_organizations(*, organization_ids, kind: str, subject_user, message: str, pidsl=None) -> int:
    now = timezone.now()
    rows = [
        Notification(
            organization_id=org_id, kind=kind, subject_user=subject_user, pidsl=pidsl, message=message, created_at=now
        )
        for org_id in sorted(organization_ids)
    ]
    return notifications_save(rows)


def notifications_save(rows: list[Notification]) -> int:
    """Write notification rows in the caller's transaction; delivery is asked for after commit."""
    Notification.objects.bulk_create(rows, batch_size=1000)
    if rows:
        transaction.on_commit(_deliver_soon)
    return len(rows)


def administrator_emails(organization: Organization) -> list[str]:
    emails = (
        authority.administrator_links()
        .filter(pidsl__organization=organization, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )
    return sorted(emails)


def notifications_deliver(*, batch_size: int = 200) -> int:
    """Email undelivered notifications to their organization's administrators.

    Each row is locked while it is sent (SKIP LOCKED) so two workers never send one
    twice, and marked delivered in the same transaction.
    """
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(delivered_at__isnull=True)
                .select_related("organization", "subject_user", "recipient")
                .order_by("created_at")[:batch_size]
            )
            if not batch:
                return sent
            for note in batch:
                if note.recipient_id:
                    recipients = [note.recipient.email] if note.recipient.email and note.recipient.is_active else []
                else:
                    recipients = administrator_emails(note.organization)
                if recipients:
                    send_mail(
                        subject=f"POSC: {note.get_kind_display()}",
                        message=note.message,
                        from_email=settings.DEFAULT_FROM_EMAIL,
                        recipient_list=recipients,
                    )
                note.delivered_at = timezone.now()
                note.save(update_fields=["delivered_at"])
                sent += 1
