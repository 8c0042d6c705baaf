"""Redis down, as deployed (issue 15; ASVS 16.5.2 / 16.5.3 "degrades, fails securely"; DESIGN:
"a request never fails because the broker is unreachable" and "nothing is lost when Redis is down").

Sessions in a Redis cache (cached_db) and the Celery broker on the same Redis, as REDIS_URL sets
them, with a Redis of this test's own on a free port (never the shared one on 6379), started and
ended by its process id. With it killed: signing in, Home, deactivating a user and asking for a User
Access Report all answer normally, and /healthz/ready says "degraded"; started again: the sweeps
deliver the notice and build the report. With it frozen (a hung Redis: connections open, nothing
answers), a sign-out still ends the session, and the copy Redis kept does not come back.
"""

import os
import signal
import socket
import subprocess
import tempfile
import time
from datetime import timedelta

import pytest
import redis
from django.core import mail
from django.urls import reverse
from django.utils import timezone

import posc.settings.base as production_settings
from audit.models import Report
from audit.reviews import reports
from audit.reviews.tasks import reports_sweep
from posc.celery import app
from posc.outage import outages_reset
from providers.models import Notification
from providers.tasks import notifications_deliver
from tests import factories
from tests.test_celery_worker import _point_app_at
from tests.test_faults import _redis_answers, _wait_for
from tests.view_helpers import url

LOGIN = reverse("accounts:login")
READY = reverse("healthz_ready")
SESSION_KEYS = "posc:1:django.contrib.sessions.cached_db*"


class OwnRedis:
    """A redis-server of the test's own, on a free port, without persistence."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=tempfile.gettempdir(),
            stdout=subprocess.DEVNULL,
        )
        _wait_for(lambda: _redis_answers(self.port), timeout=10, what="our Redis to start")

    def kill(self):
        """The outage: the process ends at once, as in a crash."""
        self.process.kill()
        self.process.wait(timeout=10)
        assert not _redis_answers(self.port)

    def freeze(self):
        """A hung Redis: the kernel still accepts connections, nothing answers them."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def client(self):
        return redis.Redis.from_url(self.url, socket_timeout=2)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.thaw()
            self.kill()


@pytest.fixture
def deployed_redis(settings):
    """Sessions and the broker in our own Redis, as REDIS_URL makes them in production."""
    own = OwnRedis()
    own.start()
    # The production cache settings (posc/settings/base.redis_cache); changing CACHES makes Django
    # drop the cache objects it made, so the sessions cache is made again on this Redis.
    settings.CACHES = {**settings.CACHES, "sessions": production_settings.redis_cache(own.url)}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.POSC_REDIS_RETRY_SECONDS = 1
    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
    _point_app_at(broker_url=own.url, result_backend=own.url, task_always_eager=False)
    outages_reset()
    try:
        yield own
    finally:
        own.stop()
        _point_app_at(**saved)
        outages_reset()


def _ready(client) -> dict:
    response = client.get(READY)
    assert response.status_code == 200  # the database answers: never 503 for Redis
    return response.json()


def _sign_in(client, username):
    response = client.post(LOGIN, {"username": username, "password": factories.DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home"), response.status_code
    return client.cookies["sessionid"].value


@pytest.mark.django_db(transaction=True)
def test_asvs_16_5_with_redis_killed_users_sign_in_and_work_and_the_work_arrives_when_it_is_back(
    cast, client, deployed_redis, caplog
):
    factories.AccessFactory(user=cast.carol, pidsl=cast.pidsl_x)  # carol works for Other Clinic too (LK-02)
    assert _ready(client) == {"status": "ok", "database": "up", "cache": "up", "broker": "up", "redis": "up"}

    deployed_redis.kill()
    started = time.monotonic()
    _sign_in(client, "alice")
    assert client.get(reverse("home")).status_code == 200
    assert client.post(url("deactivate", user_id=cast.carol.pk)).status_code == 200
    response = client.post(reverse("reviews:user_access_report", args=[cast.eddys.pk]), follow=True)
    assert response.status_code == 200
    assert client.get(reverse("home")).status_code == 200  # the session, from its database row
    # Not held in connect timeouts or retries: well inside a proxy's timeout.
    assert time.monotonic() - started < 5

    # The operators see it; the log says it once per Redis use, not once per request.
    assert _ready(client) == {
        "status": "degraded",
        "database": "up",
        "cache": "down",
        "broker": "down",
        "redis": "down",
    }
    assert caplog.text.count("does not answer; going on without it") == 2  # the cache and the broker
    assert "Traceback" not in caplog.text
    assert "Task providers.tasks.notifications_deliver left for its periodic sweep" in caplog.text
    assert "Task audit.reviews.tasks.report_build_task left for its periodic sweep" in caplog.text
    waiting = Notification.objects.filter(delivered_at__isnull=True)
    assert set(waiting.values_list("organization__name", "kind")) == {
        ("Other Clinic", Notification.Kind.USER_DEACTIVATED)
    }
    report = Report.objects.get()
    assert report.status == Report.Status.PENDING

    # Redis is back: the health check finds it, sessions go to Redis again, the sweeps do the work.
    deployed_redis.start()
    assert _ready(client)["status"] == "ok"
    assert "answers again" in caplog.text
    assert client.get(reverse("home")).status_code == 200
    assert deployed_redis.client().keys(SESSION_KEYS)  # the session is cached in Redis again

    _point_app_at(task_always_eager=True)  # the beat tasks, run here as a worker would run them
    mail.outbox.clear()
    assert notifications_deliver() == 1
    assert [m.to for m in mail.outbox] == [[cast.erin.email]]  # Other Clinic's Primary User
    assert "carol" in mail.outbox[0].body
    Report.objects.filter(pk=report.pk).update(requested_at=timezone.now() - timedelta(minutes=11))
    assert reports_sweep() == 1
    report.refresh_from_db()
    assert report.status == Report.Status.DONE
    assert reports.report_path(report).exists()


@pytest.mark.django_db(transaction=True)
def test_asvs_7_4_1_a_sign_out_while_redis_hangs_ends_the_session_and_redis_copy_does_not_return(
    cast, client, deployed_redis, caplog
):
    session_key = _sign_in(client, "alice")
    assert client.get(reverse("home")).status_code == 200
    cached = deployed_redis.client().keys(SESSION_KEYS)
    assert [k.decode().endswith(session_key) for k in cached] == [True]

    deployed_redis.freeze()
    started = time.monotonic()
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(LOGIN).status_code == 200
    assert time.monotonic() - started < 3  # one socket timeout, then Redis is skipped
    deployed_redis.thaw()
    assert deployed_redis.client().keys(SESSION_KEYS) == cached  # Redis still holds the old session

    time.sleep(1.1)  # POSC_REDIS_RETRY_SECONDS: the next use tries Redis again
    thief = type(client)()
    thief.cookies["sessionid"] = session_key
    response = thief.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert deployed_redis.client().keys(SESSION_KEYS) == []  # deleted before anything was read


def test_without_redis_the_health_check_says_not_used_and_503_only_when_the_database_is_down(client, db, monkeypatch):
    # The test settings: sessions in process memory, tasks in-process (REDIS_URL unset).
    assert _ready(client) == {
        "status": "ok",
        "database": "up",
        "cache": "not used",
        "broker": "not used",
        "redis": "not used",
    }
    monkeypatch.setattr("posc.health.database_ping", lambda: False)
    response = client.get(READY)
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response["Cache-Control"] == "no-store"
