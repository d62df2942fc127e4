from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from subscribers.models import Subscriber
from subscribers.tokens import read_token
from tests.factories import make_subscriber
from tests.subscribers.conftest import form_data, link_in

pytestmark = pytest.mark.django_db


def subscribe(client, ip: str = "203.0.113.7", **fields):
    return client.post("/subscribe/", form_data(**fields), REMOTE_ADDR=ip)


def test_it_shows_the_form_with_email_and_topic_checkboxes(client, topics):
    html = client.get("/").content.decode()
    assert '<input type="email" name="email"' in html
    assert 'type="checkbox" name="topics" value="llm"' in html
    assert 'type="checkbox" name="topics" value="vision"' in html
    assert '<option value="Europe/Paris">' in html and '<option value="UTC" selected>' in html


def test_it_saves_the_preferences_on_a_pending_subscriber_and_emails_a_link(client, topics, outbox):
    response = subscribe(
        client, email="Ada+ML@Example.com", topics=["llm", "vision"], follow_keywords="Diffusion, agents, diffusion",
        mute_keywords="crypto", frequency="daily", weekday="4", hour="18", timezone="Asia/Tokyo", paper_count="7",
    )  # fmt: skip

    assert response.status_code == 302 and response["Location"] == "/check-your-inbox/"
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "Ada+ML@example.com" and subscriber.status == "pending"
    assert subscriber.topic_slugs == ["llm", "vision"]
    assert subscriber.follow_keywords == ["diffusion", "agents"] and subscriber.mute_keywords == ["crypto"]
    assert (subscriber.frequency, subscriber.weekday, subscriber.hour) == ("daily", 4, 18)
    assert (subscriber.timezone, subscriber.paper_count) == ("Asia/Tokyo", 7)
    assert subscriber.next_digest_at is None
    (received,) = outbox.messages
    assert received.rcpt_tos == ["Ada+ML@example.com"]
    assert received.message["Subject"] == "Confirm your Paperboy subscription"
    text = received.message.get_body(("plain",)).get_content()
    html = received.message.get_body(("html",)).get_content()
    link = link_in(text, "/confirm/")
    assert read_token("confirm", link.split("/")[-2]) == {"id": subscriber.pk, "n": subscriber.confirm_nonce}
    followed = ", ".join(t.name for t in subscriber.topics.order_by("position", "name"))
    assert "ada+ml" not in link.lower() and "example.com" not in link.split("/confirm/")[1]
    assert followed in ("Computer vision, Language models", "Language models, Computer vision")
    assert f"about {followed}." in text
    assert f'href="{link}"' in html and 'style="' in html and "<style" not in html


def test_it_answers_the_same_page_for_new_pending_active_and_unsubscribed_addresses(client, topics, outbox):
    make_subscriber("pending@example.com", status="pending", confirm_nonce="n1")
    make_subscriber("active@example.com", status="active")
    make_subscriber("gone@example.com", status="unsubscribed")
    pages = []
    for address in ["new@example.com", "pending@example.com", "active@example.com", "gone@example.com"]:
        response = subscribe(client, email=address, ip="198.51.100.1")
        assert response.status_code == 302
        pages.append((response["Location"], client.get(response["Location"]).content))
    assert len(set(pages)) == 1
    assert b"Check your inbox" in pages[0][1]
    assert sorted(r for m in outbox.messages for r in m.rcpt_tos) == [
        "active@example.com", "gone@example.com", "new@example.com", "pending@example.com",
    ]  # fmt: skip


def test_it_never_changes_the_preferences_or_status_of_a_confirmed_subscriber(client, topics, outbox):
    subscriber = make_subscriber("ada@example.com", topics=["vision"], paper_count=5)
    subscribe(client, email="ADA@example.com", topics=["llm"], paper_count="20")
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.topic_slugs, subscriber.paper_count) == ("active", ["vision"], 5)
    assert Subscriber.objects.count() == 1
    (received,) = outbox.messages
    assert received.message["Subject"] == "Your Paperboy subscription"
    link = link_in(received.message.get_body(("plain",)).get_content(), "/preferences/")
    assert read_token("preferences", link.split("/")[-2]) == subscriber.pk


