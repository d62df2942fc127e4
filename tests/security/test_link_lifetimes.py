"""Links expire, can all be revoked at once, show no ids, and an old link cannot resubscribe without the inbox."""

import base64
import json
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from newsletter.feedback import token_for
from newsletter.models import DeliveryItem
from subscribers.models import Subscriber
from subscribers.tokens import make_token
from tests.factories import make_delivery, make_paper, make_subscriber
from tests.subscribers.conftest import link_in


@pytest.fixture
def reader(topics):
    return make_subscriber("ada@example.com", topics=["llm"])


def old_links(reader) -> dict[str, str]:
    delivery = make_delivery(reader, status="sent")
    paper = make_paper({"llm": 5.0})
    DeliveryItem.objects.create(delivery=delivery, paper=paper, position=1, reason="r")
    version = reader.link_version
    return {
        "preferences": reverse("preferences", args=[reader.token("preferences")]),
        "unsubscribe": reverse("unsubscribe", args=[reader.token("unsubscribe")]),
        "web version": reverse("digest_web", args=[make_token("digest", delivery.pk, version)]),
        "feedback": reverse("feedback", args=[token_for(delivery.pk, version), paper.pk, "more"]),
        "feed": reverse("personal_feed", args=[reader.token("feed")]),
    }


@pytest.mark.django_db
def test_link_payloads_show_no_ids(reader):
    for pk in (1, 2, reader.pk):
        blob = make_token("preferences", pk).split(":")[0]
        assert blob != signing.dumps(pk).split(":")[0]  # "MQ" for 1, "Mg" for 2
        raw = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
        with pytest.raises(ValueError):
            json.loads(raw)


def test_revoking_kills_every_link_sent_so_far_and_emails_new_ones(client, reader, outbox):
    links = old_links(reader)
    assert {name: client.get(url).status_code for name, url in links.items()} == dict.fromkeys(links, 200)
    response = client.post(reverse("revoke_links", args=[reader.token("preferences")]))
    assert "We sent your new links to a•••@example.com" in response.content.decode()
    assert all(client.get(url).status_code == 400 for url in links.values())
    (mail,) = outbox.messages_to("ada@example.com")
    fresh = link_in(mail.message.get_body(("plain",)).get_content(), "/preferences/")
    assert client.get(fresh.removeprefix("http://127.0.0.1:8000")).status_code == 200


@pytest.mark.django_db
def test_preferences_links_expire_after_90_days_and_unsubscribe_links_after_a_year(client, reader):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        links = old_links(reader)
        prefs, unsub = links["preferences"], links["unsubscribe"]
    with time_machine.travel(start + timedelta(days=89), tick=False):
        assert client.get(prefs).status_code == 200
    with time_machine.travel(start + timedelta(days=91), tick=False):
        assert client.get(prefs).status_code == 410
        assert client.get(unsub).status_code == 200
    with time_machine.travel(start + timedelta(days=366), tick=False):
        assert client.get(unsub).status_code == 410


@pytest.mark.django_db
def test_links_of_the_first_format_still_open_until_revoked(client, reader):
    legacy = signing.dumps(reader.pk, salt="paperboy.preferences", compress=True)
    assert client.get(f"/preferences/{legacy}/").status_code == 200
    reader.revoke_links()
    assert client.get(f"/preferences/{legacy}/").status_code == 400


def test_an_old_unsubscribe_link_resubscribes_only_once_the_inbox_confirms(client, reader, outbox):
    unsubscribe = reverse("unsubscribe", args=[reader.token("unsubscribe")])
    client.post(unsubscribe)
    client.post(f"{unsubscribe}resubscribe/")
    assert Subscriber.objects.get().status == "unsubscribed"
    (mail,) = outbox.messages_to("ada@example.com")
    confirm = link_in(mail.message.get_body(("plain",)).get_content(), "/confirm/").removeprefix(
        "http://127.0.0.1:8000"
    )
    client.post(confirm)
    assert Subscriber.objects.get().status == "active"
