from datetime import datetime, time

from celery import shared_task
from django.utils import timezone

from providers.models import Organization

from ..models import FindingSnapshot
from . import tallies
from .findings import finding_counts, findings_for_organizations

# Each batch costs the rule queries once, whatever its organizations' size; batches keep the
# rows one scan holds in memory bounded.
SCAN_BATCH = 200


@shared_task
def finding_tallies_daily() -> dict:
    return tallies.finding_tallies_daily(timezone.localdate())


@shared_task
def compliance_scan() -> int:
    """The nightly scan: one FindingSnapshot per organization, all stamped with the same time."""
    return _scan(timezone.now())


def compliance_scan_on(today) -> int:
    """The scan as of a day (run_daily_jobs), once per day: a day already scanned is left alone.
    Today is scanned as of now; another day as of its end."""
    if FindingSnapshot.objects.filter(computed_at__date=today).exists():
        return 0
    as_of = (
        timezone.now() if today == timezone.localdate() else timezone.make_aware(datetime.combine(today, time(23, 59)))
    )
    return _scan(as_of)


def _scan(now) -> int:
    org_ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    written = 0
    for start in range(0, len(org_ids), SCAN_BATCH):
        found = findings_for_organizations(org_ids[start : start + SCAN_BATCH], now=now)
        FindingSnapshot.objects.bulk_create(
            FindingSnapshot(
                organization_id=org_id,
                computed_at=now,
                counts=finding_counts(findings),
                findings=[f.as_json() for f in findings],
            )
            for org_id, findings in found.items()
        )
        written += len(found)
    return written
