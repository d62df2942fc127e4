"""Docker cannot run here, so check that every compose service points at real modules and commands."""

import importlib
from pathlib import Path

import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_it_defines_the_production_services_with_health_checks():
    services = load_compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "mailpit", "caddy"} <= set(services)
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert "postgres-data" in load_compose()["volumes"]


def test_each_app_service_runs_a_real_entry_point():
    services = load_compose()["services"]
    web = services["web"]["command"]
    assert web[0] == "gunicorn"
    module, attr = web[1].split(":") if ":" in web[1] else (web[1], "application")
    assert callable(getattr(importlib.import_module(module), attr))
    for name, role in (("worker", "worker"), ("beat", "beat")):
        command = services[name]["command"]
        assert command[:3] == ["celery", "-A", "newsletter"] and command[3] == role
        assert importlib.import_module("newsletter").celery_app.main == "newsletter"
    assert services["migrate"]["command"][-1] in get_commands()


def test_app_services_get_postgres_redis_and_smtp_from_the_environment():
    services = load_compose()["services"]
    for name in ("web", "worker", "beat", "migrate"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert "mailpit:1025" in env["EMAIL_URL"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements.txt" in dockerfile and "collectstatic" in dockerfile


def test_only_the_reverse_proxy_is_published_to_the_world():
    services = load_compose()["services"]
    assert services["caddy"]["image"].startswith("caddy:")
    assert {"80:80", "443:443"} <= set(services["caddy"]["ports"])
    assert "ports" not in services["web"], "gunicorn must be reached only through caddy"
    for name, service in services.items():
        if name != "caddy":
            assert all(str(port).startswith("127.0.0.1:") for port in service.get("ports", [])), name


def test_the_proxy_forwards_to_web_and_web_trusts_exactly_that_one_proxy():
    services = load_compose()["services"]
    mount = next(v for v in services["caddy"]["volumes"] if v.endswith(":/etc/caddy/Caddyfile:ro"))
    caddyfile = (ROOT / mount.split(":")[0].removeprefix("./")).read_text()
    assert "reverse_proxy web:8000" in caddyfile
    assert "{$SITE_HOST}" in caddyfile and "SITE_HOST" in services["caddy"]["environment"]
    assert services["web"]["environment"]["TRUSTED_PROXY_COUNT"] == "1"
    assert "8000" in [str(port) for port in services["web"]["expose"]]
