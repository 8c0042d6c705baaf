"""Run, as of a date, everything beat runs daily (posc/daily.py); safe to run twice."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from posc.daily import run_daily_jobs


class Command(BaseCommand):
    help = (
        "Run every daily job (reviews due, reminders, escalation, default decisions, dormant accounts, "
        "expiring links, the compliance scan) as of --date (today by default). A second run for the same "
        "date changes and sends nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD, in Eastern time (default: today)")

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError as bad:
            raise CommandError(f"--date must be YYYY-MM-DD, e.g. 2027-01-15 ({bad}).") from bad
        for label, result in run_daily_jobs(today):
            self.stdout.write(f"{today} {label}: {result}")
