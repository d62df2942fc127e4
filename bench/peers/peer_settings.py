"""Django settings of the peers' throwaway project (run in a peer's virtualenv, never by Paperboy).

PEER names the peer (post_office or newsletter), PEER_DATABASE_URL its PostgreSQL database and
PEER_SMTP_PORT the loopback SMTP server; everything else is either peer's default.
"""

import os
from urllib.parse import urlsplit

PEER = os.environ["PEER"]
DATABASE = urlsplit(os.environ["PEER_DATABASE_URL"])

SECRET_KEY = "peers-bench-" + "k" * 50
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["*"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sites",
    *{"post_office": ["post_office"], "newsletter": ["sorl.thumbnail", "newsletter"]}[PEER],
]
SITE_ID = 1
ROOT_URLCONF = "peer_urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE.path.lstrip("/"),
        "USER": DATABASE.username or "postgres",
        "PASSWORD": DATABASE.password or "",
        "HOST": DATABASE.hostname or "127.0.0.1",
        "PORT": DATABASE.port or 5432,
    }
}

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["PEER_SMTP_PORT"])
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = "paperboy@bench.example.org"

# django-post-office: 5 threads per process and batches of 100 are its defaults, written out because the
# benchmark names them; PEER_BATCH_SIZE tries another batch size.
POST_OFFICE = {"THREADS_PER_PROCESS": 5, "BATCH_SIZE": int(os.environ.get("PEER_BATCH_SIZE", 100))}
# django-newsletter: its article images need a thumbnailer; these articles have none.
NEWSLETTER_THUMBNAIL = "sorl-thumbnail"
NEWSLETTER_USE_HTTPS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "WARNING"},
}
