"""What a worker keeps between batches stays as large as one hour's work however long it runs: the pools of the
current hour, one card per paper (rendered once, kept while the paper is unchanged); an edit still shows in the
next digest."""

from datetime import UTC, datetime, timedelta

import pytest

from newsletter.compose import compose_ids, pools
from newsletter.render import Renderer
from tests.factories import make_delivery, make_paper, make_subscriber

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(NOW)]


def digest_at(now: datetime, renderer: Renderer):
    """A new reader's digest composed and rendered at `now` by `renderer`, as a worker's batch would be."""
    reader = make_subscriber(topics=["llm"], paper_count=5)
    (digest,) = compose_ids([make_delivery(reader).id], now)
    return digest, renderer.render(digest)


def test_a_worker_sending_for_hours_keeps_one_card_per_paper():
    for n in range(8):
        make_paper(topics={"llm": 0.9}, upvotes=10 + n)
    renderer = Renderer()
    digest, _ = digest_at(NOW, renderer)
    cards = len(renderer._cards)
    assert cards == 2 * len(digest.items)  # one html and one text card per paper shown
    for hours in range(1, 4):  # each hour the pool is loaded again: new rows, the same papers
        digest_at(NOW + timedelta(hours=hours), renderer)
    assert len(renderer._cards) == cards


def test_an_edited_paper_shows_its_new_title_in_the_next_digest():
    papers = [make_paper(topics={"llm": 0.9}, upvotes=10 + n, title=f"Old title {n}") for n in range(3)]
    renderer = Renderer()
    _, before = digest_at(NOW, renderer)
    assert "Old title 2" in before.html and "Old title 2" in before.text
    papers[2].title = "A faster attention kernel"
    papers[2].save()
    # An hour on, as in a worker: the pool is loaded again (the frozen clock leaves updated_at where it was).
    _, after = digest_at(NOW + timedelta(hours=1), renderer)
    assert "A faster attention kernel" in after.html and "A faster attention kernel" in after.text
    assert "Old title 2" not in after.html + after.text
    assert "Old title 1" in after.html  # the unchanged papers keep their cards


def test_a_worker_lets_the_pools_of_an_earlier_hour_go():
    for n in range(4):
        make_paper(topics={"llm": 0.9}, upvotes=10 + n)
    renderer = Renderer()
    for days in range(3):  # a new day is a new window: its pool is loaded beside the last one's
        digest_at(NOW + timedelta(days=days), renderer)
    assert len(pools.pools) == 1
