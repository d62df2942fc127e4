"""The dashboard runs the same number of queries whatever the amount of data."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from newsletter.models import Delivery
from papers.models import IngestionRun
from tests.dashboard.conftest import open_dashboard
from tests.factories import make_paper, make_subscriber

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
MAX_QUERIES = 24  # session, user, their authenticator (none here), and the 21 figures of newsletter/dashboard/


def build(size: int) -> None:
    topics = ["llm", "rl", "agents", "vision", "code"]
    for i in range(size):
        make_paper({topics[i % 5]: 0.9, topics[(i + 1) % 5]: 0.3}, upvotes=i, trending_date=date(2026, 11, 24))
        reader = make_subscriber(topics=topics[: 1 + i % 5], paper_count=3 + i % 20)
        Delivery.objects.create(
            subscriber=reader, period=f"2026-W{40 + i % 9}", status=["sent", "failed", "queued"][i % 3]
        )
        IngestionRun.objects.create(source="hf-daily", status="failed", errors=f"error {i}")
        PeriodicTask.objects.create(
            name=f"task {size}-{i}",
            task="papers.tasks.ingest",
            interval=IntervalSchedule.objects.get_or_create(every=1 + i, period="minutes")[0],
            last_run_at=NOW - timedelta(minutes=i),
        )


def queries_of_one_page(client) -> int:
    with CaptureQueriesContext(connection) as context:
        open_dashboard(client)
    return len(context.captured_queries)


@time_machine.travel(NOW, tick=False)
def test_it_runs_a_bounded_number_of_queries_whatever_the_data_size(admin_client, django_assert_max_num_queries):
    build(3)
    small = queries_of_one_page(admin_client)
    build(40)
    with django_assert_max_num_queries(MAX_QUERIES):
        large = queries_of_one_page(admin_client)
    assert small == large
