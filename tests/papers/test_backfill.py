"""Bootstrap backfills the last 7 days from Hugging Face: every day once, then nothing new on a second run.

A local HTTP server stands in for huggingface.co and answers each of "the last 7 days", counted back from
the test's own frozen now, with one recorded day of the real corpus.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from bench.tagging import FIXTURES
from papers.models import IngestionRun, Paper
from tests.papers.conftest import Reply

NOW = datetime(2026, 3, 27, 9, 30, tzinfo=UTC)
RECORDED = ["2025-12-01", "2025-12-02", "2025-12-03", "2025-12-04", "2025-12-05", "2025-12-08", "2025-12-09"]


def recorded(day: str) -> bytes:
    return (FIXTURES / "corpus" / "hf_daily" / f"hf_daily_papers_{day}.json").read_bytes()


@pytest.fixture
def last_seven_days(source_server, settings, tmp_path):
    """The server's answers: the i-th of the last 7 days is the i-th recorded day; any other day is empty."""
    settings.STATIC_ROOT = tmp_path / "static"
    today = NOW.date()
    days = [(today - timedelta(days=6 - n)).isoformat() for n in range(7)]
    answers = dict(zip(days, RECORDED, strict=True))
    source_server.routes["/api/daily_papers"] = lambda q: Reply(
        recorded(answers[q["date"]]) if q["date"] in answers else b"[]"
    )
    return days


def distinct_papers() -> int:
    return len({item["paper"]["id"] for day in RECORDED for item in json.loads(recorded(day))})


@pytest.mark.django_db(transaction=True)
def test_it_ingests_each_of_the_last_seven_days_then_nothing_new(last_seven_days, default_topics, capsys):
    with time_machine.travel(NOW, tick=False):
        call_command("bootstrap")
        first = capsys.readouterr().out
        runs = list(IngestionRun.objects.filter(source="hf-daily").order_by("pk"))
        assert [run.parameters["date"] for run in runs] == last_seven_days
        assert {run.status for run in runs} == {"succeeded"}
        assert sum(run.created for run in runs) == Paper.objects.count() == distinct_papers()
        for day in last_seven_days:
            assert f"  {day}: created=" in first
        assert "demo" not in first.lower() and not IngestionRun.objects.filter(parameters__has_key="demo").exists()

        call_command("bootstrap")
        second = capsys.readouterr().out
        again = list(IngestionRun.objects.filter(source="hf-daily").order_by("pk"))[7:]
    assert "5 of the last 7 days are already complete" in second
    # Yesterday's and today's lists are asked again (they fill in during the day), and bring nothing new.
    assert [run.parameters["date"] for run in again] == last_seven_days[-2:]
    assert [(run.created, run.updated, run.status) for run in again] == [(0, 0, "succeeded")] * 2
    assert Paper.objects.count() == distinct_papers()
