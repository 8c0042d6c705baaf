"""Loads the 13 POSC roles of the Primary User guide (seeds 001)."""

from django.db import migrations

from providers.catalog import CATALOG


def load(apps, schema_editor):
    Service = apps.get_model("providers", "Service")
    for position, entry in enumerate(CATALOG, start=1):
        Service.objects.update_or_create(
            code=entry.code,
            defaults={
                "role_name": entry.role_name,
                "label": entry.label,
                "grants": "\n".join(entry.grants),
                "constraint": entry.constraint,
                "position": position,
            },
        )


def unload(apps, schema_editor):
    apps.get_model("providers", "Service").objects.filter(code__in=[e.code for e in CATALOG]).delete()


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
