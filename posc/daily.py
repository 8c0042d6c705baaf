"""Everything beat runs once a day, in order, as of one date (issue 16).

Each job is named by its dotted path (this module sits below the apps and imports none of them)
and takes ``today``; each is idempotent, so running a date twice changes and sends nothing the
second time. `python manage.py run_daily_jobs [--date YYYY-MM-DD]` runs them all, to catch up
after an outage; beat runs each on its own schedule (CELERY_BEAT_SCHEDULE).
"""

from datetime import date

from django.utils.module_loading import import_string

# (what the operator reads, the job). Order matters: reviews start and decide before the nightly
# compliance scan reads the day's state.
DAILY_JOBS: list[tuple[str, str]] = [
    ("Access reviews: start, remind, escalate, decide by default", "audit.reviews.reminders.reviews_daily"),
    ("Dormant accounts (US-09): warn, deactivate", "subordinates.dormancy.dormant_accounts_daily"),
    ("Expiring links (LK-04): remind, end", "subordinates.link_dates.expiring_links_daily"),
    ("Compliance scan", "audit.compliance.tasks.compliance_scan_on"),
    ("Kept counts: recount, report drift", "audit.reviews.counts.review_counts_daily"),
    ("Finding tallies: measure, report drift", "audit.compliance.tallies.finding_tallies_daily"),
]


def run_daily_jobs(today: date) -> list[tuple[str, object]]:
    """Run every daily job as of ``today``; (label, what it reported) for each."""
    return [(label, import_string(path)(today)) for label, path in DAILY_JOBS]
