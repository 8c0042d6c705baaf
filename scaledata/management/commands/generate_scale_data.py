"""python manage.py generate_scale_data [--size default|small] [--seed N]

Builds the issue 6 data set on PostgreSQL with COPY (see scaledata/generator.py for its shape).
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from providers.models import Organization
from scaledata.generator import SIZES, ScaleData


class Command(BaseCommand):
    help = "Generate a state-sized, deterministic data set (PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="default")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, size, seed, **options):
        if connection.vendor != "postgresql":
            raise CommandError("generate_scale_data writes with PostgreSQL's COPY: set DATABASE_URL to PostgreSQL.")
        if Organization.objects.filter(name="Commonwealth Health Network").exists():
            self.stdout.write("Scale data already present; nothing to do.")
            return
        started = time.monotonic()
        with transaction.atomic():
            counts = ScaleData(SIZES[size], seed=seed, log=self.stdout.write).generate()
        if not connection.in_atomic_block:
            # Visibility maps let counts run as index-only scans; VACUUM cannot run in a transaction.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Generated ({size}) in {elapsed:.0f} s: {summary}"))
