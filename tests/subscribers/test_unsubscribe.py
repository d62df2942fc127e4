import pytest
from django.test import Client
from django.test.client import encode_multipart

from subscribers.models import Consent, Subscriber
from subscribers.tokens import make_token
from tests.factories import make_subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(topics):
    return make_subscriber("ada@example.com", topics=["llm"])


def url(subscriber) -> str:
    return f"/unsubscribe/{subscriber.token('unsubscribe')}/"


def status() -> str:
    return Subscriber.objects.get().status


def test_get_shows_one_button_and_changes_nothing(client, reader):
    response = client.get(url(reader))
    html = response.content.decode()
    assert response.status_code == 200 and "Unsubscribe?" in html
    assert html.count("<button") == 1 and ">Unsubscribe</button>" in html
    assert status() == "active" and Subscriber.objects.get().unsubscribed_at is None


def test_the_button_unsubscribes_and_offers_to_resubscribe_and_a_reason(client, reader):
    response = client.post(url(reader))
    html = response.content.decode()
    assert response.status_code == 200 and "You are unsubscribed" in html
    assert "Subscribe again" in html and 'name="reason" value="too_many"' in html
    subscriber = Subscriber.objects.get()
    assert subscriber.status == "unsubscribed" and subscriber.unsubscribed_at is not None


def test_one_click_form_encoded_post_without_csrf_or_cookies_answers_200_twice(reader):
    client = Client(enforce_csrf_checks=True)
    for _ in range(2):
        response = client.post(
            url(reader), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 200 and "Location" not in response
        assert status() == "unsubscribed"
        client.cookies.clear()


def test_one_click_multipart_post_without_csrf_or_cookies_answers_200_twice(reader):
    client = Client(enforce_csrf_checks=True)
    body = encode_multipart("BoUnDaRy", {"List-Unsubscribe": "One-Click"})
    for _ in range(2):
        response = client.post(url(reader), body, content_type="multipart/form-data; boundary=BoUnDaRy")
        assert response.status_code == 200 and "Location" not in response
        client.cookies.clear()
    assert status() == "unsubscribed"


def test_one_click_with_a_bad_token_does_nothing(reader):
    client = Client(enforce_csrf_checks=True)
    token = reader.token("unsubscribe")
    for bad in [token[:-3] + "xyz", make_token("preferences", reader.pk), make_token("feedback", reader.pk)]:
        response = client.post(f"/unsubscribe/{bad}/", {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 400
    assert status() == "active"


def test_only_the_unsubscribe_view_skips_csrf(reader):
    client = Client(enforce_csrf_checks=True)
    client.post(url(reader))
    assert client.post(f"{url(reader)}reason/", {"reason": "too_many"}).status_code == 403
    assert client.post(f"{url(reader)}resubscribe/").status_code == 403
    assert status() == "unsubscribed"


def test_it_stores_the_reason_given(client, reader):
    client.post(url(reader))
    response = client.post(f"{url(reader)}reason/", {"reason": "not_relevant"})
    assert response.status_code == 302
    assert Subscriber.objects.get().unsubscribe_reason == "not_relevant"
    html = client.get(url(reader)).content.decode()
    assert "Thank you for telling us." in html and "The papers were not relevant to me" in html


def test_it_ignores_an_unknown_reason(client, reader):
    client.post(url(reader))
    client.post(f"{url(reader)}reason/", {"reason": "<script>"})
    assert Subscriber.objects.get().unsubscribe_reason == ""


def test_resubscribing_asks_the_inbox_to_confirm_before_anything_is_sent(client, reader):
    client.post(url(reader))
    response = client.post(f"{url(reader)}resubscribe/", HTTP_USER_AGENT="Safari")
    assert response.status_code == 200
    assert "We sent a confirmation link to a•••@example.com" in response.content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.status == "unsubscribed" and subscriber.confirm_nonce
    assert not Consent.objects.exists()


def test_resubscribing_an_active_reader_changes_nothing(client, reader):
    client.post(f"{url(reader)}resubscribe/")
    assert status() == "active" and not Consent.objects.exists()


def test_unsubscribing_a_paused_reader_works_and_keeps_bounced_ones_as_they_are(client, reader):
    reader.pause()
    client.post(url(reader))
    assert status() == "unsubscribed"
    bounced = make_subscriber("gone@example.com", status="bounced")
    client.post(url(bounced))
    assert Subscriber.objects.get(pk=bounced.pk).status == "bounced"
