from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from newsletter.claims import ANALYZE_AFTER, batches, claim_and_sweep, claim_due
from newsletter.models import Delivery, SendingSwitch
from subscribers.models import Subscriber
from tests.factories import make_subscriber
from tests.newsletter.threads import run_together

MONDAY_8 = datetime(2026, 11, 30, 8, tzinfo=UTC)

pytestmark = pytest.mark.frozen(MONDAY_8)


def due_subscribers(count: int, at: datetime = MONDAY_8) -> list[Subscriber]:
    return [make_subscriber(weekday=0, hour=8, timezone="UTC", next_digest_at=at) for _ in range(count)]


@pytest.mark.django_db(transaction=True)
def test_it_creates_one_delivery_per_subscriber_with_two_concurrent_ticks():
    subscribers = due_subscribers(60)
    results = run_together(lambda: claim_due(MONDAY_8 + timedelta(minutes=1), on_commit=None))
    claimed = results[0] + results[1]
    assert len(claimed) == len(set(claimed)) == 60
    assert Delivery.objects.count() == 60
    assert set(Delivery.objects.values_list("subscriber_id", flat=True)) == {s.id for s in subscribers}
    assert not Subscriber.objects.filter(next_digest_at__lte=MONDAY_8).exists()


@pytest.mark.django_db
def test_it_claims_a_subscriber_once_however_often_the_tick_runs():
    due_subscribers(3)
    first, _ = claim_and_sweep(MONDAY_8 + timedelta(minutes=2), on_commit=None)
    second, _ = claim_and_sweep(MONDAY_8 + timedelta(minutes=7), on_commit=None)
    assert len(first) == 3 and second == []
    assert set(Delivery.objects.values_list("period", "status")) == {("2026-W49", "queued")}
    assert set(Subscriber.objects.values_list("next_digest_at", flat=True)) == {MONDAY_8 + timedelta(days=7)}


@pytest.mark.django_db
def test_it_catches_up_with_one_digest_after_a_missed_week():
    (subscriber,) = due_subscribers(1, at=MONDAY_8 - timedelta(days=14))
    claimed, _ = claim_and_sweep(MONDAY_8 + timedelta(days=1), on_commit=None)  # beat was down for over two weeks
    assert len(claimed) == 1
    assert claim_and_sweep(MONDAY_8 + timedelta(days=1, minutes=5), on_commit=None) == ([], [])
    subscriber.refresh_from_db()
    assert subscriber.next_digest_at == MONDAY_8 + timedelta(days=7)
    assert Delivery.objects.get().period == "2026-W47"


@pytest.mark.django_db
def test_it_claims_nothing_while_sending_is_paused():
    due_subscribers(2)
    SendingSwitch.set(paused=True, reason="provider incident")
    assert claim_and_sweep(MONDAY_8, on_commit=None) == ([], [])
    assert not Delivery.objects.exists()
    SendingSwitch.set(paused=False)
    assert len(claim_and_sweep(MONDAY_8, on_commit=None)[0]) == 2


@pytest.mark.django_db
def test_it_queues_the_claimed_ids_after_commit(django_capture_on_commit_callbacks):
    due_subscribers(150)
    queued = []
    with django_capture_on_commit_callbacks(execute=True):
        claimed, _ = claim_and_sweep(MONDAY_8, on_commit=queued.append)
    assert sorted(sum(queued, [])) == sorted(claimed)
    assert batches(claimed) == [claimed]  # 150 deliveries are one task


@pytest.mark.parametrize(
    ("count", "sizes"), [(0, []), (1, [1]), (500, [500]), (501, [250, 251]), (1001, [333, 334, 334])]
)
def test_batches_are_as_few_as_fit_and_evenly_sized(count, sizes):
    ids = list(range(count))
    made = batches(ids, 500)
    assert [len(b) for b in made] == sizes
    assert sum(made, []) == ids


