"""Loads the 13 POSC roles of the Primary User guide (seeds 001)."""

from django.db import migrations

from providers.catalog import CATALOG, catalog_load


def load(apps, schema_editor):
    catalog_load(apps.get_model("providers", "Service"))


def unload(apps, schema_editor):
    apps.get_model("providers", "Service").objects.filter(code__in=[e.code for e in CATALOG]).delete()


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
