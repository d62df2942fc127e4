"""A forwarded digest is no master key: the data download and the deletion open only from a fresh link that
is emailed to the address itself and works for 30 minutes."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from subscribers.models import Consent, Subscriber
from tests.factories import make_subscriber
from tests.subscribers.conftest import link_in


@pytest.fixture
def reader(topics):
    reader = make_subscriber("ada@example.com", topics=["llm"])
    Consent.objects.create(subscriber=reader, text_sha256="f" * 64, ip_address="192.0.2.1", user_agent="Firefox")
    return reader


def preferences(reader, suffix: str = "") -> str:
    return f"/preferences/{reader.token('preferences')}/{suffix}"


@pytest.mark.django_db
def test_the_preferences_link_alone_neither_downloads_nor_deletes(client, reader):
    page = client.get(preferences(reader, "my-data/"))
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "192.0.2.1" not in page.content.decode()
    assert "we email a link to a•••@example.com first" in page.content.decode()
    client.post(preferences(reader, "delete/"), {"confirm": "yes"})
    assert Subscriber.objects.filter(pk=reader.pk).exists()
    assert client.get(f"/my-data/{reader.token('preferences')}.json").status_code == 400
    assert client.get(f"/delete/{reader.token('preferences')}/").status_code == 400


def test_asking_for_the_download_emails_a_link_that_downloads(client, reader, outbox):
    response = client.post(preferences(reader, "my-data/"))
    assert "We sent a confirmation link to a•••@example.com" in response.content.decode()
    (mail,) = outbox.messages_to("ada@example.com")
    link = link_in(mail.message.get_body(("plain",)).get_content(), "/my-data/")
    data = json.loads(client.get(link.removeprefix("http://127.0.0.1:8000")).content)
    assert data["email"] == "ada@example.com" and data["consents"][0]["ip_address"] == "192.0.2.1"


def test_asking_for_the_deletion_emails_a_link_that_asks_once_more_and_deletes(client, reader, outbox):
    client.post(preferences(reader, "delete/"))
    (mail,) = outbox.messages_to("ada@example.com")
    link = link_in(mail.message.get_body(("plain",)).get_content(), "/delete/").removeprefix("http://127.0.0.1:8000")
    assert 'name="confirm" value="yes"' in client.get(link).content.decode()
    assert "Your data is deleted" in client.post(link, {"confirm": "yes"}).content.decode()
    assert not Subscriber.objects.exists()


@pytest.mark.django_db
def test_the_emailed_links_stop_working_after_30_minutes(client, reader):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        export, delete = f"/my-data/{reader.token('export')}.json", f"/delete/{reader.token('delete')}/"
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get(export).status_code == 200
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert client.get(export).status_code == 410
        assert client.post(delete, {"confirm": "yes"}).status_code == 410
    assert Subscriber.objects.exists()


def test_it_sends_at_most_three_account_links_an_hour(client, reader, outbox):
    for _ in range(5):
        client.post(preferences(reader, "my-data/"))
    assert len(outbox.messages_to("ada@example.com")) == 3
