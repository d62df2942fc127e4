"""Beat schedules, each summed up in plain language with its next run."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from tests.dashboard.conftest import figure, open_dashboard

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 14, 32, tzinfo=UTC)  # Thursday


@time_machine.travel(NOW, tick=False)
def test_it_says_when_an_interval_schedule_runs_next(admin_client):
    every_5 = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    task = PeriodicTask.objects.create(
        name="Send due digests", task="newsletter.tasks.tick", interval=every_5, last_run_at=NOW - timedelta(minutes=2)
    )
    assert figure(open_dashboard(admin_client), f"schedule-{task.pk}") == "every 5 minutes, next at 14:35 UTC"


@time_machine.travel(NOW, tick=False)
def test_it_says_when_a_crontab_schedule_runs_next(admin_client):
    monday_7 = CrontabSchedule.objects.create(minute="0", hour="7", day_of_week="1", timezone="UTC")
    daily = CrontabSchedule.objects.create(minute="15", hour="18", timezone="UTC")
    weekly = PeriodicTask.objects.create(name="Weekly arXiv", task="papers.tasks.ingest", crontab=monday_7)
    evening = PeriodicTask.objects.create(name="Evening HF", task="papers.tasks.ingest", crontab=daily)
    page = open_dashboard(admin_client)
    assert figure(page, f"schedule-{weekly.pk}") == "at 07:00, only on Monday, next at Mon 07:00 UTC"
    assert figure(page, f"schedule-{evening.pk}") == "at 18:15, next at 18:15 UTC"


@time_machine.travel(NOW, tick=False)
def test_it_says_when_a_schedule_is_overdue_or_disabled(admin_client):
    hourly = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    late = PeriodicTask.objects.create(
        name="Ingest", task="papers.tasks.ingest", interval=hourly, last_run_at=NOW - timedelta(hours=3)
    )
    off = PeriodicTask.objects.create(name="Old", task="papers.tasks.ingest", interval=hourly, enabled=False)
    page = open_dashboard(admin_client)
    assert figure(page, f"schedule-{late.pk}") == "every hour, due now"
    assert figure(page, f"schedule-{off.pk}") == "every hour; disabled"


def test_it_names_the_minute_a_crontab_runs_when_the_clock_is_not_frozen(admin_client):
    thrice = CrontabSchedule.objects.create(minute="0", hour="6,12,18", timezone="UTC")
    task = PeriodicTask.objects.create(name="Ingest", task="papers.tasks.ingest", crontab=thrice)
    summary = figure(open_dashboard(admin_client), f"schedule-{task.pk}")
    assert summary.startswith("at 06:00, 12:00 and 18:00, next at ")
    assert summary.split("next at ")[1].split()[-2].endswith(":00")  # never 17:59 for the 18:00 run
