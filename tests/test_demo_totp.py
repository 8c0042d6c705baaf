import pytest
from django.core.management import CommandError, call_command
from django_otp.oath import totp

from accounts.mfa import pending_device


def test_it_prints_the_current_code_in_debug(cast, settings, capsys):
    settings.DEBUG = True
    device = pending_device(cast.agency)
    call_command("demo_totp", "agency")
    assert capsys.readouterr().out.strip() == f"{totp(device.bin_key, step=30, t0=0, digits=6):06d}"


def test_it_refuses_without_debug(cast, settings):
    settings.DEBUG = False
    pending_device(cast.agency)
    with pytest.raises(CommandError):
        call_command("demo_totp", "agency")
