"""A reader of an installation showing the bundled demo gets a digest of demo papers, not "nothing new"."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from newsletter import delivery
from newsletter.claims import request_digest_now
from newsletter.compose import preview
from newsletter.models import DeliveryItem
from papers.demo import DEMO_FIRST, DEMO_LAST, load_demo_papers
from tests.factories import make_paper, make_subscriber

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


@pytest.fixture
def demo(default_topics):
    load_demo_papers()


def send_now(reader, at: datetime) -> list[DeliveryItem]:
    with time_machine.travel(at, tick=False):
        queued = request_digest_now(reader, on_commit=None)
        delivery.send_deliveries([queued.id], at)
    return list(DeliveryItem.objects.filter(delivery=queued).select_related("paper"))


def test_every_default_topic_alone_fills_a_digest_mostly_with_papers_of_its_own(default_topics):
    own = {}
    with time_machine.travel(NOW, tick=False):
        for topic in default_topics:
            digest = preview(make_subscriber(topics=[topic.slug], paper_count=5), NOW)
            assert len(digest.items) == 5, topic.slug
            own[topic.slug] = sum(not item.fill for item in digest.items)
    # The learned tagger finds four scaling-law papers in the demo's seven weeks; every other topic has five.
    assert min(own.values()) >= 4 and sum(n == 5 for n in own.values()) >= len(own) - 1, own


@pytest.mark.parametrize("slug", ["robotics", "retrieval", "llm"])
def test_a_demo_reader_gets_at_least_five_demo_papers_with_the_demo_named(slug, smtp_server):
    with time_machine.travel(NOW, tick=False):
        reader = make_subscriber(topics=[slug], paper_count=10)
    items = send_now(reader, NOW)
    assert len(items) == 10
    assert all(DEMO_FIRST <= item.paper.trending_date <= DEMO_LAST for item in items)
    [message] = smtp_server.messages
    text = message.message.get_body(("plain",)).get_content()
    assert "Demo data: real papers of 3 November – 19 December 2025" in text
    assert "10 papers picked for you from 536 demo papers." in text


def test_the_next_demo_digest_brings_other_papers_and_live_papers_end_the_demo(smtp_server):
    with time_machine.travel(NOW, tick=False):
        reader = make_subscriber(topics=["agents"], paper_count=8)
    first = {item.paper_id for item in send_now(reader, NOW)}
    second = {item.paper_id for item in send_now(reader, NOW + timedelta(hours=2))}
    assert len(second) == 8 and not first & second
    later = NOW + timedelta(hours=4)
    with time_machine.travel(later, tick=False):
        live = make_paper(topics={"agents": 0.9}, trending_date=later.date())
    third = send_now(reader, later)
    assert [item.paper_id for item in third] == [live.id]  # only what is new: the demo is over
    assert "Demo data" not in smtp_server.messages[-1].message.get_body(("plain",)).get_content()
