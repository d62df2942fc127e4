"""RFC 8058 one-click unsubscribe from a received digest. The target view is the subscribers app's."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.test import Client

from newsletter import delivery
from subscribers.models import Subscriber
from tests.factories import make_delivery, make_paper, make_subscriber


@pytest.mark.django_db
def test_it_unsubscribes_with_a_one_click_post_to_the_list_unsubscribe_url(smtp_server):
    make_paper(topics={"llm": 0.9})
    reader = make_subscriber(topics=["llm"])
    delivery.send_deliveries([make_delivery(reader).id], datetime.now(UTC))
    header = smtp_server.messages[0].message["List-Unsubscribe"]
    https_url = next(part.strip(" <>") for part in header.split(",") if "mailto:" not in part)
    # Mail providers post without a CSRF token or cookie, exactly like this.
    response = Client(enforce_csrf_checks=True).post(urlsplit(https_url).path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code in (200, 204, 302)
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.UNSUBSCRIBED
