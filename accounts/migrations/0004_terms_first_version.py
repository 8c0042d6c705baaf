"""Loads the first Terms and Conditions (US-03)."""

from django.db import migrations

from accounts.legal import FIRST_VERSION, first_terms_load


def forwards(apps, schema_editor):
    first_terms_load(apps.get_model("accounts", "Terms"))


def backwards(apps, schema_editor):
    apps.get_model("accounts", "Terms").objects.filter(version=FIRST_VERSION).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_terms")]
    operations = [migrations.RunPython(forwards, backwards)]
