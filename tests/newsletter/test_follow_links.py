"""A digest's "Follow Qwen" link: signed, a GET only asks (scanners), the POST follows, twice changes nothing."""

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from newsletter import delivery
from newsletter.compose import preview
from subscribers.tokens import make_token
from tests.factories import make_delivery, make_paper, make_subscriber

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(datetime(2026, 11, 30, 8, tzinfo=UTC))]


def follow_links(smtp_server) -> dict[str, str]:
    html = smtp_server.messages[0].message.get_body(("html",)).get_content()
    found = re.findall(r'href="([^"]+/follow/[^"]+)"[^>]*>Follow ([^<]+)<', html)
    return {unescape(name): unescape(url) for url, name in found}


def test_it_follows_the_lab_of_a_digest_paper_only_when_the_button_is_pressed(client, smtp_server, settings):
    make_paper({"llm": 0.9}, organization="Qwen", authors=["Ada Lovelace", "Grace Hopper", "Zoë Müller"])
    reader = make_subscriber(topics=["llm"])
    d = make_delivery(reader)
    delivery.send_deliveries([d.id], timezone.now())
    links = follow_links(smtp_server)
    assert set(links) == {"Qwen", "Ada Lovelace", "Zoë Müller"}  # the lab, the first and the last author
    path = links["Qwen"].removeprefix(settings.SITE_URL.rstrip("/"))
    assert "Follow Qwen:" in smtp_server.messages[0].message.get_body(("plain",)).get_content()
    web = unescape(client.get(reverse("digest_web", args=[make_token("digest", d.id)])).content.decode())
    assert f'href="{links["Qwen"]}"' in web  # the web version offers the same link

    asked = unescape(client.get(path).content.decode())
    assert "Follow Qwen?" in asked and "Nothing changes until the button is pressed." in asked
    assert not reader.follows.exists()  # a link scanner's GET follows no one

    assert "You follow Qwen" in unescape(client.post(path).content.decode())
    assert "You already follow Qwen" in unescape(client.post(path).content.decode())
    assert list(reader.follows.values_list("kind", "name")) == [("organization", "Qwen")]

    make_paper({"vision": 0.9}, arxiv_id="2611.09999", organization="Qwen", title="Qwen-VL 5", authors=[])
    assert preview(reader).items[0].reason == "From Qwen, which you follow"


def test_it_answers_a_forged_or_foreign_follow_link_with_400_and_follows_no_one(client, smtp_server, settings):
    make_paper({"llm": 0.9}, organization="Qwen")
    other = make_paper({"vision": 0.9}, organization="DeepMind", hidden=True)  # never in a digest
    reader = make_subscriber(topics=["llm"])
    delivery.send_deliveries([make_delivery(reader).id], timezone.now())
    path = follow_links(smtp_server)["Qwen"].removeprefix(settings.SITE_URL.rstrip("/"))
    token = path.split("/")[2]

    assert client.post(path.replace(token, token[:-2] + "xx")).status_code == 400
    assert client.post(re.sub(r"/\d+/follow/", f"/{other.id}/follow/", path)).status_code == 400  # not in it
    assert client.post(path.replace("/follow/org/", "/follow/author-7/")).status_code == 400
    assert not reader.follows.exists()
