"""Celery tasks of Administer Account: the daily US-09 and LK-04 jobs (posc/daily.py names them too)."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import dormancy, link_dates


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True)
def dormant_accounts_daily() -> dict:
    return dormancy.dormant_accounts_daily(timezone.localdate())


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, acks_late=True)
def expiring_links_daily() -> dict:
    return link_dates.expiring_links_daily(timezone.localdate())
