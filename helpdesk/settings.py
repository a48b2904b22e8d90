"""Madoguchi settings: everything comes from the environment, with safe development defaults."""

from __future__ import annotations

import os
import warnings
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MADOGUCHI_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
# The development key is for a laptop only; docker-compose.yml refuses to start without one.
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-madoguchi-0123456789")
# Encrypts stored secrets such as mailbox passwords (helpdesk/crypto.py); SECRET_KEY if unset.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "helpdesk",
    "customers",
    "tickets",
    "channels_in",
    "knowledge",
    "feedback",
    "livechat",
    "sla",
    "automations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "helpdesk.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "helpdesk.middleware.UserTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
ASGI_APPLICATION = "helpdesk.asgi.application"
AUTH_USER_MODEL = "helpdesk.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# --- data stores -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@localhost/madoguchi"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")


def celery_broker_url(redis_url: str) -> str:
    """Kombu spells a unix-socket Redis differently from redis-py."""
    parsed = urlparse(redis_url)
    if parsed.scheme != "unix":
        return redis_url
    db = parse_qs(parsed.query).get("db", ["0"])[0]
    return f"redis+socket://{parsed.path}?virtual_host={db}"


CACHES = {
    "default": {
        # Django's Redis backend, with one client per pool instead of one per call.
        "BACKEND": "helpdesk.redis_cache.SharedClientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "madoguchi",
    }
}


def _redis_db(url: str) -> int:
    """The database number of a redis:// or unix:// URL (`/3` or `?db=3`; 0 when absent)."""
    parts = urlparse(url)
    number = parse_qs(parts.query).get("db", [""])[0] or parts.path.strip("/")
    return int(number) if number.isdecimal() else 0


CHANNEL_LAYERS = {
    "default": {
        # Redis pub/sub: a group send is one PUBLISH, and each process holds its sockets'
        # subscriptions itself. The list-based layer (CHANNEL_LAYER=core) spent ~1.5 ms of CPU
        # per send and receive (sorted-set reads and a Lua script per send, polling per
        # process) — a third of a chat message's budget. Live frames are nudges either way:
        # state is in PostgreSQL and pages and the widget reload it after a reconnect.
        # Pub/sub channels are server-wide, not per Redis database: the database number is in
        # the prefix, so sites sharing one Redis server never hear each other's events.
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": f"madoguchi.db{_redis_db(REDIS_URL)}"},
    }
    if os.environ.get("CHANNEL_LAYER", "pubsub") == "pubsub"
    else {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # An agent's inbox socket hears every event of every chat: the default 100 queued
        # messages per channel would drop live updates in a burst before the socket drains.
        "CONFIG": {"hosts": [REDIS_URL], "prefix": "madoguchi", "capacity": 1000},
    }
}
# Web processes (helpdesk/asgi.py sets DB_POOL=1) borrow PostgreSQL connections from a pool:
# without one every socket frame's database work opened and closed its own connection.
# Threads that run the chat sockets' database work in parallel (livechat.asyncdb); the pool
# needs room for them and for HTTP requests running at the same time.
ASGI_THREADS = int(os.environ.get("ASGI_THREADS", "8"))
if os.environ.get("DB_POOL") == "1" and find_spec("psycopg_pool"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them; Django must not
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", str(ASGI_THREADS + 8))),
        # How long a request waits for a free connection. Short: with PostgreSQL down the pool
        # has none to give, and a webhook must get its 503 (the provider retries) and a load
        # balancer its failed /readyz at once, as they did without a pool.
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "1.5")),
    }

CELERY_BROKER_URL = celery_broker_url(os.environ.get("CELERY_BROKER_URL", REDIS_URL))
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the task for the next one
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process that once held a big result set (a rollup rebuild, an export) keeps that
# memory: Python rarely returns it. Past this size (KiB) the child is replaced after its task.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = int(os.environ.get("WORKER_MAX_MEMORY_KB", "400000"))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- accounts -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_ADAPTER = "helpdesk.roles.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Madoguchi"

# --- i18n and time -----------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "ja")
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Tokyo")  # shown to viewers without their own zone

