"""Drop the single-column indexes of the audit record's four references.

Each reference leads a "(reference, at DESC, id DESC)" index that serves the same lookups (and
on_delete=PROTECT's check), so every audited action maintained two indexes for one purpose.
Django's own AlterField would also drop and re-add the foreign keys, re-checking millions of rows
under a lock: the state changes here, the database only loses the indexes (concurrently on
PostgreSQL, so the trail keeps taking records).
"""

from django.conf import settings
from django.db import migrations, models

TABLE = "audit_auditevent"
COLUMNS = ("actor_id", "target_user_id", "pidsl_id", "organization_id")


def _single_column_indexes(schema_editor, column: str) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, TABLE)
    return [
        name
        for name, info in constraints.items()
        if info["index"] and info["columns"] == [column] and not (info["unique"] or info["primary_key"])
    ]


def drop_indexes(apps, schema_editor):
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    for column in COLUMNS:
        for name in _single_column_indexes(schema_editor, column):
            schema_editor.execute(f'DROP INDEX{concurrently} IF EXISTS "{name}"')


def create_indexes(apps, schema_editor):
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    for column in COLUMNS:
        if not _single_column_indexes(schema_editor, column):
            schema_editor.execute(f'CREATE INDEX{concurrently} "{TABLE}_{column}_single" ON {TABLE} ("{column}")')


def _reference(to, **kwargs):
    return models.ForeignKey(
        to, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False, **kwargs
    )


class Migration(migrations.Migration):
    # DROP INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("audit", "0014_auditevent_autovacuum"),
        ("providers", "0008_pidsl_listed_links"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField("auditevent", "actor", _reference(settings.AUTH_USER_MODEL)),
                migrations.AlterField("auditevent", "target_user", _reference(settings.AUTH_USER_MODEL)),
                migrations.AlterField("auditevent", "pidsl", _reference("providers.pidsl")),
                migrations.AlterField("auditevent", "organization", _reference("providers.organization")),
            ],
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
        ),
    ]
