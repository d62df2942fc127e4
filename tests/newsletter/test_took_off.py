"""A paper that took off after the reader's previous digest is offered once, with its upvotes then and now."""

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.utils import timezone

from newsletter.compose import compose
from newsletter.models import Delivery
from papers.models import UpvoteSnapshot
from tests.factories import make_delivery, make_paper, make_subscriber

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.frozen(NOW)]
periods = count()


def reasons(reader) -> dict[int, str]:
    queued = make_delivery(reader, period=f"digest-{next(periods)}")
    (digest,) = compose(list(Delivery.objects.filter(id=queued.id).select_related("subscriber")))
    Delivery.objects.filter(id=digest.delivery.id).update(status=Delivery.Status.SENT)
    return {item.paper["id"]: item.reason for item in digest.items}


def test_it_offers_a_paper_that_took_off_once_and_never_again():
    now = timezone.now()
    last = now - timedelta(days=7)
    rocket = make_paper({"llm": 0.9}, now=last - timedelta(days=2), upvotes=300, title="The rocket")
    UpvoteSnapshot.objects.create(paper=rocket, upvotes=12, taken_at=last - timedelta(hours=3))
    steady = make_paper({"llm": 0.9}, now=last - timedelta(days=2), upvotes=200)  # as popular then as now
    UpvoteSnapshot.objects.create(paper=steady, upvotes=190, taken_at=last - timedelta(hours=3))
    elsewhere = make_paper({"vision": 0.9}, now=last - timedelta(days=2), upvotes=900)  # not the reader's topic
    for n in range(3):
        make_paper({"llm": 0.9}, upvotes=10 + n)  # this week's papers
    reader = make_subscriber(topics=["llm"], paper_count=3, last_digest_at=last)

    first = reasons(reader)

    assert first[rocket.pk] == "Took off since your last digest: ▲ 12 then, ▲ 300 now"
    assert len(first) == 3 and steady.pk not in first and elsewhere.pk not in first
    assert rocket.pk not in reasons(reader)  # offered once


def test_it_offers_nothing_to_a_reader_without_a_previous_digest_or_who_got_the_paper_already():
    last = timezone.now() - timedelta(days=7)
    rocket = make_paper({"llm": 0.9}, now=last - timedelta(days=2), upvotes=300)
    make_paper({"llm": 0.9}, upvotes=5)
    newcomer = make_subscriber(topics=["llm"], paper_count=3)
    assert not any(r.startswith("Took off") for r in reasons(newcomer).values())

    reader = make_subscriber(topics=["llm"], paper_count=3, last_digest_at=last - timedelta(days=3))
    assert rocket.pk in reasons(reader)  # within that digest's week: a plain pick
    reader.last_digest_at = last
    reader.save()
    assert rocket.pk not in reasons(reader)


def test_it_offers_no_paper_whose_upvotes_at_the_last_digest_are_unknown():
    last = timezone.now() - timedelta(days=7)
    make_paper({"llm": 0.9}, now=last - timedelta(days=2), upvotes=300)  # never snapshotted before that digest
    make_paper({"llm": 0.9}, upvotes=5)
    reader = make_subscriber(topics=["llm"], paper_count=3, last_digest_at=last)
    assert not any(r.startswith("Took off") for r in reasons(reader).values())
