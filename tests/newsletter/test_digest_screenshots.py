"""A real digest rendered by Chromium at phone and desktop width, in light and dark mode."""

import json
from datetime import UTC, datetime

import pytest
import time_machine

from bench.tagging import FIXTURES
from newsletter.compose import compose_ids
from newsletter.render import Renderer
from tests.factories import make_delivery, make_paper, make_subscriber, make_topic

FIXTURE = FIXTURES / "real" / "hf_daily_papers_2026-06-12.json"
NOW = datetime(2026, 6, 15, 7, tzinfo=UTC)
TOPICS = [("llm", "Language models"), ("efficiency", "Efficient models"), ("agents", "Agents & tool use")]


@pytest.fixture
def digest_html(db) -> str:
    """Built before the browser starts (Playwright's event loop would give the ORM another connection), with
    the clock at the moment the digest is sent."""
    with time_machine.travel(NOW, tick=False):
        for slug, name in TOPICS:
            make_topic(slug, name)
        for n, entry in enumerate(json.loads(FIXTURE.read_text())):
            paper = entry["paper"]
            make_paper(
                topics={TOPICS[n % 3][0]: 0.9, TOPICS[(n + 1) % 3][0]: 0.4} if n % 4 else {"vision": 0.8},
                arxiv_id=paper["id"],
                title=paper["title"],
                abstract=paper["summary"],
                authors=[a["name"] for a in paper["authors"]],
                upvotes=paper.get("upvotes", 0) + n,
                num_comments=entry.get("numComments", 0),
                github_repo=paper.get("githubRepo") or "",
                trending_date=datetime(2026, 6, 12).date(),
            )
        reader = make_subscriber(
            "ada@example.com",
            topics={"llm": 1.0, "efficiency": 0.8, "agents": 0.5},
            follow_keywords=["mixture-of-experts"],
            paper_count=8,
            timezone="Europe/Berlin",
        )
        delivery = make_delivery(reader, "2026-W25", scheduled_for=NOW)
        (digest,) = compose_ids([delivery.id], NOW)
        return Renderer().render(digest).html


@pytest.mark.browser
def test_a_rendered_digest_reads_well_on_a_phone_and_a_desktop(digest_html, browser, artifacts):
    html = digest_html
    size = len(html.encode())
    (artifacts / "digest.html").write_text(html)
    assert size < 100_000
    for name, width, scheme in [("phone", 390, "light"), ("desktop", 1280, "light"), ("phone-dark", 390, "dark")]:
        page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
        page.set_content(html)
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the screen
        cards = page.locator(".card")
        assert cards.count() == 8
        assert cards.first.locator(".title a").is_visible()
        page.screenshot(path=str(artifacts / f"digest-{name}.png"), full_page=True)
        page.close()


@pytest.fixture
def web_version_path(transactional_db) -> str:
    """A sent digest's web version, made before the browser starts."""
    from django.urls import reverse

    from newsletter.models import Delivery
    from subscribers.tokens import make_token

    make_paper(topics={"llm": 0.9}, title="Sparse attention <b>everywhere</b>", upvotes=40)
    make_paper(topics={"vision": 0.9}, title="A vision paper outside the reader's topics", upvotes=90)
    reader = make_subscriber(topics=["llm"], paper_count=3)
    delivery = make_delivery(reader)
    compose_ids([delivery.id])
    Delivery.objects.filter(id=delivery.id).update(status=Delivery.Status.SENT, new_papers=2)
    return reverse("digest_web", args=[make_token("digest", delivery.id)])


@pytest.mark.browser
def test_the_web_version_is_styled_and_readable_on_a_phone(web_version_path, live_server, browser, artifacts):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    errors, missing = [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "404" not in msg.text else None)
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    page.goto(live_server.url + web_version_path)
    assert page.locator(".card").count() == 2
    assert page.locator("h2.section").inner_text() == "Also trending, outside your topics"
    assert "Sparse attention <b>everywhere</b>" in page.locator(".card .title").first.inner_text()
    assert (
        page.locator(".card").first.evaluate("e => getComputedStyle(e).borderRadius") == "8px"
    )  # the phone rule of digest.css
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == [] and missing == []  # no CSP violation, nothing missing
    page.screenshot(path=str(artifacts / "digest-web-phone.png"), full_page=True)
    page.close()
