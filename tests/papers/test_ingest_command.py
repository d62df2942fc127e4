"""`manage.py ingest`: progress lines, the summary line last, a one-line reason and non-zero exit on bad input."""

import json
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from papers.models import IngestionRun, Paper
from tests.papers.conftest import REAL

pytestmark = pytest.mark.django_db


def ingest(*args) -> list[str]:
    out = StringIO()
    call_command("ingest", *args, stdout=out)
    return out.getvalue().splitlines()


def test_it_ingests_a_saved_file_and_prints_the_summary_last():
    lines = ingest("hf-daily", "--file", str(REAL / "hf_daily_papers_2026-06-12.json"))
    assert lines[0].startswith("Reading ") and lines[0].endswith("bytes) as hf-daily...")
    assert lines[-1] == "created=30 updated=0 unchanged=0 failed=0"
    assert ingest("hf-daily", "--file", str(REAL / "hf_daily_papers_2026-06-12.json"))[-1] == (
        "created=0 updated=0 unchanged=30 failed=0"
    )
    run = IngestionRun.objects.first()
    assert (run.trigger, run.parameters) == ("cli", {"file": "hf_daily_papers_2026-06-12.json"})


def test_it_lists_failed_records_before_the_summary(tmp_path):
    broken = tmp_path / "day.json"
    broken.write_text((REAL / "hf_daily_papers_2026-06-12.json").read_text().replace('"id":"2606.00467"', '"id":""'))
    lines = ingest("hf-daily", "--file", str(broken), "--date", "2026-06-12")
    assert "  failed: record 1: record has no arXiv id" in lines
    assert lines[-1] == "created=29 updated=0 unchanged=0 failed=1"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["hf-weekly"], "unknown source 'hf-weekly'; choose one of hf-daily, hf-page, arxiv"),
        (["hf-daily", "--date", "2026-13-01"], "--date must be a day as YYYY-MM-DD, got '2026-13-01'"),
        (["hf-daily", "--week", "2026-W60"], "--week must be an ISO week as YYYY-Www (e.g. 2026-W48)"),
        (["arxiv", "--week", "2026-W10"], "--week works with hf-daily only"),
        (["hf-daily", "--date", "2026-01-01", "--week", "2026-W01"], "give --date or --week, not both"),
        (["hf-page", "--file", "/nonexistent/page.html"], "cannot read /nonexistent/page.html: No such file"),
        (["arxiv", "--file", str(REAL / "arxiv_api_error_invalid-id_2026-04-12.wrapped.json")],
         "arXiv API error: incorrect id format for abc"),
        (["hf-page", "--file", str(REAL / "hf_daily_papers_2026-06-12.json")], "the response is not an HTML page"),
    ],
)  # fmt: skip
def test_it_exits_non_zero_with_a_one_line_reason(args, reason):
    with pytest.raises(CommandError) as error:
        ingest(*args)
    assert str(error.value).startswith(reason)
    assert "\n" not in str(error.value)
    assert Paper.objects.count() == 0


def test_it_refuses_a_file_over_the_size_cap_before_reading_it(tmp_path):
    big = tmp_path / "big.html"
    big.write_bytes(b"<html>" + b" " * (5 * 1024 * 1024))
    with pytest.raises(CommandError, match=r"big.html is 5.2 MB, over the 4.2 MB limit"):
        ingest("hf-page", "--file", str(big))


def test_it_runs_as_a_subprocess_with_the_exit_code_and_last_line_promised(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT, test_database_url

    env = {"DATABASE_URL": test_database_url(), "VAR_DIR": os.environ["VAR_DIR"], "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "manage.py", "ingest", "arxiv", "--file", str(tmp_path / "missing.xml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    missing = tmp_path / "missing.xml"
    assert done.stderr.strip().splitlines() == [f"CommandError: cannot read {missing}: No such file or directory"]


def test_the_schedule_fetches_hf_daily_papers_then_arxiv_details(transactional_db):
    from importlib import import_module

    from django.apps import apps as django_apps

    import_module("papers.migrations.0003_beat_schedule").create_schedule(django_apps, None)
    rows = {t.task: t for t in PeriodicTask.objects.select_related("crontab")}
    assert (rows["papers.tasks.ingest_hf_recent"].crontab.minute, rows["papers.tasks.ingest_hf_recent"].enabled) == (
        "10", True,
    )  # fmt: skip
    assert (rows["papers.tasks.enrich_from_arxiv"].crontab.minute, rows["papers.tasks.enrich_from_arxiv"].enabled) == (
        "40", True,
    )  # fmt: skip
    listing = rows["papers.tasks.ingest_source"]
    assert (json.loads(listing.kwargs), listing.enabled) == ({"source": "arxiv", "category": "cs.CL"}, False)
