import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from subscribers.models import Consent, Subscriber
from subscribers.tokens import make_token, read_token
from tests.factories import make_subscriber
from tests.subscribers.conftest import form_data, link_in, started_seconds_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(topics):
    return make_subscriber("ada@example.com", topics=["llm", "vision"], status="pending", confirm_nonce="abc123")


def url(subscriber) -> str:
    return f"/confirm/{subscriber.confirm_token()}/"


def snapshot(subscriber) -> tuple:
    subscriber.refresh_from_db()
    return subscriber.status, subscriber.confirm_nonce, subscriber.confirmed_at, subscriber.consents.count()


def consent_shown(html: str) -> str:
    return re.search(r'<p class="consent">(.*?)</p>', html, re.S).group(1)


def test_it_shows_one_confirm_button_on_get_and_changes_nothing(client, pending):
    before = snapshot(pending)
    response = client.get(url(pending))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<button") == 1 and '<form method="post">' in html and ">Confirm</button>" in html
    assert "ada@example.com" in consent_shown(html) and "Language models, Computer vision" in consent_shown(html)
    assert snapshot(pending) == before


def test_it_activates_on_post_records_consent_and_opens_the_preferences(pending):
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT="Firefox/140", REMOTE_ADDR="198.51.100.9")
    page = client.get(url(pending))
    shown = consent_shown(page.content.decode())
    csrf = page.cookies["csrftoken"].value
    response = client.post(url(pending), {"csrfmiddlewaretoken": csrf})

    pending.refresh_from_db()
    assert response.status_code == 302
    assert read_token("preferences", response["Location"].split("/")[-2]) == pending.pk
    assert pending.status == "active" and pending.confirmed_at and pending.confirm_nonce == ""
    assert pending.next_digest_at is None
    consent = Consent.objects.get()
    assert consent.text_sha256 == hashlib.sha256(shown.encode()).hexdigest()
    assert (consent.ip_address, consent.user_agent, consent.topics) == (
        "198.51.100.9",
        "Firefox/140",
        ["llm", "vision"],
    )
    assert "Your subscription is confirmed" in client.get(response["Location"]).content.decode()


def test_it_says_already_confirmed_on_a_second_confirm(client, pending):
    link = url(pending)
    client.post(link)
    confirmed_at = Subscriber.objects.get().confirmed_at
    again = client.post(link)
    assert again.status_code == 200 and "Already confirmed" in again.content.decode()
    assert "Already confirmed" in client.get(link).content.decode()
    assert Subscriber.objects.get().confirmed_at == confirmed_at and Consent.objects.count() == 1


def test_a_used_link_never_reactivates_someone_who_unsubscribed_since(client, pending):
    link = url(pending)
    client.post(link)
    Subscriber.objects.get().unsubscribe()
    response = client.post(link)
    assert "Already confirmed" in response.content.decode()
    assert Subscriber.objects.get().status == "unsubscribed"


def test_it_rejects_an_expired_token_with_a_form_for_a_new_link_and_changes_nothing(client, pending):
    link = url(pending)
    before = snapshot(pending)
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        response = client.post(link)
    html = response.content.decode()
    assert response.status_code == 410
    assert "This link has expired" in html and 'action="/resend/"' in html and 'name="email"' in html
    assert snapshot(pending) == before


def test_it_still_accepts_a_token_just_before_it_expires(client, pending):
    link = url(pending)
    with time_machine.travel(timezone.now() + timedelta(days=2, hours=23)):
        client.post(link)
    assert Subscriber.objects.get().status == "active"


def test_it_rejects_a_tampered_token(client, pending):
    token = pending.confirm_token()
    payload, rest = token.split(":", 1)
    forged = make_token("confirm", {"id": pending.pk, "n": "guess"}).split(":", 1)[0] + ":" + rest
    for bad in [forged, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense"]:
        response = client.post(f"/confirm/{bad}/")
        assert response.status_code == 400 and "This link does not work" in response.content.decode()
    assert snapshot(pending)[0] == "pending"


@pytest.mark.parametrize("purpose", ["preferences", "unsubscribe", "digest"])
def test_it_rejects_a_token_made_for_another_purpose(client, pending, purpose):
    response = client.post(f"/confirm/{make_token(purpose, {'id': pending.pk, 'n': 'abc123'})}/")
    assert response.status_code == 400
    assert snapshot(pending)[0] == "pending"


def test_the_new_link_form_on_the_expired_page_sends_a_fresh_link(client, pending, outbox):
    data = {"email": "ADA@example.com", "website": "", "started": started_seconds_ago()}
    response = client.post("/resend/", data)
    assert response.status_code == 302 and response["Location"] == "/check-your-inbox/"
    (received,) = outbox.messages
    link = link_in(received.message.get_body(("plain",)).get_content(), "/confirm/")
    client.post(link.removeprefix("http://127.0.0.1:8000"))
    assert Subscriber.objects.get().status == "active"


def test_the_new_link_form_answers_the_same_for_an_unknown_address(client, outbox):
    data = {"email": "nobody@example.com", "website": "", "started": started_seconds_ago()}
    assert client.post("/resend/", data)["Location"] == "/check-your-inbox/"
    assert not outbox.messages


def test_an_unsubscribed_reader_who_signs_up_again_confirms_with_the_new_link_only(client, topics, outbox):
    subscriber = make_subscriber("ada@example.com", topics=["llm"], status="pending", confirm_nonce="old")
    old_link = url(subscriber)
    client.post(old_link)
    Subscriber.objects.get().unsubscribe()

    client.post("/subscribe/", form_data(topics=["vision"]))
    (received,) = outbox.messages
    new_link = link_in(received.message.get_body(("plain",)).get_content(), "/confirm/")
    assert "Already confirmed" in client.post(old_link).content.decode()
    assert Subscriber.objects.get().status == "unsubscribed"
    client.post(new_link.removeprefix("http://127.0.0.1:8000"))
    subscriber.refresh_from_db()
    assert subscriber.status == "active" and subscriber.topic_slugs == ["vision"]
    assert subscriber.consents.count() == 2
