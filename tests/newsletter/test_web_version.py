from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from newsletter import delivery
from newsletter.models import Delivery
from subscribers.models import Subscriber
from subscribers.tokens import make_token
from tests.factories import make_delivery, make_paper, make_subscriber

pytestmark = pytest.mark.django_db


def test_the_web_version_shows_the_papers_that_were_sent(client, smtp_server):
    make_paper(topics={"llm": 0.9}, title="<i>Tiny</i> transformers", upvotes=7)
    reader = make_subscriber(topics=["llm"])
    d = make_delivery(reader)
    with time_machine.travel(datetime.now(UTC), tick=False):  # the token's timestamp is the email's
        delivery.send_deliveries([d.id], datetime.now(UTC))
        web_url = reverse("digest_web", args=[make_token("digest", d.id)])
    html = smtp_server.messages[0].message.get_body(("html",)).get_content()
    assert web_url in html
    response = client.get(web_url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "&lt;i&gt;Tiny&lt;/i&gt; transformers" in page and "Matches your topic: Language models" in page
    assert "1 paper picked for you from 1 new this week" in page


def test_the_web_version_refuses_a_forged_or_foreign_token(client):
    d = make_delivery(make_subscriber())
    assert client.get(reverse("digest_web", args=[make_token("preferences", d.id)])).status_code == 400
    assert client.get(reverse("digest_web", args=["not-a-token"])).status_code == 400


@time_machine.travel(datetime(2026, 11, 26, 10, tzinfo=UTC), tick=False)
def test_send_me_my_digest_now_asks_first_and_queues_one_digest_per_hour(client, django_capture_on_commit_callbacks):
    make_paper(topics={"llm": 0.9})
    reader = make_subscriber()
    url = reverse("send_digest_now", args=[make_token("preferences", reader.id)])
    page = client.get(url)
    assert page.status_code == 200 and b"Send it now" in page.content
    assert not Delivery.objects.exists()  # link scanners only GET
    with django_capture_on_commit_callbacks() as queued:
        assert b"on its way" in client.post(url).content
        assert b"Already on its way" in client.post(url).content
    assert Delivery.objects.filter(subscriber=reader).count() == 1 and len(queued) == 1


def test_send_me_my_digest_now_refuses_unsubscribed_readers(client):
    reader = make_subscriber(status=Subscriber.Status.UNSUBSCRIBED)
    url = reverse("send_digest_now", args=[make_token("preferences", reader.id)])
    assert client.post(url).status_code == 400
    assert not Delivery.objects.exists()


def test_an_operator_can_send_a_test_digest_from_the_admin(admin_client, django_capture_on_commit_callbacks):
    first = make_delivery(make_subscriber())
    with django_capture_on_commit_callbacks() as queued:
        response = admin_client.post(
            reverse("admin:newsletter_delivery_changelist"),
            {"action": "send_digest_now", "_selected_action": [first.id]},
            follow=True,
        )
    assert b"Queued 1 digest(s)" in response.content
    assert Delivery.objects.filter(subscriber=first.subscriber, period__startswith="now-").count() == 1
    assert len(queued) == 1
