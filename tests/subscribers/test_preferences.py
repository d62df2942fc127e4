import json
import re

import pytest
from django.test import Client

from newsletter.models import Delivery, DeliveryItem, Feedback
from papers.models import Topic
from subscribers.models import Consent, Subscriber, SubscriberTopic
from subscribers.tokens import make_token, read_token
from tests.factories import make_delivery, make_paper, make_subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(topics):
    return make_subscriber(
        "ada@example.com", topics={"llm": 2.0}, follow_keywords=["diffusion"], timezone="Europe/Paris", hour=7
    )


def url(subscriber, suffix: str = "") -> str:
    return f"/preferences/{subscriber.token('preferences')}/{suffix}"


def choices(**overrides) -> dict:
    data = {
        "topics": ["llm", "vision"], "follow_keywords": "agents", "mute_keywords": "crypto, nft",
        "frequency": "daily", "weekday": "2", "hour": "19", "timezone": "America/New_York", "paper_count": "15",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_it_shows_every_choice_as_saved(client, reader):
    html = client.get(url(reader)).content.decode()
    assert "ada@example.com" in html
    assert re.search(r'name="topics" value="llm"[^>]* checked', html)
    assert not re.search(r'name="topics" value="vision"[^>]* checked', html)
    assert 'value="diffusion"' in html and '<option value="Europe/Paris" selected>' in html
    assert '<option value="7" selected>07:00</option>' in html
    (unsubscribe_token,) = re.findall(r'href="/unsubscribe/([^/"]+)/"', html)
    assert read_token("unsubscribe", unsubscribe_token) == reader.pk
    assert "Pause my digest" in html and "Download my data" in html and "Delete me completely" in html


def test_it_saves_new_choices_and_keeps_every_link_working(client, reader):
    preferences_link, unsubscribe_token = url(reader), reader.token("unsubscribe")
    response = client.post(preferences_link, choices())
    assert response.status_code == 302 and response["Location"] == preferences_link

    reader.refresh_from_db()
    assert reader.topic_slugs == ["llm", "vision"]
    assert dict(reader.topic_weights.values_list("topic__slug", "weight")) == {"llm": 2.0, "vision": 1.0}
    assert (reader.follow_keywords, reader.mute_keywords) == (["agents"], ["crypto", "nft"])
    assert (reader.frequency, reader.weekday, reader.hour, reader.paper_count) == ("daily", 2, 19, 15)
    assert reader.timezone == "America/New_York" and reader.status == "active"
    assert "Your preferences are saved." in client.get(preferences_link).content.decode()
    assert client.get(f"/unsubscribe/{unsubscribe_token}/").status_code == 200


def test_it_explains_bad_choices_and_changes_nothing(client, reader):
    response = client.post(url(reader), choices(topics=[], hour="25"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Pick at least one topic." in html and "The hour must be between 0 and 23." in html
    reader.refresh_from_db()
    assert (reader.topic_slugs, reader.hour, reader.frequency) == (["llm"], 7, "weekly")


def test_it_pauses_and_resumes(client, reader):
    assert client.post(url(reader, "pause/")).status_code == 302
    assert Subscriber.objects.get().status == "paused"
    assert "Resume my digest" in client.get(url(reader)).content.decode()
    client.post(url(reader, "resume/"))
    assert Subscriber.objects.get().status == "active"


def test_pausing_never_brings_back_an_unsubscribed_reader(client, reader):
    reader.unsubscribe()
    client.post(url(reader, "resume/"))
    client.post(url(reader, "pause/"))
    assert Subscriber.objects.get().status == "unsubscribed"


def test_it_needs_a_post_with_csrf_to_pause(reader):
    client = Client(enforce_csrf_checks=True)
    assert client.get(url(reader, "pause/")).status_code == 405
    assert client.post(url(reader, "pause/")).status_code == 403
    assert Subscriber.objects.get().status == "active"


def test_it_downloads_everything_stored_about_the_reader_as_json(client, reader):
    Consent.objects.create(subscriber=reader, text_sha256="f" * 64, topics=["llm"], ip_address="192.0.2.1")
    response = client.get(f"/my-data/{reader.token('export')}.json")
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="my-paperboy-data.json"'
    data = json.loads(response.content)
    assert data["email"] == "ada@example.com" and data["timezone"] == "Europe/Paris"
    assert data["topics"] == [{"slug": "llm", "name": "Language models", "weight": 2.0}]
    assert data["consents"][0]["ip_address"] == "192.0.2.1"
    assert data["digests"] == []


def test_the_download_holds_every_digest_with_its_papers_and_the_feedback_given(client, reader):
    paper = make_paper(topics={"llm": 0.9}, title="Speculative decoding at scale")
    sent = make_delivery(reader, status=Delivery.Status.SENT)
    DeliveryItem.objects.create(delivery=sent, paper=paper, position=1, reason="Matches your topic: Language models")
    Feedback.objects.create(delivery=sent, paper=paper, direction=Feedback.Direction.MORE, topics=["Language models"])

    data = json.loads(client.get(f"/my-data/{reader.token('export')}.json").content)

    (digest,) = data["digests"]
    assert (digest["period"], digest["status"]) == (sent.period, "sent")
    title, reason = "Speculative decoding at scale", "Matches your topic: Language models"
    assert digest["papers"] == [{"arxiv_id": paper.arxiv_id, "title": title, "reason": reason}]
    assert digest["feedback"][0]["direction"] == "more" and digest["feedback"][0]["topics"] == ["Language models"]


def test_it_deletes_the_reader_completely_only_after_confirmation(client, reader):
    Consent.objects.create(subscriber=reader, text_sha256="f" * 64)
    topics = Topic.objects.count()
    page = client.get(f"/delete/{reader.token('delete')}/").content.decode()
    assert 'name="confirm" value="yes"' in page
    unticked = client.post(f"/delete/{reader.token('delete')}/")
    assert unticked.status_code == 400 and Subscriber.objects.exists()

    response = client.post(f"/delete/{reader.token('delete')}/", {"confirm": "yes"})
    assert "Your data is deleted" in response.content.decode()
    assert not Subscriber.objects.exists() and not Consent.objects.exists() and not SubscriberTopic.objects.exists()
    assert Topic.objects.count() == topics  # the topics stay for everyone else
    assert client.get(url(reader)).status_code == 400


@pytest.mark.parametrize("purpose", ["unsubscribe", "confirm", "digest"])
def test_it_refuses_a_token_made_for_another_purpose(client, reader, purpose):
    response = client.post(f"/preferences/{make_token(purpose, reader.pk)}/", choices())
    assert response.status_code == 400
    assert Subscriber.objects.get().frequency == "weekly"


def test_it_renders_the_page_in_a_fixed_number_of_queries(client, reader, django_assert_max_num_queries):
    from tests.factories import make_topic

    for n in range(20):
        make_topic(f"topic-{n}")
    with django_assert_max_num_queries(8):  # the list of people and labs followed is the eighth
        assert client.get(url(reader)).status_code == 200
