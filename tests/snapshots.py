"""A snapshot of every row a refused or rejected request must leave alone (ASVS 8.2.1, 15.3.3).

Refusals are audited (ACCESS_REFUSED, ASVS 16.3.2) and every sign-in attempt is logged
(16.3.1), so those audit rows may grow; nothing else may. The matrix takes two snapshots
for each of hundreds of requests, so the snapshot is one query: per table, a digest of
the columns that matter, rows in id order. A difference names the table.
"""

from django.contrib.auth import get_user_model
from django.db import connection
from django_otp_webauthn.models import WebAuthnCredential

from audit.models import AccessReview, AuditEvent, Report, ReviewItem
from providers.models import (
    Access,
    BroadcastMessage,
    ComplianceAssignment,
    Designation,
    Notification,
    Organization,
    PidSl,
    PrimaryChangeRequest,
)


def _watched(also_recorded: tuple[str, ...]) -> dict:
    """{name: (model, columns, condition)}: what may not change, and where."""
    access = Access._meta.db_table
    # Action names are the model's own choices, never request data: safe to write into the SQL.
    assert set(also_recorded) <= set(AuditEvent.Action.values)
    allowed = ", ".join(f"'{action}'" for action in (AuditEvent.Action.ACCESS_REFUSED, *also_recorded))
    return {
        "open_access": (Access, "id, user_id, pidsl_id, role", "ended_at IS NULL"),
        "open_services": (
            Access.services.through,
            "access_id, service_id",
            f"access_id IN (SELECT id FROM {access} WHERE ended_at IS NULL)",
        ),
        "users": (
            get_user_model(),
            "id, username, is_active, password, must_change_password, terms_version, email",
            "TRUE",
        ),
        "reviews": (AccessReview, "id, status", "TRUE"),
        "review_items": (ReviewItem, "id, decision, decided_by_id", "TRUE"),
        "reports": (Report, "id", "TRUE"),
        "notifications": (Notification, "id", "TRUE"),
        "change_requests": (PrimaryChangeRequest, "id, status", "TRUE"),
        "designations": (Designation, "id, voided_at, registered_at", "TRUE"),
        "broadcasts": (BroadcastMessage, "id", "TRUE"),
        "organizations": (Organization, "id, name, review_frequency", "TRUE"),
        "pidsls": (PidSl, "id", "TRUE"),
        "compliance_officers": (ComplianceAssignment, "id, ended_at", "TRUE"),
        "passkeys": (WebAuthnCredential, "id, user_id, confirmed", "TRUE"),  # ASVS 7.5.1, 8.2.2
        "audit": (AuditEvent, "id, action", f"action NOT IN ({allowed}) AND action NOT LIKE 'sign\\_in%'"),
    }


def db_snapshot(also_recorded: tuple[str, ...] = ()) -> dict:
    """also_recorded: audit actions a request may add by design (a failed code, a download)."""
    watched = _watched(also_recorded)
    digests = [
        f"(SELECT count(*) || ':' || coalesce(md5(string_agg(row({cols})::text, ',' ORDER BY id)), '') "
        f"FROM {model._meta.db_table} WHERE {where})"
        for model, cols, where in watched.values()
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(digests))
        return dict(zip(watched, cursor.fetchone(), strict=True))
