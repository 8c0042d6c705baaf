"""A sign-in never waits for a busy audit chain (audit/chain.py, issue 17's "without blocking
sign-ins"): while another transaction holds the chain's append lock, the sign-in's record is kept
as an AuditWaiting row in the sign-in's own transaction and linked into the chain after. The
database refuses to change a waiting row, or to delete one the trail does not yet hold (AU-01)."""

import threading
import time

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from accounts.signals import record_sign_in
from audit.chain import CHAIN_LOCK, chain_drain, chain_verify
from audit.models import AuditEvent, AuditWaiting
from audit.services import audit_record

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class ChainHeld:
    """Another connection holding the chain's append lock, as a long change writing its records does."""

    def __enter__(self):
        self.taken, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)
        self.thread.start()
        assert self.taken.wait(10)
        return self

    def _hold(self):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
                self.taken.set()
                self.release.wait(30)
        finally:
            connection.close()

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(10)


def test_a_sign_in_while_the_chain_is_busy_does_not_wait_and_is_chained_after(cast):
    before = AuditEvent.objects.count()
    with ChainHeld():
        started = time.monotonic()
        record_sign_in(None, None, cast.carol)
        waited = time.monotonic() - started
        assert waited < 2, waited
        assert AuditEvent.objects.count() == before
        row = AuditWaiting.objects.get()
        assert (row.action, row.actor_id) == (AuditEvent.Action.SIGN_IN, cast.carol.pk)
        # The drain on commit found the chain still busy and left it; a writer gives up at once.
        assert chain_drain(wait=False) == 0
    assert chain_drain(wait=True) == 1
    chained = AuditEvent.objects.get(from_waiting_id=row.pk)
    assert (chained.action, chained.actor_id, chained.at) == (row.action, row.actor_id, row.at)
    assert not AuditWaiting.objects.exists()
    assert chain_verify().ok


def test_the_next_sign_in_that_finds_the_chain_free_links_the_waiting_ones_first(cast):
    with ChainHeld():
        record_sign_in(None, None, cast.carol)
        record_sign_in(None, None, cast.bob)
    record_sign_in(None, None, cast.alice)
    assert not AuditWaiting.objects.exists()
    newest = list(AuditEvent.objects.order_by("-id").values_list("actor__username", flat=True)[:3])
    assert newest == ["alice", "bob", "carol"]
    assert chain_verify().ok


def test_a_waiting_record_cannot_be_changed_or_deleted_before_the_trail_holds_it(cast):
    with ChainHeld():
        record_sign_in(None, None, cast.carol)
    row = AuditWaiting.objects.get()
    for change in (
        lambda: AuditWaiting.objects.filter(pk=row.pk).update(detail="nothing happened"),
        lambda: AuditWaiting.objects.filter(pk=row.pk).delete(),
    ):
        with pytest.raises((InternalError, IntegrityError)), transaction.atomic():
            change()
    assert AuditWaiting.objects.filter(pk=row.pk, detail="").exists()


def test_other_records_still_wait_their_turn(cast):
    # Only sign-ins skip the queue: an action's record is written in order, in its transaction.
    with ChainHeld() as held:
        done = threading.Event()

        def write():
            try:
                audit_record(action=AuditEvent.Action.USER_UPDATE, actor=cast.alice, target_user=cast.carol)
                done.set()
            finally:
                connection.close()

        writer = threading.Thread(target=write)
        writer.start()
        assert not done.wait(1)
        held.release.set()
        writer.join(10)
    assert done.is_set()
    assert not AuditWaiting.objects.exists()
