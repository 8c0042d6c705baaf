"""Tests run on PostgreSQL only: SQLite would hide the constraints and locks we rely on."""

import os
import tempfile

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/posc")
if not _url.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured("Tests need PostgreSQL: set DATABASE_URL to a postgres:// URL.")
DATABASES = {"default": dj_database_url.parse(_url, conn_max_age=0)}

# A fast hasher in tests only (Argon2 costs ~125 ms a hash on this machine).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
# One process: the in-memory sessions cache is shared by everything a test runs, so the cached
# session engine production uses with Redis is the one under test.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
STORAGES = {
    **STORAGES,  # noqa: F405 - the report store of base.py (the filesystem one)
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The MFA tests turn enforcement on where they prove it (tests/test_mfa.py); elsewhere
# agency staff sign in with force_login and no authenticator.
POSC_MFA_ENFORCED = False
# Report files of a test run go to a throw-away folder.
# A process a test starts (a worker) is handed the folder in POSC_TEST_REPORTS_DIR, as a second
# machine mounting the same store would be.
POSC_REPORTS_DIR = os.environ.get("POSC_TEST_REPORTS_DIR") or tempfile.mkdtemp(prefix="posc-reports-")
