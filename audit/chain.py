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
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def chain_append(event: AuditEvent) -> AuditEvent:
    """Link an unsaved record to the chain's end and insert it. Call inside a transaction: the
    lock is held until it ends, so the next writer reads this record as the end."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
    # SQLite (development only) serializes writers itself.
    event.prev_hash = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or ""
    event.hash = record_hash(event)
    event.save(force_insert=True)
    return event


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
