"""Hostile paper data (titles, abstracts, authors, links) is inert in pages, the admin and emails."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from newsletter import delivery
from newsletter.models import Delivery
from subscribers.tokens import make_token
from tests.factories import make_delivery, make_paper, make_subscriber

TITLE = 'Attention</title><script>alert(1)</script>\r\nBcc: victim@example.com\r\n\r\n<img src=x onerror="alert(2)">'
ABSTRACT = "We show <img src=x onerror=alert(3)> and <svg><script>alert(4)</script></svg> at scale."
AUTHORS = ["<svg onload=alert(5)>", 'Eve "</a><script>alert(6)</script>']


def live_markup(html: str) -> list[str]:
    """Every element the hostile data could have made live: inline scripts, svg, event handlers, js links."""
    soup = BeautifulSoup(html, "lxml")
    found = [str(tag)[:120] for tag in soup.find_all("script") if not tag.get("src")]
    found += [str(tag)[:120] for tag in soup.find_all(True) if any(a.lower().startswith("on") for a in tag.attrs)]
    found += [a["href"] for a in soup.find_all(href=True) if a["href"].strip().lower().startswith("javascript:")]
    found += [str(img)[:120] for img in soup.find_all("img", src="x")]
    return found


pytestmark = pytest.mark.django_db


@pytest.fixture
def hostile_paper():
    return make_paper(
        topics={"llm": 0.9}, title=TITLE, abstract=ABSTRACT, authors=AUTHORS, github_repo="javascript:alert(7)"
    )


def test_a_hostile_paper_is_escaped_in_the_email_and_cannot_inject_headers(smtp_server, hostile_paper):
    readers = [make_subscriber(topics=["llm"]) for _ in range(3)]
    ids = [make_delivery(r).id for r in readers]
    assert delivery.send_deliveries(ids).counts["sent"] == 3  # the whole batch goes out
    for received in smtp_server.messages:
        message = received.message
        assert received.rcpt_tos and "victim@example.com" not in received.rcpt_tos
        assert message["Bcc"] is None and "\n" not in message["Subject"] and "\r" not in message["Subject"]
        html = message.get_body(("html",)).get_content()
        assert live_markup(html) == []
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_hostile_paper_is_escaped_in_the_web_version_the_home_page_and_the_admin(client, admin_client, hostile_paper):
    reader = make_subscriber(topics=["llm"])
    d = make_delivery(reader)
    delivery.send_deliveries([d.id])
    pages = {
        "web version": client.get(reverse("digest_web", args=[make_token("digest", d.id)])),
        "home": client.get("/"),
        "admin list": admin_client.get("/admin/papers/paper/"),
        "admin page": admin_client.get(f"/admin/papers/paper/{hostile_paper.id}/change/"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert live_markup(response.content.decode()) == [], name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.content.decode(), name
