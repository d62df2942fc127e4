"""A task sent through the broker is run by a real worker process and its answer comes back."""

import pytest

from newsletter.tasks import ping


def test_a_task_round_trips_through_a_worker_on_the_configured_broker(celery_worker):
    result = ping.delay("hello")
    try:
        assert result.get(timeout=60) == "pong:hello"
    except Exception:
        pytest.fail(f"worker did not answer; its log:\n{celery_worker.output()[-3000:]}")


def test_a_task_round_trips_through_a_worker_on_redis(redis_url, transactional_db):
    from django.conf import settings

    from tests.conftest import WorkerProcess, purge_broker

    assert redis_url == settings.CELERY_BROKER_URL
    purge_broker()
    worker = WorkerProcess().start()
    try:
        assert ping.delay("redis").get(timeout=60) == "pong:redis"
    finally:
        worker.stop()
