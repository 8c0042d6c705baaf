"""The audit trail's keyed hash chain (AU-01, AU-02; ASVS 16.4.2, 16.4.3; HIPAA 164.312(c) integrity).

The portal's database role may only INSERT and SELECT the trail (audit/roles.py), and a trigger
refuses UPDATE and DELETE; the chain shows a change made around both (by the table owner, a
restore, a superuser). Each record's hash is HMAC-SHA-256, keyed with POSC_AUDIT_CHAIN_KEY, over a
canonical JSON of its content plus the previous record's hash, in id order: an edited record fails
its own hash, a removed one breaks its successor's ``prev_hash``, and because the database never
holds the key, whoever rewrites the table cannot compute a chain that verifies (ASVS 16.4.3).

Records written before the key existed carry a plain SHA-256. They are accepted only as the
chain's beginning, and only when a keyed record follows them: rewriting one changes the hash the
first keyed record covers. Removing the newest records leaves a shorter valid chain, which is why
the nightly check (audit/checkpoints.py) compares with a keyed checkpoint of its last run.
"""

import hashlib
import hmac
import json
from datetime import UTC
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction

from posc.queue import task_send

from .models import AuditEvent, AuditWaiting

# pg_advisory_xact_lock key for appends ("AU01"): one writer at a time reads the chain's end,
# so two transactions can never both link to the same previous record.
CHAIN_LOCK = 0x41553031

_ip_field = AuditEvent._meta.get_field("ip_address")


def _key() -> bytes:
    return settings.POSC_AUDIT_CHAIN_KEY.encode()


def keyed_digest(message: bytes) -> str:
    """HMAC-SHA-256 of bytes with the chain key: records, checkpoints and evidence manifests."""
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def _canonical(event: AuditEvent) -> bytes:
    # Only what the record says, never its id: ids are not content, and order is carried by prev_hash.
    content = {
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "action": event.action,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "target_user_id": event.target_user_id,
        "target_username": event.target_username,
        "pidsl_id": event.pidsl_id,
        "organization_id": event.organization_id,
        "before": event.before,
        "after": event.after,
        # The form the database stores (IPv6 compressed), so writing and verifying agree.
        "ip_address": _ip_field.get_prep_value(event.ip_address),
        "detail": event.detail,
        "prev_hash": event.prev_hash,
    }
    if event.home_organization_id is not None:
        # Only where set, so the records written before the field existed keep their hashes.
        content["home_organization_id"] = event.home_organization_id
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(event: AuditEvent) -> str:
    return keyed_digest(_canonical(event))


def _unkeyed_hash(event: AuditEvent) -> str:
    # The scheme before the key (audit 0018): read when verifying the chain's first records, never written.
    return hashlib.sha256(_canonical(event)).hexdigest()


def record_intact(event: AuditEvent) -> bool:
    """Whether one record still holds what it held when written (its keyed hash matches)."""
    return hmac.compare_digest(event.hash, record_hash(event))


def _chain_end() -> str:
    """Take the append lock and read the chain's last hash. Call inside a transaction: the lock is
    held until it ends, so the next writer reads this transaction's records as the end."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
    # SQLite (development only) serializes writers itself.
    return _end_hash()


def _end_hash() -> str:
    return AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or ""


def _link(events: list[AuditEvent], previous: str) -> str:
    for event in events:
        event.prev_hash = previous
        event.hash = previous = record_hash(event)
    return previous


# How many waiting records one drain links: a batch's lock is held briefly, and others take turns.
WAITING_BATCH = 500


def _drain_locked(previous: str) -> str:
    """Under the append lock: link the waiting records (the oldest batch) into the chain, each as
    the trail record it waited to be, and let their waiting rows go; returns the chain's new end."""
    waiting = list(AuditWaiting.objects.order_by("id")[:WAITING_BATCH])
    if not waiting:
        return previous
    events = [
        AuditEvent(**{name: getattr(row, name) for name in AuditWaiting.CONTENT}, from_waiting_id=row.pk)
        for row in waiting
    ]
    previous = _link(events, previous)
    AuditEvent.objects.bulk_create(events)
    AuditWaiting.objects.filter(pk__in=[row.pk for row in waiting]).delete()  # the trigger checks
    return previous


def chain_append_or_wait(event: AuditEvent) -> AuditEvent | AuditWaiting:
    """chain_append for a record nobody may be kept waiting for (a sign-in): when another
    transaction holds the append lock (a provider-type change writing 100,000 records holds it
    for many seconds), the record is kept as an AuditWaiting row in the caller's transaction,
    durable at once, and linked into the chain after, by the next sign-in that finds the lock
    free or by the drain task (on commit, and each minute from beat)."""
    if connection.vendor != "postgresql":
        return chain_append(event)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [CHAIN_LOCK])
        got = cursor.fetchone()[0]
    if got:
        previous = _drain_locked(_end_hash())
        _link([event], previous)
        event.save(force_insert=True)
        return event
    waiting = AuditWaiting.objects.create(**{name: getattr(event, name) for name in AuditWaiting.CONTENT})
    transaction.on_commit(lambda: task_send("audit.tasks.audit_waiting_drain", False))
    return waiting


def chain_drain(*, wait: bool) -> int:
    """Link every waiting record into the chain, a batch per transaction; returns how many. With
    ``wait`` False it gives up at once when another writer holds the lock (it will be back)."""
    drained = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    lock = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
                    cursor.execute(f"SELECT {lock}(%s)::text", [CHAIN_LOCK])  # noqa: S608 - one of two names
                    if cursor.fetchone()[0] == "false":
                        return drained
            before = AuditWaiting.objects.count()
            if not before:
                return drained
            _drain_locked(_end_hash())
            drained += min(before, WAITING_BATCH)


def chain_append(event: AuditEvent) -> AuditEvent:
    """Link an unsaved record to the chain's end and insert it."""
    event.prev_hash = _chain_end()
    event.hash = record_hash(event)
    event.save(force_insert=True)
    return event


def chain_extend(events: list[AuditEvent], *, batch_size: int = 2000) -> int:
    """Link many unsaved records to the chain's end in their order, with one lock and one read of
    the end; inserted in that order, so their ids follow the chain (a review's "Keep all remaining"
    writes one record per item)."""
    _link(events, _chain_end())
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
    return len(events)


class ChainState(NamedTuple):
    """What one verification found: whether it holds, records read, the first record that fails,
    and the chain's end (for the next run's checkpoint)."""

    ok: bool
    checked: int
    first_bad_id: int | None = None
    last_id: int | None = None
    last_hash: str = ""


def chain_verify() -> ChainState:
    """Walk the whole chain in id order, streaming. Unkeyed records pass only before the first keyed
    one, and a chain that holds records must end with a keyed one: otherwise rewriting everything
    with plain SHA-256, which needs no key, would verify."""
    previous, checked, keyed_seen, last = "", 0, False, None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=5000):
        checked += 1
        if event.prev_hash != previous:
            return ChainState(False, checked, event.pk)
        if record_intact(event):
            keyed_seen = True
        elif keyed_seen or not hmac.compare_digest(event.hash, _unkeyed_hash(event)):
            return ChainState(False, checked, event.pk)
        previous, last = event.hash, event
    if last is not None and not keyed_seen:
        return ChainState(False, checked, last.pk)
    return ChainState(True, checked, None, last.pk if last else None, previous)
