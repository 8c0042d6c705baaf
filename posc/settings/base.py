"""Settings shared by every mode, read from the environment.

Without DATABASE_URL the portal runs on SQLite (the embedded default used by
`make run`); without REDIS_URL Celery tasks run in-process. Production adds the
hardening in `posc.settings.production`.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


# Development only: production refuses to start without its own key.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-never-use-in-production")
DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "csp",
    "django_celery_beat",
    "accounts",
    "providers",
    "subordinates",
    "audit",
    # The benchmark's data generator (make bench, the test suite); outside the product's domain.
    "scaledata",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "posc.permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.middleware.RequestContextMiddleware",
    "accounts.middleware.AccountGateMiddleware",
    "audit.reviews.first.ReviewFirstMiddleware",  # AR-07: after every sign-in gate
    "accounts.middleware.NoStoreForSignedInMiddleware",
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
    "posc.not_found.PortalNotFoundMiddleware",  # inside CSP, so the replaced page has its headers
]

ROOT_URLCONF = "posc.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "posc.context_processors.navigation",
            ],
            # {% cached_url %}: {% url %} remembered per process (posc/urlcache.py); |intcomma for
            # counts that reach the hundreds of thousands ("572,878").
            "builtins": [
                "posc.urlcache",
                "posc.rules",
                "posc.humane",
                "posc.fields",
                "posc.pages",
                "django.contrib.humanize.templatetags.humanize",
            ],
        },
    },
]

# Django's own widget templates, through Jinja2 (django/forms/jinja2/): the same HTML, rendered
# several times faster than by the Django engine (a select renders a template per option).
FORM_RENDERER = "django.forms.renderers.Jinja2"

WSGI_APPLICATION = "posc.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # A new PostgreSQL connection per request measured ~10x slower here.
        conn_max_age=300,
        conn_health_checks=True,
    )
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, before any password check: one sign-in at a time per user ID, and a wait after
    # repeated failures (accounts/throttle.py); then the lock (django-axes).
    "accounts.throttle.SignInThrottleBackend",
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.PortalModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
GUARDIAN_USER_OBJ_PERMS_MODEL = "providers.PidSlUserObjectPermission"
# Guardian's anonymous user is not used: anonymous visitors get nothing.
ANONYMOUS_USER_NAME = None

# NIST SP 800-63B-4 / ASVS 6.2: Argon2 first; length over composition.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
POSC_PASSWORD_MIN_LENGTH = env_int("POSC_PASSWORD_MIN_LENGTH", 15)
# A gzip'd list, one password a line; empty means the seed list in accounts/data/.
POSC_BREACHED_PASSWORDS_FILE = os.environ.get("POSC_BREACHED_PASSWORDS_FILE", "")
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "first_name", "last_name", "email", "organization_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": POSC_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.password_validation.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "accounts.password_validation.BreachedPasswordValidator"},
    {"NAME": "accounts.password_validation.ContextWordsValidator"},
    {"NAME": "accounts.password_validation.NotCurrentPasswordValidator"},
    {"NAME": "accounts.password_validation.StrengthValidator"},
]

# Messages may carry a one-time temporary password: keep them server-side, not in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# The client's address (posc/addresses.py): REMOTE_ADDR, unless the request came from one of these
# proxies (addresses or CIDRs, comma-separated); then the rightmost hop of this header that is not
# one of them. Empty: no proxy is trusted and the header is ignored (ASVS 6.3.1, 16.2.1).
POSC_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("POSC_TRUSTED_PROXIES", "").split(",") if p.strip()]
for _proxy in POSC_TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy, strict=False)  # a typo fails at start, not silently at sign-in
POSC_CLIENT_IP_HEADER = os.environ.get("POSC_CLIENT_IP_HEADER", "X-Forwarded-For")

# Sign-in throttling (accounts/throttle.py, docs/decisions.md; NIST SP 800-63B-4 §3.2.2 allows at
# most 100 consecutive failures; ASVS 6.3.1): per user ID, 5 failures free, then a wait of 2 s
# doubling with each failure up to 15 minutes; at 50 consecutive failures the user ID locks until
# a password reset or an unlock (audited). Per address, failures on 10 different user IDs within
# an hour start a wait of 2 s doubling up to 5 minutes, which never locks any user ID.
POSC_SIGNIN_FREE_FAILURES = env_int("POSC_SIGNIN_FREE_FAILURES", 5)
POSC_SIGNIN_FIRST_WAIT_SECONDS = env_int("POSC_SIGNIN_FIRST_WAIT_SECONDS", 2)
POSC_SIGNIN_MAX_WAIT_SECONDS = env_int("POSC_SIGNIN_MAX_WAIT_SECONDS", 15 * 60)
POSC_SIGNIN_ADDRESS_FREE_USERS = env_int("POSC_SIGNIN_ADDRESS_FREE_USERS", 10)
POSC_SIGNIN_ADDRESS_WINDOW_SECONDS = env_int("POSC_SIGNIN_ADDRESS_WINDOW_SECONDS", 60 * 60)
POSC_SIGNIN_ADDRESS_MAX_WAIT_SECONDS = env_int("POSC_SIGNIN_ADDRESS_MAX_WAIT_SECONDS", 5 * 60)
# django-axes records every failure (per user ID, address and browser) and holds the lock.
AXES_FAILURE_LIMIT = env_int("POSC_LOCKOUT_FAILURES", 50)
if not 0 < AXES_FAILURE_LIMIT <= 100:
    raise ImproperlyConfigured("POSC_LOCKOUT_FAILURES must be between 1 and 100 (NIST SP 800-63B-4 §3.2.2).")
# No cool-off: the count is of consecutive failures (a success, a password reset or an unlock ends
# it); a lock that lifted by itself would let guessing go past the limit.
AXES_COOLOFF_TIME = None
# The lock is the user ID's alone; an address is only ever slowed down (accounts/throttle.py), and
# a success clears only that user ID's failures, never everyone's at that address.
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
# An attempt refused during a wait or a lock is not counted (it checked no password).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "posc.addresses.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.throttle.refusal_response"
AXES_VERBOSE = False
# Never record the password or other form fields (ASVS 16.2.5).
AXES_SENSITIVE_PARAMETERS = ["password"]

# ASVS 6.3.3: TOTP for agency staff and compliance officers; for Primary Users when set.
POSC_MFA_ENFORCED = env_bool("POSC_MFA_ENFORCED", True)
POSC_MFA_REQUIRED_FOR_PRIMARY = env_bool("POSC_MFA_REQUIRED_FOR_PRIMARY", False)
OTP_TOTP_ISSUER = "MassHealth POSC"
# Passkeys (WebAuthn, django-otp-webauthn) as the second step, never instead of the password: the
# password and its lockout stay the first (NIST SP 800-63B-4 AAL2; AAL3 for agency staff's
# hardware-bound keys, accounts/passkeys.py). The RP ID is the site's domain (browsers refuse an IP
# address: use http://localhost:8000 for passkeys in development); the origins are the exact
# addresses the portal is served at. Production derives both from DJANGO_ALLOWED_HOSTS.
OTP_WEBAUTHN_RP_ID = os.environ.get("POSC_WEBAUTHN_RP_ID", "localhost")
OTP_WEBAUTHN_RP_NAME = "MassHealth POSC"
OTP_WEBAUTHN_ALLOWED_ORIGINS = [
    o for o in os.environ.get("POSC_WEBAUTHN_ORIGINS", "http://localhost:8000,http://localhost:8001").split(",") if o
]
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "accounts.passkeys.PortalWebAuthnHelper"
# ASVS 7.5.1: the password entered before adding a passkey counts for this long.
POSC_PASSKEY_REAUTH_SECONDS = env_int("POSC_PASSKEY_REAUTH_SECONDS", 5 * 60)

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# HIPAA 164.312(a)(2)(iii) automatic logoff; ASVS 7.3.1 idle timeout.
SESSION_COOKIE_AGE = env_int("POSC_SESSION_IDLE_SECONDS", 15 * 60)
SESSION_SAVE_EVERY_REQUEST = False  # accounts.middleware renews the idle timer once a minute
POSC_SESSION_TOUCH_SECONDS = env_int("POSC_SESSION_TOUCH_SECONDS", 60)
SECURE_CONTENT_TYPE_NOSNIFF = True
# ASVS 3.4.3 / 3.4.6: no inline script anywhere; nothing framed; forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# ASVS 3.4.x: Permissions-Policy (posc/permissions_policy.py). Every powerful feature denied ("()"),
# except passkeys (WebAuthn), which stay allowed for this origin.
POSC_PERMISSIONS_POLICY = {
    **{
        feature: []
        for feature in (
            "accelerometer",
            "autoplay",
            "bluetooth",
            "browsing-topics",
            "camera",
            "display-capture",
            "encrypted-media",
            "fullscreen",
            "geolocation",
            "gyroscope",
            "hid",
            "idle-detection",
            "local-fonts",
            "magnetometer",
            "microphone",
            "midi",
            "otp-credentials",
            "payment",
            "picture-in-picture",
            "screen-wake-lock",
            "serial",
            "usb",
            "web-share",
            "xr-spatial-tracking",
        )
    },
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The covering index of Access (INCLUDE columns) is PostgreSQL's; the SQLite demo just ignores them.
# axes.W006 warns that a lock keyed without the address can be dodged by rotating browsers: ours
# adds up a user ID's failures over every address and browser, and the address is throttled on
# its own (accounts/throttle.py); keying the lock on the address was the issue 14 finding.
SILENCED_SYSTEM_CHECKS = ["models.W040", "axes.W006"]

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("POSC_FROM_EMAIL", "posc-noreply@localhost")

# Celery: Redis when REDIS_URL is set, otherwise tasks run in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Issue 15, ASVS 16.5.2 / 16.5.3: every use of Redis degrades when it does not answer (posc/outage.py):
# a connection gives up after this long, and a Redis that did not answer is skipped this long
# before it is tried again (sessions come from the database meanwhile; tasks wait as rows).
POSC_REDIS_TIMEOUT_SECONDS = float(os.environ.get("POSC_REDIS_TIMEOUT_SECONDS", "0.5"))
POSC_REDIS_RETRY_SECONDS = env_int("POSC_REDIS_RETRY_SECONDS", 15)
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A publish to a dead broker gives up quickly (posc/queue.py): the request goes on, the row waits.
# The socket timeout stays above the worker's BRPOP wait (1 s) so consuming is not cut short.
CELERY_BROKER_CONNECTION_TIMEOUT = POSC_REDIS_TIMEOUT_SECONDS
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": POSC_REDIS_TIMEOUT_SECONDS, "socket_timeout": 5}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = POSC_REDIS_TIMEOUT_SECONDS
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "deliver-notifications": {
        "task": "providers.tasks.notifications_deliver",
        "schedule": timedelta(minutes=1),
    },
    "reviews-daily": {
        "task": "audit.reviews.tasks.reviews_daily",
        "schedule": crontab(hour=6, minute=0),
    },
    "reports-sweep": {
        "task": "audit.reviews.tasks.reports_sweep",
        "schedule": timedelta(minutes=10),
    },
    # US-09 and LK-04 (posc/daily.py): before the 06:00 review job and after the 02:00 scan's night.
    "dormant-accounts": {
        "task": "subordinates.tasks.dormant_accounts_daily",
        "schedule": crontab(hour=5, minute=0),
    },
    "expiring-links": {
        "task": "subordinates.tasks.expiring_links_daily",
        "schedule": crontab(hour=5, minute=15),
    },
    # The pages read kept numbers (audit/compliance/tallies.py); the snapshot is the record of each night's state.
    "compliance-scan": {
        "task": "audit.compliance.tasks.compliance_scan",
        "schedule": crontab(hour=2, minute=0),
    },
    # The review page's kept counts (audit/reviews/counts.py) recounted after the night's scan.
    "review-counts": {
        "task": "audit.reviews.tasks.review_counts_daily",
        "schedule": crontab(hour=2, minute=45),
    },
    # Sign-ins' records that waited while the chain was busy (audit/chain.py), linked in.
    "audit-waiting-drain": {
        "task": "audit.tasks.audit_waiting_drain",
        "schedule": timedelta(minutes=1),
    },
    # The finding rules' kept numbers (audit/compliance/tallies.py) measured again, drift reported.
    "finding-tallies": {
        "task": "audit.compliance.tasks.finding_tallies_daily",
        "schedule": crontab(hour=2, minute=50),
    },
    # ASVS 16.4.3: the whole chain against the last keyed checkpoint; agency staff are emailed on failure.
    "audit-chain-check": {
        "task": "audit.tasks.audit_chain_check",
        "schedule": crontab(hour=3, minute=30),
    },
}


def redis_cache(url: str) -> dict:
    """A Redis cache that degrades (posc/cache.py), with short timeouts and no retries."""
    timeout = POSC_REDIS_TIMEOUT_SECONDS
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
    return {"BACKEND": "posc.cache.FallbackRedisCache", "LOCATION": url, "KEY_PREFIX": "posc", "OPTIONS": options}


# The default cache is each process's own memory: it holds only what may differ between processes
# for a minute (rendered navigation, the Provider options, the current terms). Sessions need one
# store every process sees (a sign-out must end the session everywhere, ASVS 7.4.1): with Redis,
# each request reads its session from Redis, and the database row stays the durable copy.
# When Redis does not answer, the sessions cache answers misses and skips writes (posc/cache.py), so
# sessions are read from and written to their database row: an outage locks nobody out (issue 15).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "posc"},
    "sessions": (
        redis_cache(REDIS_URL)
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "posc-sessions"}
    ),
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
SESSION_CACHE_ALIAS = "sessions"

# Policy limits (POLICY.md); each is a setting so an organization's agreement can change it.
POSC_PRIMARY_PIDSL_FINDING = env_int("POSC_PRIMARY_PIDSL_FINDING", 25)  # PU-07 finding
POSC_PRIMARY_PIDSL_CAP = env_int("POSC_PRIMARY_PIDSL_CAP", 100)  # PU-07 hard cap
POSC_INACTIVITY_DAYS = env_int("POSC_INACTIVITY_DAYS", 90)  # US-07
# US-09: not signed in this long, a user is deactivated by the daily job; never sooner than US-07's finding.
POSC_DORMANT_DAYS = env_int("POSC_DORMANT_DAYS", 120)
if POSC_DORMANT_DAYS < POSC_INACTIVITY_DAYS:
    raise ImproperlyConfigured(
        f"POSC_DORMANT_DAYS ({POSC_DORMANT_DAYS}) must be at least POSC_INACTIVITY_DAYS ({POSC_INACTIVITY_DAYS}):"
        " a user is deactivated for not signing in only after the inactivity finding (US-09, US-07)."
    )
POSC_DORMANT_NOTICE_DAYS = (14, 7)  # US-09: the home organization is told this many days before
POSC_LINK_END_REMINDER_DAYS = (14, 1)  # LK-04: a link's administrators are reminded this many days before
POSC_SUBORDINATE_PIDSL_FINDING = env_int("POSC_SUBORDINATE_PIDSL_FINDING", 20)  # SV-05
POSC_REVIEW_DAYS_TO_COMPLETE = env_int("POSC_REVIEW_DAYS_TO_COMPLETE", 30)  # AR-03 due date
POSC_REVIEW_REMINDER_DAYS = (14, 7, 1)  # AR-03 reminders before the due date
# AU-01, ASVS 16.4.3: the audit chain's HMAC key lives outside the database, so whoever can rewrite
# the table cannot compute hashes that verify. Production refuses to start without one of its own.
POSC_AUDIT_CHAIN_KEY = os.environ.get("POSC_AUDIT_CHAIN_KEY", "dev-only-audit-chain-key-never-use-in-production")
# AU-02, HIPAA 164.316(b)(2): how long a completed review's evidence package is kept, in years.
POSC_EVIDENCE_RETENTION_YEARS = env_int("POSC_EVIDENCE_RETENTION_YEARS", 6)
# The database role the portal runs as (audit/roles.py): `migrate`, run as the owner, grants it
# what it needs and no more. Empty: migrations grant nothing (one role, development only).
POSC_DB_RUNTIME_ROLE = os.environ.get("POSC_DB_RUNTIME_ROLE", "")
POSC_REPORTS_DIR = os.environ.get("POSC_REPORTS_DIR", str(BASE_DIR / "var" / "reports"))
# The Unicode fonts the review PDF embeds so every name prints as written (audit/reviews/fonts.py;
# Debian's fonts-dejavu-core and fonts-droid-fallback, which `make fonts` and the Dockerfile install).
POSC_PDF_FONT = os.environ.get("POSC_PDF_FONT", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
POSC_PDF_FONT_BOLD = os.environ.get("POSC_PDF_FONT_BOLD", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
# For the letters DejaVu lacks (Chinese, Japanese); comma-separated, tried in order.
POSC_PDF_FALLBACK_FONTS = [
    path.strip()
    for path in os.environ.get(
        "POSC_PDF_FALLBACK_FONTS", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
    ).split(",")
    if path.strip()
]
# Where this machine writes a report while building it (only finished files go to the store).
POSC_REPORTS_WORK_DIR = os.environ.get("POSC_REPORTS_WORK_DIR", "")
# Report files and evidence packages (audit/storage.py): one store web and worker share. A folder
# by default (in docker-compose a volume both mount); an S3-compatible object store when a bucket
# is named (credentials from the standard AWS_* variables or the instance's role).
POSC_REPORTS_S3_BUCKET = os.environ.get("POSC_REPORTS_S3_BUCKET", "")
REPORTS_STORAGE = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": POSC_REPORTS_S3_BUCKET,
            "endpoint_url": os.environ.get("POSC_REPORTS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("POSC_REPORTS_S3_REGION") or None,
            "location": os.environ.get("POSC_REPORTS_S3_PREFIX", "posc"),
            "default_acl": None,  # the bucket's own policy: private
            "file_overwrite": False,  # a name is never reused, a stored file never replaced
            "querystring_auth": True,
            "object_parameters": {"ServerSideEncryption": os.environ.get("POSC_REPORTS_S3_SSE", "AES256")},
        },
    }
    if POSC_REPORTS_S3_BUCKET
    else {"BACKEND": "audit.storage.ReportFileStorage"}
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "reports": REPORTS_STORAGE,
}
POSC_REGISTRATION_PIN_DAYS = env_int("POSC_REGISTRATION_PIN_DAYS", 30)  # the PIN letter's life
POSC_TEMP_PASSWORD_HOURS = env_int("POSC_TEMP_PASSWORD_HOURS", 72)  # US-04, ASVS 6.4.1
# ASVS 7.3.2: a session ends 12 hours after sign-in whatever the activity.
POSC_SESSION_ABSOLUTE_SECONDS = env_int("POSC_SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
# The idle warning shows this long before the idle sign-out.
POSC_SESSION_WARNING_SECONDS = env_int("POSC_SESSION_WARNING_SECONDS", 2 * 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("POSC_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Development serves static files straight from the app folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
