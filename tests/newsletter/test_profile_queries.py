"""Profiles cost a batch a fixed number of queries, however many readers have one and however many papers."""

import math
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsletter import profile
from newsletter.compose import compose_ids, pools
from newsletter.models import DeliveryItem, Feedback, ProfileVote
from tests.factories import make_delivery, make_subscriber
from tests.newsletter.corpus import corpus_paper, day_ids

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
SLUGS = ["llm", "vision", "agents", "rl", "efficiency"]

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(NOW)]


def learners(count: int, week: int, liked: list[int]) -> list[int]:
    """Readers who each said "more" and "less" to a few papers, some older than the batch's window."""
    ids = []
    for n in range(count):
        reader = make_subscriber(topics=SLUGS[n % 5 : n % 5 + 2], paper_count=3 + n % 8)
        for k, paper_id in enumerate(liked[n % 7 : n % 7 + 5]):
            direction = Feedback.Direction.LESS if k == 4 else Feedback.Direction.MORE
            profile.learn(reader.pk, paper_id, direction, ProfileVote.Source.DIGEST)
        ids.append(make_delivery(reader, f"2026-W{week}").id)
    return ids


def test_a_batch_of_a_hundred_readers_with_profiles_costs_as_many_queries_as_ten(django_assert_num_queries):
    ids = [("2025-06-03", aid) for aid in day_ids("2025-06-03")] + [("2025-06-04", a) for a in day_ids("2025-06-04")]
    for n, (day, aid) in enumerate(ids[:40]):
        corpus_paper(day, aid, {SLUGS[n % 5]: 0.5 + n % 5 / 10}, upvotes=n, trending_date=NOW.date())
    before = NOW.date() - timedelta(days=40)  # older than the window: their vectors are one more query
    old = [corpus_paper(day, aid, {"llm": 0.9}, trending_date=before) for day, aid in ids[40:52]]
    liked = [p.pk for p in old]
    small = learners(10, 48, liked)
    with CaptureQueriesContext(connection) as ten:
        digests = compose_ids(small, NOW)
    assert all(d.items for d in digests)
    large = learners(100, 49, liked)
    rows = sum(3 + n % 8 for n in range(100))
    fields = [f for f in DeliveryItem._meta.concrete_fields if not f.primary_key]
    inserts = math.ceil(rows / (connection.ops.bulk_batch_size(fields, [None] * rows) or rows))
    pools.clear()  # the pool, its vectors and the liked papers' vectors are loaded again, as for a first batch
    with django_assert_num_queries(len(ten.captured_queries) - 1 + inserts):
        digests = compose_ids(large, NOW)
    assert len(digests) == 100 and all(len(d.items) == d.subscriber.paper_count for d in digests)
    assert any("which you liked" in item.reason for d in digests for item in d.items)
