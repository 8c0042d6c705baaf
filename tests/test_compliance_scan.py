"""The nightly compliance scan (audit.compliance.tasks.compliance_scan, CELERY_BEAT_SCHEDULE): one snapshot
per organization, holding what the compliance page would have shown at that moment."""

from django.conf import settings
from django.urls import reverse

from audit.compliance.tasks import compliance_scan
from audit.models import FindingSnapshot
from providers.models import Organization


def test_the_scan_stores_a_snapshot_of_every_organization(cast):
    assert compliance_scan.delay().get() == Organization.objects.count()
    snapshot = FindingSnapshot.objects.get(organization=cast.eddys)
    assert snapshot.counts["PU-03"] == 1
    assert snapshot.total == 1
    assert snapshot.findings == [
        {
            "rule": "PU-03",
            "severity": "high",
            "subject": f"{cast.pidsl_b} has no backup Primary User.",
            "action": "The Primary User appoints a backup Primary User.",
            "pidsl": cast.pidsl_b.code,
            "user": None,
            "fix_url": reverse("subordinates:backup", kwargs={"pidsl": cast.pidsl_b.code}),
        }
    ]
    # Bay State Billing has no PID/SLs: nothing to find, but the night is still on record.
    assert FindingSnapshot.objects.get(organization=cast.billing).total == 0


def test_the_page_says_when_the_scan_last_ran(client, cast):
    client.force_login(cast.compliance)
    url = reverse("compliance:organization", kwargs={"org": cast.eddys.pk})
    assert "has not run" in client.get(url).content.decode()
    compliance_scan.delay()
    assert "Last nightly scan" in client.get(url).content.decode()


def test_the_scan_runs_nightly():
    entry = settings.CELERY_BEAT_SCHEDULE["compliance-scan"]
    assert entry["task"] == "audit.compliance.tasks.compliance_scan"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {0})
