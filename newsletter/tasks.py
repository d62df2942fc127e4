from datetime import timedelta

from celery import shared_task

from newsletter import claims, delivery


@shared_task(ignore_result=False)
def ping(value: str) -> str:
    """Answer with what it was given: proves a worker is consuming the broker."""
    return f"pong:{value}"


@shared_task
def tick() -> int:
    """The beat job: claim due subscribers and queue their deliveries."""
    claimed, _ = claims.claim_and_sweep(on_commit=enqueue_batches)
    return len(claimed)


def enqueue_batches(delivery_ids: list[int]) -> None:
    """Queue the deliveries for the workers, a batch per task: what the claims call once committed."""
    for batch in claims.batches(delivery_ids):
        send_batch.delay(batch)


# Longer waits are not held in the broker (a countdown outliving the visibility timeout is delivered twice):
# the tick's sweep queues those deliveries again when their retry_at comes.
MAX_COUNTDOWN = timedelta(minutes=5)


@shared_task(bind=True, max_retries=None)
def send_batch(self, delivery_ids: list[int]) -> None:
    """Send one batch of deliveries; those that failed temporarily come back after a short backoff."""
    result = delivery.send_deliveries(delivery_ids)
    if result.leftover_ids:
        send_batch.delay(result.leftover_ids)
    if result.retry_ids and result.retry_in <= MAX_COUNTDOWN:
        raise self.retry(args=(result.retry_ids,), countdown=max(1, int(result.retry_in.total_seconds())))
