"""Production settings pass `manage.py check --deploy`; secrets never come from the repo."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DJANGO_SETTINGS_MODULE": "posc.settings.production",
            "POSC_AUDIT_CHAIN_KEY": "k" * 16 + "-an-audit-chain-key-for-this-test-only",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY="x" * 20 + "-a-long-random-production-key-for-this-test-only",
        DJANGO_ALLOWED_HOSTS="posc.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_SECRET_KEY="")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_an_audit_chain_key_of_its_own():
    # ASVS 16.4.3: the chain's key is never the development default nor the secret key.
    secret = "x" * 20 + "-a-long-random-production-key-for-this-test-only"
    for key in ("", "dev-only-audit-chain-key-never-use-in-production"[:20], secret):
        result = _manage("check", DJANGO_SECRET_KEY=secret, POSC_AUDIT_CHAIN_KEY=key)
        assert result.returncode != 0
        assert "POSC_AUDIT_CHAIN_KEY" in result.stderr


def test_passwords_are_hashed_with_argon2_by_default():
    from posc.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_the_static_files_collect_under_hashed_names(tmp_path, settings):
    # Production's hashed storage refuses a stylesheet naming a file it cannot find: the vendored
    # design system (static/uswds, `make design-system`) must carry every font and image its CSS names.
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

    call_command("collectstatic", "--no-input", verbosity=0)

    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "uswds/css/uswds.min.css" in manifest and "uswds/img/sprite.svg" in manifest
