import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from newsletter import local
from newsletter.env import env_bool, parse_database_url, parse_email_url, parse_redis_url, parse_site_url

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env) -> subprocess.CompletedProcess:
    """Run `manage.py check` in a fresh process with only the given Paperboy variables set."""
    names = ["DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DEBUG", "SECRET_KEY", "SITE_URL", "ALLOWED_HOSTS"]
    clean = {k: v for k, v in os.environ.items() if k not in names}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_it_starts_with_embedded_defaults_when_nothing_is_configured():
    result = run_check()
    assert result.returncode == 0, result.stderr


def test_it_uses_sqlite_under_var_by_default(tmp_path):
    config = parse_database_url("DATABASE_URL", "", tmp_path / "db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "db.sqlite3")


def test_it_parses_a_postgres_database_url(tmp_path):
    config = parse_database_url("DATABASE_URL", "postgres://alice:s3cret@db.internal:6543/paperboy", tmp_path)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 6543, "paperboy")
    assert (config["USER"], config["PASSWORD"]) == ("alice", "s3cret")


def test_it_parses_a_redis_url():
    assert parse_redis_url("REDIS_URL", "redis://127.0.0.1:6379/3") == "redis://127.0.0.1:6379/3"


def test_it_parses_smtp_email_urls():
    plain = parse_email_url("EMAIL_URL", "smtp://mail.local:2525")
    assert (plain["EMAIL_HOST"], plain["EMAIL_PORT"], plain["EMAIL_USE_TLS"]) == ("mail.local", 2525, False)
    tls = parse_email_url("EMAIL_URL", "smtp+tls://bob%40example.com:p%40ss@smtp.example.com:587")
    assert tls["EMAIL_USE_TLS"] is True
    assert (tls["EMAIL_HOST_USER"], tls["EMAIL_HOST_PASSWORD"]) == ("bob@example.com", "p@ss")
    assert tls["EMAIL_TIMEOUT"] == 20


def test_it_writes_eml_files_for_a_file_email_url():
    config = parse_email_url("EMAIL_URL", "file:///tmp/outbox")
    assert config == {"EMAIL_BACKEND": "newsletter.mail.EmlFileBackend", "EMAIL_FILE_PATH": "/tmp/outbox"}


@pytest.mark.parametrize(
    ("parse", "raw"),
    [
        (lambda raw: parse_database_url("DATABASE_URL", raw, Path("x")), "mysql//nope"),
        (lambda raw: parse_database_url("DATABASE_URL", raw, Path("x")), "postgres://host:notaport/db"),
        (lambda raw: parse_redis_url("REDIS_URL", raw), "localhost:6379"),
        (lambda raw: parse_email_url("EMAIL_URL", raw), "carrier-pigeon://coop"),
        (lambda raw: parse_site_url("SITE_URL", raw), "paperboy.example.com"),
    ],
)
def test_it_rejects_a_malformed_url_naming_the_variable(parse, raw):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        parse(raw)
    assert raw in str(excinfo.value)
    assert str(excinfo.value).split("=")[0] in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SITE_URL"}


def test_it_rejects_a_boolean_that_is_not_one(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG='maybe'"):
        env_bool("DEBUG")


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DATABASE_URL": "postgres://host:port/db"}, "DATABASE_URL"),
        ({"REDIS_URL": "not a url"}, "REDIS_URL"),
        ({"EMAIL_URL": "smtp://"}, "EMAIL_URL"),
    ],
)
def test_start_up_stops_with_a_message_naming_the_bad_variable(env, name):
    result = run_check(**env)
    assert result.returncode != 0
    assert f"{name}=" in result.stderr.strip().splitlines()[-1]


def test_production_refuses_to_start_without_a_secret_key():
    result = run_check(SITE_URL="https://paperboy.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_https_settings_follow_the_site_url():
    code = "from django.conf import settings as s; "
    code += "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "SECRET_KEY")}
    env["DJANGO_SETTINGS_MODULE"] = "newsletter.settings"
    script = f"import django; django.setup(); {code}"
    local = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    env.update(SITE_URL="https://paperboy.example.com", SECRET_KEY="x" * 60)
    prod = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert local.stdout.split() == ["False", "False", "0"], local.stderr
    assert prod.stdout.split() == ["True", "True", "31536000"], prod.stderr


def test_check_deploy_is_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "ALLOWED_HOSTS")}
    env.update(SITE_URL="https://paperboy.example.com", SECRET_KEY="k" * 20 + "production-secret-from-env" + "z" * 20)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_html_responses_carry_a_content_security_policy(client, db):
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_importing_the_settings_writes_nothing(tmp_path):
    var_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "REDIS_URL", "DATABASE_URL")}
    env.update(VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="newsletter.settings")
    script = "import django; django.setup(); from django.conf import settings; print(len(settings.SECRET_KEY))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 50 and not var_dir.exists()


def test_bootstrap_prepares_the_embedded_folder_once_and_every_process_then_signs_alike(tmp_path):
    var_dir = tmp_path / "var"
    made = local.prepare(var_dir, filesystem_broker=True)
    assert str(var_dir / "broker" / "queue") in made and str(var_dir / "secret_key") in made
    key = local.read_secret_key(var_dir)
    assert len(key) >= 50 and local.prepare(var_dir, filesystem_broker=True) == []
    assert local.read_secret_key(var_dir) == key
    assert (var_dir / "secret_key").stat().st_mode & 0o777 == 0o600


def test_a_laptop_run_before_bootstrap_is_warned_that_its_processes_sign_differently(tmp_path):
    env = {"VAR_DIR": str(tmp_path / "var"), "SECRET_KEY": "", "DJANGO_SETTINGS_MODULE": "newsletter.settings"}
    result = run_check(**env)
    assert "newsletter.W001" in result.stderr and "manage.py bootstrap" in result.stderr
    local.prepare(tmp_path / "var", filesystem_broker=True)
    assert "newsletter.W001" not in run_check(**env).stderr
