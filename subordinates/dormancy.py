"""US-09 dormant accounts: a user not signed in for the deactivation window (POSC_DORMANT_DAYS,
default 120) is deactivated by the daily job; the home organization's Primary Users and backups are
told 14 and 7 days before, with one action to keep those still needed.

The clock runs from the latest of the last sign-in, the creation of the user ID and the last
restart ("Keep these users", a reactivation). A user's deactivation day is the Eastern date of that
moment plus the window; the job deactivates everyone whose day is today or past (a day the job did
not run is caught up by the next). Set-based: one query finds the users, deactivated a thousand at
a time through the same code as a person's deactivation (services.users_deactivate_by_rule).
"""

import calendar
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, DateTimeField, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from posc.urlcache import cached_reverse
from providers import authority
from providers.models import DormancyNotice, Notification
from providers.notifications import notifications_save

from . import services

User = get_user_model()

SWEEP_BATCH = 1000  # users deactivated per transaction: short locks, bounded advisory locks
KEEP_HORIZON_DAYS = 30  # the Keep these users screen lists who goes within this many days


def window() -> int:
    return settings.POSC_DORMANT_DAYS


def reason() -> str:
    return _("not signed in for %(days)d days (US-09)") % {"days": window()}


def last_activity():
    """The moment a user's clock runs from (Coalesce, so SQLite's Greatest agrees with PostgreSQL's)."""
    return Greatest(
        "date_joined",
        Coalesce("last_login", "date_joined"),
        Coalesce("dormancy_restarted_at", "date_joined"),
        output_field=DateTimeField(),
    )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def due_between(first: date, last: date) -> Q:
    """Users whose deactivation day falls from ``first`` to ``last`` (on a query annotated with
    ``active_at``)."""
    days = timedelta(days=window())
    return Q(active_at__gte=_start_of(first - days), active_at__lt=_start_of(last - days + timedelta(days=1)))


def due_by(day: date) -> Q:
    return Q(active_at__lt=_start_of(day - timedelta(days=window()) + timedelta(days=1)))


def deactivation_day(active_at: datetime) -> date:
    return timezone.localdate(active_at) + timedelta(days=window())


def subjects():
    """Users the job may deactivate (authority: no agency account, no Primary User), with ``active_at``."""
    return User.objects.annotate(active_at=last_activity()).filter(authority.dormancy_subjects_q())


def soon(organization_id: int, today: date):
    """The organization's users who will be deactivated from today to the Keep horizon, soonest first."""
    return (
        subjects()
        .filter(home_organization_id=organization_id)
        .filter(due_between(today, today + timedelta(days=KEEP_HORIZON_DAYS)))
        .order_by("active_at", "last_name", "first_name", "username")
    )


def losses_this_month(today: date) -> dict[int, int]:
    """{organization id: how many of its users will be deactivated from today to the month's end},
    in one query (agency home)."""
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    rows = (
        subjects()
        .filter(due_between(today, month_end))
        .order_by()
        .values("home_organization_id")
        .annotate(n=Count("pk"))
        .values_list("home_organization_id", "n")
    )
    return dict(rows)


def _listed(users) -> str:
    return "; ".join(f"{u.display_name} ({u.username}) on {deactivation_day(u.active_at):%m/%d/%Y}" for u in users)


def _first_today(organization_ids: set[int], kind: str, today: date) -> tuple[list[int], datetime]:
    """The organizations not yet sent this kind of notice today, stamped now (in the caller's
    transaction, with the notices): a second run of the day finds them stamped and sends nothing."""
    already = set(
        DormancyNotice.objects.filter(organization_id__in=organization_ids, kind=kind, on_date=today).values_list(
            "organization_id", flat=True
        )
    )
    fresh = sorted(organization_ids - already)
    now = timezone.now()
    DormancyNotice.objects.bulk_create(
        [DormancyNotice(organization_id=o, kind=kind, on_date=today, sent_at=now) for o in fresh], batch_size=1000
    )
    return fresh, now


