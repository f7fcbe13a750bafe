"""Carepost settings: one module, driven by environment variables.

Defaults give the embedded set-up (SQLite, database task backend, console email).
Production sets CAREPOST_ENV=production, which makes SECRET_KEY and ALLOWED_HOSTS
required and turns on the secure-cookie settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """Read a setting, or the content of the file named by NAME_FILE (for secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


CAREPOST_ENV = env("CAREPOST_ENV", "development")
PRODUCTION = CAREPOST_ENV == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when CAREPOST_ENV=production.")
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = [h for h in (env("ALLOWED_HOSTS", "") or "").split(",") if h]
if not ALLOWED_HOSTS:
    if PRODUCTION:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when CAREPOST_ENV=production.")
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

SITE_URL = (env("SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "carepost.common",
    "carepost.accounts",
    "carepost.audit",
    "carepost.consent",
    "carepost.posts",
    "carepost.review",
    "carepost.publishing",
    "carepost.api",
    "carepost.boundaries",
    "carepost.policies",
    "carepost.learning",
    "carepost.oversight",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "carepost.accounts.middleware.MembershipMiddleware",
    "carepost.common.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Each connector keeps its setup templates in its own folder (CONTRIBUTING.md).
        "DIRS": [
            BASE_DIR / "src" / "carepost" / "templates",
            *sorted(
                (BASE_DIR / "src" / "carepost" / "publishing" / "connectors").glob("*/templates")
            ),
        ],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carepost.accounts.context_processors.membership",
            ],
        },
    },
]

DATABASE_URL = env("DATABASE_URL", "") or ""
if DATABASE_URL.startswith("postgres"):
    from urllib.parse import unquote, urlparse

    _url = urlparse(DATABASE_URL)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.path.lstrip("/"),
            "USER": unquote(_url.username or ""),
            "PASSWORD": unquote(_url.password or ""),
            "HOST": _url.hostname or "",
            "PORT": str(_url.port or ""),
            "CONN_MAX_AGE": 60,
        }
    }
elif DATABASE_URL and not DATABASE_URL.startswith("sqlite"):
    raise ImproperlyConfigured("DATABASE_URL must be a postgres:// or sqlite:/// URL.")
else:
    _path = DATABASE_URL.removeprefix("sqlite:///") or str(BASE_DIR / "var" / "carepost.sqlite3")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _path,
            # Several processes (web server and task worker) share the file: wait for
            # the write lock instead of failing, and take it at the start of a
            # transaction so read-then-write transactions cannot deadlock.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "posts:desk"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")) or "")
# Uploaded originals may carry GPS positions: no URL serves MEDIA_ROOT. Clean copies
# are served only through views that check the viewer's rights or that the item is live.
MEDIA_URL = "/_media-is-never-served/"

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Carepost <carepost@localhost>")

# Background tasks (docs/architecture.md, "Scaling out"). The database backend needs no
# other service; TASK_BACKEND=django_tasks_rq.RQBackend with REDIS_URL moves the queue to
# Redis, for several `manage.py worker` processes on one or more machines.
TASK_BACKEND = env("TASK_BACKEND", "django_tasks_db.DatabaseBackend") or ""
REDIS_URL = env("REDIS_URL", "") or ""
TASKS = {
    "default": {
        "BACKEND": TASK_BACKEND,
        "QUEUES": ["default"],
    }
}
if TASK_BACKEND == "django_tasks_rq.RQBackend":
    if not REDIS_URL:
        raise ImproperlyConfigured("REDIS_URL must be set when TASK_BACKEND is the RQ backend.")
    INSTALLED_APPS.append("django_rq")
    # A job that runs longer than this is stopped by RQ (the outbox sweep recovers it).
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300}}
elif TASK_BACKEND not in (
    "django_tasks_db.DatabaseBackend",
    "django_tasks.backends.immediate.ImmediateBackend",
    "django_tasks.backends.dummy.DummyBackend",
):
    raise ImproperlyConfigured(
        "TASK_BACKEND must be django_tasks_db.DatabaseBackend (default) or "
        f"django_tasks_rq.RQBackend, not {TASK_BACKEND!r}."
    )

# Multiplies the outbox's waits (retry back-off, first check after a lost response).
# 1 in production; bench/outbox/run.py uses less so 10,000 publications fit in minutes.
CAREPOST_BACKOFF_SCALE = float(env("CAREPOST_BACKOFF_SCALE", "1") or "1")

# Encryption at rest (evidence files, platform tokens): see carepost/common/crypto.py.
CAREPOST_ENCRYPTION_KEY = env("CAREPOST_ENCRYPTION_KEY", "") or ""
if PRODUCTION and not CAREPOST_ENCRYPTION_KEY:
    raise ImproperlyConfigured("CAREPOST_ENCRYPTION_KEY must be set when CAREPOST_ENV=production.")
CAREPOST_EVIDENCE_MAX_BYTES = env_int("CAREPOST_EVIDENCE_MAX_BYTES", 15 * 1024 * 1024)

# Photos
CAREPOST_PHOTO_MAX_BYTES = env_int("CAREPOST_PHOTO_MAX_BYTES", 20 * 1024 * 1024)
CAREPOST_PHOTO_MAX_PIXELS = env_int("CAREPOST_PHOTO_MAX_PIXELS", 50_000_000)
CAREPOST_PHOTOS_PER_POST = 10
# How often the worker's sweeper looks for due and stuck publications (seconds).
CAREPOST_SWEEP_INTERVAL = env_int("CAREPOST_SWEEP_INTERVAL", 15)
# A publication left in "sending" longer than this is treated as interrupted.
CAREPOST_SENDING_TIMEOUT = env_int("CAREPOST_SENDING_TIMEOUT", 300)
# A publication whose outcome is still unknown after this long: reviewers are told a
# person must check the platform (seconds).
CAREPOST_UNKNOWN_ALERT_AFTER = env_int("CAREPOST_UNKNOWN_ALERT_AFTER", 3600)
# Seconds a connector waits for a platform before treating the request as failed.
CAREPOST_CONNECTOR_TIMEOUT = env_int("CAREPOST_CONNECTOR_TIMEOUT", 20)
# Allow http:// and loopback platform instances (tests and local fakes only).
CAREPOST_ALLOW_INSECURE_INSTANCES = env_bool("CAREPOST_ALLOW_INSECURE_INSTANCES", False)

# Facebook Page connector (connectors/facebook). The app id and secret come from the
# Meta app the organisation registered; the secret is never logged or shown.
CAREPOST_FACEBOOK_APP_ID = env("CAREPOST_FACEBOOK_APP_ID", "") or ""
CAREPOST_FACEBOOK_APP_SECRET = env("CAREPOST_FACEBOOK_APP_SECRET", "") or ""
CAREPOST_FACEBOOK_GRAPH_VERSION = env("CAREPOST_FACEBOOK_GRAPH_VERSION", "v24.0") or "v24.0"
CAREPOST_FACEBOOK_GRAPH_URL = (
    env("CAREPOST_FACEBOOK_GRAPH_URL", "https://graph.facebook.com") or ""
).rstrip("/")
CAREPOST_FACEBOOK_DIALOG_URL = (
    env("CAREPOST_FACEBOOK_DIALOG_URL", "https://www.facebook.com") or ""
).rstrip("/")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Serve static files from the apps directly in development; `collectstatic` in production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
