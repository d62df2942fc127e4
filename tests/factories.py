"""Builders and personas shared by the tests."""

import itertools
from datetime import date

from papers.models import Paper, PaperTopic, Topic
from subscribers.models import Subscriber, SubscriberTopic

_ids = itertools.count(1)


def make_topic(slug: str = "llm", name: str | None = None, **fields) -> Topic:
    topic, _ = Topic.objects.get_or_create(slug=slug, defaults={"name": name or slug.title(), **fields})
    return topic


def make_paper(topics: dict[str, float] | None = None, **fields) -> Paper:
    """A paper; `topics` maps topic slugs to scores."""
    n = next(_ids)
    fields.setdefault("arxiv_id", f"2611.{n:05d}")
    fields.setdefault("title", f"Paper number {n}")
    fields.setdefault("abstract", f"The abstract of paper number {n}.")
    fields.setdefault("authors", ["Ada Lovelace", "Alan Turing"])
    fields.setdefault("trending_date", date.today())
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


def make_delivery(subscriber: Subscriber, period: str = "2026-W48", **fields):
    """A delivery waiting for a worker, as the tick leaves it."""
    from newsletter.models import Delivery

    fields.setdefault("status", Delivery.Status.QUEUED)
    return Delivery.objects.create(subscriber=subscriber, period=period, **fields)
