"""Paperboy settings: one module, every value from the environment (see .env.example)."""

import secrets
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from newsletter.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    parse_database_url,
    parse_email_url,
    parse_redis_url,
    parse_site_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

SITE_URL = parse_site_url("SITE_URL", env_str("SITE_URL", "http://127.0.0.1:8000"))
SITE_NAME = env_str("SITE_NAME", "Paperboy")
HTTPS = urlsplit(SITE_URL).scheme == "https"

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if HTTPS:
        raise ImproperlyConfigured("SECRET_KEY must be set when SITE_URL is https (a production deployment)")
    # A laptop run with nothing configured: keep one random key under var/ so links survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

_site_host = urlsplit(SITE_URL).hostname
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [_site_host, "localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "anymail",
    "papers",
    "subscribers",
    "newsletter",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "newsletter.urls"
WSGI_APPLICATION = "newsletter.wsgi.application"

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
                "newsletter.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": parse_database_url("DATABASE_URL", env_str("DATABASE_URL"), VAR_DIR / "paperboy.sqlite3")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Worker processes started by tests must see the test database, so it lives in a file.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = parse_redis_url("REDIS_URL", env_str("REDIS_URL")) if env_str("REDIS_URL") else ""

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Email: EMAIL_URL, or one .eml file per message under var/outbox/.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Paperboy <paperboy@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_email = (
    parse_email_url("EMAIL_URL", env_str("EMAIL_URL"))
    if env_str("EMAIL_URL")
    else {
        "EMAIL_BACKEND": "newsletter.mail.EmlFileBackend",
        "EMAIL_FILE_PATH": str(VAR_DIR / "outbox"),
    }
)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH", "")
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# Django's default waits forever on a hung SMTP server.
EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT", 20)
POSTAL_ADDRESS = env_str("POSTAL_ADDRESS", "")

# Bounce and complaint webhooks under /anymail/ (Postmark: /anymail/postmark/tracking/), behind HTTP basic
# auth "user:password". Unset, a random secret nobody knows keeps the endpoint closed.
ANYMAIL = {"WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET") or f"closed:{secrets.token_urlsafe(32)}"}

# Celery: Redis when REDIS_URL is set, else a filesystem broker under var/.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "results", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
    }
    CELERY_RESULT_BACKEND = f"file://{_broker_dir / 'results'}"
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - min(30, CELERY_TASK_TIME_LIMIT // 10)
if REDIS_URL:
    # A task unacknowledged this long is redelivered; it must outlast the task time limit.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 4}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Paper ingestion: the only hosts fetched, and the limits of one response.
PAPERS_HTTP_ALLOWED_HOSTS = ["huggingface.co", "export.arxiv.org", "rss.arxiv.org"]
PAPERS_HF_URL = "https://huggingface.co"
PAPERS_ARXIV_API_URL = "https://export.arxiv.org/api/query"
PAPERS_ARXIV_RSS_URL = "https://rss.arxiv.org/rss"
PAPERS_HTTP_CONNECT_TIMEOUT = 5.0
PAPERS_HTTP_READ_TIMEOUT = 30.0
PAPERS_HTTP_TOTAL_TIMEOUT = 120.0  # the whole body, however slowly it trickles in
PAPERS_HTTP_RETRIES = 3
PAPERS_HTTP_BACKOFF = 2.0  # seconds, doubled at each retry; a Retry-After header wins up to PAPERS_HTTP_MAX_WAIT
PAPERS_HTTP_MAX_WAIT = 60.0
PAPERS_MAX_RESPONSE_BYTES = 4 * 1024 * 1024
PAPERS_HF_PAGE_SIZE = 100
PAPERS_ARXIV_IDS_PER_REQUEST = 50
PAPERS_ARXIV_DELAY = 3.0  # seconds between two arXiv API requests, as arXiv asks
# The text model of every paper (papers/representation.py): "tfidf", the file fitted on the real corpus that
# ships in papers/textmodel/, or "wordllama", whose weights and tokenizer ship in the installed wordllama package.
PAPERS_TEXT_MODEL = env_str("PAPERS_TEXT_MODEL", "tfidf")
PAPERS_TFIDF_PATH = Path(env_str("PAPERS_TFIDF_PATH") or BASE_DIR / "papers" / "textmodel" / "tfidf-svd-256.npz")
PAPERS_WORDLLAMA_DIR = env_str("PAPERS_WORDLLAMA_DIR") or None
# The learned topic tagger of each text model, tagger-<PAPERS_TEXT_MODEL>.npz (papers/tagging.py).
PAPERS_TAGGER_DIR = BASE_DIR / "papers" / "textmodel"

# Admin dashboard: a source whose last successful ingestion is older than this shows in red; the page
# waits this many seconds for Celery workers to answer a ping (while its queries run).
INGESTION_MAX_AGE_HOURS = env_int("INGESTION_MAX_AGE_HOURS", 12)
WORKER_PING_TIMEOUT = env_float("WORKER_PING_TIMEOUT", 0.5)

# HTTPS follows SITE_URL: on for an https deployment, off for a plain-http local run.
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
