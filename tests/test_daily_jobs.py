"""`run_daily_jobs`: everything beat runs daily, as of a date, safe to run twice (issue 16)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.compliance.tasks import compliance_scan_on
from audit.models import AccessReview, AuditEvent, FindingSnapshot
from posc.daily import DAILY_JOBS
from providers.models import Notification


def _state():
    return (
        AuditEvent.objects.count(),
        Notification.objects.count(),
        FindingSnapshot.objects.count(),
        AccessReview.objects.count(),
        len(mail.outbox),
    )


def test_every_daily_job_is_a_beat_job_or_the_scan(settings):
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert DAILY_JOBS and all(isinstance(label, str) and path for label, path in DAILY_JOBS)
    assert "audit.reviews.tasks.reviews_daily" in beat and "audit.compliance.tasks.compliance_scan" in beat


def test_a_date_a_month_ahead_runs_everything_and_a_second_run_changes_nothing(cast, capsys):
    day = timezone.localdate() + timedelta(days=31)
    call_command("run_daily_jobs", "--date", day.isoformat())
    out = capsys.readouterr().out
    assert all(label in out for label, _ in DAILY_JOBS)
    after_first = _state()
    assert after_first[2] > 0  # the compliance scan ran for that day

    call_command("run_daily_jobs", "--date", day.isoformat())

    assert _state() == after_first


def test_the_scan_runs_once_a_day(cast):
    today = timezone.localdate()
    assert compliance_scan_on(today) > 0
    assert compliance_scan_on(today) == 0
    assert compliance_scan_on(today + timedelta(days=1)) > 0


@pytest.mark.parametrize("bad", ["2027-13-01", "tomorrow", "01/15/2027"])
def test_a_bad_date_is_refused_in_words(bad):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_daily_jobs", "--date", bad)
