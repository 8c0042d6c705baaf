"""Production: every secret from the environment, HTTPS only (`manage.py check --deploy` clean)."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random value of 50+ characters.")
# ASVS 16.4.3: a chain key of its own, never the development default nor the secret key.
POSC_AUDIT_CHAIN_KEY = os.environ.get("POSC_AUDIT_CHAIN_KEY", "")
if len(POSC_AUDIT_CHAIN_KEY) < 32 or POSC_AUDIT_CHAIN_KEY == SECRET_KEY:
    raise ImproperlyConfigured("POSC_AUDIT_CHAIN_KEY must be set to a random value of 32+ characters of its own.")

# ASVS 3.3.1 / 3.3.4: secure cookies with the __Host- prefix.
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_SSL_REDIRECT = env_bool("POSC_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# ASVS 3.4.1: HSTS for a year, subdomains included.
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Passkeys: the RP ID and the HTTPS origins, by default the first and every allowed host.
_SITE_HOSTS = [h.lstrip(".") for h in ALLOWED_HOSTS if h != "*"]  # noqa: F405
OTP_WEBAUTHN_RP_ID = os.environ.get("POSC_WEBAUTHN_RP_ID", "") or next(iter(_SITE_HOSTS), "")
OTP_WEBAUTHN_ALLOWED_ORIGINS = [o for o in os.environ.get("POSC_WEBAUTHN_ORIGINS", "").split(",") if o] or [
    f"https://{h}" for h in _SITE_HOSTS
]
STORAGES = {
    **STORAGES,  # noqa: F405 - the report store of base.py
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
