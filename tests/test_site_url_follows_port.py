"""With no SITE_URL, links in emails follow PORT, the port `make run` serves on."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def site_url(**env) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT")}
    clean.update(env)
    code = "from django.conf import settings; print(settings.SITE_URL, settings.ALLOWED_HOSTS)"
    command = [sys.executable, "manage.py", "shell", "-c", code]
    result = subprocess.run(command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after the shell's own notice of what it imported


def test_it_builds_links_on_the_port_the_service_runs_on():
    assert site_url(PORT="8011").startswith("http://127.0.0.1:8011 ")
    assert site_url().startswith("http://127.0.0.1:8000 ")


def test_an_explicit_site_url_wins_over_port():
    chosen = site_url(PORT="8011", SITE_URL="https://paperboy.example.com", SECRET_KEY="k" * 60)
    assert chosen.startswith("https://paperboy.example.com ")


def test_it_refuses_a_port_that_is_not_a_number():
    clean = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    clean["PORT"] = "eighty"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "PORT='eighty' is not a whole number" in result.stderr
