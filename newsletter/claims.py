"""The beat's tick: claim the subscribers whose digest is due, record one Delivery per period, sweep lost work.

Every function that queues deliveries takes `on_commit`: what to call with their ids once the claim is
committed (`newsletter.tasks.enqueue_batches`; None in tests and `send_digests`, which send themselves)."""

from collections import defaultdict
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from newsletter.models import Delivery, DeliveryItem, SendingSwitch
from newsletter.scheduling import next_digest_at, period_key, schedule_unscheduled
from subscribers.models import Subscriber

CLAIM_CHUNK = 1000
BATCH_SIZE = 500  # deliveries per task at most: a batch's queries and its SMTP connection shared by this many
ANALYZE_AFTER = 1000  # deliveries one claim creates before the planner's statistics are refreshed
INTERRUPTED = "Interrupted while sending (worker killed); sent again"


def stale_after() -> timedelta:
    """No task runs longer than its time limit, so a delivery untouched for longer has lost its task
    (a killed worker, a Redis restarted without persistence) and is queued again."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


SCHEDULE_FIELDS = ("id", "next_digest_at", "frequency", "weekday", "hour", "timezone")


def batches(ids: list[int], size: int = BATCH_SIZE) -> list[list[int]]:
    """`ids` in as few batches of at most `size` as they fit in, evenly sized (1,001 ids: 333, 334 and 334)."""
    count = -(-len(ids) // size)
    return [ids[n * len(ids) // count : (n + 1) * len(ids) // count] for n in range(count)]


def _move_forward(rows: list[dict], now: datetime) -> list[tuple[dict, datetime]]:
    """Move each row's next_digest_at past `now` where it still holds the value read; return the rows won."""
    by_move: dict[tuple[datetime, datetime], list[dict]] = defaultdict(list)
    for row in rows:
        by_move[(row["next_digest_at"], next_digest_at(SimpleNamespace(**row), now))].append(row)
    won = []
    for (old, new), group in by_move.items():
        if connection.features.has_select_for_update_skip_locked:
            # The rows are locked by this transaction, so one UPDATE per distinct move claims them all.
            ids = [row["id"] for row in group]
            moved = Subscriber.objects.filter(id__in=ids, next_digest_at=old).update(next_digest_at=new)
            if moved != len(ids):
                raise RuntimeError(f"claimed {moved} of {len(ids)} locked subscribers")
            won.extend((row, old) for row in group)
        else:
            for row in group:
                if Subscriber.objects.filter(id=row["id"], next_digest_at=old).update(next_digest_at=new):
                    won.append((row, old))
    return won


def _due_chunk(now: datetime) -> list[dict]:
    """The next due readers' schedule fields, locked; rows another tick holds are skipped, not waited for."""
    return list(
        Subscriber.objects.select_for_update(skip_locked=True)
        .receiving()
        .filter(next_digest_at__lte=now)
        .order_by("next_digest_at", "id")
        .values(*SCHEDULE_FIELDS)[:CLAIM_CHUNK]
    )


def _record_deliveries(won: list[tuple[dict, datetime]]) -> list[int]:
    """One queued Delivery per (reader, period) won; the ids of those this claim created."""
    wanted = {(row["id"], period_key(SimpleNamespace(**row), slot_time)): slot_time for row, slot_time in won}
    Delivery.objects.bulk_create(
        [Delivery(subscriber_id=sid, period=period, scheduled_for=at) for (sid, period), at in wanted.items()],
        ignore_conflicts=True,  # the unique (subscriber, period) row may already exist: never a second one
    )
    claimed = Delivery.objects.filter(subscriber_id__in=[sid for sid, _ in wanted], status=Delivery.Status.CLAIMED)
    rows = claimed.values_list("id", "subscriber_id", "period")
    created = [pk for pk, sid, period in rows if (sid, period) in wanted]
    Delivery.objects.filter(id__in=created, status=Delivery.Status.CLAIMED).move(Delivery.Status.QUEUED)
    return created


