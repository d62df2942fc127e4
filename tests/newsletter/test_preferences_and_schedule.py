"""The preferences page and the digest schedule work together."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from newsletter.models import Delivery
from newsletter.scheduling import schedule_unscheduled
from subscribers.models import Subscriber
from subscribers.tokens import make_token
from tests.factories import make_paper, make_subscriber

pytestmark = pytest.mark.django_db


def preferences_post(reader: Subscriber, **changes) -> dict:
    data = {
        "topics": reader.topic_slugs,
        "follow_keywords": "",
        "mute_keywords": "",
        "frequency": reader.frequency,
        "weekday": reader.weekday,
        "hour": reader.hour,
        "timezone": reader.timezone,
        "paper_count": reader.paper_count,
    }
    data.update(changes)
    return data


@time_machine.travel(datetime(2026, 11, 26, 10, tzinfo=UTC), tick=False)
def test_the_preferences_page_offers_send_me_my_digest_now(client, django_capture_on_commit_callbacks):
    make_paper(topics={"llm": 0.9})
    reader = make_subscriber()
    token = make_token("preferences", reader.id)
    page = client.get(reverse("preferences", args=[token]))
    preview = reverse("digest_preview", args=[token])
    assert f'src="{preview}"'.encode() in page.content
    send_now = reverse("send_digest_now", args=[token])
    assert f'action="{send_now}"'.encode() in client.get(preview).content
    with django_capture_on_commit_callbacks() as queued:
        client.post(send_now)
    assert Delivery.objects.filter(subscriber=reader).count() == 1 and len(queued) == 1


@time_machine.travel(datetime(2026, 11, 23, 12, 0, tzinfo=UTC), tick=False)
def test_changing_the_hour_moves_the_next_digest_to_the_new_hour(client):
    reader = make_subscriber(frequency="daily", hour=8, timezone="Europe/Berlin")
    schedule_unscheduled()
    reader.refresh_from_db()
    assert reader.next_digest_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)

    response = client.post(
        reverse("preferences", args=[make_token("preferences", reader.id)]), preferences_post(reader, hour=18)
    )
    assert response.status_code == 302
    schedule_unscheduled()
    reader.refresh_from_db()
    assert reader.next_digest_at == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


@time_machine.travel(datetime(2026, 11, 23, 12, 0, tzinfo=UTC), tick=False)
def test_saving_without_a_schedule_change_keeps_the_next_digest(client):
    reader = make_subscriber(frequency="weekly", weekday=4, hour=9)
    schedule_unscheduled()
    reader.refresh_from_db()
    before = reader.next_digest_at
    client.post(
        reverse("preferences", args=[make_token("preferences", reader.id)]), preferences_post(reader, paper_count=5)
    )
    reader.refresh_from_db()
    assert reader.paper_count == 5 and reader.next_digest_at == before


def test_resuming_gives_a_fresh_send_time_instead_of_a_stale_one():
    stale = timezone.now() - timedelta(days=60)
    reader = make_subscriber(status=Subscriber.Status.PAUSED, next_digest_at=stale)
    assert reader.resume()
    assert reader.next_digest_at is None
