"""A staff preview or test send carries inert links that say "preview", never the reader's own keys."""

import re

import pytest
from django.urls import reverse

from tests.factories import make_paper, make_subscriber

pytestmark = pytest.mark.django_db
SITE = "http://127.0.0.1:8000"
READER_PAGES = [SITE + page for page in ("/preferences/", "/unsubscribe/", "/feedback/", "/digests/")]


@pytest.fixture
def reader(topics):
    make_paper({"llm": 5.0}, title="Attention, again")
    return make_subscriber("ada@example.com", topics=["llm"])


def links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", text)


def test_the_preview_carries_only_preview_links(admin_client, reader):
    html = admin_client.get(reverse("dashboard_preview_html", args=[reader.pk])).content.decode()
    site = [link for link in links(html) if link.startswith("http://127.0.0.1:8000")]
    assert site and all("/preview-link/" in link for link in site)
    assert [page for page in READER_PAGES if page in html] == []


def test_a_test_send_carries_only_preview_links(admin_client, reader, mailoutbox, admin_user):
    admin_client.post(reverse("dashboard_send_test", args=[reader.pk]))
    (mail,) = mailoutbox
    site = [link for link in links(mail.body) if link.startswith("http://127.0.0.1:8000")]
    assert site and all("/preview-link/" in link for link in site)
    assert not any(page in mail.body + mail.alternatives[0][0] for page in READER_PAGES)


def test_a_preview_link_says_it_is_one_and_opens_nothing(client):
    page = client.get("/preview-link/feedback/12/more/").content.decode()
    assert "This link is from a preview" in page
