from django.db import migrations, models

from posc.migration_operations import AddIndexOnline


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("audit", "0012_auditevent_pidsl_action"),
    ]

    operations = [
        AddIndexOnline(
            model_name="auditevent",
            index=models.Index(fields=["actor_username", "-at", "-id"], name="audit_actor_name_recent"),
        ),
        AddIndexOnline(
            model_name="auditevent",
            index=models.Index(fields=["target_username", "-at", "-id"], name="audit_target_name_recent"),
        ),
    ]
