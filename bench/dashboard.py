"""Render time and query count of the admin dashboard with 100,000 subscribers and 50,000 papers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paperboy .venv/bin/python bench/dashboard.py [--keep] [--runs 7]

It builds the data in a throw-away database beside DATABASE_URL's (named bench_<name>),
renders /admin/ as a superuser several times and prints the median time, the query count and the time
of each figure. --keep keeps that database so a second run skips the build.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsletter.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask  # noqa: E402

from newsletter import dashboard  # noqa: E402
from newsletter.dashboard import coverage  # noqa: E402
from newsletter.models import Delivery  # noqa: E402
from papers.models import IngestionRun, Paper, PaperTopic, Topic  # noqa: E402
from subscribers.models import Subscriber, SubscriberTopic  # noqa: E402

SUBSCRIBERS = 100_000
PAPERS = 50_000
TOPICS = 20
BATCH = 5_000


def build() -> None:
    rng = random.Random(1)
    today = timezone.localdate()
    topics = Topic.objects.bulk_create(Topic(slug=f"topic-{i}", name=f"Topic {i}", position=i) for i in range(TOPICS))

    # ~50 papers a day over the last 1,000 days, like the Hugging Face daily list.
    papers = Paper.objects.bulk_create(
        (
            Paper(
                arxiv_id=f"{2300 + i // 10_000}.{i % 100_000:05d}",
                title=f"Benchmark paper {i}",
                trending_date=today - timedelta(days=(PAPERS - 1 - i) // 50),
                upvotes=rng.randint(0, 300),
                hidden=rng.random() < 0.01,
            )
            for i in range(PAPERS)
        ),
        batch_size=BATCH,
    )
    PaperTopic.objects.bulk_create(
        (
            PaperTopic(paper=paper, topic=topic, score=rng.random())
            for paper in papers
            for topic in rng.sample(topics, rng.randint(1, 3))
        ),
        batch_size=BATCH,
    )

    statuses = ["active"] * 70 + ["pending"] * 8 + ["paused"] * 5 + ["unsubscribed"] * 14 + ["bounced", "complained"]
    subscribers = Subscriber.objects.bulk_create(
        (
            Subscriber(
                email=f"reader{i}@example.com",
                status=rng.choice(statuses),
                paper_count=rng.choice([5, 10, 10, 10, 15, 20, 25]),
            )
            for i in range(SUBSCRIBERS)
        ),
        batch_size=BATCH,
    )
    SubscriberTopic.objects.bulk_create(
        (
            SubscriberTopic(subscriber=subscriber, topic=topic)
            for subscriber in subscribers
            for topic in rng.sample(topics, rng.randint(1, 4))
        ),
        batch_size=BATCH,
    )

    runs = [
        IngestionRun(
            source=rng.choice(IngestionRun.Source.values),
            trigger="schedule",
            status="failed" if rng.random() < 0.05 else "succeeded",
            created=rng.randint(0, 50),
            errors="",
        )
        for _ in range(3_000)
    ]
    IngestionRun.objects.bulk_create(runs, batch_size=BATCH)

    every_5 = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(name="tick", task="newsletter.tasks.tick", interval=every_5)
    thrice = CrontabSchedule.objects.create(minute="0", hour="6,12,18")
    PeriodicTask.objects.create(name="ingest", task="papers.tasks.ingest", crontab=thrice)

    # Timestamps that auto_now_add would flatten, spread in SQL; and four weeks of deliveries.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE papers_paper SET created_at = trending_date + interval '7 hours'")
        cursor.execute(
            """
            UPDATE subscribers_subscriber SET
              created_at = now() - random() * interval '400 days',
              confirmed_at = CASE WHEN status <> 'pending' THEN now() - random() * interval '399 days' END
            """
        )
        cursor.execute(
            """
            UPDATE subscribers_subscriber SET
              confirmed_at = GREATEST(confirmed_at, created_at + interval '1 hour'),
              unsubscribed_at = CASE WHEN status = 'unsubscribed' THEN created_at + random() * (now() - created_at) END,
              updated_at = created_at + random() * (now() - created_at)
            """
        )
        cursor.execute(
            """
            UPDATE papers_ingestionrun SET
              started_at = now() - (id * interval '8 hours'),
              finished_at = now() - (id * interval '8 hours') + interval '1 minute'
            """
        )
        cursor.execute(
            """
            INSERT INTO newsletter_delivery (subscriber_id, period, status, created_at, updated_at, sent_at,
                                             message_id, attempts, error, new_papers, skip_reason)
            SELECT s.id, to_char(now() - w * interval '7 days', 'IYYY-"W"IW'),
                   CASE WHEN random() < 0.03 THEN 'failed' ELSE 'sent' END,
                   now() - w * interval '7 days', now() - w * interval '7 days' + random() * interval '2 days',
                   now() - w * interval '7 days' + random() * interval '2 days', '', 1, '', 10, ''
            FROM subscribers_subscriber s CROSS JOIN generate_series(0, 3) AS w
            WHERE s.status = 'active'
            """
        )
        cursor.execute("UPDATE newsletter_delivery SET sent_at = NULL, error = '550 5.1.1 User unknown' "
                       "WHERE status = 'failed'")  # fmt: skip
        cursor.execute("ANALYZE")


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database for the next run")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/dashboard.py: set DATABASE_URL to a PostgreSQL server (postgres://...)")

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    # Not test_<name>: pytest would flush a database of that name under a kept benchmark.
    connection.settings_dict["TEST"] = {**connection.settings_dict.get("TEST", {}), "NAME": f"bench_{old_name}"}
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keep, serialize=False)
    try:
        if not Subscriber.objects.exists():
            start = time.perf_counter()
            build()
            print(f"built the data in {time.perf_counter() - start:.1f} s")
        print(
            f"data: {Subscriber.objects.count():,} subscribers, {Paper.objects.count():,} papers, "
            f"{SubscriberTopic.objects.count():,} subscriber topics, {PaperTopic.objects.count():,} paper topics, "
            f"{Delivery.objects.count():,} deliveries, {IngestionRun.objects.count():,} ingestion runs"
        )
        admin, _ = User.objects.get_or_create(username="bench", defaults={"is_staff": True, "is_superuser": True})
        client = Client()
        client.force_login(admin)
        client.get("/admin/")  # warm caches and connections

        now = timezone.now()
        figures = {
            name: getattr(dashboard, name)
            for name in [
                "last_ingestions", "failed_runs_last_7_days", "deliveries_this_period", "subscribers_by_status",
                "suppressed_addresses", "subscribers_by_week", "papers_ingested_per_day", "deliveries_per_day",
                "top_papers_this_week", "schedules", "sending_switch", "failed_periods", "recent_runs",
                "recent_failed_deliveries",
            ]
        }  # fmt: skip
        without_now = {"subscribers_by_status", "suppressed_addresses", "sending_switch", "failed_periods",
                       "recent_runs", "recent_failed_deliveries"}  # fmt: skip
        print("median time per figure (ms):")
        for name, function in figures.items():
            arguments = [] if name in without_now else [now]
            median = statistics.median(timed(function, *arguments) for _ in range(args.runs))
            print(f"  {name:28} {median * 1000:8.1f}")
        sets = coverage.active_topic_sets()
        for name, function, arguments in [
            ("active_topic_sets", coverage.active_topic_sets, []),
            ("followers_per_topic (sets)", coverage.followers_per_topic, [sets]),
            ("topic_coverage (sets)", coverage.topic_coverage, [now, sets]),
        ]:
            median = statistics.median(timed(function, *arguments) for _ in range(args.runs))
            print(f"  {name:28} {median * 1000:8.1f}")
        ping = statistics.median(timed(dashboard.workers_answering, True) for _ in range(3))
        print(f"  {'workers_answering (ping)':28} {ping * 1000:8.1f}  (no worker running: waits WORKER_PING_TIMEOUT)")

        times, counts = [], []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get("/admin/")
                times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.status_code
            counts.append(len(queries.captured_queries))
        print(
            f"GET /admin/: median {statistics.median(times) * 1000:.0f} ms over {args.runs} runs "
            f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}), {counts[0]} queries"
            + ("" if len(set(counts)) == 1 else f" (varied: {sorted(set(counts))})")
        )
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
