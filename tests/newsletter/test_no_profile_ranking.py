"""A reader who never gave feedback is ranked exactly as before profiles existed, and still shares a ranking."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from newsletter import profile
from newsletter.compose import PoolCache, compose
from newsletter.models import Feedback, ProfileVote
from tests.factories import make_delivery, make_paper, make_subscriber
from tests.newsletter.population_picks import population_picks

BEFORE = Path(__file__).parent / "data" / "picks_before_profiles.json"
NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)


def test_it_gives_readers_without_feedback_exactly_the_picks_of_the_ranking_before_profiles():
    before = json.loads(BEFORE.read_text())
    now = population_picks()
    for n, (then, today) in enumerate(zip(before["first"], now["first"], strict=True)):
        assert today == then, f"reader {n} gets other picks than before"
    assert now["sha256"] == before["sha256"]  # all 3,000 readers, same papers, order and reasons


@pytest.mark.django_db
def test_readers_with_identical_preferences_and_no_feedback_still_share_one_ranking():
    with time_machine.travel(NOW, tick=False):
        papers = [make_paper(topics={"llm": 0.9}, upvotes=n, trending_date=NOW.date()) for n in range(6)]
        plain = [make_subscriber(topics=["llm"]) for _ in range(3)]
        learner = make_subscriber(topics=["llm"])
        profile.learn(learner.pk, papers[0].pk, Feedback.Direction.MORE, ProfileVote.Source.PICKED)
        deliveries = [make_delivery(s, "2026-W49") for s in [*plain, learner]]
        cache = PoolCache()
        digests = compose(deliveries, NOW, save=False, cache=cache)
    pool = next(iter(cache.pools.values()))[1]
    assert len(pool.rankings) == 1  # shared by the three readers without feedback; the learner's is not kept
    assert len({tuple(i.paper["id"] for i in d.items) for d in digests[:3]}) == 1
