"""Papers by followed authors and organisations come first, with their reason, whatever the reader's topics."""

from datetime import UTC, datetime

import pytest

from newsletter import follows
from newsletter.compose import preview
from newsletter.models import Follow
from tests.factories import make_paper, make_subscriber, make_topic

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(datetime(2026, 11, 30, 8, tzinfo=UTC))]


@pytest.fixture(autouse=True)
def topics():
    make_topic("llm", "Language models"), make_topic("vision", "Computer vision")


def on_topic(n: int, **fields):
    fields.setdefault("authors", ["Grace Hopper"])
    return [make_paper({"llm": 0.9}, arxiv_id=f"2611.{n + k:05d}", upvotes=500 - k, **fields) for k in range(5)]


def test_it_sends_an_organisations_paper_to_a_follower_whose_topics_it_does_not_match():
    on_topic(100)
    qwen = make_paper({"vision": 0.9}, arxiv_id="2611.00001", upvotes=3, organization="Qwen", title="Qwen-VL 4")
    reader = make_subscriber(topics=["llm"], paper_count=3)
    follows.follow(reader, Follow.Kind.ORGANIZATION, "qwen")

    items = preview(reader).items

    assert [i.paper["id"] for i in items][0] == qwen.pk
    assert items[0].reason == "From Qwen, which you follow"
    assert len(items) == 3 and len({i.paper["id"] for i in items}) == 3


def test_it_names_the_followed_author_and_still_says_which_topic_matches():
    on_topic(100)
    ada = make_paper({"llm": 0.2}, arxiv_id="2611.00002", upvotes=1, authors=["Grace Hopper", "Ada Lovelace"])
    reader = make_subscriber(topics=["llm"], paper_count=3)
    follows.follow(reader, Follow.Kind.AUTHOR, "Ada Lovelace")

    first = preview(reader).items[0]

    assert first.paper["id"] == ada.pk
    assert first.reason == "New paper by Ada Lovelace, whom you follow · Matches your topic: Language models"


def test_it_matches_zoe_muller_followed_with_accents_on_a_paper_that_spells_her_zoe_muller():
    """Decided: accents and case are dropped before matching, so "Zoë Müller" is "Zoe Muller" (not "Mueller")."""
    make_paper({"llm": 0.9}, arxiv_id="2611.00003", authors=["Zoë Müller"])
    plain = make_paper({"vision": 0.9}, arxiv_id="2611.00004", upvotes=9, authors=["ZOE MULLER"])
    other = make_paper({"vision": 0.9}, arxiv_id="2611.00005", upvotes=8, authors=["Zoe Mueller"])
    reader = make_subscriber(topics=["llm"], paper_count=3)
    follows.follow(reader, Follow.Kind.AUTHOR, "Zoë Müller")

    picked = {i.paper["id"]: i.reason for i in preview(reader).items}

    assert picked[plain.pk] == "New paper by ZOE MULLER, whom you follow"
    assert not picked.get(other.pk, "").startswith("New paper by")


def test_it_keeps_followed_papers_within_the_paper_count_and_never_twice():
    for k in range(6):
        make_paper({"vision": 0.9}, arxiv_id=f"2611.{200 + k:05d}", upvotes=k, organization="Qwen", authors=[])
    make_paper({"vision": 0.9}, arxiv_id="2611.00300", organization="Qwen", authors=["Ada Lovelace"], upvotes=99)
    reader = make_subscriber(topics=["llm"], paper_count=4)
    follows.follow(reader, Follow.Kind.ORGANIZATION, "Qwen")
    follows.follow(reader, Follow.Kind.AUTHOR, "Ada Lovelace")

    items = preview(reader).items

    assert len(items) == 4 and len({i.paper["id"] for i in items}) == 4
    assert items[0].reason == "From Qwen, which you follow · New paper by Ada Lovelace, whom you follow"
    assert all(i.reason.startswith("From Qwen") for i in items)
