"""Helpers for the reader's path: a filled-in subscribe form that a person (not a bot) would send."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from subscribers.forms import form_started_token
from tests.factories import make_topic


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate-limit counters live in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def topics(db):
    return [make_topic("llm", "Language models"), make_topic("vision", "Computer vision")]


def started_seconds_ago(seconds: int = 60) -> str:
    with time_machine.travel(timezone.now() - timedelta(seconds=seconds), tick=False):
        return form_started_token()


def form_data(email: str = "ada@example.com", **overrides) -> dict:
    data = {
        "email": email,
        "topics": ["llm"],
        "follow_keywords": "",
        "mute_keywords": "",
        "frequency": "weekly",
        "weekday": "0",
        "hour": "8",
        "timezone": "UTC",
        "paper_count": "10",
        "website": "",
        "started": started_seconds_ago(),
    }
    data.update(overrides)
    return data


def link_in(text: str, path: str) -> str:
    """The one absolute link in an email body whose path starts with `path`."""
    (link,) = set(re.findall(rf"https?://[^\s\"<>]+{re.escape(path)}[^\s\"<>]+", text))
    return link


class MailWorker:
    """A real worker process whose email goes to a real SMTP server on loopback."""

    def __init__(self, site_url: str | None = None):
        from tests.conftest import WorkerProcess, purge_broker
        from tests.smtp import SMTPServer

        self.smtp = SMTPServer().start()
        env = {"EMAIL_URL": self.smtp.url}
        if site_url:
            env["SITE_URL"] = site_url
        purge_broker()
        self.worker = WorkerProcess(extra_env=env).start()

    def settle(self) -> None:
        """Wait until the worker has run every task queued so far (one process, one task at a time, in order)."""
        from newsletter.tasks import ping

        try:
            ping.delay("settle").get(timeout=90)
        except Exception:
            pytest.fail(f"the worker did not answer; its log:\n{self.worker.output()[-3000:]}")

    def messages_to(self, address: str):
        self.settle()
        return self.smtp.handler.to(address)

    @property
    def messages(self):
        self.settle()
        return list(self.smtp.messages)

    def clear(self) -> None:
        with self.smtp.handler.lock:
            self.smtp.handler.messages.clear()

    def stop(self) -> None:
        self.worker.stop()
        self.smtp.stop()


@pytest.fixture(scope="module")
def mail_worker(django_db_setup, django_db_blocker):
    worker = MailWorker()
    yield worker
    worker.stop()


@pytest.fixture
def outbox(mail_worker, transactional_db):
    """What the worker emails during this test; the test's rows are committed so the worker sees them."""
    mail_worker.clear()
    yield mail_worker
    mail_worker.settle()
