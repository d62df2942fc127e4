from datetime import UTC, date, datetime, timedelta

import pytest

from newsletter import delivery
from newsletter.compose import NOTHING_NEW, compose_ids
from newsletter.models import Delivery, DeliveryItem
from newsletter.pool import load_pool
from newsletter.ranking import Preferences, picks_for, ranking_for
from tests.factories import make_delivery, make_paper, make_subscriber, make_topic

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
TODAY = NOW.date()

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(NOW)]


def picks(subscriber, period="2026-W49") -> list[DeliveryItem]:
    d = make_delivery(subscriber, period)
    compose_ids([d.id], NOW)
    return list(d.items.select_related("paper"))


def test_it_never_sends_a_paper_twice_across_two_digests(smtp_server):
    for n in range(6):
        make_paper(topics={"llm": 0.9}, upvotes=10 + n)
    reader = make_subscriber(topics=["llm"], paper_count=3)
    first = make_delivery(reader, "2026-W49")
    assert delivery.send_deliveries([first.id], NOW).counts["sent"] == 1
    reader.refresh_from_db()
    second = make_delivery(reader, "2026-W50")
    assert delivery.send_deliveries([second.id], NOW + timedelta(hours=1)).counts["sent"] == 1
    sent_first = set(first.items.values_list("paper_id", flat=True))
    sent_second = set(second.items.values_list("paper_id", flat=True))
    assert len(sent_first) == len(sent_second) == 3
    assert not sent_first & sent_second


def test_it_leaves_out_papers_with_a_muted_keyword():
    make_paper(topics={"llm": 0.9}, title="Speculative Decoding at scale", upvotes=90)
    kept = make_paper(topics={"llm": 0.9}, title="Better tokenizers", upvotes=5)
    reader = make_subscriber(topics=["llm"], mute_keywords=["speculative decoding"])
    assert [item.paper_id for item in picks(reader)] == [kept.id]


def test_it_fills_from_overall_trending_and_says_so():
    mine = make_paper(topics={"llm": 0.9}, upvotes=3)
    trending = make_paper(topics={"vision": 0.9}, upvotes=300)
    reader = make_subscriber(topics=["llm"], paper_count=3)
    items = picks(reader)
    assert [(i.paper_id, i.fill) for i in items] == [(mine.id, False), (trending.id, True)]
    assert items[1].reason == "Top trending this week, outside your topics"


def test_it_sends_nothing_when_nothing_is_new(smtp_server):
    make_paper(topics={"llm": 0.9}, trending_date=TODAY - timedelta(days=30))  # an old backfill is not news
    make_paper(topics={"llm": 0.9}, hidden=True)
    reader = make_subscriber(topics=["llm"])
    d = make_delivery(reader, "2026-W49")
    result = delivery.send_deliveries([d.id], NOW)
    d.refresh_from_db()
    assert result.counts["skipped"] == 1
    assert (d.status, d.skip_reason) == (Delivery.Status.SKIPPED, NOTHING_NEW)
    assert smtp_server.messages == []


def test_it_gives_each_followed_topic_a_fair_share():
    for n in range(8):
        make_paper(topics={"llm": 0.9}, upvotes=100 + n)
    for n in range(8):
        make_paper(topics={"vision": 0.9}, upvotes=n)
    reader = make_subscriber(topics=["llm", "vision"], paper_count=6)
    slugs = [item.paper.topics.get().slug for item in picks(reader)]
    assert slugs.count("llm") == slugs.count("vision") == 3


def test_it_puts_pinned_papers_first_for_readers_of_their_topic():
    make_paper(topics={"llm": 0.9}, upvotes=500)
    pinned = make_paper(topics={"llm": 0.4}, upvotes=1, pinned=True)
    make_paper(topics={"vision": 0.9}, upvotes=0, pinned=True)
    reader = make_subscriber(topics=["llm"], paper_count=3)
    items = picks(reader)
    assert items[0].paper_id == pinned.id
    assert items[0].reason.startswith("Editor's pick for Language models")


