"""Fault injection: many readers, a real worker process, real PostgreSQL/Redis, a loopback SMTP server.

Every test checks the promise: each reader gets exactly one digest (missing = 0, duplicates = 0 except
the counted ambiguous case), and no delivery is left claimed, queued, sending or waiting.
"""

import contextlib
import os
import random
import shutil
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from kombu import Connection

from newsletter.claims import batches, claim_and_sweep
from newsletter.models import Delivery
from papers.models import PaperTopic
from subscribers.models import Subscriber, SubscriberTopic
from tests.conftest import REQUIRE_SERVICES, CeleryProcess, WorkerProcess, purge_broker, wait_for
from tests.factories import make_paper, make_topic

# 2,000 readers as the promise is stated; FAULT_READERS lowers it where CI time is short.
READERS = int(os.environ.get("FAULT_READERS", "2000"))
# FAULT_REPEAT=10 runs the kill tests ten times, at random points of the run.
REPEAT = int(os.environ.get("FAULT_REPEAT", "1"))
# Short limits so lost work is found in seconds: the sweep re-queues what is untouched past the time limit.
TIME_LIMIT = 20
SMTP_TIMEOUT = 3
UNFINISHED = [Delivery.Status.CLAIMED, Delivery.Status.QUEUED, Delivery.Status.SENDING, Delivery.Status.RETRY]


@pytest.fixture(autouse=True)
def postgres_and_redis(redis_url):
    """The faults are those of the production stack: PostgreSQL row locks and a Redis broker."""
    from django.db import connection

    if connection.vendor != "postgresql":
        if REQUIRE_SERVICES:
            pytest.fail("REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL")
        pytest.skip("the fault tests run on PostgreSQL (DATABASE_URL)")


@pytest.fixture
def fault_settings(settings, transactional_db):
    settings.CELERY_TASK_TIME_LIMIT = TIME_LIMIT
    settings.CELERY_TASK_SOFT_TIME_LIMIT = TIME_LIMIT - 2
    return settings


def readers(count: int = READERS) -> list[str]:
    """`count` active readers due now, following one topic with a dozen fresh papers."""
    topic = make_topic("llm", "Language models")
    papers = [make_paper(upvotes=n) for n in range(12)]
    PaperTopic.objects.bulk_create([PaperTopic(paper=p, topic=topic, score=0.9) for p in papers])
    due = timezone.now() - timedelta(minutes=1)
    made = Subscriber.objects.bulk_create(
        [
            Subscriber(email=f"fault{n:05d}@example.com", status=Subscriber.Status.ACTIVE, next_digest_at=due)
            for n in range(count)
        ],
        batch_size=1000,
    )
    SubscriberTopic.objects.bulk_create([SubscriberTopic(subscriber=s, topic=topic) for s in made], batch_size=1000)
    return [s.email for s in made]


def publisher(broker_url: str):
    """What the tick calls after commit: publish the batches to `broker_url` (the test's own Redis, maybe)."""
    from newsletter.tasks import send_batch

    def publish(ids: list[int]) -> None:
        with Connection(broker_url, connect_timeout=2) as conn:
            for batch in batches(ids):
                send_batch.apply_async((batch,), connection=conn, retry=False)

    return publish


class Beat:
    """Plays celery beat: a tick (claim, sweep) at most every `every` seconds, whenever it is polled."""

    def __init__(self, broker_url: str, every: float = 2.0):
        self.publish = publisher(broker_url)
        self.every = every
        self.last = 0.0

    def __call__(self) -> None:
        if time.monotonic() - self.last < self.every:
            return
        self.last = time.monotonic()
        claim_and_sweep(on_commit=self.publish)


def celery_env(broker_url: str) -> dict:
    """What a worker or beat process of these tests runs with: their broker and the short task time limit."""
    return {"REDIS_URL": broker_url, "CELERY_TASK_TIME_LIMIT": str(TIME_LIMIT), "LOG_LEVEL": "WARNING"}


def worker(smtp, broker_url: str, concurrency: int = 2) -> WorkerProcess:
    env = {**celery_env(broker_url), "EMAIL_URL": f"{smtp.url}?timeout={SMTP_TIMEOUT}"}
    return WorkerProcess(extra_env=env, concurrency=concurrency).start()


def run_until_done(beat: Beat | None, smtp, emails: list[str], timeout: float = 600, then=None) -> None:
    """Tick (unless real beat processes do) until every delivery is finished; `then(sent_count)` runs on each poll."""

    def done() -> bool:
        if beat:
            beat()
        if then:
            then(sum(smtp.handler.recipients().values()))
        return not Delivery.objects.filter(status__in=UNFINISHED).exists() and Delivery.objects.count() >= len(emails)

    wait_for(done, timeout=timeout, interval=0.5, message="every delivery finished")


def run_with_worker(smtp, broker_url: str, emails: list[str], then=None) -> None:
    """Start a worker, play beat until every reader has their digest, stop the worker."""
    purge_broker()
    w = worker(smtp, broker_url)
    try:
        run_until_done(Beat(broker_url), smtp, emails, then=then)
    finally:
        w.stop()


def tally(smtp, emails: list[str]) -> tuple[int, int]:
    """(missing, duplicates) among `emails`, as the SMTP server received them."""
    got = smtp.handler.recipients()
    missing = sum(1 for e in emails if got[e] == 0)
    duplicates = sum(got[e] - 1 for e in emails if got[e] > 1)
    return missing, duplicates


def report(name: str, missing: int, duplicates: int, **extra) -> None:
    """One line per run in FAULT_LOG (default: faults.log beside the run's process logs), the source of
    docs/reliability.md's table."""
    line = " ".join([name, f"readers={READERS}", f"missing={missing}", f"duplicates={duplicates}"])
    line += "".join(f" {k}={v}" for k, v in extra.items())
    log = Path(os.environ.get("FAULT_LOG") or CeleryProcess.log_folder / "faults.log")
    print(f"fault run: {line}")
    with log.open("a") as f:
        f.write(f"{timezone.now():%Y-%m-%dT%H:%M:%S} {line}\n")


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def kill9(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.kill(pid, signal.SIGKILL)


def random_point(low: float, high: float) -> float:
    return random.uniform(low, high) if REPEAT > 1 else (low + high) / 2


class OwnRedis:
    """A redis-server of the test's own on a free port, without persistence: a restart loses every message."""

    def __init__(self):
        from tests.smtp import free_port

        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "OwnRedis":
        import redis

        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        wait_for(lambda: _answers(client), timeout=10, message="redis-server to answer")
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _answers(client) -> bool:
    import redis

    try:
        return client.ping()
    except redis.RedisError:
        return False


@pytest.fixture
def own_redis():
    if not shutil.which("redis-server"):
        if REQUIRE_SERVICES:
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    server = OwnRedis().start()
    yield server
    server.kill()