def test_it_sends_at_most_one_email_for_twenty_subscribes_of_one_address_in_a_minute(client, topics, outbox):
    for n in range(20):
        response = subscribe(client, email="ada@example.com", ip=f"192.0.2.{n + 1}")
        assert response.status_code == 302
    assert len(outbox.messages_to("ada@example.com")) == 1
    assert Subscriber.objects.count() == 1


def test_it_sends_a_new_link_to_a_pending_address_once_the_resend_interval_has_passed(client, topics, outbox):
    subscribe(client)
    subscribe(client)
    assert len(outbox.messages) == 1
    Subscriber.objects.update(confirmation_sent_at=timezone.now() - timedelta(minutes=6))  # time passes
    subscribe(client)
    first, second = outbox.messages
    assert first.message["Subject"] == second.message["Subject"] == "Confirm your Paperboy subscription"


def test_it_refuses_too_many_sign_ups_from_one_ip_address_with_a_clear_message(client, topics):
    statuses = [subscribe(client, email=f"reader{n}@example.com").status_code for n in range(11)]
    assert statuses == [302] * 10 + [429]
    assert b"Too many sign-ups from your network" in subscribe(client).content
    assert Subscriber.objects.count() == 10


def test_it_silently_drops_a_form_whose_honeypot_is_filled(client, topics):
    response = subscribe(client, website="http://spam.example")
    assert response.status_code == 302 and response["Location"] == "/check-your-inbox/"
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize("started", ["", "forged", "now"])
def test_it_silently_drops_a_form_sent_too_fast_or_without_its_signed_start(client, topics, started):
    from subscribers.forms import form_started_token

    response = subscribe(client, started=form_started_token() if started == "now" else started)
    assert response.status_code == 302
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"topics": []}, "Pick at least one topic."),
        ({"topics": ["llm", "astrology"]}, "Unknown topic: astrology."),
        ({"timezone": "Mars/Olympus_Mons"}, "Unknown time zone: Mars/Olympus_Mons. Use a name like Europe/Paris."),
        ({"hour": "24"}, "The hour must be between 0 and 23."),
        ({"weekday": "7"}, "Pick a day of the week."),
        ({"paper_count": "2"}, "At least 3 papers per email."),
        ({"paper_count": "26"}, "At most 25 papers per email."),
        ({"email": "jörg@example.com"}, "The part before the @ must use ASCII letters, digits and punctuation only."),
        ({"email": "x" * 1000}, "That email address is too long (at most 254 characters)."),
        ({"follow_keywords": "k" * 1000}, "Keep the keywords under 600 characters."),
        ({"mute_keywords": ",".join(["word"] * 5 + [f"w{n}" for n in range(21)])}, "Up to 20 keywords, please."),
    ],
)
def test_it_keeps_the_form_and_explains_bad_input_in_one_line(client, topics, fields, message):
    response = subscribe(client, **{"email": "ada@example.com", **fields})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<p class="error">{message}</p>' in html.replace("&#x27;", "'")
    assert 'value="ada@example.com"' in html or "email" in fields
    assert not Subscriber.objects.exists()


def test_it_stores_one_row_for_the_same_mailbox_typed_differently(client, topics):
    for variant in ["ada@example.com", " ADA@EXAMPLE.COM ", "Ada@Example.com"]:
        subscribe(client, email=variant)
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["ada@example.com"]


def test_it_protects_the_form_with_csrf(topics):
    response = Client(enforce_csrf_checks=True).post("/subscribe/", form_data())
    assert response.status_code == 403
    assert not Subscriber.objects.exists()


def test_it_stores_an_international_domain_in_ascii(client, topics):
    subscribe(client, email="Ada@Bücher.DE")
    assert Subscriber.objects.get().email == "Ada@xn--bcher-kva.de"


def test_behind_the_https_proxy_it_limits_by_the_address_the_proxy_saw(client, topics, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    def from_client(n: int, ip: str):
        data = form_data(email=f"reader{n}@example.com")
        return client.post("/subscribe/", data, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ip}")

    assert [from_client(n, "203.0.113.5").status_code for n in range(11)] == [302] * 10 + [429]
    assert from_client(11, "203.0.113.6").status_code == 302
