"""Django settings, read only from the environment through typed helpers (``analytics.config``).

Unset variables mean embedded mode: SQLite under ``LANTERN_DATA_DIR``. A bad value stops the boot
with an error naming the variable.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from analytics.config import (
    ConfigError,
    data_dir,
    database_url,
    env_bool,
    env_int,
    env_networks,
    env_rate,
    env_str,
    redis_url,
)
from analytics.logs import capture_warnings, logging_config
from analytics.metrics import metrics_token

BASE_DIR = Path(__file__).resolve().parent.parent

try:
    DEBUG = env_bool("DEBUG", False)
    # Secure by default: Secure cookies, HSTS and redirects to https. Plain-HTTP local use says
    # LANTERN_HTTPS=0, as ./dev serve does on a loopback address.
    HTTPS = env_bool("LANTERN_HTTPS", True)
    SECRET_KEY = env_str("SECRET_KEY")
    ALLOWED_HOSTS = [
        h.strip() for h in env_str("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
    ]
    BASE_URL = env_str("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    DATABASES = {"default": dj_database_url.parse(database_url(), conn_max_age=60, conn_health_checks=True)}
    HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
    STATIC_ROOT = Path(env_str("STATIC_ROOT") or data_dir() / "static")
    # Mail: an SMTP server when EMAIL_HOST is set; otherwise each message is written as a file under
    # LANTERN_DATA_DIR/mail, so a local install can still follow verification and reset links.
    EMAIL_HOST = env_str("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
    DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Lantern <lantern@localhost>")
    EMAIL_FILE_PATH = str(data_dir() / "mail")
    TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
    # Traffic alert webhooks must be https to a public address; 1 allows http and local hosts (tests).
    ALERT_WEBHOOKS_ALLOW_LOCAL = env_bool("ALERT_WEBHOOKS_ALLOW_LOCAL", False)
except ConfigError as exc:
    raise ImproperlyConfigured(str(exc)) from exc

EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "panel.accounts.mail_files.PrivateFileBackend"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")

if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set to at least 50 random characters")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "panel.accounts",
    "panel.sites",
    "panel.apikeys",
    "panel.dashboard",
    "panel.stats_api",
    "panel.reports",
    "panel.goals",
    "panel.sharing",
    "panel.imports",
    "panel.transfer",
]

MIDDLEWARE = [
    "panel.middleware.JsonErrors",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "panel.middleware.content_security_policy",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "panel.accounts.middleware.VerifiedEmailRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "panel.urls"
WSGI_APPLICATION = "panel.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/sites/"
LOGOUT_REDIRECT_URL = "/login/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "panel" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "panel" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Counters for rate limits: Redis when there is one (shared by every web process), else this process.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url()}
    if redis_url()
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Requests a Stats API key may make (Plausible's default is 600 an hour); "0/h" would refuse all.
STATS_API_RATE = env_rate("STATS_API_RATE", "600/h")
# Stats calls per viewer (client IP) of a shared link: a page load makes about 12, a live view 2 a minute.
SHARED_LINK_RATE = env_rate("SHARED_LINK_RATE", "600/10m")
# Stats calls per logged-in user (the dashboard, and the Stats API without a key): as a viewer's.
SESSION_STATS_RATE = env_rate("SESSION_STATS_RATE", "600/10m")
# Exports (export.zip, about 26 queries each; widget CSVs count as stats calls) per logged-in user or
# per viewer of a shared link.
EXPORT_RATE = env_rate("EXPORT_RATE", "20/h")
# Guesses allowed (django-ratelimit rates: count/period): failed logins and 2FA codes per client IP and
# per account, password-reset mails per IP and per address, verification mails per account.
LOGIN_RATE_IP = "30/15m"
LOGIN_RATE_ACCOUNT = "10/15m"
TWO_FACTOR_RATE = "5/5m"
RESET_RATE_IP = "10/h"
RESET_RATE_ACCOUNT = "3/h"
VERIFY_RESEND_RATE = "3/h"
INVITE_RATE = "30/h"  # invitation mails an organisation may send
EMAIL_CHANGE_RATE = "3/h"  # links to a new address a user may have mailed
EMAIL_VERIFY_MAX_AGE = 3 * 24 * 3600  # seconds a verification link works
EMAIL_CHANGE_MAX_AGE = 24 * 3600  # seconds the link confirming a new address works
INVITATION_MAX_AGE = 48 * 3600

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_TRUSTED_ORIGINS = [BASE_URL] if BASE_URL.startswith("http") else []
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = HSTS_SECONDS
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

try:
    # LOG_FORMAT=json: one JSON object a line (analytics.logs); LOG_LEVEL: a level name.
    LOGGING = logging_config()
    capture_warnings()
    METRICS_TOKEN = metrics_token()  # /metrics (ingest.ops) asks for it as a bearer token
except ConfigError as exc:
    raise ImproperlyConfigured(str(exc)) from exc
