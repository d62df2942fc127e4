"""The dashboard's two settings come from the environment, with defaults, and a bad value stops start-up."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT = "from django.conf import settings; print(settings.INGESTION_MAX_AGE_HOURS, settings.WORKER_PING_TIMEOUT)"


def shell(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("INGESTION_MAX_AGE_HOURS", "WORKER_PING_TIMEOUT")}
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PRINT],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_defaults_to_twelve_hours_and_half_a_second():
    result = shell()
    assert result.stdout.split() == ["12", "0.5"], result.stderr


def test_it_reads_both_from_the_environment():
    result = shell(INGESTION_MAX_AGE_HOURS="30", WORKER_PING_TIMEOUT="1.5")
    assert result.stdout.split() == ["30", "1.5"], result.stderr


def test_it_names_the_variable_of_a_bad_value_in_one_line():
    result = shell(WORKER_PING_TIMEOUT="soon")
    assert result.returncode != 0
    assert "WORKER_PING_TIMEOUT='soon' is not a number" in result.stderr
    assert "INGESTION_MAX_AGE_HOURS='12h' is not a whole number" in shell(INGESTION_MAX_AGE_HOURS="12h").stderr
