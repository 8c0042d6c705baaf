import django.db.models.deletion
from django.db import migrations, models

from posc.migration_operations import AddIndexOnline


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction. The column is nullable without a
    # default, so adding it rewrites nothing (the trail keeps its millions of rows as they are).
    atomic = False

    dependencies = [
        ("audit", "0015_auditevent_no_duplicate_reference_indexes"),
        ("providers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="home_organization",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="providers.organization",
            ),
        ),
        AddIndexOnline(
            model_name="auditevent",
            index=models.Index(fields=["home_organization", "-at", "-id"], name="audit_home_org_recent"),
        ),
    ]
