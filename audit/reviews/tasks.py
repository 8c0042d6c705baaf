"""Celery tasks for access reviews: the daily review job (AR-01, AR-03) and report building (AR-04)."""

from celery import shared_task
from django.db import OperationalError

from . import counts, evidence, reminders, reports


@shared_task(autoretry_for=(OperationalError, OSError), retry_backoff=True, max_retries=5, acks_late=True)
def reviews_daily() -> dict:
    return reminders.reviews_daily()


@shared_task(
    autoretry_for=(OperationalError, OSError),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def report_build_task(report_id: int) -> str:
    return reports.report_build(report_id).status


@shared_task
def reports_sweep() -> int:
    """Build again what a killed worker or a broker outage left behind."""
    reports.report_parts_remove()
    stale = list(reports.reports_stale().values_list("pk", flat=True))
    for pk in stale:
        report_build_task.delay(pk)
    # AU-02: a package a lost worker did not seal, once its reports are built.
    for review_id in evidence.reviews_unsealed():
        evidence_seal_task.delay(review_id)
    return len(stale)


@shared_task(autoretry_for=(OperationalError, OSError), retry_backoff=True, max_retries=5, acks_late=True)
def evidence_seal_task(review_id: int) -> bool:
    """AU-02: seal a completed review's evidence package once both its reports are built."""
    return evidence.evidence_seal(review_id) is not None


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def review_counts_daily() -> dict:
    """The kept review counts recounted from their items; drift is put right and logged."""
    from django.utils import timezone

    return counts.review_counts_daily(timezone.localdate())
