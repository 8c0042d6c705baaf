"""LK-04 expiring links: an outside user's link may carry an end date (Access.ends_on, set on Link
and Update Subordinate). The linking PID/SL's Primary User and backup are reminded 14 and 1 days
before (POSC_LINK_END_REMINDER_DAYS), once per link, date and mark (LinkEndReminder); on the date
the daily job ends the link through link_end (audited, the home organization told)."""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from posc.policy import PolicyViolation
from providers import authority
from providers.models import Access, LinkEndReminder, Notification
from providers.notifications import notifications_save

from . import services

logger = logging.getLogger(__name__)

REASON = "the link's end date (LK-04)"


def reminders_send(today: date) -> int:
    marks = {today + timedelta(days=d): d for d in settings.POSC_LINK_END_REMINDER_DAYS}
    links = list(
        Access.objects.open()
        .filter(ends_on__in=list(marks))
        .select_related("user__home_organization", "pidsl__organization")
        .order_by("pk")
    )
    if not links:
        return 0
    with transaction.atomic():
        already = set(
            LinkEndReminder.objects.filter(access__in=links, ends_on__in=list(marks)).values_list(
                "access_id", "ends_on", "days_before"
            )
        )
        fresh = [a for a in links if (a.pk, a.ends_on, marks[a.ends_on]) not in already]
        # LK-04: the linking PID/SL's administrators, each by name (not the whole organization's).
        administrators: dict[int, list[int]] = {}
        for pidsl_id, user_id in (
            authority.administrator_links()
            .filter(pidsl_id__in={a.pidsl_id for a in fresh}, user__is_active=True)
            .values_list("pidsl_id", "user_id")
        ):
            administrators.setdefault(pidsl_id, []).append(user_id)
        now = timezone.now()
        LinkEndReminder.objects.bulk_create(
            [LinkEndReminder(access=a, ends_on=a.ends_on, days_before=marks[a.ends_on], sent_at=now) for a in fresh],
            batch_size=1000,
        )
        rows = []
        for a in fresh:
            text = _(
                "The link of %(user)s (%(home)s) to %(pidsl)s ends on %(day)s (LK-04). To keep it, change "
                '"Link ends on" on Update Subordinate.'
            ) % {
                "user": a.user.username,
                "home": a.user.home_organization or "",
                "pidsl": a.pidsl,
                "day": a.ends_on.strftime("%m/%d/%Y"),
            }
            rows += [
                Notification(
                    organization_id=a.pidsl.organization_id,
                    recipient_id=user_id,
                    kind=Notification.Kind.LINK_ENDING,
                    subject_user=a.user,
                    pidsl=a.pidsl,
                    message=text,
                    created_at=now,
                )
                for user_id in administrators.get(a.pidsl_id, [])
            ]
        notifications_save(rows)
    return len(fresh)


def links_end(today: date) -> int:
    """Every open link whose end date has come (a missed day is caught up), each through link_end."""
    ended = 0
    due = Access.objects.open().filter(ends_on__lte=today).select_related("user", "pidsl__organization").order_by("pk")
    for access in due:
        try:
            services.link_end(actor=None, access=access, reason=REASON, end_date_of=today)
        except PolicyViolation as refused:
            # Ended or changed meanwhile; a Primary User's link never ends by date (PU-06).
            logger.info("LK-04: link %s not ended: %s", access.pk, refused.messages[0])
            continue
        ended += 1
    return ended


def expiring_links_daily(today: date) -> dict:
    """The daily job (posc/daily.py, beat)."""
    return {"reminded": reminders_send(today), "ended": links_end(today)}