def refresh_statistics() -> None:
    """ANALYZE the delivery tables (PostgreSQL), so the send's queries are planned on their rows as they now are.

    A claim of thousands of readers changes these tables faster than autovacuum looks at them (once a
    minute at best; never where it is off). On statistics from before the claim, the planner expects a
    batch's hundred readers to match half the deliveries and reads them all to find their earlier digests,
    once per batch: a cost per digest that grows with the readers. On fresh ones it takes the index.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Delivery._meta.db_table}, {DeliveryItem._meta.db_table}")


def claim_due(now: datetime, *, on_commit) -> list[int]:
    """Claim every due active subscriber once and return the ids of the deliveries created for them.

    A missed tick (beat down for a week) claims a subscriber once and moves next_digest_at past `now`,
    so it catches up with one digest, never several. Each chunk of readers is one transaction. Once the
    claim has created ANALYZE_AFTER deliveries the tables' statistics are refreshed, and again each time
    the count doubles (1,000, 2,000, 4,000, ...): the first batches already run on fresh plans.
    """
    delivery_ids: list[int] = []
    analyze_at = ANALYZE_AFTER
    while True:
        with transaction.atomic():
            rows = _due_chunk(now)
            if not rows:
                return delivery_ids
            created = _record_deliveries(_move_forward(rows, now))
            if on_commit and created:
                # robust: a broker that is down must not stop the claim; the rows are queued, the sweep sends them
                transaction.on_commit(lambda ids=created: on_commit(ids), robust=True)
            delivery_ids.extend(created)
        if len(delivery_ids) >= analyze_at:
            refresh_statistics()
            analyze_at = 2 * len(delivery_ids)


def sweep(now: datetime, *, on_commit) -> list[int]:
    """Queue again the deliveries whose retry time has come and those whose task was lost.

    Where claims are committed before the send (SQLite), a delivery left "sending" by a killed worker is
    sent again: the promise is that nothing is lost, at the price of one possible duplicate.
    """
    stale = timezone.now() - stale_after()
    Delivery.objects.filter(status=Delivery.Status.SENDING, updated_at__lt=stale).move(
        Delivery.Status.RETRY, retry_at=now, error=INTERRUPTED
    )
    ids = list(
        Delivery.objects.filter(
            Q(status=Delivery.Status.RETRY, retry_at__lte=now)
            | Q(status__in=[Delivery.Status.QUEUED, Delivery.Status.CLAIMED], updated_at__lt=stale)
        ).values_list("id", flat=True)
    )
    if ids and on_commit:
        Delivery.objects.filter(id__in=ids, status__in=Delivery.SENDABLE).touch()
        transaction.on_commit(lambda: on_commit(ids), robust=True)
    return ids


def claim_and_sweep(now: datetime | None = None, *, on_commit) -> tuple[list[int], list[int]]:
    """One beat: schedule new subscribers, claim the due ones, sweep retries.

    Returns the ids of the new deliveries and of those queued again.
    """
    now = now or timezone.now()
    if SendingSwitch.is_paused():
        return [], []
    schedule_unscheduled(now)
    claimed = claim_due(now, on_commit=on_commit)
    return claimed, sweep(now, on_commit=on_commit)


def resume_sending(reason: str = "", *, on_commit) -> list[int]:
    """Switch sending back on and queue at once what the pause held back, so it continues where it stopped.

    The one way to resume: the dashboard's button and the switch's admin page both call it.
    """
    with transaction.atomic():
        SendingSwitch.set(False, reason)
        ids = list(
            Delivery.objects.filter(
                Q(status__in=[Delivery.Status.QUEUED, Delivery.Status.CLAIMED])
                | Q(status=Delivery.Status.RETRY, retry_at__lte=timezone.now())
            ).values_list("id", flat=True)
        )
        if ids and on_commit:
            transaction.on_commit(lambda: on_commit(ids), robust=True)
    return ids


def request_digest_now(subscriber: Subscriber, now: datetime | None = None, *, on_commit) -> Delivery | None:
    """Queue an extra digest for one reader ("send me my digest now", an operator's test send).

    One per hour: the period key makes a double click or a replayed request harmless (returns None).
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            delivery = Delivery.objects.create(
                subscriber=subscriber, period=f"now-{now:%Y-%m-%dT%H}", scheduled_for=now
            )
            if on_commit:
                transaction.on_commit(lambda: on_commit([delivery.id]))
    except IntegrityError:
        return None
    return delivery
