import json
import math
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsletter.compose import Digest, Item, compose_ids, pools, record_picks
from newsletter.models import Delivery, DeliveryItem
from newsletter.render import Renderer
from subscribers.models import Subscriber
from tests.factories import make_delivery, make_paper, make_subscriber

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
SLUGS = ["llm", "vision", "agents", "rl", "efficiency"]

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(NOW)]


def deliveries(count: int, week: int) -> list[int]:
    ids = []
    for n in range(count):
        reader = make_subscriber(
            topics=SLUGS[n % 5 : n % 5 + 2],
            follow_keywords=["agents"] if n % 3 else [],
            mute_keywords=["video"] if n % 4 == 0 else [],
            paper_count=3 + n % 8,
        )
        ids.append(make_delivery(reader, f"2026-W{week}").id)
    return ids


def test_it_composes_a_batch_of_a_hundred_digests_in_as_many_queries_as_ten(django_assert_num_queries):
    for n in range(40):
        make_paper(topics={SLUGS[n % 5]: 0.5 + n % 5 / 10}, upvotes=n, abstract="agents and video" * (n % 2))
    small = deliveries(10, 48)
    with CaptureQueriesContext(connection) as ten:
        digests = compose_ids(small, NOW)
    assert all(d.items for d in digests)
    large = deliveries(100, 49)
    rows = sum(3 + n % 8 for n in range(100))
    # The picks go in one multi-row INSERT; only SQLite's 999-parameter cap splits it (no split on PostgreSQL).
    fields = [f for f in DeliveryItem._meta.concrete_fields if not f.primary_key]
    inserts = math.ceil(rows / (connection.ops.bulk_batch_size(fields, [None] * rows) or rows))
    pools.clear()  # the pool is loaded again, as for the first batch
    with django_assert_num_queries(len(ten.captured_queries) - 1 + inserts):
        digests = compose_ids(large, NOW)
        renderer = Renderer()
        for digest in digests:
            renderer.render(digest)
    assert len(digests) == 100 and all(len(d.items) == d.subscriber.paper_count for d in digests)


def test_a_worker_reuses_the_pool_of_earlier_batches_until_a_paper_changes():
    papers = [make_paper(topics={"llm": 0.9}, upvotes=n) for n in range(6)]
    with CaptureQueriesContext(connection) as first:
        (digest,) = compose_ids(deliveries(1, 48), NOW)
    with CaptureQueriesContext(connection) as second:
        (again,) = compose_ids(deliveries(1, 49), NOW)
    top = papers[-1]
    assert digest.items[0].paper["id"] == again.items[0].paper["id"] == top.id
    assert len(second.captured_queries) < len(first.captured_queries)  # no paper, score or history reloaded

    top.hidden = True
    top.save()
    (after,) = compose_ids(deliveries(1, 50), NOW)
    assert top.id not in [item.paper["id"] for item in after.items]


def planned_items_of_one_delivery(delivery_id: int) -> float:
    plan = json.loads(DeliveryItem.objects.filter(delivery_id=delivery_id).explain(format="json"))
    return plan[0]["Plan"]["Plan Rows"]


def test_the_planner_expects_a_digest_worth_of_items_per_delivery_as_the_table_outgrows_its_statistics():
    """A batch's earlier picks are found through each delivery's items: the planner must expect a digest's worth
    (at most 25), not the table's rows divided among the deliveries it counted at its last ANALYZE."""
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    papers = [make_paper(topics={"llm": 0.5}) for _ in range(12)]

    def delivered(first: int, count: int) -> list[Delivery]:
        readers = Subscriber.objects.bulk_create(
            Subscriber(email=f"r{n}@example.com") for n in range(first, first + count)
        )
        made = Delivery.objects.bulk_create(Delivery(subscriber=r, period="2026-W48") for r in readers)
        DeliveryItem.objects.bulk_create(
            DeliveryItem(delivery=d, paper=p, position=n, reason="Trending in LLMs")
            for d in made
            for n, p in enumerate(papers)
        )
        return made

    delivered(0, 200)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {DeliveryItem._meta.db_table}")  # early in a period's send: 200 digests recorded
    since = delivered(200, 400)  # the rest of the period, recorded since
    assert planned_items_of_one_delivery(since[-1].id) <= 25


def test_the_picks_are_recorded_in_order_with_their_reasons_as_they_were_written():
    papers = [make_paper(topics={"llm": 0.5}) for _ in range(3)]
    delivery = make_delivery(make_subscriber())
    reasons = ['Close to “Ünïcode \\\\ "quoted" 注意’s', "Because you follow {a,b} and NULL", "x" * 300]
    items = [Item({"id": p.id}, reason, n == 2, []) for n, (p, reason) in enumerate(zip(papers, reasons, strict=True))]
    record_picks([Digest(delivery, delivery.subscriber, "week of 30 November 2026", ["LLMs"], items)])

    stored = DeliveryItem.objects.filter(delivery=delivery).order_by("position")
    assert list(stored.values_list("paper_id", "position", "reason", "fill")) == [
        (p.id, n, reason, n == 3) for n, (p, reason) in enumerate(zip(papers, reasons, strict=True), start=1)
    ]
