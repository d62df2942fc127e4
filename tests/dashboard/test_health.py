"""Health at a glance: each tile shows exactly the numbers built for the test."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from newsletter.models import Delivery
from papers.models import IngestionRun
from subscribers.models import Subscriber
from tests.dashboard.conftest import figure, open_dashboard
from tests.factories import make_subscriber

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # a Thursday in ISO week 48


def run(source="hf-daily", status=IngestionRun.Status.SUCCEEDED, at=NOW, **fields) -> IngestionRun:
    with time_machine.travel(at, tick=False):
        return IngestionRun.objects.create(source=source, status=status, finished_at=at, **fields)


@time_machine.travel(NOW, tick=False)
def test_it_counts_the_failed_ingestion_runs_of_the_last_seven_days(admin_client):
    for days in (0, 2, 6):
        run(status=IngestionRun.Status.FAILED, at=NOW - timedelta(days=days))
    run(status=IngestionRun.Status.FAILED, at=NOW - timedelta(days=8))
    run(status=IngestionRun.Status.SUCCEEDED, at=NOW - timedelta(days=1))
    assert figure(open_dashboard(admin_client), "failed-runs-7d") == "3"


@time_machine.travel(NOW, tick=False)
def test_it_shows_the_age_of_the_last_successful_run_per_source_in_red_when_stale(admin_client, settings):
    settings.INGESTION_MAX_AGE_HOURS = 12
    run("hf-daily", at=NOW - timedelta(hours=3, minutes=20))
    run("hf-daily", status=IngestionRun.Status.FAILED, at=NOW - timedelta(minutes=5))
    run("arxiv", status=IngestionRun.Status.PARTIAL, at=NOW - timedelta(days=2, hours=4))
    page = open_dashboard(admin_client)

    fresh = page.select_one('[data-figure="ingestion-hf-daily"]')
    assert "3 h 20 min ago" in fresh.get_text() and "ok" in fresh["class"]
    stale = page.select_one('[data-figure="ingestion-arxiv"]')
    assert "2 d 4 h ago" in stale.get_text() and "bad" in stale["class"]
    assert "older than expected" in stale.get_text()
    unused = page.select_one('[data-figure="ingestion-hf-page"]')
    assert "not run yet" in unused.get_text() and "idle" in unused["class"]


@time_machine.travel(NOW, tick=False)
def test_it_shows_a_source_whose_every_run_failed_in_red(admin_client):
    run("hf-page", status=IngestionRun.Status.FAILED, at=NOW - timedelta(minutes=5))
    tile = open_dashboard(admin_client).select_one('[data-figure="ingestion-hf-page"]')
    assert "every run failed" in tile.get_text() and "bad" in tile["class"]


@time_machine.travel(NOW, tick=False)
def test_it_counts_the_deliveries_of_the_current_week_and_day_by_status(admin_client):
    statuses = ["claimed", "queued", "retry", "sent", "sent", "failed", "skipped"]
    for status, period in zip(statuses, ["2026-W48", "2026-11-26"] * 4, strict=False):
        Delivery.objects.create(subscriber=make_subscriber(), period=period, status=status)
    Delivery.objects.create(subscriber=make_subscriber(), period="2026-W47", status="failed")
    Delivery.objects.create(subscriber=make_subscriber(), period="2026-11-25", status="sent")
    page = open_dashboard(admin_client)
    assert figure(page, "period-waiting") == "3"
    assert figure(page, "period-sent") == "2"
    assert figure(page, "period-failed") == "1"
    assert figure(page, "period-skipped") == "1"


def test_it_counts_bounced_and_complained_addresses_as_suppressed(admin_client):
    for status in ["bounced", "bounced", "complained", "active", "unsubscribed", "paused"]:
        make_subscriber(status=status)
    page = open_dashboard(admin_client)
    assert figure(page, "suppressed") == "3"
    assert figure(page, "subscribers-bounced") == "2"
    assert figure(page, "subscribers-active") == "1"
    assert figure(page, "subscribers-pending") == "0"
    assert Subscriber.objects.count() == 6


def test_it_says_when_the_broker_is_unreachable_without_waiting_for_workers(admin_client, settings):
    from tests.smtp import free_port

    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    page = open_dashboard(admin_client)
    assert figure(page, "broker") == "unreachable"
    assert figure(page, "workers") == "none"


def test_it_says_no_worker_answers_when_none_runs(admin_client):
    page = open_dashboard(admin_client)
    assert figure(page, "broker") == "reachable"
    assert figure(page, "workers") == "none"
