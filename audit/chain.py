"""The audit trail's hash chain (AU-01; ASVS 16.4.2; HIPAA 164.312(c) integrity).

The database trigger refuses UPDATE and DELETE through the application's role; the chain shows
a change made around it (by a table owner, a restore, a disabled trigger). Each record's hash is
SHA-256 over a canonical JSON of its content plus the previous record's hash, in id order, so an
edited record fails its own hash and a removed one breaks its successor's ``prev_hash``. Removing
the newest records leaves a shorter valid chain: compare ``checked`` with an earlier run to see it.
"""

import hashlib
import json
from datetime import UTC

from django.db import connection

from .models import AuditEvent

# pg_advisory_xact_lock key for appends ("AU01"): one writer at a time reads the chain's end,
# so two transactions can never both link to the same previous record.
CHAIN_LOCK = 0x41553031

_ip_field = AuditEvent._meta.get_field("ip_address")


def record_hash(event: AuditEvent) -> str:
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
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _chain_end() -> str:
    """Take the append lock and read the chain's last hash. Call inside a transaction: the lock is
    held until it ends, so the next writer reads this transaction's records as the end."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
    # SQLite (development only) serializes writers itself.
    return AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or ""


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
    previous = _chain_end()
    for event in events:
        event.prev_hash = previous
        event.hash = previous = record_hash(event)
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
    return len(events)


def chain_verify() -> tuple[bool, int, int | None]:
    """(ok, records checked, id of the first record that fails), streaming in id order."""
    previous = ""
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=5000):
        checked += 1
        if event.prev_hash != previous or event.hash != record_hash(event):
            return False, checked, event.pk
        previous = event.hash
    return True, checked, None
