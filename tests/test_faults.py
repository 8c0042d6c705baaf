"""Faults the portal rides out: Redis down, a worker killed in the middle of a report, and a
database connection dropped between requests (DESIGN: "Nothing is lost when Redis is down").

The Redis and worker tests start their own processes (a Redis on DOWN_PORT, Celery workers on
Redis db 14) and end them by process id; the workers read the test database, so those tests are
transactional.
"""

import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
import redis
from django.conf import settings as django_settings
from django.core.signals import request_started
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

import posc.settings.base as production_settings
from audit.models import Report
from audit.reviews import reports
from audit.reviews import services as reviews
from audit.reviews.tasks import report_build_task, reports_sweep
from posc.celery import app
from providers.models import Access, Notification
from providers.tasks import notifications_deliver
from tests import factories
from tests.test_celery_worker import _point_app_at
from tests.view_helpers import access_url, url

ROOT = Path(__file__).resolve().parent.parent
BROKER = "redis://127.0.0.1:6379/14"
DOWN_PORT = 6390

slow_transactional = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


# Processes this module starts, and ends by their id


def _redis_answers(port: int) -> bool:
    # A bare socket: redis-py retries a refused connection for seconds.
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _redis_start(port: int) -> None:
    subprocess.run(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--daemonize", "yes", "--dir", tempfile.gettempdir()],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not _redis_answers(port):
        assert time.monotonic() < deadline, f"our Redis on port {port} did not start"
        time.sleep(0.05)


def _redis_stop(port: int) -> None:
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], stdout=subprocess.DEVNULL, check=False)
    deadline = time.monotonic() + 10
    while _redis_answers(port):
        assert time.monotonic() < deadline, f"our Redis on port {port} did not stop"
        time.sleep(0.05)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _kill(pids) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue


@contextmanager
def celery_worker(broker: str, *, pool: str = "solo"):
    """A real worker on ``broker`` reading the test database; this process's app sends there too."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "posc.settings.dev",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": broker,
        "POSC_REPORTS_DIR": str(django_settings.POSC_REPORTS_DIR),
        "POSC_REPORTS_WORK_DIR": str(django_settings.POSC_REPORTS_WORK_DIR or ""),
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    # A file, not a pipe: a worker writing to a full pipe nobody reads would stop.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "posc", "worker", "--pool", pool, "--concurrency", "1"]
            + ["--loglevel", "warning", "--without-gossip", "--without-mingle"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
        _point_app_at(broker_url=broker, result_backend=broker, task_always_eager=False)
        try:
            deadline = time.monotonic() + 60
            while not app.control.ping(timeout=1):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail("The Celery worker did not start:\n" + log.read().decode()[-3000:])
            yield process
        finally:
            children = _children(process.pid)
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            _kill(children)
            _point_app_at(**saved)


def _wait_for(condition, *, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def reports_dir(settings, tmp_path):
    """The scratch folder where files are built (what a killed worker leaves), the store beside it."""
    settings.POSC_REPORTS_WORK_DIR = str(tmp_path)
    settings.POSC_REPORTS_DIR = str(tmp_path / "store")
    return tmp_path


# Redis down


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_with_redis_down_pages_work_and_the_work_waits_in_the_database(cast, client, caplog, reports_dir):
    if _redis_answers(DOWN_PORT):
        pytest.fail(f"Something already listens on port {DOWN_PORT}; this test needs the port for its own Redis.")
    broker = f"redis://127.0.0.1:{DOWN_PORT}/14"
    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
    _redis_start(DOWN_PORT)
    _point_app_at(broker_url=broker, result_backend=broker, task_always_eager=False)
    try:
        _redis_stop(DOWN_PORT)  # the outage
        factories.AccessFactory(user=cast.carol, pidsl=cast.pidsl_x)  # carol works for Other Clinic too (LK-02)
        client.force_login(cast.alice)
        remove_biller = access_url("remove", cast.access(cast.biller, cast.pidsl_a))

        for page in (reverse("home"), url("manage"), remove_biller, url("users")):
            assert client.get(page).status_code == 200, page
        started = time.monotonic()
        assert client.post(remove_biller).status_code == 200
        assert client.post(url("deactivate", user_id=cast.carol.pk)).status_code == 200
        response = client.post(reverse("reviews:user_access_report", args=[cast.eddys.pk]), follow=True)
        assert response.status_code == 200
        # Not held in reconnect retries either (they took ~20 s a request): well inside a proxy's timeout.
        assert time.monotonic() - started < 10

        # The work that would have gone to Celery is in the database, waiting.
        assert "Task providers.tasks.notifications_deliver left for its periodic sweep" in caplog.text
        assert "Task audit.reviews.tasks.report_build_task left for its periodic sweep" in caplog.text
        waiting = Notification.objects.filter(delivered_at__isnull=True)
        assert set(waiting.values_list("organization__name", "kind")) == {
            ("Bay State Billing", Notification.Kind.OUTSIDE_REMOVE),  # LK-03: the home organization
            ("Other Clinic", Notification.Kind.USER_DEACTIVATED),
        }
        report = Report.objects.get()
        assert report.status == Report.Status.PENDING

        # Redis is back: a worker delivers and the sweep builds what waited.
        _redis_start(DOWN_PORT)
        with celery_worker(broker):
            assert notifications_deliver.delay().get(timeout=60) == 2
            assert not Notification.objects.filter(delivered_at__isnull=True).exists()
            Report.objects.filter(pk=report.pk).update(requested_at=timezone.now() - timedelta(minutes=11))
            assert reports_sweep.delay().get(timeout=60) == 1
            _wait_for(lambda: Report.objects.get(pk=report.pk).status == Report.Status.DONE, what="the report")
        report.refresh_from_db()
        assert report.rows_done == Access.objects.open().filter(pidsl__organization=cast.eddys).count()
        assert hashlib.sha256(reports.report_path(report).read_bytes()).hexdigest() == report.sha256
    finally:
        if _redis_answers(DOWN_PORT):
            _redis_stop(DOWN_PORT)
        _point_app_at(**saved)


# A worker killed in the middle of a report


def _copy_waiting_pids() -> set[int]:
    """Backends of the test database whose report COPY waits on a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE 'COPY %%'"
        )
        return {pid for (pid,) in cursor.fetchall()}


