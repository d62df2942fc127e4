"""The preferences page previews the reader's next digest, as the admin preview composes it, and says so when
there is nothing new, before "send me my digest now" is pressed."""

from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from newsletter.models import Delivery
from newsletter.operations import render_preview
from subscribers.tokens import make_token
from tests.factories import make_paper, make_subscriber

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(NOW)]


def frame(client, reader):
    token = make_token("preferences", reader.id)
    return client.get(reverse("digest_preview", args=[token])), reverse("send_digest_now", args=[token])


def test_the_preferences_page_frames_the_preview_of_the_next_digest(client):
    reader = make_subscriber(topics=["llm"])
    page = client.get(reverse("preferences", args=[make_token("preferences", reader.id)]))
    src = BeautifulSoup(page.content, "html.parser").select_one("#next-digest iframe")["src"]
    assert src == reverse("digest_preview", args=[make_token("preferences", reader.id)])
    assert page["X-Frame-Options"] == "DENY"  # the page itself is never framed
    response = client.get(src)
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


def test_it_shows_the_papers_and_reasons_of_the_admin_preview_and_the_send_button(client, admin_client):
    make_paper(topics={"llm": 0.9}, title="Scaling small models", upvotes=30)
    make_paper(topics={"llm": 0.5}, title="Tuning small models", upvotes=3)
    make_paper(topics={"vision": 0.9}, title="Seeing in the dark", upvotes=50)
    reader = make_subscriber(topics=["llm"], paper_count=3)
    response, send_now = frame(client, reader)
    page = BeautifulSoup(response.content, "html.parser")
    shown = [(li.select_one(".paper-title").get_text(strip=True), li.select_one(".reason").get_text(strip=True))
             for li in page.select(".preview-paper")]  # fmt: skip
    digest, rendered = render_preview(reader)
    assert shown == [(item.paper["title"], item.reason) for item in digest.items]
    assert shown[0] == ("Scaling small models", "Matches your topic: Language models")
    assert shown[2][0] == "Seeing in the dark" and "outside your topics" in page.select(".preview-paper")[2].get_text()
    assert rendered.subject in page.get_text()
    admin = admin_client.get(f"/admin/dashboard/preview/?email={reader.email}")
    rows = BeautifulSoup(admin.content, "html.parser").select("[data-figure=preview-items] tbody tr")
    cells = [[cell.get_text(" ", strip=True) for cell in row.select("td")] for row in rows]
    assert len(cells) == len(shown)
    for (_, title, why, _), (shown_title, shown_why) in zip(cells, shown, strict=True):
        assert title.startswith(shown_title) and why.startswith(shown_why)
    form = page.select_one("form")
    assert form["action"] == send_now and form["target"] == "_top"
    assert "Send me my digest now" in form.get_text()
    assert not Delivery.objects.exists()  # a preview records nothing


def test_when_nothing_is_new_it_says_so_and_offers_no_button(client, django_capture_on_commit_callbacks):
    reader = make_subscriber(topics=["llm"])  # no papers at all this week
    response, send_now = frame(client, reader)
    assert "Nothing new for you right now." in response.content.decode()
    assert b"<form" not in response.content
    assert "Nothing new to send" in client.get(send_now).content.decode()
    with django_capture_on_commit_callbacks() as queued:
        answer = client.post(send_now).content.decode()
    assert "Nothing new to send" in answer and "on its way" not in answer
    assert not Delivery.objects.exists() and not queued
