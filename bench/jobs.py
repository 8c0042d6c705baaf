"""The benchmark's job timings (bench/run.py runs it): the User Access Report against psql's own
COPY of the same rows, the large organization's review creation, and the daily reminder job.

`python bench/jobs.py` orchestrates; each job runs in its own process (`python bench/jobs.py
report|review|daily`) so its time and peak memory are its own.
"""

import json
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posc.settings.production")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from audit.models import AccessReview, Report, ReviewItem, ReviewReminder  # noqa: E402
from providers.models import Notification, Organization  # noqa: E402

LARGE = "Commonwealth Health Network"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def copy_seconds(org_id: int) -> float:
    """psql's own COPY of the User Access Report's rows: the floor the report is held to."""
    from audit.reviews.reports import _USER_ACCESS_SQL

    with connection.cursor() as cursor:
        query = cursor.cursor.mogrify(_USER_ACCESS_SQL, [org_id]).decode()
    url = os.environ["DATABASE_URL"]
    started = time.monotonic()
    with open(os.devnull, "wb") as sink:
        subprocess.run(["psql", url, "-Atq", "-c", f"COPY ({query}) TO STDOUT CSV"], stdout=sink, check=True)
    return time.monotonic() - started


def job_report(org_id: int) -> dict:
    from audit.reviews.reports import report_build

    report = Report.objects.create(
        organization_id=org_id, kind=Report.Kind.USER_ACCESS_CSV, requested_at=timezone.now()
    )
    started = time.monotonic()
    report = report_build(report.pk)
    return {"seconds": time.monotonic() - started, "rows": report.rows_done, "peak_rss_mb": _peak_mb()}


def job_review(org_id: int) -> dict:
    from audit.reviews.services import review_create

    started = time.monotonic()
    review = review_create(organization=Organization.objects.get(pk=org_id), due_in_days=30)
    seconds = time.monotonic() - started
    return {"seconds": seconds, "items": ReviewItem.objects.filter(review=review).count()}


def job_daily() -> dict:
    from audit.reviews.reminders import reviews_daily

    started = time.monotonic()
    first = reviews_daily()
    seconds = time.monotonic() - started
    second = reviews_daily()
    return {"seconds": seconds, "reminded": first["reminded"], "rerun_reminded": second["reminded"]}


def _counts() -> tuple[int, int, int]:
    from audit.models import AuditEvent

    return AuditEvent.objects.count(), Notification.objects.count(), ReviewItem.objects.exclude(decision="").count()


def copy_items_seconds(review_ids: list[int]) -> float:
    """psql's own COPY of the review items the default decisions read: their floor (issue 16)."""
    ids = ",".join(str(i) for i in review_ids) or "0"
    started = time.monotonic()
    with open(os.devnull, "wb") as sink:
        subprocess.run(
            [
                "psql",
                os.environ["DATABASE_URL"],
                "-Atq",
                "-c",
                f"COPY (SELECT * FROM audit_reviewitem WHERE review_id IN ({ids})) TO STDOUT CSV",  # noqa: S608 - ids
            ],
            stdout=sink,
            check=True,
        )
    return time.monotonic() - started


def job_defaults(org_id: int) -> dict:
    """AR-06 on a day when 500 organizations' reviews pass their deadline, the large organization's
    among them; then the same day again. Runs on the throwaway copy (_on_copy)."""

    from audit.models import ProgramReviewSettings
    from audit.reviews.defaults import reviews_decide_by_default
    from posc.celery import app

    # As deployed, the reports of a review completed by default are built by a worker after the
    # commit: queued here (an in-memory broker nobody reads), not built inside the measured job.
    app.conf.update(task_always_eager=False, broker_url="memory://", result_backend=None)
    today = timezone.localdate()
    grace = ProgramReviewSettings.current().grace_days
    past = today - timedelta(days=grace)
    others = list(
        AccessReview.objects.filter(status="open")
        .exclude(organization_id=org_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:499]
    )
    large = AccessReview.objects.get(status="open", organization_id=org_id).pk
    AccessReview.objects.filter(pk__in=[large, *others]).update(due_date=past)
    out = {"copy_seconds": min(copy_items_seconds([large, *others]) for _ in range(2))}
    out["items"] = ReviewItem.objects.filter(review_id__in=[large, *others], decision="").count()
    started = time.monotonic()
    first = reviews_decide_by_default(today)
    out["seconds"] = time.monotonic() - started
    out["reviews"] = first["decided_by_default"]
    before = _counts()
    again = reviews_decide_by_default(today)
    out["rerun_changed"] = again["decided_by_default"] + sum(a != b for a, b in zip(before, _counts(), strict=True))
    return out


def job_dormant() -> dict:
    """US-09's sweep over every user, then the same day again. Runs on the throwaway copy."""
    from django.contrib.auth import get_user_model

    from subordinates.dormancy import dormant_accounts_daily

    today = timezone.localdate()
    out = {"users": get_user_model().objects.count()}
    started = time.monotonic()
    first = dormant_accounts_daily(today)
    out["seconds"] = time.monotonic() - started
    out["deactivated"] = first["deactivated"]
    before = _counts()
    again = dormant_accounts_daily(today)
    out["rerun_changed"] = sum(again.values()) + sum(a != b for a, b in zip(before, _counts(), strict=True))
    return out


