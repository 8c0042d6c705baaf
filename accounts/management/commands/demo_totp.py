"""Prints the current two-step code of a demo user's authenticator, so a person trying the
demo without an authenticator app can sign in as agency.admin or eddy.compliance.
Refused unless DEBUG is on: it is a convenience of `make run`, never of a deployment."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current TOTP code of a user's authenticator (DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp runs only with DEBUG on (the demo).")
        device = TOTPDevice.objects.filter(user__username=username).order_by("-confirmed").first()
        if device is None:
            raise CommandError(f"{username} has no authenticator yet: open the Two-Step Verification page first.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(f"{code:0{device.digits}d}")
