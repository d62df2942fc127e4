from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsletter import delivery, render
from newsletter.models import Delivery, DeliveryItem
from newsletter.tasks import send_batch
from subscribers.models import Subscriber
from subscribers.tokens import read_token
from tests.factories import make_delivery, make_paper, make_subscriber
from tests.newsletter.threads import run_together
from tests.smtp import free_port

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(NOW)]


@pytest.fixture
def papers():
    return [make_paper(topics={"llm": 0.9}, upvotes=n) for n in range(4)]


def test_it_sends_a_multipart_message_with_list_headers(smtp_server, papers):
    reader = make_subscriber("ada@example.com", topics=["llm"])
    d = make_delivery(reader)
    assert delivery.send_deliveries([d.id], NOW).counts["sent"] == 1
    (received,) = smtp_server.messages
    msg = received.message
    assert received.rcpt_tos == ["ada@example.com"]
    assert {part.get_content_type() for part in msg.walk()} >= {"text/plain", "text/html"}
    unsubscribe_url = msg["List-Unsubscribe"].split(">")[0].lstrip("<")
    assert read_token("unsubscribe", unsubscribe_url.rstrip("/").rsplit("/", 1)[1]) == reader.id
    assert "<mailto:" in msg["List-Unsubscribe"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["List-Id"].endswith("<digest.127.0.0.1>")
    assert msg["Precedence"] == "bulk"
    d.refresh_from_db()
    assert msg["Message-ID"] == d.message_id == f"<digest.{d.id}.{d.period}@127.0.0.1>"
    assert (d.status, d.sent_at, d.new_papers) == (Delivery.Status.SENT, NOW, 4)
    reader.refresh_from_db()
    assert reader.last_digest_at == NOW


def test_it_sends_once_when_the_batch_task_runs_twice(smtp_server, papers):
    d = make_delivery(make_subscriber(topics=["llm"]))
    send_batch.apply(args=([d.id],))
    send_batch.apply(args=([d.id],))
    assert len(smtp_server.messages) == 1
    assert Delivery.objects.get().attempts == 1


def test_it_retries_a_temporary_failure_later(smtp_server, papers):
    smtp_server.handler.data_reply = "451 4.3.0 Try again later"
    d = make_delivery(make_subscriber(topics=["llm"]))
    result = delivery.send_deliveries([d.id], NOW)
    d.refresh_from_db()
    assert (d.status, result.retry_ids) == (Delivery.Status.RETRY, [d.id])
    assert NOW + timedelta(seconds=30) <= d.retry_at <= NOW + timedelta(minutes=1)  # one minute, with jitter
    assert d.error.startswith("451")
    smtp_server.handler.data_reply = None
    assert delivery.send_deliveries([d.id], NOW + timedelta(minutes=1)).counts["sent"] == 1
    assert len(smtp_server.messages) == 1


def test_it_retries_temporary_failures_for_a_day_then_gives_up(smtp_server, papers):
    smtp_server.handler.data_reply = "421 4.7.0 Too busy"
    d = make_delivery(make_subscriber(topics=["llm"]))
    Delivery.objects.filter(id=d.id).update(created_at=NOW)
    waits = []
    at = NOW
    while Delivery.objects.get(id=d.id).status != Delivery.Status.FAILED:
        delivery.send_deliveries([d.id], at)
        retry_at = Delivery.objects.get(id=d.id).retry_at
        if retry_at:
            waits.append(retry_at - at)
            at = retry_at
    assert all(timedelta(seconds=30) <= w <= timedelta(minutes=30) for w in waits)
    assert waits[1] > waits[0] and max(waits) > timedelta(minutes=15)  # exponential, then capped
    assert timedelta(hours=23) < at - NOW <= timedelta(hours=24, minutes=30)
    d.refresh_from_db()
    assert d.error.startswith(f"Gave up after {d.attempts} temporary failures in 1 day, 0:00:00: 421")


def test_it_suppresses_a_subscriber_whose_mailbox_does_not_exist(smtp_server, papers):
    reader = make_subscriber("gone@example.com", topics=["llm"])
    smtp_server.handler.rcpt_replies["gone@example.com"] = "550 5.1.1 No such user"
    d = make_delivery(reader)
    delivery.send_deliveries([d.id], NOW)
    d.refresh_from_db()
    reader.refresh_from_db()
    assert (d.status, d.error) == (Delivery.Status.FAILED, "550 5.1.1 No such user")
    assert reader.status == Subscriber.Status.BOUNCED


def test_it_suppresses_a_subscriber_after_three_permanent_failures_in_a_row(smtp_server, papers):
    reader = make_subscriber("full@example.com", topics=["llm"])
    smtp_server.handler.rcpt_replies["full@example.com"] = "554 5.7.1 Rejected by policy"
    for week in (48, 49, 50):
        delivery.send_deliveries([make_delivery(reader, f"2026-W{week}").id], NOW)
        reader.refresh_from_db()
        assert reader.status == (Subscriber.Status.BOUNCED if week == 50 else Subscriber.Status.ACTIVE)
    assert reader.consecutive_failures == 3


def test_it_treats_552_as_temporary_and_retries_it(smtp_server, papers):
    reader = make_subscriber("full@example.com", topics=["llm"])
    smtp_server.handler.rcpt_replies["full@example.com"] = "552 5.2.2 Mailbox full"
    d = make_delivery(reader)
    assert delivery.send_deliveries([d.id], NOW).retry_ids == [d.id]
    del smtp_server.handler.rcpt_replies["full@example.com"]
    assert delivery.send_deliveries([d.id], NOW + timedelta(minutes=1)).counts["sent"] == 1
    reader.refresh_from_db()
    assert (reader.status, len(smtp_server.messages)) == (Subscriber.Status.ACTIVE, 1)


def test_it_does_not_send_to_a_reader_who_unsubscribed_in_the_meantime(smtp_server, papers):
    reader = make_subscriber(topics=["llm"])
    d = make_delivery(reader)
    Subscriber.objects.filter(id=reader.id).update(status=Subscriber.Status.UNSUBSCRIBED)
    assert delivery.send_deliveries([d.id], NOW).counts["skipped"] == 1
    d.refresh_from_db()
    assert d.status == Delivery.Status.SKIPPED and smtp_server.messages == []


def test_it_returns_quietly_when_the_deliveries_are_gone(smtp_server):
    assert send_batch.apply(args=([987654],)).successful()


def test_it_escapes_scraped_text(smtp_server):
    make_paper(topics={"llm": 0.9}, title="<script>alert(1)</script> Attention", authors=["<b>Eve</b>"])
    d = make_delivery(make_subscriber(topics=["llm"]))
    delivery.send_deliveries([d.id], NOW)
    html = smtp_server.messages[0].message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Attention" in html
    assert "<b>Eve</b>" not in html


def test_a_scraped_title_that_looks_like_a_slot_is_shown_as_written(smtp_server):
    title = "PBSLOTgreetingPBSLOT: a PBSLOTunknownPBSLOT title"
    make_paper(topics={"llm": 0.9}, title=title)
    d = make_delivery(make_subscriber(topics=["llm"]))
    assert delivery.send_deliveries([d.id], NOW).counts["sent"] == 1
    message = smtp_server.messages[0].message
    for body in (message.get_body(("html",)).get_content(), message.get_body(("plain",)).get_content()):
        assert title in body and "Matches your topic: Language models" in body


def test_its_html_is_ascii_and_shows_every_other_character_as_written(smtp_server):
    title = "Über-efficient décodage — スパース注意"
    make_paper(topics={"llm": 0.9}, title=title, authors=["Zoë Müller"], upvotes=3)
    d = make_delivery(make_subscriber(topics=["llm"]))
    delivery.send_deliveries([d.id], NOW)
    message = smtp_server.messages[0].message
    raw_html = message.get_body(("html",)).get_payload(decode=True)
    assert raw_html.isascii() and "&#" in raw_html.decode()
    shown = unescape(message.get_body(("html",)).get_content())
    assert title in shown and "Zoë Müller" in shown and "▲ 3 upvotes" in shown
    assert "Matches your topic: Language models" in shown
    assert title in message.get_body(("plain",)).get_content()  # the text part stays UTF-8


def test_a_stylesheet_that_is_not_ascii_is_refused_with_the_reason(tmp_path, monkeypatch):
    css = tmp_path / "digest.css"
    css.write_text(".meta::before { content: '▲'; }")
    monkeypatch.setattr(render, "CSS_PATH", css)
    with pytest.raises(ValueError, match=r"digest.css must be ASCII: write other characters as CSS escapes"):
        render.Renderer()


def test_it_keeps_the_html_under_100_kb_with_the_rest_on_the_web(smtp_server):
    for n in range(25):
        make_paper(topics={"llm": 0.9}, upvotes=n, title=f"Paper {n} " + "with an absurdly long title " * 150)
    d = make_delivery(make_subscriber(topics=["llm"], paper_count=25))
    delivery.send_deliveries([d.id], NOW)
    message = smtp_server.messages[0].message
    html = message.get_body(("html",)).get_content()
    shown = html.count('class="card"')
    assert len(html.encode()) <= 100_000
    assert 0 < shown < 25 and f"{25 - shown} more papers on the web" in html
    assert message.get_body(("plain",)).get_content().count("* Paper ") == 25


def test_its_footer_says_why_and_links_to_preferences_unsubscribe_and_the_web(smtp_server, papers, settings):
    settings.POSTAL_ADDRESS = "Paperboy, 1 Example Street, Springfield"
    reader = make_subscriber(topics=["llm"], frequency="daily")
    delivery.send_deliveries([make_delivery(reader, "2026-11-30").id], NOW)
    message = smtp_server.messages[0].message
    for body in (message.get_body(("html",)).get_content(), message.get_body(("plain",)).get_content()):
        assert "subscribed to the weekday Paperboy digest for Language models" in body
        assert "/preferences/" in body and "/unsubscribe/" in body and "/digests/" in body
        assert "1 Example Street" in body
        assert "4 papers picked for you from 4 new today" in body
    assert message["Subject"].startswith("Monday 30 November 2026: Paper number")


def test_it_postpones_the_batch_while_the_mail_server_is_unreachable(smtp_server, papers, settings):
    ready = make_delivery(make_subscriber(topics=["llm"]))
    settings.EMAIL_PORT = free_port()  # nothing listens there
    result = delivery.send_deliveries([ready.id], NOW)
    ready.refresh_from_db()
    assert (ready.status, ready.attempts) == (Delivery.Status.RETRY, 1)
    assert NOW + timedelta(seconds=30) <= ready.retry_at <= NOW + timedelta(minutes=1)
    assert result.retry_ids == [ready.id] and "Connection refused" in ready.error
    settings.EMAIL_PORT = smtp_server.port
    assert delivery.send_deliveries([ready.id], NOW + timedelta(minutes=1)).counts["sent"] == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_batch_at_once_send_each_digest_once(smtp_server):
    for n in range(3):
        make_paper(topics={"llm": 0.9}, upvotes=n)
    ids = [make_delivery(make_subscriber(topics=["llm"])).id for _ in range(20)]
    results = run_together(lambda: delivery.send_deliveries(ids, NOW).counts["sent"])
    assert sum(results) == 20  # the two workers shared the batch between them
    assert len(smtp_server.messages) == 20
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_a_batch_costs_a_fixed_number_of_queries_plus_the_claim_and_record_of_each_message(smtp_server, papers):
    """Composing and rendering cost the same for 10 readers as for 100: only each message's own transaction
    (claim with the reader's lock, then record) grows with the batch, as the delivery promise requires."""

    def queries_to_send(count: int, period: str) -> int:
        ids = [make_delivery(make_subscriber(topics=["llm"]), period).id for _ in range(count)]
        with CaptureQueriesContext(connection) as sent:
            assert delivery.send_deliveries(ids, NOW).counts["sent"] == count
        # The savepoints are the test's own transaction around each message's; a worker has none. SQLite's
        # 999-parameter cap splits the one multi-row INSERT of the picks; it counts as one.
        sql = [q["sql"] for q in sent.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
        picks = sum(s.startswith("INSERT") and '"newsletter_deliveryitem"' in s for s in sql)
        return len(sql) - max(picks - 1, 0)

    per_message = 2 if connection.vendor == "postgresql" else 3  # SQLite: record in two statements
    queries_to_send(1, "2026-W46")  # the pool and the cards are loaded once per worker, not per batch
    ten, hundred = queries_to_send(10, "2026-W47"), queries_to_send(100, "2026-W48")

    assert hundred - ten == 90 * per_message
    assert ten - 10 * per_message < 20


def test_the_claim_and_the_record_are_prepared_once_per_connection_and_reused(smtp_server, papers):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    for period in ("2026-W47", "2026-W48"):
        ids = [make_delivery(make_subscriber(topics=["llm"]), period).id for _ in range(3)]
        assert delivery.send_deliveries(ids, NOW).counts["sent"] == 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        executions = {("FOR NO KEY UPDATE" in sql, "RETURNING" in sql): runs for sql, runs in cursor.fetchall()}
    assert executions == {(True, False): 6, (False, True): 6}  # the claim, the record: six messages each


def test_new_papers_counts_the_window_less_what_the_reader_already_had(smtp_server):
    """'3 papers picked for you from 5 new': the papers since the last digest, less those an earlier digest carried;
    what the reader had from before that day does not count against the window."""
    reader = make_subscriber(topics=["llm"], paper_count=3, last_digest_at=NOW - timedelta(days=3))
    older = [make_paper(topics={"llm": 0.9}, now=NOW - timedelta(days=5)) for _ in range(2)]
    recent = [make_paper(topics={"llm": 0.9}, now=NOW - timedelta(days=n % 3)) for n in range(6)]
    earlier = make_delivery(reader, period="earlier", status=Delivery.Status.SENT)
    for position, paper in enumerate([older[0], recent[0]], start=1):
        DeliveryItem.objects.create(delivery=earlier, paper=paper, position=position, reason="Trending in LLMs")
    d = make_delivery(reader)
    assert delivery.send_deliveries([d.id], NOW).counts["sent"] == 1
    d.refresh_from_db()
    assert d.new_papers == 5
    (received,) = smtp_server.messages
    assert "3 papers picked for you from 5 new this week" in received.message.get_body(("plain",)).get_content()
