"""Well's one settings module. Everything that varies comes from the environment.

The same module runs the demo, the tests and production: behaviour differs only through the
variables documented in README.md ("Configuration"), never through a separate file.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured

# Lets admin.ModelAdmin[Model] and friends be subscripted at run time (typed admin).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("WELL_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")


def secret(name: str, default: str | None = None) -> str | None:
    """Read a secret from NAME or from the file named by NAME_FILE (Docker/K8s secrets)."""
    file_path = env.str(f"{name}_FILE", default="")
    if file_path:
        return Path(file_path).read_text().strip()
    value: str | None = env.str(name, default=default)
    return value


DEBUG = env.bool("DEBUG", default=False)
# The demo (`make run`) turns this on; tests turn it on; production leaves it off.
WELL_DEMO = env.bool("WELL_DEMO", default=False)

SECRET_KEY = secret("SECRET_KEY") or ""
if not SECRET_KEY:
    if not (DEBUG or WELL_DEMO):
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set.")
    SECRET_KEY = "insecure-demo-key-" + "x" * 40

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
WELL_BASE_URL: str = env.str("WELL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "well.apps.WellAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_q",
    "import_export",
    "csp",
    "connectors",
    "reconciliation",
]

MIDDLEWARE = [
    # First, so every later line of the request carries its id.
    "reconciliation.observability.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "reconciliation.web.middleware.RequireMfaMiddleware",
    "reconciliation.web.number_locale.NumberLocaleMiddleware",
]

ROOT_URLCONF = "well.urls"
WSGI_APPLICATION = "well.wsgi.application"

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
                "reconciliation.web.context_processors.well",
            ],
        },
    },
]

# --- Database -----
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'well.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a q2 worker writes; IMMEDIATE transactions take the
    # write lock up front so two writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth: allauth with MFA -----
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "admin:index"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
# Members are invited by an administrator; nobody signs themselves up to a finance tool.
ACCOUNT_ADAPTER = "reconciliation.web.accounts.InvitationOnlyAccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("WELL_LOGIN_RATE_LIMIT", default="5/5m/ip,5/5m/key"),
    "reset_password": "5/m/ip,3/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Well"
# allauth refuses MFA for unverified addresses to stop a squatter who signed up first; Well has
# no sign-up (administrators create members), so that risk does not exist and enrolment works.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# Superusers and workspace admins must enrol a second factor before they reach the admin.
WELL_REQUIRE_MFA = env.bool("WELL_REQUIRE_MFA", default=not WELL_DEMO)

# --- I18N / time -----
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True
# One date-time format across the admin ("6 Dec 2026, 12:29 CET"): well/formats/.
FORMAT_MODULE_PATH = ["well.formats"]

# --- Static and uploaded files -----
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Every stored file is sealed with its workspace's key and kept in its workspace's data region
# (reconciliation.files). One storage per region: WELL_STORAGE_EU / _UK / _US, as
# file:///path or s3://bucket?endpoint=...&region=...&prefix=...; MEDIA_ROOT/<region> when unset.
WELL_STORAGES: dict[str, str] = {
    region: env.str(f"WELL_STORAGE_{region.upper()}", default="") for region in ("eu", "uk", "us")
}
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "reconciliation.files.WorkspaceStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000  # bulk actions on long changelists

# --- Security -----
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Only behind a proxy that sets X-Forwarded-Proto itself and strips it from clients: trusted
# blindly, any client could claim HTTPS for a plain-HTTP request.
WELL_TRUST_PROXY_SSL_HEADER = env.bool("WELL_TRUST_PROXY_SSL_HEADER", default=False)
if WELL_TRUST_PROXY_SSL_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
X_FRAME_OPTIONS = "DENY"  # page images are <img>, never frames
# django-import-export's export form toggles "Select all" with an inline handler: allowed by
# its hash alone (CSP 3 'unsafe-hashes' on script-src-attr), no other inline script runs.
INLINE_HANDLERS = ("onSelectToggleChange(event)",)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "script-src-attr": [
            "'unsafe-hashes'",
            *(
                f"'sha256-{base64.b64encode(hashlib.sha256(handler.encode()).digest()).decode()}'"
                for handler in INLINE_HANDLERS
            ),
        ],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        # Connect buttons POST to us and we redirect to the provider's consent page.
        "form-action": ["'self'", *env.list("WELL_FORM_ACTION_HOSTS", default=[])],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
    }
}

# --- E-mail -----
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Well <well@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Shared cache -----
REDIS_URL = env.str("REDIS_URL", default="")
# One cache for every process, so allauth's login and TOTP rate limits count across workers
# and survive a restart: Redis when configured, else a table in the database
# (`manage.py createcachetable`, run after every migrate).
WELL_CACHE_TABLE = "well_cache"
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": WELL_CACHE_TABLE,
    }
}

# --- Task queue (django-q2) -----
Q_CLUSTER: dict[str, Any] = {
    "name": env.str("Q_CLUSTER_NAME", default="well"),
    "workers": env.int("Q_WORKERS", default=2),
    "recycle": 200,
    # A task may run 5 minutes (a first sync of a large folder); it is retried after 6.
    "timeout": env.int("Q_TIMEOUT", default=300),
    "retry": env.int("Q_RETRY", default=360),
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 500,
    "label": "Task queue",
    "sync": env.bool("Q_SYNC", default=False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    # Documents to read wait behind the scheduler's ticks, polls and windows (two lists).
    Q_CLUSTER["broker_class"] = "reconciliation.broker.PipelineRedis"
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 1

# --- Providers -----
HTTP_CONNECT_TIMEOUT = env.float("HTTP_CONNECT_TIMEOUT", default=5.0)
HTTP_READ_TIMEOUT = env.float("HTTP_READ_TIMEOUT", default=30.0)

DROPBOX_ENABLED = env.bool("DROPBOX_ENABLED", default=True)
DROPBOX_API_URL = env.str("DROPBOX_API_URL", default="https://api.dropboxapi.com")
DROPBOX_CONTENT_URL = env.str("DROPBOX_CONTENT_URL", default="https://content.dropboxapi.com")
DROPBOX_WEB_URL = env.str("DROPBOX_WEB_URL", default="https://www.dropbox.com")
DROPBOX_APP_KEY = env.str("DROPBOX_APP_KEY", default="")
DROPBOX_APP_SECRET = secret("DROPBOX_APP_SECRET", default="")

APIDECK_ENABLED = env.bool("APIDECK_ENABLED", default=True)
APIDECK_API_URL = env.str("APIDECK_API_URL", default="https://unify.apideck.com")
APIDECK_API_KEY = secret("APIDECK_API_KEY", default="")
APIDECK_APP_ID = env.str("APIDECK_APP_ID", default="")

QONTO_ENABLED = env.bool("QONTO_ENABLED", default=True)
QONTO_API_URL = env.str("QONTO_API_URL", default="https://thirdparty.qonto.com")
QONTO_OAUTH_URL = env.str("QONTO_OAUTH_URL", default="https://oauth.qonto.com")
QONTO_CLIENT_ID = env.str("QONTO_CLIENT_ID", default="")
QONTO_CLIENT_SECRET = secret("QONTO_CLIENT_SECRET", default="")
QONTO_STAGING_TOKEN = secret("QONTO_STAGING_TOKEN", default="")
# Qonto's web app: the invoice page links each posted invoice to its entry there.
QONTO_APP_URL = env.str("QONTO_APP_URL", default="https://app.qonto.com")

# Where a new connection starts watching ("" is the Dropbox app folder itself).
WELL_DROPBOX_DEFAULT_FOLDER = env.str("WELL_DROPBOX_DEFAULT_FOLDER", default="")
WELL_APIDECK_DEFAULT_FOLDER = env.str("WELL_APIDECK_DEFAULT_FOLDER", default="root")
# Apideck's hosted connect page (the connections page allows it as a form target).
APIDECK_VAULT_URL = env.str("APIDECK_VAULT_URL", default="https://vault.apideck.com")

# Envelope-encryption master key(s): urlsafe base64 of 32 bytes; "new,old" during rotation.
WELL_MASTER_KEY = secret("WELL_MASTER_KEY", default="") or ""

for _provider, _required in {
    "DROPBOX": ("DROPBOX_APP_KEY", "DROPBOX_APP_SECRET"),
    "APIDECK": ("APIDECK_API_KEY", "APIDECK_APP_ID"),
    "QONTO": ("QONTO_CLIENT_ID", "QONTO_CLIENT_SECRET"),
}.items():
    _missing = [name for name in _required if not globals()[name]]
    if globals()[f"{_provider}_ENABLED"] and _missing and not (DEBUG or WELL_DEMO):
        raise ImproperlyConfigured(
            f"{_provider} is enabled but {', '.join(_missing)} is not set; "
            f"set it or turn {_provider}_ENABLED off."
        )
if not WELL_MASTER_KEY and not (DEBUG or WELL_DEMO):
    raise ImproperlyConfigured("WELL_MASTER_KEY must be set to encrypt provider tokens.")

# --- Pipeline knobs -----
WELL_MAX_FILE_MB = env.int("WELL_MAX_FILE_MB", default=20)
# Entries per Dropbox listing page (0: Dropbox's default); the cursor is saved after each page.
WELL_DROPBOX_PAGE_SIZE = env.int("WELL_DROPBOX_PAGE_SIZE", default=0)
WELL_PARSE_MEMORY_MB = env.int("WELL_PARSE_MEMORY_MB", default=512)
WELL_PARSE_CPU_SECONDS = env.int("WELL_PARSE_CPU_SECONDS", default=20)
WELL_PARSE_WALL_SECONDS = env.int("WELL_PARSE_WALL_SECONDS", default=30)
WELL_PARSE_MAX_PAGES = env.int("WELL_PARSE_MAX_PAGES", default=50)
WELL_POST_LEASE_SECONDS = env.int("WELL_POST_LEASE_SECONDS", default=300)
# Qonto's supplier invoices (probe before posting, read-back) are listed at most this often.
WELL_QONTO_MIRROR_SECONDS = env.int("WELL_QONTO_MIRROR_SECONDS", default=60)

# --- Logging -----
# One JSON object a line (LOG_FORMAT=json, the default outside the demo) carrying the request,
# workspace, task and document ids of the work in hand; "plain" for a developer's terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if (DEBUG or WELL_DEMO) else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "reconciliation.observability.logs.JsonFormatter"},
    },
    # Tokens, codes and secrets are masked in every log line, whoever logs them.
    "filters": {
        "redact": {"()": "connectors.http.RedactingFilter"},
        "context": {"()": "reconciliation.observability.logs.ContextFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact", "context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pdfminer": {"level": "WARNING"},
    },
}

# --- Audit exports (django-import-export) -----
from import_export.formats.base_formats import CSV  # noqa: E402
from import_export.formats.base_formats import XLSX  # noqa: E402

EXPORT_FORMATS = [CSV, XLSX]
IMPORT_FORMATS = [CSV, XLSX]
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# --- Operations: probes and metrics -----
# /metrics answers only with "Authorization: Bearer <token>"; unset, it answers 404.
WELL_METRICS_TOKEN = secret("WELL_METRICS_TOKEN", default="") or ""
# Probes and the scrape come from inside the network over plain HTTP: no redirect to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# PostgreSQL's JIT compiles plans whose estimated cost is high; on admin pages that compilation
# (200+ ms, measured by bench-admin) is most of a query's time and never pays back.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3" and not env.bool(
    "DB_JIT", default=False
):
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options["options"] = f"{_db_options.get('options', '')} -c jit=off".strip()
# Well's tables live in memory or on SSD, where a random page costs about what a sequential one
# does; with PostgreSQL's default (4, for spinning disks) the planner reads every document of a
# workspace rather than fetch the review queue's few by key (bench-admin: 26 ms against 1 ms).
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _page_cost = env.float("DB_RANDOM_PAGE_COST", default=1.1)
    _options = f"{_db_options.get('options', '')} -c random_page_cost={_page_cost}"
    _db_options["options"] = _options.strip()
