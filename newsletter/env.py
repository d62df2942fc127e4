"""Read settings from the environment, failing loudly with the variable's name."""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no or on/off")


def _env_number(name: str, default, cast, kind: str):
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return cast(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not {kind}") from None


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "a whole number")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_site_url(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(
            f"{name}={raw!r} must be an absolute http(s) URL such as https://paperboy.example.com"
        )
    return raw.rstrip("/")


def parse_database_url(name: str, raw: str, sqlite_path: Path) -> dict:
    """Parse DATABASE_URL; an empty value means the embedded SQLite database."""
    if not raw:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(sqlite_path),
            "OPTIONS": {
                # Web, worker and beat share the file: WAL lets readers run beside one writer,
                # IMMEDIATE takes the write lock up front instead of failing mid-transaction.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    scheme = urlsplit(raw).scheme
    if scheme not in ("postgres", "postgresql", "pgsql", "sqlite"):
        raise ImproperlyConfigured(f"{name}={raw!r}: use postgres://user@host:5432/name or sqlite:///path")
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj-database-url raises several types for malformed URLs
        raise ImproperlyConfigured(f"{name}={raw!r} is malformed: {exc}") from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(f"{name}={raw!r} names no database")
    if config["ENGINE"] == "django.db.backends.postgresql":
        # psycopg's own default (Django sets None, which turns preparing off): the send path's claim and record
        # are prepared once per connection (newsletter.delivery.PreparedCursor). The ORM's client-side cursors
        # never prepare, whatever this says.
        config.setdefault("OPTIONS", {})["prepare_threshold"] = 5
    return config


def parse_redis_url(name: str, raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ImproperlyConfigured(f"{name}={raw!r} must look like redis://host:6379/0")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} has an invalid port") from None
    return raw


def parse_email_url(name: str, raw: str) -> dict:
    """Map EMAIL_URL to Django EMAIL_* settings.

    smtp://host:port, smtp+tls://user:pass@host:587, smtp+ssl://user:pass@host:465,
    console:// and file:///path (one .eml file per message in that folder).
    """
    parts = urlsplit(raw)
    query = parse_qs(parts.query)
    if parts.scheme in ("smtp", "smtp+tls", "smtp+ssl"):
        if not parts.hostname:
            raise ImproperlyConfigured(f"{name}={raw!r} names no host")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}={raw!r} has an invalid port") from None
        default_port = {"smtp": 25, "smtp+tls": 587, "smtp+ssl": 465}[parts.scheme]
        return {
            "EMAIL_BACKEND": "newsletter.mail.SMTPBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": port or default_port,
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
            "EMAIL_USE_SSL": parts.scheme == "smtp+ssl",
            "EMAIL_TIMEOUT": int(query.get("timeout", ["20"])[0]),
        }
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured(f"{name}={raw!r} names no folder")
        return {"EMAIL_BACKEND": "newsletter.mail.EmlFileBackend", "EMAIL_FILE_PATH": parts.path}
    raise ImproperlyConfigured(
        f"{name}={raw!r}: use smtp://host:port, smtp+tls://user:pass@host:587, console:// or file:///folder"
    )
