"""The scheduled check of the audit trail (AU-01; ASVS 16.4.3; HIPAA 164.312(b)).

Each run verifies the whole keyed chain and compares it with the newest checkpoint whose MAC
holds: the trail may only have grown since, and the record that ended the chain then must still be
there with the same hash. A chain can hide the removal of its newest records; a checkpoint cannot,
because only the key (never in the database) makes a MAC that verifies. When anything fails,
every active agency staff member is emailed, the failure is logged and recorded in the trail, and
the Audit Trail page shows it until a check passes.
"""

import hmac

from django.db import transaction
from django.utils import timezone

from posc.humane import eastern

from .alerts import alert_agency
from .chain import chain_verify, keyed_digest
from .models import AuditCheckpoint, AuditEvent

# The newest checkpoints read to find one whose MAC holds: forged rows are few or it is noticed.
_CHECKPOINTS_READ = 50


def checkpoint_mac(checkpoint: AuditCheckpoint) -> str:
    fields = (
        checkpoint.at.isoformat(timespec="microseconds"),
        "ok" if checkpoint.ok else "failed",
        str(checkpoint.records),
        str(checkpoint.last_id),
        checkpoint.last_hash,
        checkpoint.problem,
    )
    return keyed_digest("\x1f".join(fields).encode())


def checkpoint_genuine(checkpoint: AuditCheckpoint) -> bool:
    return hmac.compare_digest(checkpoint.mac, checkpoint_mac(checkpoint))


def latest_checkpoint() -> AuditCheckpoint | None:
    """The newest checkpoint, for the Audit Trail page's status line."""
    return AuditCheckpoint.objects.order_by("-at", "-id").first()


def _problems(state, recent: list[AuditCheckpoint]) -> list[str]:
    problems = []
    if not state.ok:
        problems.append(f"Record {state.first_bad_id} was changed, or a record before it was removed or rewritten.")
    genuine = next((c for c in recent if checkpoint_genuine(c)), None)
    if any(not checkpoint_genuine(c) for c in recent):
        problems.append("A checkpoint of an earlier check does not verify: it was written or changed without the key.")
    if genuine is None or genuine.last_id is None:
        return problems
    if state.checked < genuine.records:
        problems.append(
            f"The trail holds {state.checked} records, fewer than the {genuine.records} the check of "
            f"{eastern(genuine.at)} counted: records were removed."
        )
    still = AuditEvent.objects.filter(pk=genuine.last_id).values_list("hash", flat=True).first()
    if still != genuine.last_hash:
        problems.append(
            f"Record {genuine.last_id}, the newest at the check of {eastern(genuine.at)}, is gone or changed."
        )
    return problems


def chain_check() -> AuditCheckpoint:
    """Verify the chain against the last checkpoint, record what was found, alert on failure."""
    recent = list(AuditCheckpoint.objects.order_by("-at", "-id")[:_CHECKPOINTS_READ])
    state = chain_verify()
    problems = _problems(state, recent)
    checkpoint = AuditCheckpoint(
        at=timezone.now(),
        ok=not problems,
        records=state.checked,
        last_id=state.last_id,
        last_hash=state.last_hash,
        problem=" ".join(problems)[:500],
    )
    checkpoint.mac = checkpoint_mac(checkpoint)
    with transaction.atomic():
        checkpoint.save(force_insert=True)
        if problems:
            from .services import audit_record

            audit_record(action=AuditEvent.Action.CHAIN_CHECK_FAILED, detail=checkpoint.problem)
    if problems:
        _alert(checkpoint)
    return checkpoint


def _alert(checkpoint: AuditCheckpoint) -> None:
    alert_agency(
        "the audit trail check failed",
        f"The check of the audit trail at {eastern(checkpoint.at)} failed.\n\n{checkpoint.problem}\n\n"
        "Nothing in the portal can repair the trail: compare it with the database backups and find who "
        "had access to the database.",
    )
