from django.db import migrations

# Organization.open_review_due and last_review_completed, kept by the database from the
# organization's reviews: a row trigger recomputes both for the organization a review row names
# (old and new), so the daily job's bulk creation, a completion and AR-06's completion by default
# all keep them, and no writer can forget to. Two index lookups per review row written.
PG_UP = """
CREATE FUNCTION audit_review_dates_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    org bigint;
BEGIN
    FOREACH org IN ARRAY ARRAY[
        CASE WHEN TG_OP <> 'DELETE' THEN NEW.organization_id END,
        CASE WHEN TG_OP <> 'INSERT' AND (TG_OP = 'DELETE' OR OLD.organization_id <> NEW.organization_id)
             THEN OLD.organization_id END
    ] LOOP
        CONTINUE WHEN org IS NULL;
        UPDATE providers_organization o SET
            open_review_due = (SELECT min(due_date) FROM audit_accessreview
                               WHERE organization_id = org AND status = 'open'),
            last_review_completed = (SELECT max(period_end) FROM audit_accessreview
                                     WHERE organization_id = org AND status = 'completed')
        WHERE o.id = org;
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_review_dates AFTER INSERT OR DELETE OR UPDATE OF status, due_date, period_end, organization_id
    ON audit_accessreview FOR EACH ROW EXECUTE FUNCTION audit_review_dates_apply();
"""
PG_DOWN = """
DROP TRIGGER audit_review_dates ON audit_accessreview;
DROP FUNCTION audit_review_dates_apply();
"""


def _sqlite_refresh(ref: str) -> str:
    # ``ref`` is one of the fixed column references below, never input.
    return (
        "UPDATE providers_organization SET "  # noqa: S608
        f"open_review_due = (SELECT min(due_date) FROM audit_accessreview WHERE organization_id = {ref} "
        "AND status = 'open'), "
        f"last_review_completed = (SELECT max(period_end) FROM audit_accessreview WHERE organization_id = {ref} "
        f"AND status = 'completed') WHERE id = {ref};"
    )


SQLITE_UP = [
    f"CREATE TRIGGER audit_review_dates_insert AFTER INSERT ON audit_accessreview "
    f"BEGIN {_sqlite_refresh('NEW.organization_id')} END;",
    f"CREATE TRIGGER audit_review_dates_update AFTER UPDATE ON audit_accessreview "
    f"BEGIN {_sqlite_refresh('OLD.organization_id')} {_sqlite_refresh('NEW.organization_id')} END;",
    f"CREATE TRIGGER audit_review_dates_delete AFTER DELETE ON audit_accessreview "
    f"BEGIN {_sqlite_refresh('OLD.organization_id')} END;",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_review_dates_insert;",
    "DROP TRIGGER IF EXISTS audit_review_dates_update;",
    "DROP TRIGGER IF EXISTS audit_review_dates_delete;",
]
BACKFILL = _sqlite_refresh("providers_organization.id").replace(" WHERE id = providers_organization.id;", ";")


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_UP)
    elif vendor == "sqlite":
        for sql in SQLITE_UP:
            schema_editor.execute(sql)
    schema_editor.execute(BACKFILL)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in [PG_DOWN] if vendor == "postgresql" else SQLITE_DOWN if vendor == "sqlite" else []:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0022_primary_recovery"),
        ("providers", "0014_organization_review_dates"),
    ]

    operations = [migrations.RunPython(up, down)]
