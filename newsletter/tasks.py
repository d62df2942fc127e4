from celery import shared_task


@shared_task(ignore_result=False)
def ping(value: str) -> str:
    """Answer with what it was given: proves a worker is consuming the broker."""
    return f"pong:{value}"
