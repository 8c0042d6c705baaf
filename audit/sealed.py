"""Files whose fingerprint is in the audit chain: review reports and evidence packages (AU-02;
ASVS 16.4.3; HIPAA 164.312(c)(1) integrity).

When a file is built its sha256 goes into a chain record (``seal``), not only into the file's own
row, which anybody with the database can change. Every download opens the file once, checks that
the chain record is intact and names this file, hashes what it is about to send and refuses a file
that no longer matches (``open_sealed``): the same handle is then served, so nothing can be swapped
between the check and the answer.
"""

import hashlib
import hmac

from .alerts import alert_agency
from .chain import record_intact
from .models import AuditEvent
from .services import audit_record
from .storage import reports_storage

_CHUNK = 1 << 20


class SealBroken(Exception):
    """The file, or the chain record of its fingerprint, is not what was sealed."""


def file_sha256(handle) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(_CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def seal(*, action: str, organization, names: dict, sha256: str, size: int, actor=None) -> AuditEvent:
    """Write the chain record of a file's fingerprint; ``names`` says which file ({"report": 12})."""
    return audit_record(
        action=action, actor=actor, organization=organization, after={**names, "sha256": sha256, "size": size}
    )


def open_sealed(name: str, event: AuditEvent | None, names: dict, *, unsealed_sha256: str = ""):
    """The stored file ``name`` opened for reading, at its start, once it matches its sealed
    fingerprint; whichever machine built it, it is read from the shared store (audit/storage.py).

    ``unsealed_sha256``: a file built before fingerprints went into the chain has only its row's."""
    if event is None and unsealed_sha256:
        return _open_matching(name, unsealed_sha256)
    if event is None or not record_intact(event):
        raise SealBroken("The record of this file's fingerprint is missing or was changed.")
    if any(event.after.get(key) != value for key, value in names.items()):
        raise SealBroken("The record of this file's fingerprint belongs to another file.")
    return _open_matching(name, str(event.after.get("sha256", "")))


def _open_matching(name: str, sha256: str):
    try:
        handle = reports_storage().open(name, "rb")
    except (FileNotFoundError, ValueError) as missing:  # ValueError: an empty or unsafe name
        raise SealBroken("The file is missing.") from missing
    try:
        if not hmac.compare_digest(file_sha256(handle), sha256):
            raise SealBroken("The file no longer matches the fingerprint recorded when it was built.")
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle


def refuse_broken(request, broken: SealBroken, *, what: str, organization, close_url: str):
    """The download refused (403, audited) and agency staff told: evidence that does not match is
    never served as if it did."""
    from posc import screens
    from posc.policy import PolicyViolation

    alert_agency(f"{what} did not match its fingerprint", f"{request.path}: {broken}")
    message = f"This {what} cannot be given out: {broken} MassHealth staff have been told."
    return screens.refusal(request, PolicyViolation("AU-02", message), close_url=close_url, organization=organization)
