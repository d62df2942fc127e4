"""An operator logs in, opens the dashboard in Chromium and sees every part of it."""

import itertools
import random
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from newsletter.models import Delivery
from papers.models import IngestionRun
from tests.factories import make_paper, make_subscriber, make_topic

SHARED = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
SEED = SHARED / "seed_papers_page.txt"
HF_DAILY = SHARED / "real" / "hf_daily_papers_2026-06-12.json"
TOPICS = {
    "llm": "Language models",
    "reasoning": "Reasoning & test-time compute",
    "agents": "Agents & tool use",
    "multimodal": "Vision-language & multimodal",
    "generative": "Image & 3D generation",
    "rl": "Reinforcement learning",
    "efficiency": "Efficient models",
    "alignment": "Safety, alignment & interpretability",
}


def real_titles() -> list[str]:
    """Titles of the real papers in the seed page: a short line followed by its long abstract."""
    lines = [line.strip() for line in SEED.read_text().splitlines() if line.strip()]
    return [a for a, b in itertools.pairwise(lines) if 30 < len(a) < 200 and len(b) > 400]


def build_a_month_of_service() -> None:
    rng = random.Random(7)
    now = timezone.now()
    slugs = list(TOPICS)
    for position, (slug, name) in enumerate(TOPICS.items()):
        make_topic(slug, name, position=position)
    for i, title in enumerate(real_titles()[:60]):
        with time_machine.travel(now - timedelta(days=i // 5, hours=rng.randint(0, 6)), tick=False):
            scores = {slug: round(rng.uniform(0.3, 1), 2) for slug in rng.sample(slugs, rng.randint(1, 3))}
            trending = timezone.localdate() - timedelta(days=i // 8)
            make_paper(scores, title=title, upvotes=rng.randint(2, 180), trending_date=trending)
    with time_machine.travel(now - timedelta(days=21), tick=False):
        make_subscriber(
            "ada@example.com", topics=["llm", "agents"], paper_count=6, confirmed_at=now - timedelta(days=20)
        )
    for _ in range(140):
        joined = now - timedelta(days=rng.randint(0, 80), hours=rng.randint(0, 23))
        status = rng.choices(["active", "pending", "paused", "unsubscribed", "bounced"], [70, 8, 5, 12, 3])[0]
        with time_machine.travel(joined, tick=False):
            reader = make_subscriber(
                topics=rng.sample(slugs, rng.randint(1, 3)),
                status=status,
                paper_count=rng.choice([5, 10, 10, 15, 25]),
                confirmed_at=joined + timedelta(hours=1) if status != "pending" else None,
                unsubscribed_at=joined + timedelta(days=3) if status == "unsubscribed" else None,
            )
        for day in range(rng.randint(0, 3) if status == "active" else 0):
            sent = now - timedelta(days=day * 3 + rng.randint(0, 2))
            failed = rng.random() < 0.12
            with time_machine.travel(sent, tick=False):
                Delivery.objects.create(
                    subscriber=reader,
                    period=f"{sent.date():%Y-%m-%d}",
                    attempts=1,
                    status="failed" if failed else "sent",
                    sent_at=None if failed else sent,
                    error=f"550 5.1.1 <{reader.email}>: Recipient address rejected: User unknown" if failed else "",
                )
    for hours in range(0, 72, 8):
        failed = hours == 16
        with time_machine.travel(now - timedelta(hours=hours, minutes=12), tick=False):
            IngestionRun.objects.create(
                source="hf-daily" if hours % 16 else "arxiv",
                trigger="schedule",
                status="failed" if failed else "succeeded",
                finished_at=timezone.now() + timedelta(seconds=40),
                created=0 if failed else rng.randint(0, 30),
                updated=rng.randint(0, 20),
                unchanged=rng.randint(0, 40),
                failed=1 if failed else 0,
                errors="httpx.ReadTimeout: timed out reading https://export.arxiv.org/api/query" if failed else "",
            )
    every_5 = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(
        name="Send due digests", task="newsletter.tasks.tick", interval=every_5, last_run_at=now - timedelta(minutes=2)
    )
    thrice = CrontabSchedule.objects.create(minute="0", hour="6,12,18", timezone="UTC")
    PeriodicTask.objects.create(name="Ingest Hugging Face daily papers", task="papers.tasks.ingest", crontab=thrice)


@pytest.fixture
def a_month_of_service(transactional_db):
    # Built before the browser starts: Playwright's sync API runs the test body in another context,
    # where the ORM would open a second database connection that outlives the test.
    build_a_month_of_service()
    User.objects.create_superuser("operator", "operator@example.com", "a long enough password")


@pytest.mark.browser
def test_it_shows_the_dashboard_to_an_operator_who_logs_in(
    a_month_of_service, browser, live_server, artifacts, settings
):
    settings.WORKER_PING_TIMEOUT = 0.2
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    problems = []
    # Errors the page itself causes (a CSP violation, a missing stylesheet); the browser's own favicon probe aside.
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" and "favicon" not in m.location["url"] else None,
    )

    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "a long enough password")
    page.click("input[type=submit]")
    page.wait_for_selector(".pb-dashboard")

    for heading in ["Health", "Actions", "Trends", "Top trending papers this week", "Recent ingestion runs"]:
        assert page.get_by_role("heading", name=heading, exact=True).is_visible()
    assert page.locator("svg.chart").count() == 5
    # The stylesheet was served and applied (CSP allows only 'self'): tiles are laid out as a grid.
    assert page.eval_on_selector(".pb-tiles", "el => getComputedStyle(el).display") == "grid"
    assert page.locator("#content-main .app-papers").is_visible()  # the stock app list is below
    assert problems == []
    page.screenshot(path=artifacts / "dashboard-full.png", full_page=True)
    page.locator("section[aria-labelledby=pb-health]").screenshot(path=artifacts / "dashboard-health.png")
    page.locator(".pb-grid").screenshot(path=artifacts / "dashboard-charts.png")

    page.emulate_media(color_scheme="dark")  # the admin follows the system theme; so do the charts
    page.locator(".pb-grid").screenshot(path=artifacts / "dashboard-charts-dark.png")
    page.emulate_media(color_scheme="light")

    page.set_viewport_size({"width": 900, "height": 900})
    page.screenshot(path=artifacts / "dashboard-narrow.png", full_page=True)
    page.close()


def submit(page, selector: str) -> None:
    """Click what loads a new page, and wait for that page: its messages are read next."""
    with page.expect_navigation():
        page.click(selector)


def messages_on(page) -> list[str]:
    return [" ".join(text.split()) for text in page.locator(".messagelist li").all_inner_texts()]


@pytest.mark.browser
def test_it_lets_an_operator_ingest_preview_send_a_test_and_pause_from_the_dashboard(
    a_month_of_service, browser, live_server, artifacts, settings, smtp_server
):
    settings.WORKER_PING_TIMEOUT = 0.2
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "a long enough password")
    page.click("input[type=submit]")
    page.wait_for_selector(".pb-dashboard")
    page.locator("section[aria-labelledby=pb-actions]").screenshot(path=artifacts / "dashboard-actions.png")

    # Ingest a recorded Hugging Face response through the upload page the dashboard links to.
    submit(page, "a.pb-action-link:text('Upload a saved response')")
    page.set_input_files("input[type=file]", HF_DAILY)
    submit(page, "input[type=submit][value='Ingest file']")
    [message] = messages_on(page)
    assert message.startswith("Ingested hf_daily_papers_2026-06-12.json as hf-daily: ")
    page.goto(live_server.url + "/admin/")
    assert page.locator("[data-figure=recent-runs] tbody tr").first.inner_text().split("\t")[1:3] == [
        "Hugging Face daily papers",
        "admin",
    ]

    # Preview a reader's next digest, then send it to the operator's own address.
    page.fill(".pb-actions input[name=email]", "ada@example.com")
    submit(page, "button[data-action=preview]")
    page.wait_for_selector("[data-figure=preview-items]")
    frame = page.frame_locator("iframe.pb-email")
    assert frame.locator("body").inner_text()  # the HTML version renders inside its sandboxed frame
    page.screenshot(path=artifacts / "dashboard-preview.png", full_page=True)
    picks = page.locator("[data-figure=preview-items] tbody tr").count()
    submit(page, "button[data-action=send-test]")
    assert messages_on(page) == [f"Sent a test of ada@example.com's digest ({picks} papers) to operator@example.com."]
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["operator@example.com"]
    assert received.message["Subject"].strip().startswith("[Test: ada@example.com] ")
    submit(page, ".pb-find ~ section a:text('History')")
    page.wait_for_selector("[data-figure=history-events]")
    # No ORM here: Playwright runs this body in a context whose database connection would outlive the test.
    assert page.locator("#pb-deliveries ~ .pb-empty").inner_text() == "No digest yet."  # the test was not recorded
    page.screenshot(path=artifacts / "dashboard-history.png", full_page=True)

    # Pause every digest, then resume.
    page.goto(live_server.url + "/admin/")
    page.fill("input[name=reason]", "Checking the new mail provider")
    submit(page, "button[data-action=pause]")
    assert messages_on(page)[0].startswith("Sending paused")
    assert page.locator("[data-figure=sending]").inner_text() == "paused"
    page.locator("section[aria-labelledby=pb-health]").screenshot(path=artifacts / "dashboard-paused.png")
    submit(page, "button[data-action=resume]")
    assert messages_on(page)[0].startswith("Sending resumed")
    assert page.locator("[data-figure=sending]").inner_text() == "on"
    page.close()
