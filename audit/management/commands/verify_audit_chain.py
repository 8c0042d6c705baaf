"""Check the audit trail's hash chain (AU-01, ASVS 16.4.2); exit code 1 when it is broken, for cron and CI."""

from django.core.management.base import BaseCommand, CommandError

from audit.chain import chain_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; fails naming the first record that does not match."

    def handle(self, *args, **options):
        ok, checked, first_bad_id = chain_verify()
        if not ok:
            # CommandError: the message on stderr and exit code 1.
            raise CommandError(
                f"Audit chain broken at record {first_bad_id}: it was changed, or the record before it "
                f"was removed ({checked} records read)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} records verified."))
