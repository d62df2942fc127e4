"""The preferences page's follow box: follow a name, see it listed, unfollow it in one click, get suggestions."""

from datetime import UTC, datetime
from html import unescape

import pytest
from django.urls import reverse

from newsletter import follows
from newsletter.models import Follow
from tests.factories import make_paper, make_subscriber

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(datetime(2026, 11, 30, 8, tzinfo=UTC))]


@pytest.fixture
def reader():
    make_paper(arxiv_id="2611.00001", organization="Qwen", authors=["Zoë Müller"])
    return make_subscriber()


def page(client, reader) -> str:
    return unescape(client.get(reverse("preferences", args=[reader.token("preferences")])).content.decode())


def test_it_follows_a_name_from_the_box_and_unfollows_it_in_one_click(client, reader):
    token = reader.token("preferences")
    answer = client.post(reverse("follow_name", args=[token]), {"name": "zoe muller", "kind": ""}, follow=True)
    html = unescape(answer.content.decode())
    assert "You follow Zoë Müller: their new papers come first in your digest." in html
    assert "Unfollow Zoë Müller" in html

    row = reader.follows.get()
    html = unescape(client.post(reverse("unfollow_name", args=[token, row.id]), follow=True).content.decode())
    assert "You no longer follow Zoë Müller." in html
    assert "You follow no one yet." in html and not reader.follows.exists()


def test_it_says_why_a_name_cannot_be_followed_and_keeps_the_list_as_it_was(client, reader):
    token = reader.token("preferences")
    client.post(reverse("follow_name", args=[token]), {"name": "Qwen"})
    html = unescape(client.post(reverse("follow_name", args=[token]), {"name": "QWEN"}, follow=True).content.decode())
    assert "You already follow Qwen." in html
    html = unescape(client.post(reverse("follow_name", args=[token]), {"name": "Nobody"}, follow=True).content.decode())
    assert "No paper lists “Nobody” as an author or organisation" in html
    assert list(reader.follows.values_list("name", flat=True)) == ["Qwen"]


def test_it_suggests_names_with_paper_counts_to_the_reader_only(client, reader):
    answer = client.get(reverse("suggest_names", args=[reader.token("preferences")]), {"q": "mull"})
    assert answer.json() == {"names": [{"kind": "author", "name": "Zoë Müller", "papers": 1}]}
    assert client.get(reverse("suggest_names", args=["forged"]), {"q": "mull"}).status_code == 400
    assert client.post(reverse("follow_name", args=["forged"]), {"name": "Qwen"}).status_code == 400
    assert not reader.follows.exists()


def test_it_puts_follows_in_the_data_download_and_deletes_them_with_the_reader(client, reader):
    follows.follow(reader, "", "Qwen")
    data = client.get(reverse("export_data", args=[reader.token("export")])).json()
    assert [(f["kind"], f["name"]) for f in data["follows"]] == [("organization", "Qwen")]

    client.post(reverse("delete", args=[reader.token("delete")]), {"confirm": "yes"})
    assert not Follow.objects.exists()