@contextmanager
def catalog_table_locked():
    """Hold an exclusive lock on the service catalog from another connection: a report's COPY
    (which reads it) then waits in the middle of the build, after the status is "running" and
    the temporary file is open. A certain place to kill a worker, whatever the report's size."""
    db = connection.settings_dict
    locker = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"])
    try:
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLE providers_service IN ACCESS EXCLUSIVE MODE")
        yield
    finally:
        locker.rollback()
        locker.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_report_never_leaves_it_done_and_it_is_built_again(cast, reports_dir):
    redis.Redis.from_url(BROKER).flushdb()
    with catalog_table_locked():
        with celery_worker(BROKER, pool="prefork") as worker:
            report = reviews.user_access_report_request(actor=cast.alice, organization=cast.eddys)
            _wait_for(lambda: len(_copy_waiting_pids()) == 1, what="the report build to start")
            assert Report.objects.get(pk=report.pk).status == Report.Status.RUNNING
            assert len(list(reports_dir.glob("*.part"))) == 1

            # The pool process dies: reject_on_worker_lost puts the task back and it starts again.
            _kill(_children(worker.pid))
            _wait_for(lambda: len(_copy_waiting_pids()) == 2, what="the task to be delivered again")

            # Now the whole machine goes: nothing acknowledges the task or finishes the file.
            _kill([*_children(worker.pid), worker.pid])
            worker.wait(timeout=10)
        report.refresh_from_db()
        assert report.status == Report.Status.RUNNING
        assert (report.file_path, report.sha256) == ("", "")
        assert [p.suffix for p in reports_dir.iterdir()] == [".part", ".part"]

    # Ten minutes on, the sweep on a new worker builds it again and clears the half-written files.
    Report.objects.filter(pk=report.pk).update(requested_at=timezone.now() - timedelta(minutes=11))
    long_ago = time.time() - 11 * 60
    for part in reports_dir.glob("*.part"):
        os.utime(part, (long_ago, long_ago))
    redis.Redis.from_url(BROKER).flushdb()
    with celery_worker(BROKER):
        assert reports_sweep.delay().get(timeout=60) == 1
        _wait_for(lambda: Report.objects.get(pk=report.pk).status == Report.Status.DONE, what="the rebuilt report")
    report.refresh_from_db()
    content = reports.report_path(report).read_bytes()
    assert hashlib.sha256(content).hexdigest() == report.sha256
    assert len(content) == report.size
    assert report.rows_done == Access.objects.open().filter(pidsl__organization=cast.eddys).count()
    assert len(content.splitlines()) == report.rows_done + 1  # the header and every row, whole
    assert list(reports_dir.glob("*.part")) == []