def job_signins(seconds: int) -> dict:
    """Sign in the large organization's users one after another for ``seconds`` (what a sign-in
    writes: last_login with its US-07 tallies, and the audit record), each its own transaction;
    the latencies, to show whether anything held them up (the provider-type row)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from accounts.signals import record_last_login, record_sign_in

    users = list(get_user_model().objects.filter(home_organization__name=LARGE, is_active=True).order_by("pk")[:2000])
    waits, started, i = [], time.monotonic(), 0
    while time.monotonic() - started < seconds:
        user = users[i % len(users)]
        i += 1
        t = time.monotonic()
        with transaction.atomic():
            record_last_login(None, None, user)
            record_sign_in(None, None, user)
        waits.append(time.monotonic() - t)
        time.sleep(0.05)
    waits.sort()
    return {"sign_ins": len(waits), "slowest_s": waits[-1], "p95_s": waits[int(len(waits) * 0.95)]}


def job_provider_type(org_id: int) -> dict:
    """SV-06 on the large organization: made long-term care with Manage MMQ on every tenth of its
    open links (written around the services, as a load would), then long-term care turned off,
    timed, while job_signins signs users in beside it."""
    from django.contrib.auth import get_user_model

    from audit.compliance import tallies
    from providers.models import Service
    from providers.provider_type import provider_type_change

    mmq = Service.objects.get(code="mmq")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE providers_organization SET is_long_term_care = true WHERE id = %s", [org_id])
        cursor.execute(
            "INSERT INTO providers_access_services (access_id, service_id) SELECT a.id, %s FROM providers_access a "
            "JOIN providers_pidsl p ON p.id = a.pidsl_id WHERE p.organization_id = %s AND a.ended_at IS NULL "
            "AND a.id %% 10 = 0 ON CONFLICT DO NOTHING",
            [mmq.pk, org_id],
        )
        cursor.execute("ANALYZE providers_access_services")
    tallies.rebuild_organizations([org_id])
    agency = get_user_model().objects.get(username="bench.agency")
    organization = Organization.objects.get(pk=org_id)
    probe = subprocess.Popen(
        [sys.executable, __file__, "signins", "75"], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    time.sleep(5)  # the prober's users are read and it is signing in
    started = time.monotonic()
    done = provider_type_change(actor=agency, organization=organization, is_long_term_care=False)
    seconds = time.monotonic() - started
    out, _ = probe.communicate(timeout=300)
    return {"seconds": seconds, "revoked": done["revoked_grants"], **json.loads(out.strip().splitlines()[-1])}


def _on_copy(*jobs: tuple) -> list[dict]:
    """Jobs that change for good what the next run measures (links ended, users deactivated, a
    million audit records) run on a copy of the bench database, dropped afterwards."""
    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    copy = f"{name}_jobs"
    admin = url.rsplit("/", 1)[0] + "/postgres"
    connection.close()  # CREATE DATABASE ... TEMPLATE needs the template without connections
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {copy}"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {copy} TEMPLATE {name}"], check=True)
    try:
        env = {**os.environ, "DATABASE_URL": f"{url.rsplit('/', 1)[0]}/{copy}"}
        return [_in_process(*job, env=env) for job in jobs]
    finally:
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {copy}"], check=True)


def _clean_reviews() -> None:
    """Earlier bench runs leave reviews behind; reviews are not audit records, so they may go."""
    Notification.objects.filter(kind__startswith="review_").delete()
    ReviewReminder.objects.all().delete()
    Report.objects.all().delete()
    ReviewItem.objects.all().delete()
    AccessReview.objects.all().delete()


def _due_reviews() -> int:
    """One open review per organization, all due in 14 days: the day their first reminder goes."""
    today = timezone.localdate()
    have = set(AccessReview.objects.filter(status="open").values_list("organization_id", flat=True))
    AccessReview.objects.filter(status="open").update(due_date=today + timedelta(days=14))
    AccessReview.objects.bulk_create(
        [
            AccessReview(
                organization_id=pk,
                period_start=today - timedelta(days=182),
                period_end=today,
                due_date=today + timedelta(days=14),
                created_at=timezone.now(),
            )
            for pk in Organization.objects.exclude(pk__in=have).values_list("pk", flat=True)
        ],
        batch_size=1000,
    )
    return AccessReview.objects.filter(status="open").count()


def _in_process(name: str, *args, env=None) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, name, *map(str, args)], check=True, capture_output=True, text=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def orchestrate() -> dict:
    org_id = Organization.objects.get(name=LARGE).pk
    _clean_reviews()
    copy_s = min(copy_seconds(org_id) for _ in range(2))
    report = _in_process("report", org_id)
    review = _in_process("review", org_id)
    reviews = _due_reviews()
    daily = _in_process("daily")
    defaults, dormant = _on_copy(("defaults", org_id), ("dormant",))
    # On a copy of its own: the defaults above end most of the large organization's links.
    (provider_type,) = _on_copy(("provider_type", org_id))
    large_review = AccessReview.objects.get(status="open", organization_id=org_id)
    first_pidsl = ReviewItem.objects.filter(review=large_review).order_by("pidsl_id").values_list("pidsl_id", flat=True)
    from providers.models import PidSl

    return {
        "review_page": {
            "unfiltered": f"/reviews/{org_id}/{large_review.pk}/",
            "filtered": f"/reviews/{org_id}/{large_review.pk}/?show=pending&recommendation=remove"
            f"&pidsl={PidSl.objects.get(pk=first_pidsl.first()).code}",
        },
        "copy_seconds": copy_s,
        "report": report,
        "review": review,
        "daily": {**daily, "reviews": reviews},
        "defaults": defaults,
        "dormant": dormant,
        "provider_type": provider_type,
    }


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "orchestrate"
    jobs = {
        "report": job_report,
        "review": job_review,
        "daily": job_daily,
        "defaults": job_defaults,
        "dormant": job_dormant,
        "provider_type": job_provider_type,
        "signins": job_signins,
        "orchestrate": orchestrate,
    }
    print(json.dumps(jobs[command](*map(int, sys.argv[2:]))))