@pytest.mark.django_db
def test_it_queues_again_the_deliveries_whose_retry_time_has_come():
    subscriber = make_subscriber(next_digest_at=MONDAY_8 + timedelta(days=7))
    ready = Delivery.objects.create(
        subscriber=subscriber, period="2026-W49", status=Delivery.Status.RETRY, retry_at=MONDAY_8
    )
    Delivery.objects.create(
        subscriber=subscriber, period="2026-W48", status=Delivery.Status.RETRY, retry_at=MONDAY_8 + timedelta(hours=1)
    )
    assert claim_and_sweep(MONDAY_8 + timedelta(minutes=1), on_commit=None) == ([], [ready.id])


@pytest.mark.django_db
def test_it_leaves_inactive_subscribers_alone():
    make_subscriber(status=Subscriber.Status.UNSUBSCRIBED, next_digest_at=MONDAY_8)
    make_subscriber(status=Subscriber.Status.BOUNCED, next_digest_at=MONDAY_8)
    assert claim_and_sweep(MONDAY_8, on_commit=None) == ([], [])


@pytest.mark.django_db
def test_beat_runs_the_tick_every_five_minutes():
    task = PeriodicTask.objects.get(task="newsletter.tasks.tick")
    assert task.enabled and (task.interval.every, task.interval.period) == (5, "minutes")


def untouched_for(status: str) -> tuple[Delivery, Delivery]:
    """A delivery untouched since just past the task time limit, and one untouched for a shorter while."""
    from django.conf import settings

    subscriber = make_subscriber(next_digest_at=MONDAY_8 + timedelta(days=7))
    made = [Delivery.objects.create(subscriber=subscriber, period=p, status=status) for p in ("2026-W48", "2026-W47")]
    limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    Delivery.objects.filter(id=made[0].id).update(updated_at=timezone.now() - limit - timedelta(seconds=1))
    Delivery.objects.filter(id=made[1].id).update(updated_at=timezone.now() - limit + timedelta(seconds=30))
    return made[0], made[1]


@pytest.mark.django_db
def test_it_queues_again_a_delivery_left_sending_longer_than_the_task_time_limit():
    stuck, fresh = untouched_for(Delivery.Status.SENDING)
    assert claim_and_sweep(MONDAY_8, on_commit=None) == ([], [stuck.id])
    stuck.refresh_from_db()
    assert stuck.status == Delivery.Status.RETRY and stuck.error.startswith("Interrupted while sending")
    assert Delivery.objects.get(id=fresh.id).status == Delivery.Status.SENDING


@pytest.mark.django_db
def test_it_queues_again_deliveries_whose_task_was_lost_after_the_task_time_limit():
    lost, waiting = untouched_for(Delivery.Status.QUEUED)
    assert claim_and_sweep(MONDAY_8, on_commit=None) == ([], [lost.id])
    assert Delivery.objects.get(id=waiting.id).status == Delivery.Status.QUEUED


@pytest.mark.django_db
def test_the_beat_task_claims_due_subscribers(django_capture_on_commit_callbacks):
    from newsletter import tasks

    due_subscribers(2)
    with time_machine.travel(MONDAY_8 + timedelta(minutes=1)), django_capture_on_commit_callbacks() as queued:
        assert tasks.tick.apply().get() == 2
    assert Delivery.objects.filter(status=Delivery.Status.QUEUED).count() == 2 and len(queued) == 1


def delivery_rows_planned() -> float:
    """The number of deliveries PostgreSQL's planner believes the table holds (pg_class.reltuples)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Delivery._meta.db_table])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_large_claim_refreshes_the_planner_statistics_the_send_is_planned_on():
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Delivery._meta.db_table}")  # as autovacuum left it before the period: empty
    assert delivery_rows_planned() == 0
    due = {"status": Subscriber.Status.ACTIVE, "weekday": 0, "hour": 8, "timezone": "UTC", "next_digest_at": MONDAY_8}
    Subscriber.objects.bulk_create(Subscriber(email=f"reader{n}@example.com", **due) for n in range(ANALYZE_AFTER))
    claimed, _ = claim_and_sweep(MONDAY_8, on_commit=None)
    assert len(claimed) == ANALYZE_AFTER
    assert delivery_rows_planned() == ANALYZE_AFTER  # the batches are planned on the rows the claim made