def test_a_build_failing_half_way_leaves_no_file_and_a_retry_builds_it(cast, reports_dir, monkeypatch):
    report = reviews.user_access_report_request(actor=cast.alice, organization=cast.eddys)
    real_copy = reports._copy_csv

    def copy_then_fail(out, *args):
        out.write(b"pidsl,pidsl_name,username\r\n110000001A,half a row")
        raise OSError("disk full")

    monkeypatch.setattr(reports, "_copy_csv", copy_then_fail)
    with pytest.raises(OSError):
        reports.report_build(report.pk)

    report.refresh_from_db()
    assert report.status == Report.Status.RUNNING
    assert list(reports_dir.iterdir()) == []

    monkeypatch.setattr(reports, "_copy_csv", real_copy)
    reports.report_build(report.pk)

    report.refresh_from_db()
    assert report.status == Report.Status.DONE
    assert hashlib.sha256(reports.report_path(report).read_bytes()).hexdigest() == report.sha256
    assert [p.suffix for p in reports_dir.iterdir()] == [""]  # the store's folder, no scratch left
    assert [p.suffix for p in (reports_dir / "store").iterdir()] == [".csv"]


def test_the_report_task_is_acknowledged_only_when_done_and_retried_on_failure():
    assert report_build_task.acks_late is True
    assert report_build_task.reject_on_worker_lost is True
    assert set(report_build_task.autoretry_for) >= {OSError}
    assert django_settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1


def test_the_sweep_leaves_a_file_still_being_written(reports_dir):
    fresh = reports_dir / "fresh.part"
    old = reports_dir / "old.part"
    fresh.write_bytes(b"header\r\n")
    old.write_bytes(b"header\r\n")
    long_ago = time.time() - 11 * 60
    os.utime(old, (long_ago, long_ago))

    assert reports.report_parts_remove() == 1

    assert [p.name for p in reports_dir.iterdir()] == ["fresh.part"]


# The database connection dropped between requests


@pytest.fixture
def production_connections():
    """The deployed connection settings (kept open for minutes, checked at each request's start)
    instead of the test settings' one-connection-per-test. The test client switches Django's
    close_old_connections off at request start; a WSGI server runs it, so it is put back here."""
    wanted = {k: production_settings.DATABASES["default"][k] for k in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    assert wanted["CONN_HEALTH_CHECKS"] is True and wanted["CONN_MAX_AGE"] > 0
    saved = {k: connection.settings_dict[k] for k in wanted}
    connection.close()
    connection.settings_dict.update(wanted)

    def request_start(**kwargs):
        close_old_connections()

    request_started.connect(request_start, dispatch_uid="test_faults_request_start")
    yield
    request_started.disconnect(dispatch_uid="test_faults_request_start")
    connection.close()
    connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True)
def test_a_request_after_the_database_dropped_the_connection_gets_a_new_one(cast, client, production_connections):
    client.force_login(cast.alice)
    assert client.get(reverse("home")).status_code == 200
    dropped = connection.connection.get_backend_pid()

    db = connection.settings_dict
    killer = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"])
    killer.autocommit = True
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [dropped])

            def ended():
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [dropped])
                return cursor.fetchone()[0] == 0

            _wait_for(ended, timeout=10, what="the backend to end")
    finally:
        killer.close()

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert connection.connection.get_backend_pid() != dropped
    assert client.get(url("manage")).status_code == 200
