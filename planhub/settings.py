"""Django settings, read from the environment.

Production is the default: with DEBUG unset, SECRET_KEY and ALLOWED_HOSTS must be given.
`make run` and the test settings supply local values; see README.md.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from core.storage import storages_setting

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_required(name: str, hint: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"Missing environment variable {name}: {hint} (set DEBUG=1 for local development)."
        )
    return value


DEBUG = env_bool("DEBUG", False)

if DEBUG:
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-key-do-not-use-in-production"
    ALLOWED_HOSTS = [
        h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
    ]
else:
    SECRET_KEY = env_required("SECRET_KEY", "a long random string used to sign sessions")
    ALLOWED_HOSTS = [
        h.strip()
        for h in env_required("ALLOWED_HOSTS", "comma-separated host names this site answers to").split(",")
        if h.strip()
    ]

CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "channels",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    # The apps, lowest layer first (docs/architecture.md); the bench app and viewflow.workflow are
    # installed only by bench.settings, where the benchmarks run.
    "audit",
    "orgs",
    "accounts",
    "plans",
    "notifications",
    "tasks",
    "workflows",
    "acceptance",
    "archives",
    "dashboards",
    "excel",
    "history",
    "demo",
    "planhub",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, except that a stale key does not delete a cookie another response just set.
    "accounts.session_middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    # After the second factor: a first sign-in changes its password once fully signed in.
    "orgs.middleware.ForcePasswordChangeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "planhub.urls"

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
                "planhub.context_processors.navigation",
                "planhub.context_processors.uploads",
            ],
        },
    },
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "planhub.asgi.application"

# --- Database -----------------------------------------------------------------------------------
# SQLite by default. IMMEDIATE transactions take the write lock at BEGIN, so concurrent writers
# queue on the busy timeout instead of failing with "database is locked" on lock upgrade.
SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", BASE_DIR / "db.sqlite3"))
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    # No persistent connections: under ASGI every request runs its sync code in a thread of its own,
    # and a connection kept open by a finished thread is never reused nor closed (200 browsers on two
    # processes filled PostgreSQL's 100 slots in a minute; BENCHMARKS.md, "HTTP under load").
    # DB_POOL_MAX_SIZE > 0 keeps that many connections per process in psycopg's pool instead.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    DB_POOL_MAX_SIZE = int(os.environ.get("DB_POOL_MAX_SIZE", 0))
    if DB_POOL_MAX_SIZE > 0 and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": DB_POOL_MAX_SIZE, "timeout": 10}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and os.environ.get(
        "DB_SERVER_SIDE_BINDING", "0"
    ) in ("1", "true", "yes"):
        # Opt-in. Parameters travel apart from the SQL, so a query's text is the same whoever runs
        # it, and psycopg prepares a statement on a connection once it has run 5 times there:
        # PostgreSQL then plans it once instead of on every run. The scope subqueries the pages
        # embed cost 1-5 ms of planning each, more than running them; with it the database's CPU
        # per page fell by about two thirds (BENCHMARKS.md, "Prepared statements and fewer
        # threads"). It pays with connections that live on (DB_POOL_MAX_SIZE). A choice, not the
        # default: Django 5.2 does not split a query past 65,535 parameters when they travel apart
        # (a very long IN list fails). The websocket-test hang once blamed on it was the Redis
        # layer's lost cancellation (notifications.layers). Not behind a
        # pooler in transaction mode that cannot follow prepared statements (PgBouncer before
        # 1.21, or without max_prepared_statements).
        DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": SQLITE_PATH}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# tasks.Task's rollup index INCLUDEs columns on PostgreSQL; SQLite builds it on its key columns.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Channels -----------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# Every process of one site must share the prefix; test runs and benchmarks set their own so that
# runs sharing one Redis never hear each other's messages.
CHANNEL_LAYER_PREFIX = os.environ.get("CHANNEL_LAYER_PREFIX", "").strip() or "planhub"
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "notifications.layers.RedisChannelLayer",  # see there: timeouts and pool
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000, "expiry": 30, "prefix": CHANNEL_LAYER_PREFIX},
        }
    }
else:
    # One process only; see notifications.layers for why not channels.layers.InMemoryChannelLayer itself.
    CHANNEL_LAYERS = {"default": {"BACKEND": "notifications.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}

# --- Auth ---------------------------------------------------------------------------------------
AUTH_USER_MODEL = "orgs.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username before any password is checked (orgs.lockout).
    "orgs.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Django's defaults, plus the cheaper hasher of roster imports' initial passwords (orgs.passwords):
# listed last, so a password hashed with it is re-hashed with the first at its first sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "orgs.passwords.InitialPasswordHasher",
]
# Django's rules with Chinese messages of the project's own (see orgs.passwords).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "orgs.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "orgs.passwords.MinimumLengthValidator"},
    {"NAME": "orgs.passwords.CommonPasswordValidator"},
    {"NAME": "orgs.passwords.NumericPasswordValidator"},
]

# Sign-in throttling (django-axes, see orgs.lockout): after AXES_FAILURE_LIMIT wrong passwords for
# one username from one address, that pair waits AXES_COOLOFF_TIME after its latest failure; the
# account's admin can unlock it at once on the people page. Username plus address, so that a
# stranger cannot lock a teacher out of the school's shared connection.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "orgs.lockout.lockout_response"
AXES_VERBOSE = False

# --- I18N ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and media ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "planhub.staticfinders.ProjectAppDirectoriesFinder",
]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Evidence files: a local folder (MEDIA_ROOT) by default, or the object store every application
# machine shares: STORAGE_URL=s3://ACCESS:SECRET@host:port/bucket?region=...&secure=0 (core.storage).
STORAGE_URL = os.environ.get("STORAGE_URL", "").strip()
try:
    _default_storage = storages_setting(STORAGE_URL)
except ValueError as _exc:
    raise ImproperlyConfigured(str(_exc)) from None
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Evidence files: limits enforced by core.uploads.
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024))
# The Ed25519 key (32 bytes, hex) that signs audit checkpoints (audit.chain): a file outside the
# database. `make run` generates .audit_key; production names its own file.
AUDIT_KEY_FILE = os.environ.get("AUDIT_KEY_FILE", "")
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security -----------------------------------------------------------------------------------
# HTTPS defaults on outside DEBUG; `make run` serves plain HTTP on loopback and sets HTTPS=0.
HTTPS = env_bool("HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Content Security Policy (django-csp) on every response: scripts, styles, images and connections
# from the site only; an inline <script> runs only with the request's nonce ({{ request.csp_nonce }});
# no inline style attributes (widths come from data-* attributes through static/js/layout.js);
# violations are reported to planhub.csp, which logs them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "report-uri": ["/csp-report/"],
    }
}
SESSION_COOKIE_AGE = 60 * 60 * 12
# Idle timeout (accounts.middleware): a session unused this long signs out, pages and sockets alike.
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", 2 * 60 * 60))
# Requests a page makes on its own, which do not count as activity.
SESSION_IDLE_BACKGROUND_URLS = ["notifications:feed"]
# Two-factor sign-in (accounts.two_factor, TOTP by django-otp) for staff and for accounts of a
# bureau, supervision office or centre school; on by default in production. School members keep
# password sign-in (they may still enrol).
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = "实施方案管理平台"

# --- Domain settings ----------------------------------------------------------------------------
# Days before the due date on which reminders go out, and days overdue before escalation.
DEADLINE_REMIND_DAYS = (3, 1)
DEADLINE_ESCALATE_OFFICE_DAYS = int(os.environ.get("DEADLINE_ESCALATE_OFFICE_DAYS", 1))
DEADLINE_ESCALATE_LEADER_DAYS = int(os.environ.get("DEADLINE_ESCALATE_LEADER_DAYS", 3))
BEHIND_SCHEDULE_MARGIN = float(os.environ.get("BEHIND_SCHEDULE_MARGIN", 10))  # percentage points

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
