"""The learned profile in the ranking: liked papers pull their like up and say so, "less" lowers near-copies only."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from newsletter import delivery, profile
from newsletter.compose import preview
from newsletter.models import Feedback, ProfileVote
from subscribers.models import Subscriber
from tests.factories import make_delivery, make_subscriber, make_topic
from tests.newsletter.corpus import corpus_paper, day_ids

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(NOW)]

FILLER_DAY = "2025-06-03"  # a day of real papers on other subjects, so "close" is measured against real ones


@pytest.fixture(autouse=True)
def known_topics():
    make_topic("efficiency", "Efficient models"), make_topic("llm", "Language models")


def fillers(count: int = 20, **fields):
    return [corpus_paper(FILLER_DAY, aid, {"llm": 0.8}, **fields) for aid in day_ids(FILLER_DAY)[:count]]


def titles(subscriber: Subscriber) -> list[str]:
    return [item.paper["title"] for item in preview(subscriber, NOW).items]


def test_a_reader_who_liked_three_speculative_decoding_papers_gets_the_fourth_above_an_unrelated_one():
    liked = [
        corpus_paper("2024-06-25", "2406.16758", {"efficiency": 0.9}, trending_date=NOW.date() - timedelta(days=60)),
        corpus_paper("2024-08-21", "2408.11049", {"efficiency": 0.9}, trending_date=NOW.date() - timedelta(days=50)),
        corpus_paper("2024-11-28", "2411.18462", {"efficiency": 0.9}, trending_date=NOW.date() - timedelta(days=40)),
    ]
    unrelated = corpus_paper("2024-06-07", "2406.04333", {"efficiency": 0.9}, upvotes=40, trending_date=NOW.date())
    fourth = corpus_paper("2025-02-11", "2502.05609", {"efficiency": 0.9}, upvotes=40, trending_date=NOW.date())
    fillers()
    reader = make_subscriber(topics=["efficiency"], paper_count=3)
    control = make_subscriber(topics=["efficiency"], paper_count=3)
    for paper in liked:
        profile.learn(reader.pk, paper.pk, Feedback.Direction.MORE, ProfileVote.Source.DIGEST)

    assert titles(control)[:2] == [unrelated.title, fourth.title]  # equal upvotes and topics: the older id first
    items = preview(reader, NOW).items
    order = [item.paper["id"] for item in items]
    assert order.index(fourth.pk) < order.index(unrelated.pk)
    reason = items[order.index(fourth.pk)].reason
    assert any(f"Close to '{p.title[:30]}" in reason for p in liked), reason
    assert reason.endswith("which you liked") or "which you liked ·" in reason
    assert items[order.index(unrelated.pk)].reason == "Matches your topic: Efficient models"
    assert not {p.pk for p in liked} & set(order)  # the papers that taught the profile are not sent again


def test_less_like_this_lowers_a_near_copy_and_leaves_an_unrelated_paper_of_the_same_topic_alone(client, smtp_server):
    disliked = corpus_paper("2024-10-21", "2410.13276", {"efficiency": 0.9}, upvotes=90, trending_date=NOW.date())
    reader = make_subscriber(topics=["efficiency"], paper_count=3)
    control = make_subscriber(topics=["efficiency"], paper_count=3)
    first = make_delivery(reader, "2026-W49")
    assert delivery.send_deliveries([first.id], NOW).counts["sent"] == 1
    html = smtp_server.handler.to(reader.email)[-1].message.get_body(("html",)).get_content()
    link = html.split(f"/{disliked.pk}/less/")[0].rsplit('href="', 1)[1] + f"/{disliked.pk}/less/"
    assert client.post(link.split("8000", 1)[1]).status_code == 200  # the button behind "Less like this"

    later = NOW + timedelta(days=7)
    with time_machine.travel(later, tick=False):
        near_copy = corpus_paper(
            "2025-06-12", "2506.08889", {"efficiency": 0.9}, upvotes=50, trending_date=later.date()
        )
        unrelated = corpus_paper(
            "2024-09-30", "2409.17066", {"efficiency": 0.9}, upvotes=30, trending_date=later.date()
        )
        others = [
            corpus_paper("2024-07-22", "2407.14057", {"efficiency": 0.9}, upvotes=40, trending_date=later.date()),
            corpus_paper("2024-06-07", "2406.04333", {"efficiency": 0.9}, upvotes=20, trending_date=later.date()),
        ]
        fillers(trending_date=later.date())
        Subscriber.objects.filter(pk__in=[reader.pk, control.pk]).update(last_digest_at=later - timedelta(days=1))
        reader.refresh_from_db(), control.refresh_from_db()
        mine = [i.paper["id"] for i in preview(reader, later).items]
        theirs = [i.paper["id"] for i in preview(control, later).items]

    assert theirs == [near_copy.pk, others[0].pk, unrelated.pk]  # by upvotes
    assert near_copy.pk not in mine  # lowered below the other papers of the topic
    assert [p for p in mine if p != near_copy.pk][:2] == [others[0].pk, unrelated.pk]  # in the same order as before
    assert mine[2] == others[1].pk
