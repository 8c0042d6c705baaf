"""Check the audit trail's hash chain (AU-01, ASVS 16.4.2); exit code 1 when it is broken, for cron and CI."""

from django.core.management.base import BaseCommand, CommandError

from audit.chain import chain_verify
from audit.checkpoints import chain_check


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; fails naming the first record that does not match."

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            action="store_true",
            help="Also compare with the last checkpoint, record this check and alert agency staff on failure "
            "(what the nightly task does).",
        )

    def handle(self, *args, **options):
        if options["checkpoint"]:
            checkpoint = chain_check()
            if not checkpoint.ok:
                raise CommandError(f"Audit trail check failed: {checkpoint.problem}")
            self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {checkpoint.records} records; checkpoint kept."))
            return
        ok, checked, first_bad_id, *_ = chain_verify()
        if not ok:
            # CommandError: the message on stderr and exit code 1.
            raise CommandError(
                f"Audit chain broken at record {first_bad_id}: it was changed, or the record before it "
                f"was removed ({checked} records read)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} records verified."))
