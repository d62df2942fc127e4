from datetime import UTC, date, datetime, timedelta

import feedparser
import pytest
from django.urls import reverse

from newsletter import delivery
from subscribers.models import Subscriber
from subscribers.tokens import make_token
from tests.factories import make_delivery, make_paper, make_subscriber, make_topic

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(NOW)]

TODAY = NOW.date()


def parse(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    return feed


@pytest.fixture
def papers():
    make_topic("vision", "Computer vision"), make_topic("llm", "Language models")
    return {
        "seg": make_paper(
            topics={"vision": 1.0},
            title="Segment   anything, again",
            arxiv_id="2611.00001",
            upvotes=40,
            trending_date=TODAY,
            authors=["Ada", "Bo", "Cy", "Di"],
        ),
        "lm": make_paper(topics={"llm": 1.0}, title="Tiny <b>LMs</b>", arxiv_id="2611.00002", upvotes=90),
        "old": make_paper(topics={"llm": 1.0}, title="Last month", upvotes=999, trending_date=TODAY - timedelta(30)),
        "hidden": make_paper(topics={"vision": 1.0}, title="Hidden", upvotes=999, hidden=True),
    }


def test_the_trending_feed_lists_this_weeks_papers_by_upvotes(client, papers):
    feed = parse(client, reverse("trending_feed"))
    assert feed.feed.title == "Paperboy: trending machine-learning papers"
    assert [e.title for e in feed.entries] == ["Tiny <b>LMs</b>", "Segment anything, again"]
    seg = feed.entries[1]
    assert seg.link == "https://huggingface.co/papers/2611.00001"
    assert seg.id == "https://arxiv.org/abs/2611.00001"
    assert seg.author == "Ada, Bo, Cy et al."
    assert seg.summary.startswith("▲ 40 upvotes. The abstract of paper number")
    assert seg.published_parsed[:3] == (2026, 11, 26)


def test_a_topic_feed_lists_only_that_topics_papers(client, papers):
    feed = parse(client, reverse("topic_feed", args=["vision"]))
    assert feed.feed.title == "Paperboy: trending machine-learning papers: Computer vision"
    assert [e.title for e in feed.entries] == ["Segment anything, again"]
    assert feed.feed.links[0].href.endswith("/archive/")
    assert client.get(reverse("topic_feed", args=["no-such-topic"])).status_code == 404


def test_the_personal_feed_carries_the_readers_digests_with_their_reasons(client, papers, smtp_server):
    reader = make_subscriber(topics=["vision", "llm"])
    make_subscriber(topics=["llm"])  # someone else's digests never show
    d = make_delivery(reader)
    delivery.send_deliveries([d.id], NOW)
    url = reverse("personal_feed", args=[make_token("feed", reader.id)])
    feed = parse(client, url)
    assert feed.feed.title == "Your Paperboy digests"
    assert [(e.title, e.summary.split(". ")[0]) for e in feed.entries] == [
        ("Tiny <b>LMs</b>", "Matches your topic: Language models"),
        ("Segment anything, again", "Matches your topic: Computer vision"),
    ]
    assert feed.entries[0].id == f"urn:paperboy:delivery:{d.id}:paper:{papers['lm'].id}"
    assert "private" in client.get(url)["Cache-Control"]


def test_the_personal_feed_stops_when_the_reader_unsubscribes_and_refuses_other_tokens(client, papers):
    reader = make_subscriber(topics=["vision"])
    url = reverse("personal_feed", args=[make_token("feed", reader.id)])
    assert parse(client, url).entries == []
    Subscriber.objects.filter(pk=reader.pk).update(status=Subscriber.Status.PAUSED)
    assert client.get(url).status_code == 200  # a pause keeps the feed
    reader.unsubscribe()
    assert client.get(url).status_code == 410
    assert client.get(reverse("personal_feed", args=[make_token("preferences", reader.id)])).status_code == 400
    assert client.get(reverse("personal_feed", args=["forged"])).status_code == 400
    reader.delete()
    assert client.get(url).status_code == 400


def test_the_personal_feed_takes_a_fixed_number_of_queries(client, papers, smtp_server, django_assert_num_queries):
    reader = make_subscriber(topics=["vision", "llm"], paper_count=3)
    for week in range(6):
        for n in range(3):
            make_paper(topics={"llm": 1.0}, trending_date=date(2026, 10, 12) + timedelta(weeks=week), upvotes=n)
        d = make_delivery(reader, f"2026-W{42 + week}")
        delivery.send_deliveries([d.id], datetime(2026, 10, 12, tzinfo=UTC) + timedelta(weeks=week, days=1))
    url = reverse("personal_feed", args=[make_token("feed", reader.id)])
    with django_assert_num_queries(2):
        feed = parse(client, url)
    assert len(feed.entries) >= 18
