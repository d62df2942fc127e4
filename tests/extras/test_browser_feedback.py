"""In Chromium: a real digest from the loopback SMTP server, "less like this" clicked, then the archive."""

import json
import re

import pytest
from django.db import connections
from django.utils import timezone

from bench.tagging import FIXTURES
from newsletter import delivery
from newsletter.models import Feedback, ProfileVote
from subscribers.models import SubscriberTopic
from tests.conftest import DESKTOP, PHONE, shoot
from tests.factories import make_delivery, make_paper, make_subscriber, make_topic, week_of

FIXTURE = FIXTURES / "real" / "hf_daily_papers_2026-06-12.json"
TOPICS = [("llm", "Language models"), ("agents", "Agents & tool use"), ("vision", "Computer vision")]


@pytest.fixture
def received(transactional_db, settings, live_server, smtp_server):
    """A digest sent now to the loopback SMTP server with links to the live server, before the browser starts.

    The live server and the browser run on the real clock, so the digest is sent now and its papers
    (the real ones of a recorded day) are listed today.
    """
    settings.SITE_URL = live_server.url
    sent = timezone.now()
    for position, (slug, name) in enumerate(TOPICS):
        make_topic(slug, name, position=position)
    for n, entry in enumerate(json.loads(FIXTURE.read_text())):
        paper = entry["paper"]
        make_paper(
            topics={"vision": 0.9} if n % 3 == 0 else {TOPICS[n % 2][0]: 0.9},
            arxiv_id=paper["id"],
            title=paper["title"],
            abstract=paper["summary"],
            authors=[a["name"] for a in paper["authors"]],
            upvotes=paper.get("upvotes", 0) + n,
            ai_keywords=paper.get("ai_keywords") or [],
            now=sent,
        )
    reader = make_subscriber("ada@example.com", topics=["llm", "agents", "vision"], paper_count=6)
    d = make_delivery(reader, now=sent, scheduled_for=sent)
    assert delivery.send_deliveries([d.id], sent).counts["sent"] == 1
    message = smtp_server.handler.to(reader.email)[0].message
    yield reader, message.get_body(("html",)).get_content(), week_of(timezone.localdate(sent))
    connections.close_all()


@pytest.mark.browser
def test_a_reader_says_less_like_this_from_the_email_and_then_opens_the_archive(received, browser, artifacts):
    reader, html, week = received
    vision_cards = re.findall(r'Computer vision</p>.*?href="([^"]+/less/)"', html, re.S)
    less = re.findall(r'href="([^"]+/feedback/[^"]+/less/)"', html)
    assert len(less) == 6 and vision_cards

    email = browser.new_page(viewport=PHONE)
    email.set_content(html)
    assert email.get_by_text("Less like this").count() == 6
    shoot(email, artifacts, "extras-1-email")

    # A link scanner without JavaScript only sees the question.
    scanner = browser.new_context(java_script_enabled=False).new_page()
    scanner.goto(vision_cards[0])
    assert scanner.get_by_role("button", name="Yes, fewer like this").is_visible()
    assert scanner.get_by_text("You'll see fewer papers like this one").is_visible()
    shoot(scanner, artifacts, "extras-0-feedback-without-javascript")
    assert Feedback.objects.count() == 0

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(vision_cards[0])
    page.get_by_role("heading", name="Thanks, noted").wait_for()
    assert page.get_by_text("You'll see fewer papers like this one").is_visible()
    assert ProfileVote.objects.get(subscriber=reader).direction == "less"
    assert SubscriberTopic.objects.get(subscriber=reader, topic__slug="vision").weight == 1.0  # not the whole topic
    shoot(page, artifacts, "extras-2-less-like-this")

    page.locator("input[name=keyword]").first.check()
    page.get_by_role("button", name="Mute this keyword").click()
    page.get_by_text("Muted: papers about").wait_for()
    reader.refresh_from_db()
    assert len(reader.mute_keywords) == 1

    page.get_by_role("link", name="See what your digest learned").click()
    page.locator("#learned").wait_for()
    assert page.locator(".learned-list li").filter(has_text="Less like this").count() == 1
    shoot(page, artifacts, "extras-3-preferences")

    page.goto(page.url.split("/preferences/")[0] + "/archive/")
    page.get_by_role("link", name=week).click()
    page.get_by_role("heading", name=f"Trending papers, week {week}").wait_for()
    assert page.locator("#topic-vision .paper").count() == 5
    shoot(page, artifacts, "extras-4-archive-week")
    page.get_by_role("link", name=re.compile("All 10 Computer vision papers")).click()
    assert page.locator(".paper").count() == 10
    shoot(page, artifacts, "extras-5-archive-topic")
    assert errors == []
    connections.close_all()  # the ORM calls made under Playwright's loop opened their own connection
