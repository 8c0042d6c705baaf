"""Telling MassHealth when the evidence itself is in doubt (ASVS 16.4.3, 16.3.4): a failed check
of the trail, a sealed file that no longer matches. Logged as an error and emailed to every active
agency staff member; delivery is best effort, the log line and the trail record are the rest."""

import logging

from django.conf import settings
from django.core.mail import send_mail

logger = logging.getLogger("audit.alerts")


def alert_agency(subject: str, body: str) -> None:
    from providers.authority import agency_staff

    logger.error("%s: %s", subject, body)
    emails = sorted(set(agency_staff().exclude(email="").values_list("email", flat=True)))
    if emails:
        send_mail(
            subject=f"POSC: {subject}",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=emails,
            fail_silently=True,
        )