# --- static, media, uploads --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True  # serve straight from the apps without collectstatic in dev
# Without collectstatic (development, tests) STATIC_ROOT does not exist; the finders serve.
warnings.filterwarnings("ignore", message="No directory at")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served publicly: attachments go through permission-checked views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MAX_ATTACHMENT_BYTES = int(os.environ.get("MAX_ATTACHMENT_BYTES", str(20 * 1024 * 1024)))
MAX_ATTACHMENTS_PER_MESSAGE = 10
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = 30
SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "support@madoguchi.localhost")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"Madoguchi Support <{SUPPORT_EMAIL}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Tickets: "all" = every agent sees every ticket; "team" = agents see their teams' tickets,
# tickets without a team and their own (admins and managers always see all).
TICKET_VISIBILITY = os.environ.get("TICKET_VISIBILITY", "all")
# A customer's reply to a ticket closed at most this many days ago reopens it; later it starts
# a new ticket linked to the closed one.
REOPEN_CLOSED_WITHIN_DAYS = int(os.environ.get("REOPEN_CLOSED_WITHIN_DAYS", "7"))
# How long the inbox's "All" tab may show a remembered count (0: count on every load).
INBOX_ALL_COUNT_SECONDS = int(os.environ.get("INBOX_ALL_COUNT_SECONDS", "60"))

# --- privacy --------------------------------------------------------------------------------
# Solved tickets older than this many days get their content redacted (0 keeps everything).
RETENTION_DAYS = int(os.environ.get("RETENTION_DAYS", "0"))
# Extra regular expressions masked in inbound text besides cards, My Number and passwords,
# one per line (a regular expression may itself contain commas).
PII_REDACT_PATTERNS = [
    line.strip() for line in os.environ.get("PII_REDACT_PATTERNS", "").splitlines() if line.strip()
]

# Inbound-mail webhooks (/webhooks/email/<esp>/, django-anymail): an ESP whose secret is
# unset answers 404, so no endpoint is ever open without one.
ANYMAIL = {
    key: value
    for key, value in {
        "WEBHOOK_SECRET": os.environ.get("ANYMAIL_WEBHOOK_SECRET", ""),
        "MAILGUN_WEBHOOK_SIGNING_KEY": os.environ.get("MAILGUN_WEBHOOK_SIGNING_KEY", ""),
    }.items()
    if value
}
# Japanese recipients: "off", "japanese" (every Japanese reply) or "mobile" (carrier domains).
MAIL_ISO2022JP = os.environ.get("MAIL_ISO2022JP", "off")
# Held as a mail storm: more than MAIL_RATE_LIMIT mails from one sender in the window.
MAIL_RATE_LIMIT = int(os.environ.get("MAIL_RATE_LIMIT", "20"))
MAIL_RATE_WINDOW_SECONDS = int(os.environ.get("MAIL_RATE_WINDOW_SECONDS", "600"))
# Our own addresses besides SUPPORT_EMAIL and the mailboxes: mail from them never opens a ticket.
MAIL_OWN_ADDRESSES = env_list("MAIL_OWN_ADDRESSES")
# Cc'd people become followers copied on agent replies (channels_in.mail.followers).
MAIL_REPLY_ALL = env_bool("MAIL_REPLY_ALL", True)
# Amazon SES inbound: accepted SNS topics (empty: any) and where signing certificates may come
# from (a regular expression; tests point it at a local server).
MAIL_SES_TOPIC_ARNS = env_list("MAIL_SES_TOPIC_ARNS")
if os.environ.get("MAIL_SNS_URL_PATTERN"):
    MAIL_SNS_URL_PATTERN = os.environ["MAIL_SNS_URL_PATTERN"]

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["helpdesk.roles.IsStaffMember"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "helpdesk.api.json_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Madoguchi API",
    "DESCRIPTION": "Tickets, messages and customers of the Madoguchi helpdesk.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI from the installed sidecar package: no CDN, and no inline script (CSP).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Name the enums after the domain, so later resources with their own `status` don't clash.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Status",
        "TicketPriorityEnum": "tickets.models.Priority",
        "TicketChannelEnum": "tickets.models.Channel",
        "ArticleStatusEnum": "knowledge.models.ArticleStatus",
        "ArticleLanguageEnum": "knowledge.models.Language",
    },
}

# --- security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Sessions are read from Redis on every request and kept in PostgreSQL too, so a Redis restart
# signs nobody out: one query less on every page.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Sent only on HTTPS responses (behind the proxy's X-Forwarded-Proto), so plain-HTTP
# development is unaffected; a year, as browsers' preload rules expect.
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
# Login throttling: allauth's default ACCOUNT_RATE_LIMITS (failed logins 10/min per IP and 5 per
# 5 minutes per account; signup and password reset per IP) over the Redis cache.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
