"""The portal's database role (AU-01, AU-02; ASVS 16.4.2, ASVS 13.2.2 least privilege).

Two roles: the owner runs `migrate` and owns every table; the portal (web, worker, beat) connects
as a runtime role that is no superuser and owns nothing. After each `migrate`, the owner grants the
runtime role (POSC_DB_RUNTIME_ROLE) what the portal does with ordinary tables, and on the evidence
tables only what appending needs. Because it owns nothing, the runtime role cannot TRUNCATE, ALTER
TABLE ... DISABLE TRIGGER or drop the triggers, and as no superuser it cannot SET
session_replication_role = replica to skip them: the trail can be added to and read, never changed.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from psycopg2 import sql

# Written once and then only read: the trail, the chain checks, the sealed evidence packages.
# An evidence package may be deleted once its retention has passed: DELETE stays granted there
# and the table's trigger refuses it before then (audit 0018).
APPEND_ONLY_TABLES = ("audit_auditevent", "audit_auditcheckpoint")
# A sign-in's record waiting for the chain (audit/chain.py): never changed; deleted only once the
# trail holds it, which the table's trigger checks (audit 0025).
WAITING_TABLES = ("audit_auditwaiting",)
RETAINED_TABLES = ("audit_evidencepackage",)


def runtime_grants(role: str) -> list[sql.Composed]:
    """The statements that give ``role`` the portal's privileges, in order."""
    name = sql.Identifier(role)
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(name),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(name),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(name),
        # Not even the privileges a GRANT ALL would give: TRUNCATE, TRIGGER, REFERENCES.
        sql.SQL("REVOKE TRUNCATE, TRIGGER, REFERENCES ON ALL TABLES IN SCHEMA public FROM {}").format(name),
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(table), name))
    for table in RETAINED_TABLES + WAITING_TABLES:
        statements.append(sql.SQL("REVOKE UPDATE ON {} FROM {}").format(sql.Identifier(table), name))
    return statements


def grant_runtime_privileges(role: str, *, using: str = "default") -> None:
    """Grant the runtime role its privileges; run as the owner (after `migrate`)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            raise ImproperlyConfigured(
                f"POSC_DB_RUNTIME_ROLE names the role {role!r}, which does not exist: create it first "
                "(README, 'Database roles')."
            )
        if row[0]:
            raise ImproperlyConfigured(f"The runtime role {role!r} is a superuser; it must not be (AU-01).")
        for statement in runtime_grants(role):
            cursor.execute(statement)


def grant_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: every migrate re-grants, so tables a migration added are covered too."""
    role = settings.POSC_DB_RUNTIME_ROLE
    if role:
        grant_runtime_privileges(role, using=using)