def notices_send(today: date) -> int:
    """14 and 7 days before (POSC_DORMANT_NOTICE_DAYS): one notice to each organization with a user
    at such a mark today, listing every user of theirs due within 14 days and when. Once a day
    (DormancyNotice)."""
    marks = {today + timedelta(days=d) for d in settings.POSC_DORMANT_NOTICE_DAYS}
    horizon = today + timedelta(days=max(settings.POSC_DORMANT_NOTICE_DAYS))
    users = list(
        subjects()
        .filter(due_between(today + timedelta(days=1), horizon))
        .only("pk", "username", "first_name", "last_name", "home_organization_id")
        .order_by("home_organization_id", "active_at", "last_name", "first_name", "username")
    )
    by_org: dict[int, list] = {}
    for u in users:
        by_org.setdefault(u.home_organization_id, []).append(u)
    wanted = {org for org, listed in by_org.items() if any(deactivation_day(u.active_at) in marks for u in listed)}
    with transaction.atomic():
        fresh, now = _first_today(wanted, DormancyNotice.Kind.WARNING, today)
        keep_url = cached_reverse("subordinates:dormant")
        notifications_save(
            [
                Notification(
                    organization_id=o,
                    kind=Notification.Kind.DORMANT_WARNING,
                    message=_(
                        "These users have not signed in and will be deactivated for it (US-09): %(users)s. "
                        "Keep those still needed: Keep these users, %(url)s?organization=%(org)d"
                    )
                    % {"users": _listed(by_org[o]), "url": keep_url, "org": o},
                    created_at=now,
                )
                for o in fresh
            ]
        )
    return len(fresh)


def sweep(today: date) -> int:
    """Deactivate every user whose day has come, a batch per transaction; each organization is told
    whom it lost (and every organization a user was linked to, LK-02, as for any deactivation)."""
    ids = list(subjects().filter(due_by(today)).order_by("home_organization_id", "pk").values_list("pk", flat=True))
    linked_message = _("%(user)s was deactivated for not signing in (US-09) and can no longer act for you.")
    done = 0
    for start in range(0, len(ids), SWEEP_BATCH):
        with transaction.atomic():
            # The rule's query again, under the lock: someone who signed in or was kept since stays.
            users = subjects().filter(due_by(today), pk__in=ids[start : start + SWEEP_BATCH])
            gone = services.users_deactivate_by_rule(users=users, reason=reason(), linked_message=linked_message)
            by_org: dict[int, list] = {}
            for u in gone:
                by_org.setdefault(u.home_organization_id, []).append(u)
            now = timezone.now()
            notifications_save(
                [
                    Notification(
                        organization_id=o,
                        kind=Notification.Kind.DORMANT_DEACTIVATED,
                        message=_(
                            "Deactivated for not signing in for %(days)d days (US-09): %(users)s. Reactivate anyone "
                            "still needed on Organization Users."
                        )
                        % {"days": window(), "users": "; ".join(f"{u.display_name} ({u.username})" for u in listed)},
                        created_at=now,
                    )
                    for o, listed in sorted(by_org.items())
                ]
            )
            done += len(gone)
    return done


def primaries_report(today: date) -> int:
    """PU-06: a dormant Primary User is not deactivated (a replacement comes first). On their
    deactivation day agency staff and the organization are told, once (DormancyNotice); the
    compliance page already shows it (PU-03)."""
    dormant = list(
        User.objects.annotate(active_at=last_activity())
        .filter(authority.dormant_primaries_q())
        .filter(due_between(today, today))
        .order_by("home_organization_id", "username")
    )
    by_org: dict[int, list] = {}
    for u in dormant:
        by_org.setdefault(u.home_organization_id, []).append(u)
    with transaction.atomic():
        fresh, now = _first_today(set(by_org), DormancyNotice.Kind.PRIMARY, today)
        agency = list(authority.agency_staff().values_list("pk", flat=True))
        rows = []
        for o in fresh:
            text = _(
                "%(users)s has not signed in for %(days)d days but is a Primary User, so is not deactivated (PU-06, "
                "US-09): a replacement must be approved first, or the user signs in."
            ) % {"users": ", ".join(f"{u.display_name} ({u.username})" for u in by_org[o]), "days": window()}
            for recipient in [None, *agency]:
                rows.append(
                    Notification(
                        organization_id=o,
                        recipient_id=recipient,
                        kind=Notification.Kind.DORMANT_PRIMARY,
                        subject_user=by_org[o][0],
                        message=text,
                        created_at=now,
                    )
                )
        notifications_save(rows)
    return len(fresh)


def dormant_accounts_daily(today: date) -> dict:
    """The daily job (posc/daily.py, beat): warn, deactivate, report dormant Primary Users."""
    return {
        "warned": notices_send(today),
        "deactivated": sweep(today),
        "primary_users_not_deactivated": primaries_report(today),
    }
