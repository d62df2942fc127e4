"""A stranger who types someone's address changes nothing of theirs: new choices wait for that inbox to confirm."""

import pytest

from subscribers.models import Consent, Subscriber
from tests.factories import make_subscriber
from tests.subscribers.conftest import form_data

pytestmark = pytest.mark.django_db


def stored(subscriber) -> tuple:
    subscriber = Subscriber.objects.get(pk=subscriber.pk)
    return subscriber.topic_slugs, subscriber.frequency, subscriber.hour


@pytest.mark.parametrize("status", ["pending", "unsubscribed"])
def test_a_stranger_cannot_overwrite_the_choices_of_a_pending_or_unsubscribed_address(client, topics, status):
    owner = make_subscriber("ada@example.com", topics=["llm"], status=status, frequency="weekly", hour=8)
    response = client.post("/subscribe/", form_data("ada@example.com", topics=["vision"], frequency="daily", hour="3"))
    assert response.status_code == 302
    assert stored(owner) == (["llm"], "weekly", 8)
    assert Subscriber.objects.get(pk=owner.pk).status == status


def test_the_new_choices_take_effect_when_the_address_confirms(client, topics):
    owner = make_subscriber("ada@example.com", topics=["llm"], status="pending", confirm_nonce="n1", hour=8)
    client.post("/subscribe/", form_data("ada@example.com", topics=["vision"], frequency="daily", hour="3"))
    owner = Subscriber.objects.get(pk=owner.pk)
    page = client.get(f"/confirm/{owner.confirm_token()}/").content.decode()
    assert "daily (weekdays) digest" in page and "Computer vision" in page and "Language models" not in page
    client.post(f"/confirm/{owner.confirm_token()}/")
    assert stored(owner) == (["vision"], "daily", 3)
    assert Consent.objects.get().topics == ["vision"]
    assert Subscriber.objects.get().pending_preferences == {}
