"""A reader's whole path in Chromium: subscribe, confirm from the real email, change preferences, unsubscribe."""

import pytest
from django.db import connections

from subscribers.models import Subscriber
from tests.conftest import DESKTOP, PHONE, shoot, wait_for
from tests.factories import make_paper, make_topic
from tests.subscribers.conftest import MailWorker, link_in

TOPICS = [
    ("llm", "Language models"), ("reasoning", "Reasoning & test-time compute"), ("agents", "Agents & tool use"),
    ("multimodal", "Vision-language & multimodal"), ("vision", "Computer vision"),
    ("generative", "Image & 3D generation"),
    ("video", "Video"), ("audio", "Speech & audio"), ("robotics", "Robotics & embodied AI"),
    ("rl", "Reinforcement learning"), ("efficiency", "Efficient models"), ("systems", "ML systems"),
    ("scaling", "Scaling laws"), ("alignment", "Safety, alignment & interpretability"),
    ("benchmarks", "Benchmarks & datasets"), ("retrieval", "Retrieval & RAG"), ("code", "Code"),
    ("graphs", "Graphs & structured data"), ("theory", "Theory & optimization"), ("science", "AI for science & health"),
]  # fmt: skip
PAPERS = [
    (
        "What, How, Where, and How Well? A Survey on Test-Time Scaling in Large Language Models",
        187,
        ["llm", "reasoning"],
    ),
    ("Dynamic Sparse No Training: Training-Free Fine-tuning for Sparse LLMs", 96, ["llm", "efficiency"]),
    ("On the Scalability of Diffusion-based Text-to-Image Generation", 74, ["generative", "scaling"]),
    ("CrossViT: Cross-Attention Multi-Scale Vision Transformer for Image Classification", 41, ["vision"]),
    ("GraphVite: A High-Performance CPU-GPU Hybrid System for Node Embedding", 12, ["graphs", "systems"]),
]


@pytest.fixture(scope="module")
def site_mail(live_server, django_db_setup, django_db_blocker):
    """A worker that emails to a loopback SMTP server, with links to the live server."""
    worker = MailWorker(site_url=live_server.url)
    yield worker
    worker.stop()


@pytest.fixture
def site(transactional_db, settings, live_server, site_mail):
    # The live server runs in a thread of this process, so it sees this setting.
    settings.SUBSCRIBE_MIN_FILL_SECONDS = 0  # the robot fills the form faster than people can
    site_mail.clear()
    for position, (slug, name) in enumerate(TOPICS):
        make_topic(slug, name, position=position)
    for title, upvotes, slugs in PAPERS:
        make_paper(title=title, upvotes=upvotes, topics=dict.fromkeys(slugs, 0.8))
    yield live_server
    # ORM calls made while Playwright's sync API is running leave a connection that pytest-django's teardown
    # does not see; close it so the test database can be dropped at the end of the session.
    site_mail.settle()
    connections.close_all()


@pytest.mark.browser
def test_a_reader_subscribes_confirms_changes_preferences_and_unsubscribes(browser, site, site_mail, artifacts):
    context = browser.new_context(viewport=DESKTOP, timezone_id="Europe/Berlin", locale="en-GB")
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(site.url + "/")
    assert page.locator("select[name=timezone]").input_value() == "Europe/Berlin"
    assert page.get_by_text("Dynamic Sparse No Training").is_visible()
    shoot(page, artifacts, "subscribe-1-home")

    page.get_by_label("Email address").fill("ada+papers@example.com")
    page.get_by_label("Agents & tool use").check()
    page.get_by_label("Reinforcement learning").check()
    page.get_by_label("Daily on weekdays").check()
    assert page.get_by_label("Day", exact=True).is_disabled()
    page.get_by_label("Time", exact=True).select_option("07:00")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/check-your-inbox/")
    assert page.get_by_role("heading", name="Check your inbox").is_visible()
    shoot(page, artifacts, "subscribe-2-check-inbox")

    received = wait_for(lambda: site_mail.smtp.handler.to("ada+papers@example.com"), message="the confirmation email")
    link = link_in(received[0].message.get_body(("plain",)).get_content(), "/confirm/")
    assert link.startswith(site.url)
    email_page = context.new_page()
    email_page.set_content(received[0].message.get_body(("html",)).get_content())
    shoot(email_page, artifacts, "subscribe-2b-confirmation-email")
    email_page.close()
    page.goto(link)
    assert Subscriber.objects.get().status == "pending"
    shoot(page, artifacts, "subscribe-3-confirm")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/preferences/**")
    assert page.get_by_text("Your subscription is confirmed. Welcome!").is_visible()
    assert page.get_by_text("Your digest arrives every weekday at 07:00 (Europe/Berlin).").is_visible()
    shoot(page, artifacts, "subscribe-4-preferences")

    subscriber = Subscriber.objects.get()
    assert subscriber.status == "active" and subscriber.topic_slugs == ["agents", "rl"]
    assert (subscriber.frequency, subscriber.hour, subscriber.timezone) == ("daily", 7, "Europe/Berlin")

    page.get_by_label("Code", exact=True).check()
    page.get_by_label("Papers per email").fill("15")
    page.locator("summary", has_text="Keywords").click()
    page.get_by_label("Keywords to mute").fill("crypto")
    page.get_by_role("button", name="Save preferences").click()
    assert page.get_by_text("Your preferences are saved.").is_visible()
    subscriber.refresh_from_db()
    assert subscriber.topic_slugs == ["agents", "code", "rl"] and subscriber.paper_count == 15
    assert subscriber.mute_keywords == ["crypto"] and subscriber.timezone == "Europe/Berlin"

    page.get_by_role("link", name="Unsubscribe").click()
    shoot(page, artifacts, "subscribe-5-unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    assert page.get_by_role("heading", name="You are unsubscribed").is_visible()
    assert Subscriber.objects.get().status == "unsubscribed"
    page.get_by_label("Too many emails").check()
    page.get_by_role("button", name="Send").click()
    assert page.get_by_text("Thank you for telling us.").is_visible()
    shoot(page, artifacts, "subscribe-6-unsubscribed")
    assert Subscriber.objects.get().unsubscribe_reason == "too_many"

    assert not errors, errors

    page.goto(site.url + "/confirm/not-a-real-token/")
    assert page.get_by_role("heading", name="This link does not work").is_visible()
    shoot(page, artifacts, "subscribe-7-bad-link")
    context.close()


@pytest.mark.browser
def test_the_form_shows_its_errors_next_to_the_fields(browser, site, artifacts):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(site.url + "/")
    page.get_by_label("Email address").fill("ｕｓｅｒ@example.com")
    page.get_by_role("button", name="Subscribe").click()
    assert page.get_by_text("Pick at least one topic.").is_visible()
    assert page.get_by_text("full-width characters").is_visible()
    shoot(page, artifacts, "subscribe-8-form-errors")
    assert not Subscriber.objects.exists()


@pytest.mark.browser
def test_the_form_works_without_javascript(browser, site, site_mail):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(site.url + "/")
    page.get_by_label("Email address").fill("grace@example.com")
    page.get_by_label("Code", exact=True).check()
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/check-your-inbox/")
    wait_for(lambda: site_mail.smtp.handler.to("grace@example.com"), message="the confirmation email")
    subscriber = Subscriber.objects.get()
    assert (subscriber.timezone, subscriber.topic_slugs, subscriber.status) == ("UTC", ["code"], "pending")
    context.close()
