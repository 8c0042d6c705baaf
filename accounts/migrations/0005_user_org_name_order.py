from django.db import migrations, models

from posc.migration_operations import AddIndexOnline


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("accounts", "0004_terms_first_version"),
    ]

    operations = [
        AddIndexOnline(
            model_name="user",
            index=models.Index(
                fields=["home_organization", "last_name", "first_name", "username"], name="user_org_name_order"
            ),
        ),
    ]
