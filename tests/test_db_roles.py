"""The portal's database role cannot rewrite the evidence (AU-01, AU-02; ASVS 16.4.2, 13.2.2).

The finding: the role the portal ran as owned the audit table (a superuser under `make run` and
docker-compose), so it could TRUNCATE, DISABLE TRIGGER, or SET session_replication_role = replica
and UPDATE. Here the test database's owner grants a runtime role exactly what `migrate` grants it
(audit.roles), and a real connection as that role tries each of those: all are refused, while what
the portal does every day (insert and read the trail, change ordinary tables) works.
"""

import psycopg2
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings
from psycopg2 import errors

from audit.models import AuditEvent
from audit.roles import grant_after_migrate, grant_runtime_privileges
from audit.services import audit_record

ROLE = "posc_runtime_test"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def runtime(transactional_db):
    """A connection to the test database as the runtime role, with migrate's grants."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN "
            f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE; END IF; END $$"
        )
    with override_settings(POSC_DB_RUNTIME_ROLE=ROLE):
        grant_after_migrate(sender=None)  # what `migrate` runs last
    audit_record(action=AuditEvent.Action.SIGN_IN, actor_username="carol", detail="before the attack")
    settings = connection.settings_dict
    conn = psycopg2.connect(
        dbname=settings["NAME"], user=ROLE, host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432
    )
    conn.autocommit = True
    yield conn
    conn.close()


def _refused(conn, sql: str) -> None:
    with conn.cursor() as cursor, pytest.raises((errors.InsufficientPrivilege, errors.RaiseException)):
        cursor.execute(sql)


@pytest.mark.parametrize(
    "attack",
    [
        "TRUNCATE audit_auditevent",
        "UPDATE audit_auditevent SET detail = 'rewritten'",
        "DELETE FROM audit_auditevent",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_auditevent_append_only ON audit_auditevent",
        "DROP TABLE audit_auditevent",
        "TRUNCATE audit_auditcheckpoint",
        "DELETE FROM audit_auditcheckpoint",
        "UPDATE audit_evidencepackage SET retain_until = '2000-01-01'",
        "TRUNCATE audit_evidencepackage",
        "ALTER TABLE audit_evidencepackage DISABLE TRIGGER audit_evidence_retained",
        # A sign-in's record waiting for a busy chain (audit/chain.py): never changed, never cleared.
        "UPDATE audit_auditwaiting SET detail = 'rewritten'",
        "TRUNCATE audit_auditwaiting",
        "ALTER TABLE audit_auditwaiting DISABLE TRIGGER audit_waiting_guard",
    ],
)
def test_au01_the_runtime_role_cannot_rewrite_the_trail(runtime, attack):
    _refused(runtime, attack)
    assert AuditEvent.objects.filter(detail="before the attack").exists()


def test_au01_the_replica_trick_is_refused(runtime):
    # With session_replication_role = replica no ordinary trigger fires; only a superuser may set it.
    _refused(runtime, "SET session_replication_role = replica")
    _refused(runtime, "UPDATE audit_auditevent SET detail = 'rewritten'")
    assert AuditEvent.objects.filter(detail="before the attack").count() == 1


def test_the_runtime_role_is_no_superuser_and_owns_nothing(runtime):
    with runtime.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False, False)
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
        assert cursor.fetchone() == (0,)


def test_the_runtime_role_appends_and_reads_the_trail_and_does_ordinary_work(runtime):
    with runtime.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(1)")  # the chain's append lock
        cursor.execute(
            "INSERT INTO audit_auditevent (at, action, actor_username, target_username, before, after, detail, "
            "prev_hash, hash) VALUES (now(), 'sign_in', 'carol', '', '{}', '{}', 'as the portal', '', '') RETURNING id"
        )
        assert cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        assert cursor.fetchone()[0] == 2
        cursor.execute(
            "INSERT INTO audit_auditcheckpoint (at, ok, records, problem, last_hash, mac) "
            "VALUES (now(), true, 2, '', '', 'x')"
        )
        # Ordinary tables: the portal updates and deletes (sessions, users, links).
        cursor.execute("UPDATE accounts_user SET first_name = first_name")
        cursor.execute("DELETE FROM django_session")


def test_a_runtime_role_that_is_a_superuser_or_missing_is_refused_at_migrate(transactional_db):
    with pytest.raises(ImproperlyConfigured, match="does not exist"):
        grant_runtime_privileges("posc_no_such_role")
    with pytest.raises(ImproperlyConfigured, match="superuser"):
        grant_runtime_privileges("postgres")


def test_docker_compose_migrates_as_the_owner_and_runs_as_the_runtime_role():
    # Text checks (no YAML parser in the stack): the wiring the README describes.
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    compose = (root / "docker-compose.yml").read_text()
    app, migrate = compose.split("services:")[0], compose.split("  migrate:")[1].split("\n  web:")[0]
    assert "DATABASE_URL: postgres://posc_app:" in app
    assert "DATABASE_URL: postgres://posc_owner:" in migrate and "POSC_DB_RUNTIME_ROLE: posc_app" in migrate
    roles = (root / "deploy" / "postgres" / "roles.sql").read_text()
    for role in ("posc_owner", "posc_app"):
        assert f"CREATE ROLE {role} LOGIN PASSWORD" in roles
    assert roles.count("NOSUPERUSER") == 2 and "CREATE DATABASE posc OWNER posc_owner" in roles
