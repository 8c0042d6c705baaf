"""Celery tasks of the audit ground: the nightly check of the trail (ASVS 16.4.3)."""

from celery import shared_task

from .checkpoints import chain_check


@shared_task(acks_late=True)
def audit_chain_check() -> bool:
    return chain_check().ok
