"""A real Celery worker on Redis runs the daily review job and builds a report (issue 5's proof).

The worker is a separate process that reads the test database, so the test is transactional.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from audit.models import ReviewReminder
from audit.reviews import services as reviews
from audit.reviews.tasks import report_build_task, reviews_daily
from posc.celery import app
from providers.models import Notification

ROOT = Path(__file__).resolve().parent.parent
BROKER = os.environ.get("POSC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _point_app_at(**conf):
    """Switch this process's Celery app to another broker: drop its cached pool and backend."""
    app.conf.update(**conf)
    app._pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)
    app.__dict__.pop("amqp", None)


@pytest.fixture
def worker():
    try:
        redis.Redis.from_url(BROKER).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"Redis is not reachable at {BROKER}: the worker test needs it.")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "posc.settings.dev",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": BROKER,
        "POSC_REPORTS_DIR": settings.POSC_REPORTS_DIR,
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "posc", "worker", "--pool", "solo", "--loglevel", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
    _point_app_at(broker_url=BROKER, result_backend=BROKER, task_always_eager=False)
    try:
        ping_deadline = time.time() + 60
        while not app.control.ping(timeout=1):
            if process.poll() is not None or time.time() > ping_deadline:
                pytest.fail("The Celery worker did not start:\n" + process.stdout.read().decode()[-3000:])
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        _point_app_at(**saved)


def test_the_daily_job_on_a_real_worker_sends_each_reminder_once(cast, worker):
    reviews.review_create(organization=cast.eddys, actor=cast.alice, due_in_days=14)
    first = reviews_daily.delay().get(timeout=60)
    assert first["reminded"] == 1
    second = reviews_daily.delay().get(timeout=60)
    assert second == {
        "created": 0,
        "reminded": 0,
        "escalated": 0,
        "decided_by_default": 0,
        "items_kept": 0,
        "items_removed": 0,
    }
    assert ReviewReminder.objects.count() == 1
    assert Notification.objects.filter(kind="review_reminder").count() == 1


def test_a_real_worker_builds_the_user_access_report(cast, worker):
    report = reviews.user_access_report_request(actor=cast.alice, organization=cast.eddys)
    assert report_build_task.delay(report.pk).get(timeout=60) == "done"
    report.refresh_from_db()
    assert report.status == "done" and report.rows_done >= 5