def test_it_explains_each_pick():
    make_topic("efficiency", "Efficient models")
    make_topic("llm", "Language models")
    both = make_paper(topics={"efficiency": 0.9, "llm": 0.5}, upvotes=50)
    keyword = make_paper(topics={}, abstract="We speed up speculative decoding.", upvotes=10)
    reader = make_subscriber(topics=["efficiency", "llm"], follow_keywords=["Speculative Decoding"])
    reasons = {item.paper_id: item.reason for item in picks(reader)}
    assert reasons[both.id] == "Matches your topics: Efficient models, Language models"
    assert reasons[keyword.id] == "Mentions 'speculative decoding'"


def test_it_ranks_once_for_readers_with_identical_preferences():
    make_paper(topics={"llm": 0.9})
    pool = load_pool(date(2026, 11, 23), TODAY, NOW)
    llm = make_topic("llm").id
    same = [
        Preferences.build({llm: 1.0}, ["RAG "], [], 10, False),
        Preferences.build({llm: 1.0}, ["rag"], [], 10, False),
    ]
    assert ranking_for(pool, same[0]) is ranking_for(pool, same[1])
    assert ranking_for(pool, Preferences.build({llm: 1.0}, [], [], 10, False)) is not ranking_for(pool, same[0])


def test_it_starts_a_daily_readers_first_digest_from_yesterday():
    make_paper(topics={"llm": 0.9}, trending_date=TODAY - timedelta(days=3))
    recent = make_paper(topics={"llm": 0.9}, trending_date=TODAY - timedelta(days=1))
    reader = make_subscriber(topics=["llm"], frequency="daily")
    assert [item.paper_id for item in picks(reader, "2026-11-30")] == [recent.id]


def test_it_reaches_a_followed_topic_ranked_below_dozens_of_papers_of_another():
    for n in range(70):
        make_paper(topics={"llm": 0.9}, upvotes=200 + n)
    vision = [make_paper(topics={"vision": 0.9}, upvotes=n) for n in range(2)]
    reader = make_subscriber(topics=["llm", "vision"], paper_count=4)
    picked = [item.paper_id for item in picks(reader)]
    assert len(picked) == 4
    assert {p.id for p in vision} <= set(picked)


def test_it_leaves_muted_papers_out_of_the_trending_fill():
    mine = make_paper(topics={"llm": 0.9}, upvotes=3)
    make_paper(topics={"vision": 0.9}, title="Speculative decoding for video", upvotes=300)
    other = make_paper(topics={"vision": 0.9}, upvotes=30)
    reader = make_subscriber(topics=["llm"], paper_count=3, mute_keywords=["speculative decoding"])
    assert [(i.paper_id, i.fill) for i in picks(reader)] == [(mine.id, False), (other.id, True)]


def test_it_ranks_a_keyword_paper_outside_the_readers_topics_with_its_topic_papers():
    mine = make_paper(topics={"llm": 0.9}, upvotes=5)
    keyword = make_paper(topics={"vision": 0.9}, abstract="Diffusion models for video.", upvotes=1)
    popular = make_paper(topics={"vision": 0.9}, upvotes=900)
    reader = make_subscriber(topics=["llm"], paper_count=3, follow_keywords=["diffusion"])
    items = picks(reader)
    assert [(i.paper_id, i.fill) for i in items] == [(keyword.id, False), (mine.id, False), (popular.id, True)]
    assert items[0].reason == "Mentions 'diffusion'"


def test_a_pool_keeps_only_its_most_recently_used_rankings_and_gives_the_same_picks(monkeypatch):
    topics = [make_topic(slug).id for slug in ("llm", "vision", "agents", "rl")]
    for n in range(12):
        make_paper(topics={("llm", "vision", "agents", "rl")[n % 4]: 0.5 + n / 30}, upvotes=n)
    readers = [Preferences.build({tid: 1.0}, [], [], 3, False) for tid in topics] * 2
    since = date(2026, 11, 23)
    unbounded = load_pool(since, TODAY, NOW)
    expected = [picks_for(unbounded, prefs, since, set()) for prefs in readers]

    monkeypatch.setattr("newsletter.pool.RANKINGS_KEPT", 3)
    pool = load_pool(since, TODAY, NOW)
    got = [picks_for(pool, prefs, since, set()) for prefs in readers]

    assert len(unbounded.rankings) == 4 and len(pool.rankings) == len(pool.picks) == 3
    assert got == expected
