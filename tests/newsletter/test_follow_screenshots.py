"""In Chromium at phone and desktop width: the follow box suggesting a lab, and a digest with a paper of the
followed lab first and a paper that took off since the reader's last digest."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connections

from newsletter import follows
from newsletter.compose import compose_ids
from newsletter.render import Renderer
from papers.ingest import ingest_content
from papers.models import Paper, PaperTopic, UpvoteSnapshot
from tests.conftest import DESKTOP, PHONE
from tests.factories import make_delivery, make_subscriber, make_topic
from tests.papers.conftest import REAL

NOW = datetime(2026, 6, 19, 7, tzinfo=UTC)  # a Friday; the reader's last digest came on Monday
LAST = NOW - timedelta(days=4)


@pytest.fixture
def scene(transactional_db, settings, live_server):
    """The real Hugging Face listing of 2026-06-12 ingested as this week's papers, one of them from before
    Monday's digest; a reader who follows IBM Research. Made before the browser starts."""
    settings.SITE_URL = live_server.url
    with time_machine.travel(NOW, tick=False):
        llm = make_topic("llm", "Language models")
        ingest_content("hf-daily", (REAL / "hf_daily_papers_2026-06-12.json").read_bytes(), listed_on=date(2026, 6, 12))
        papers = list(Paper.objects.order_by("-upvotes", "id"))
        Paper.objects.update(trending_date=NOW.date())
        ibm = Paper.objects.get(organization="IBM Research")  # the payload's organisation, as ingested
        PaperTopic.objects.filter(paper=ibm, topic=llm).delete()  # outside the reader's topic, whatever tagged it
        for paper in papers:
            if paper != ibm:
                PaperTopic.objects.get_or_create(paper=paper, topic=llm, defaults={"score": 0.6})
        rocket = papers[-1]
        Paper.objects.filter(pk=rocket.pk).update(trending_date=LAST.date() - timedelta(days=2), upvotes=240)
        UpvoteSnapshot.objects.create(paper=rocket, upvotes=6, taken_at=LAST - timedelta(hours=2))
        reader = make_subscriber("ada@example.com", topics=["llm"], paper_count=5, last_digest_at=LAST)
        follows.follow(reader, "", "IBM Research")
        (digest,) = compose_ids([make_delivery(reader, "2026-W25", scheduled_for=NOW).id], NOW)
        html = Renderer().render(digest).html
    url = reader.absolute_url("preferences")  # signed on the wall clock the live server checks it against
    yield {"digest": digest, "html": html, "url": url, "ibm": ibm, "rocket": rocket}
    connections.close_all()


@pytest.mark.browser
def test_the_follow_box_and_a_digest_with_a_followed_lab_read_well_on_a_phone_and_a_desktop(scene, browser, artifacts):
    items = scene["digest"].items
    assert items[0].paper["id"] == scene["ibm"].pk and items[0].reason == "From IBM Research, which you follow"
    assert items[-1].reason == "Took off since your last digest: ▲ 6 then, ▲ 240 now"

    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page = browser.new_page(viewport=size)
        page.set_content(scene["html"])
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
        assert page.locator(".feedback-link", has_text="Follow IBM Research").count() == 1
        page.screenshot(path=str(artifacts / f"digest-follows-{label}.png"), full_page=True)
        page.close()

    page = browser.new_page(viewport=DESKTOP)
    page.goto(scene["url"])
    page.locator("#follow-name").fill("ibm")
    suggestion = page.locator(".follow-suggestions .suggestion").first
    suggestion.wait_for()
    assert suggestion.inner_text() == "IBM Research · organisation, 1 paper"
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
        page.locator("#follows").screenshot(path=str(artifacts / f"follow-box-{label}.png"))
    page.close()
