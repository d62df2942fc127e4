"""In Chromium: right after confirming, the reader picks papers they like, sees what was learned, and the next
digest says which liked paper each pick is close to."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connections

from newsletter import delivery
from newsletter.models import ProfileVote
from subscribers.models import Subscriber, SubscriberTopic
from tests.conftest import DESKTOP, PHONE, shoot
from tests.factories import make_delivery, make_topic
from tests.newsletter.corpus import corpus_paper

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)  # a Wednesday
WEEK = [  # (arXiv id, upvotes) listed on 2025-06-03, trending this week
    ("2506.01939", 120), ("2506.01049", 95), ("2506.01853", 80), ("2505.23907", 64),
    ("2506.00411", 51), ("2506.00996", 40), ("2505.24760", 33), ("2505.23001", 20),
]  # fmt: skip
NEXT_WEEK = [  # (day listed, arXiv id, upvotes), trending the week after
    ("2025-06-04", "2506.03147", 90), ("2025-06-04", "2506.02387", 80), ("2025-06-04", "2506.00123", 70),
    ("2025-06-04", "2506.01674", 60), ("2025-06-04", "2506.03135", 50), ("2025-06-04", "2506.03131", 40),
    ("2025-01-15", "2501.08225", 12), ("2024-08-02", "2408.00735", 9),
]  # fmt: skip


def shoot_section(page, selector: str, artifacts, name: str) -> None:
    """One section of a long page at phone and desktop width, with the flash message above it when there is one."""
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.locator(selector).screenshot(path=artifacts / f"{name}-{label}.png")
    page.set_viewport_size(DESKTOP)


@pytest.fixture
def pending(transactional_db, settings, live_server):
    """A reader who has just subscribed, and this week's real papers; made before the browser starts."""
    settings.SITE_URL = live_server.url
    with time_machine.travel(NOW, tick=False):
        make_topic("llm", "Language models"), make_topic("generative", "Image & 3D generation")
        for aid, upvotes in WEEK:
            corpus_paper("2025-06-03", aid, {"llm": 0.8}, upvotes=upvotes, trending_date=NOW.date())
        reader = Subscriber.objects.create(email="ada@example.com", status=Subscriber.Status.PENDING)
        SubscriberTopic.objects.create(subscriber=reader, topic=make_topic("llm"))
        reader.start_opt_in()
    yield reader
    connections.close_all()


@pytest.mark.browser
def test_a_reader_picks_papers_after_confirming_and_the_next_digest_names_them(
    pending, browser, artifacts, smtp_server
):
    page = browser.new_context(viewport=DESKTOP).new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(pending.absolute_url("confirm"))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/preferences/**#learned")
    assert page.get_by_text("Your subscription is confirmed. Welcome!").is_visible()
    picker = page.get_by_role("group", name="Pick a few papers you like")
    assert picker.is_visible() and picker.get_by_role("checkbox").count() == len(WEEK)
    shoot_section(page, "#learned", artifacts, "profile-1-pick-papers")

    picker.get_by_text("Cora: Correspondence-aware image editing").click()
    picker.get_by_text("Temporal In-Context Fine-Tuning").click()
    page.get_by_role("button", name="Learn from these").click()
    page.get_by_text("your digests will lean towards papers like these").wait_for()
    learned = page.locator(".learned-list li")
    assert learned.count() == 2 and page.get_by_role("button", name=re.compile("Remove “Cora")).is_visible()
    shoot_section(page, "#learned", artifacts, "profile-2-what-was-learned")
    assert ProfileVote.objects.filter(subscriber=pending, source="picked").count() == 2

    later = NOW + timedelta(days=7)
    with time_machine.travel(later, tick=False):
        for day, aid, upvotes in NEXT_WEEK:
            corpus_paper(day, aid, {"llm": 0.8}, upvotes=upvotes, trending_date=later.date())
        Subscriber.objects.filter(pk=pending.pk).update(last_digest_at=later - timedelta(days=1), paper_count=5)
        d = make_delivery(Subscriber.objects.get(pk=pending.pk), "2026-W50", scheduled_for=later)
        assert delivery.send_deliveries([d.id], later).counts["sent"] == 1
    reasons = dict(d.items.values_list("paper__arxiv_id", "reason"))
    close = {aid for aid, reason in reasons.items() if "Close to 'Cora: Correspondence-aware image editing" in reason}
    assert close and close <= {"2501.08225", "2408.00735"}, reasons  # the two image-editing papers, from far below
    html = smtp_server.handler.to("ada@example.com")[-1].message.get_body(("html",)).get_content()
    email = browser.new_page(viewport=DESKTOP)
    email.set_content(html)
    assert email.get_by_text(re.compile("Close to 'Cora")).count() == len(close)
    shoot(email, artifacts, "profile-3-digest-with-reasons")
    assert errors == []
    connections.close_all()  # the ORM calls made under Playwright's loop opened their own connection
