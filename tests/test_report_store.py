"""Report files and evidence live in one store that web and worker share (AU-02, AR-04; issue 15).

The finding: files went to a local folder, and docker-compose gave web and worker no shared volume,
so a report the worker built was not on the web container that serves it. Now both reach files
only through the named storage "reports", by the name the row keeps: here a worker in another
process, with another working directory, builds a report; this process serves it, re-checking its
hash; and the same code runs against an S3-compatible store (moto's in-process S3).
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from moto import mock_aws

from audit.models import AuditEvent, EvidencePackage, Report
from audit.reviews import services as reviews
from audit.reviews.reports import report_build
from audit.storage import reports_storage
from tests import factories
from tests.helpers import completed_review

ROOT = Path(__file__).resolve().parent.parent


def _build_in_another_process(report_id: int, cwd: Path) -> None:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "posc.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        # The shared store, as a second machine mounting the same volume would see it.
        "POSC_TEST_REPORTS_DIR": str(settings.POSC_REPORTS_DIR),
        "PYTHONPATH": str(ROOT),
    }
    code = (
        "import django; django.setup(); "
        "from audit.reviews.reports import report_build; "
        f"print(report_build({report_id}).status)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"


@pytest.mark.django_db(transaction=True)
def test_a_report_built_by_another_process_elsewhere_is_served_here_and_rechecked(cast, client, tmp_path):
    report = factories.ReportFactory(organization=cast.eddys, requested_by=cast.alice)  # no worker asked yet
    elsewhere = tmp_path / "worker-cwd"
    elsewhere.mkdir()

    _build_in_another_process(report.pk, elsewhere)

    report.refresh_from_db()
    assert report.status == Report.Status.DONE and not Path(report.file_path).is_absolute()
    assert list(elsewhere.iterdir()) == []  # nothing written where the worker happened to run
    client.force_login(cast.alice)
    url = reverse("reviews:download", args=[cast.eddys.pk, report.pk])
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == report.built_event.after["sha256"] and b"carol" in body

    # The download re-reads the store and re-hashes: a file changed there is refused.
    with reports_storage().open(report.file_path, "wb") as handle:
        handle.write(body.replace(b"carol", b"mallory"))
    assert client.get(url).status_code == 403


@pytest.fixture
def s3_store():
    """The "reports" store as production configures it for a bucket, against moto's S3."""
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="posc-evidence")
        s3 = {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "posc-evidence",
                "region_name": "us-east-1",
                "location": "posc",
                "default_acl": None,
                "file_overwrite": False,
            },
        }
        with override_settings(STORAGES={**settings.STORAGES, "reports": s3}):
            yield boto3.client("s3", region_name="us-east-1")


def test_reports_and_evidence_go_to_an_object_store_and_come_back_checked(cast, client, s3_store):
    sealed = completed_review(cast)
    package = EvidencePackage.objects.get(review=sealed)
    keys = {o["Key"] for o in s3_store.list_objects_v2(Bucket="posc-evidence")["Contents"]}
    assert f"posc/{package.file_path}" in keys
    assert {f"posc/{r.file_path}" for r in Report.objects.filter(review=sealed)} <= keys

    client.force_login(cast.compliance)
    response = client.get(reverse("reviews:evidence", args=[cast.eddys.pk, sealed.pk]))
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == package.sha256
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EVIDENCE_DOWNLOAD).count() == 1

    s3_store.put_object(Bucket="posc-evidence", Key=f"posc/{package.file_path}", Body=b"not the package")
    assert client.get(reverse("reviews:evidence", args=[cast.eddys.pk, sealed.pk])).status_code == 403


def test_a_user_access_report_round_trips_through_the_object_store(cast, client, s3_store):
    report = report_build(reviews.user_access_report_request(actor=cast.alice, organization=cast.eddys).pk)
    assert isinstance(storages["reports"].__class__.__name__, str) and report.file_path
    client.force_login(cast.alice)
    response = client.get(reverse("reviews:download", args=[cast.eddys.pk, report.pk]))
    assert response.status_code == 200 and b"carol" in b"".join(response.streaming_content)


def test_docker_compose_gives_web_and_worker_one_store():
    compose = (ROOT / "docker-compose.yml").read_text()
    shared = compose.split("services:")[0]  # the x-app block web, worker and beat are made of
    assert "- reports:/app/var/reports" in shared and "POSC_REPORTS_DIR: /app/var/reports" in shared
    assert "\n  reports:" in compose.split("\nvolumes:")[-1]
