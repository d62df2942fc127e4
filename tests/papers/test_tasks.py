"""Tasks: a run queued from the admin is finished by a real worker; the schedule catches up on the last 7 days."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from papers import tasks
from papers.ingest import start_run
from papers.models import IngestionRun
from tests.conftest import wait_for
from tests.papers.conftest import Reply, real


def test_a_real_worker_finishes_a_run_queued_by_the_admin(celery_worker):
    run = start_run("arxiv", {"requested_by": "admin"}, IngestionRun.Trigger.ADMIN)
    tasks.ingest_source.delay("arxiv", run_id=run.pk)

    def finished():
        run.refresh_from_db()
        return run.status != IngestionRun.Status.RUNNING

    wait_for(finished, timeout=60, message=f"the worker to finish run {run.pk}; log:\n{celery_worker.output()[-2000:]}")
    # No paper lacks arXiv details yet, so there was nothing to ask arXiv about.
    assert (run.status, run.trigger, run.summary) == ("succeeded", "admin", "created=0 updated=0 unchanged=0 failed=0")
    assert run.finished_at is not None


@pytest.mark.django_db
def test_a_task_for_a_run_that_is_gone_or_finished_does_nothing():
    run = start_run("arxiv", trigger=IngestionRun.Trigger.ADMIN)
    run.status = IngestionRun.Status.SUCCEEDED
    run.save()
    assert tasks.ingest_source("arxiv", run_id=run.pk) is None
    assert tasks.ingest_source("arxiv", run_id=run.pk + 1000) is None
    assert IngestionRun.objects.count() == 1


NOW = datetime(2025, 10, 1, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_the_scheduled_task_fetches_the_missing_days_of_the_week_then_yesterday_and_today(source_server):
    day = json.loads(real("hf_daily_papers_2025-10-01.indent2.json"))
    by_date = {"2025-10-01": day}
    source_server.routes["/api/daily_papers"] = lambda q: Reply(json.dumps(by_date.get(q["date"], [])).encode())
    with time_machine.travel(NOW, tick=False):
        tasks.ingest_hf_recent()
        tasks.ingest_hf_recent()
    runs = IngestionRun.objects.order_by("pk")
    first_week = [(NOW - timedelta(days=n)).date().isoformat() for n in range(6, -1, -1)]
    assert [(r.parameters["date"], r.trigger) for r in runs] == [
        *[(d, "schedule") for d in first_week],
        *[(d, "schedule") for d in first_week[-2:]],
    ]
    assert [r.created for r in runs[:7]] == [0] * 6 + [37]


@pytest.mark.django_db
def test_an_installation_that_was_off_catches_up_on_the_days_it_missed(source_server):
    source_server.routes["/api/daily_papers"] = lambda q: Reply(b"[]")
    with time_machine.travel(NOW, tick=False):
        tasks.ingest_hf_recent()
    back = NOW + timedelta(days=3)
    with time_machine.travel(back, tick=False):
        tasks.ingest_hf_recent()
    later = IngestionRun.objects.order_by("pk")[7:]
    # Today of the first run was still filling in; the three days while it was off were never fetched.
    assert [r.parameters["date"] for r in later] == [(NOW + timedelta(days=n)).date().isoformat() for n in range(4)]
