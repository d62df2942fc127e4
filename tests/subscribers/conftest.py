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
