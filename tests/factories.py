"""Builders and personas shared by the tests.

Every date a builder sets comes from `now` (default: the clock at call time, which is the frozen
moment inside `@pytest.mark.frozen`), so that a test's rows and the moment it runs at always agree.
"""

import itertools
from datetime import UTC, date, datetime

from django.utils import timezone

from newsletter.models import Delivery
from papers.models import Paper, PaperTopic, Topic
from subscribers.models import Subscriber, SubscriberTopic

_ids = itertools.count(1)


def week_of(moment: datetime | date) -> str:
    """The ISO week of a day, or of a moment in UTC, as periods are written: `2026-W48`."""
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def make_topic(slug: str = "llm", name: str | None = None, **fields) -> Topic:
    topic, _ = Topic.objects.get_or_create(slug=slug, defaults={"name": name or slug.title(), **fields})
    return topic


def make_paper(topics: dict[str, float] | None = None, now: datetime | None = None, **fields) -> Paper:
    """A paper trending on the day of `now`; `topics` maps topic slugs to scores."""
    n = next(_ids)
    fields.setdefault("arxiv_id", f"2611.{n:05d}")
    fields.setdefault("title", f"Paper number {n}")
    fields.setdefault("abstract", f"The abstract of paper number {n}.")
    fields.setdefault("authors", ["Ada Lovelace", "Alan Turing"])
    fields.setdefault("trending_date", timezone.localdate(now or timezone.now()))
    paper = Paper.objects.create(**fields)
    for slug, score in (topics or {}).items():
        PaperTopic.objects.create(paper=paper, topic=make_topic(slug), score=score)
    return paper


def make_subscriber(
    email: str | None = None, topics: dict[str, float] | list[str] | None = None, **fields
) -> Subscriber:
    """An active subscriber; `topics` is a list of slugs or a mapping of slug to weight."""
    fields.setdefault("status", Subscriber.Status.ACTIVE)
    subscriber = Subscriber.objects.create(email=email or f"reader{next(_ids)}@example.com", **fields)
    weights = topics if isinstance(topics, dict) else {slug: 1.0 for slug in (topics or ["llm"])}
    for slug, weight in weights.items():
        SubscriberTopic.objects.create(subscriber=subscriber, topic=make_topic(slug), weight=weight)
    return subscriber


def make_delivery(subscriber: Subscriber, period: str | None = None, now: datetime | None = None, **fields):
    """A delivery waiting for a worker, as the tick leaves it; its period defaults to the week of `now`."""
    fields.setdefault("status", Delivery.Status.QUEUED)
    return Delivery.objects.create(subscriber=subscriber, period=period or week_of(now or timezone.now()), **fields)
