"""Celery tasks of the audit ground: the nightly check of the trail (ASVS 16.4.3)."""

from celery import shared_task

from .chain import chain_drain
from .checkpoints import chain_check


@shared_task(acks_late=True)
def audit_chain_check() -> bool:
    return chain_check().ok


@shared_task(acks_late=True)
def audit_waiting_drain(wait: bool = True) -> int:
    """The sign-ins' records that waited for a busy chain, linked in (audit/chain.py): on commit
    of one (without waiting for the lock) and each minute from beat (waiting for it)."""
    return chain_drain(wait=wait)
