"""One subscriber's history: status changes, every digest with its papers and reasons, feedback."""

from datetime import UTC, datetime

import pytest
import time_machine
from bs4 import BeautifulSoup

from newsletter.models import DeliveryItem, Feedback
from tests.dashboard.conftest import figure, messages_shown
from tests.factories import make_delivery, make_paper, make_subscriber

pytestmark = pytest.mark.django_db


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=UTC), tick=False)


def a_reader_who_left():
    with at(2026, 11, 2, 9):
        reader = make_subscriber("left@example.com", status="pending")
    reader.status, reader.confirmed_at = "active", datetime(2026, 11, 2, 10, tzinfo=UTC)
    reader.save()
    papers = [make_paper({"llm": 0.9}, title=f"Paper <{n}>") for n in range(3)]
    with at(2026, 11, 9, 8):
        sent = make_delivery(reader, "2026-W46", status="sent", sent_at=datetime(2026, 11, 9, 8, tzinfo=UTC))
    for n, paper in enumerate(papers[:2], start=1):
        DeliveryItem.objects.create(delivery=sent, paper=paper, position=n, reason=f"Reason {n} for you")
    with at(2026, 11, 16, 8):
        failed = make_delivery(reader, "2026-W47", status="failed", error="550 5.1.1 No such user")
    DeliveryItem.objects.create(delivery=failed, paper=papers[2], position=1, reason="Trending in Language models")
    with at(2026, 11, 23, 8):
        make_delivery(reader, "2026-W48", status="skipped", skip_reason="No new papers since the last digest")
    reader.status, reader.unsubscribe_reason = "unsubscribed", "too_many"
    reader.unsubscribed_at = datetime(2026, 11, 24, tzinfo=UTC)
    reader.save()
    return reader


def test_it_lists_status_changes_and_every_digest_with_its_papers_and_reasons(admin_client):
    reader = a_reader_who_left()
    response = admin_client.get(f"/admin/dashboard/history/{reader.pk}/")
    page = BeautifulSoup(response.content, "lxml")
    events = [" ".join(tr.get_text(" ").split()) for tr in page.select('[data-figure="history-events"] tr')]
    assert events[0] == "Mon 2 Nov 2026, 09:00 UTC Signed up (pending confirmation)"
    assert events[1] == "Mon 2 Nov 2026, 10:00 UTC Confirmed: active"
    assert events[2] == "Tue 24 Nov 2026, 00:00 UTC Unsubscribed (Too many emails)"
    assert len(events) == 3
    assert figure(page, "history-status") == "Unsubscribed"
    assert figure(page, "history-counts") == "3 in all · 1 sent · 1 skipped · 1 failed"
    periods = [d.select_one("summary strong").get_text() for d in page.select("details.pb-delivery")]
    assert periods == ["2026-W48", "2026-W47", "2026-W46"]
    sent = page.select("details.pb-delivery")[2]
    assert [li.get_text(" ", strip=True) for li in sent.select("ol.pb-items li")] == [
        f"Paper <{0}> {reader.deliveries.get(period='2026-W46').items.get(position=1).paper.arxiv_id} Reason 1 for you",
        f"Paper <{1}> {reader.deliveries.get(period='2026-W46').items.get(position=2).paper.arxiv_id} Reason 2 for you",
    ]
    assert "550 5.1.1 No such user" in page.select("details.pb-delivery")[1].get_text()
    assert "No new papers since the last digest" in page.select("details.pb-delivery")[0].get_text()
    assert "Paper &lt;0&gt;" in response.content.decode()


def test_it_reads_the_history_in_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries):
    reader = a_reader_who_left()
    for n in range(20):
        delivery = make_delivery(reader, f"2025-W{n + 10}", status="sent")
        DeliveryItem.objects.create(delivery=delivery, paper=make_paper(), position=1, reason="r")
    with django_assert_max_num_queries(
        11
    ):  # session, user, their authenticator, subscriber, consents, topics, deliveries, items, counts, feedback
        assert admin_client.get(f"/admin/dashboard/history/{reader.pk}/").status_code == 200


def test_it_finds_a_subscriber_by_address_from_the_dashboard(admin_client):
    reader = a_reader_who_left()
    response = admin_client.get("/admin/dashboard/history/?email=LEFT@example.com")
    assert response.status_code == 302 and response["Location"] == f"/admin/dashboard/history/{reader.pk}/"
    response = admin_client.get("/admin/dashboard/history/?email=nobody@example.com", follow=True)
    assert messages_shown(response) == ["No subscriber nobody@example.com."]


def test_it_says_so_for_a_subscriber_that_does_not_exist(admin_client):
    response = admin_client.get("/admin/dashboard/history/999999/", follow=True)
    assert messages_shown(response) == ["No subscriber #999999."]


def test_it_lists_the_feedback_the_reader_gave(admin_client):
    reader = a_reader_who_left()
    item = reader.deliveries.get(period="2026-W46").items.get(position=1)
    Feedback.objects.create(delivery=item.delivery, paper=item.paper, direction="less", topics=["Language models"])
    response = admin_client.get(f"/admin/dashboard/history/{reader.pk}/")
    page = BeautifulSoup(response.content, "lxml")
    rows = [" ".join(li.get_text(" ").split()) for li in page.select('[aria-labelledby="pb-feedback"] li')]
    assert len(rows) == 1
    assert "Less like this on “Paper <0>” (moved Language models)" in rows[0]
