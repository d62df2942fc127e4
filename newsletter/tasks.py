from celery import shared_task

from newsletter import delivery
from newsletter import tick as ticking


@shared_task(ignore_result=False)
def ping(value: str) -> str:
    """Answer with what it was given: proves a worker is consuming the broker."""
    return f"pong:{value}"


@shared_task
def tick() -> int:
    """The beat job: claim due subscribers and queue their deliveries."""
    claimed, _ = ticking.tick()
    return len(claimed)


@shared_task(bind=True, max_retries=None)
def send_batch(self, delivery_ids: list[int]) -> None:
    """Send one batch of deliveries; those that failed temporarily come back after a backoff."""
    result = delivery.send_batch(delivery_ids)
    if result.retry_ids:
        raise self.retry(args=(result.retry_ids,), countdown=int(result.retry_in.total_seconds()))
