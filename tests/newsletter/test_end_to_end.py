from datetime import timedelta

from django.utils import timezone

from newsletter.claims import claim_and_sweep
from newsletter.models import Delivery, DeliveryItem
from newsletter.tasks import enqueue_batches, ping, send_batch
from papers.models import PaperTopic
from tests.conftest import WorkerProcess, purge_broker, wait_for
from tests.factories import make_paper, make_subscriber

SLUGS = ["llm", "vision", "agents", "rl", "efficiency", "audio"]
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]


def readers(count: int) -> list:
    now = timezone.now()
    made = []
    for n in range(count):
        made.append(
            make_subscriber(
                f"reader{n:03d}@example.com",
                topics={SLUGS[n % 6]: 1.0, SLUGS[(n + n // 6) % 6]: 0.5},
                frequency="daily" if n % 5 == 0 else "weekly",
                timezone=ZONES[n % 4],
                follow_keywords=["benchmark"] if n % 7 == 0 else [],
                mute_keywords=["robot"] if n % 3 == 0 else [],
                paper_count=3 + n % 10,
                next_digest_at=now - timedelta(minutes=n % 4),
            )
        )
    return made


def test_two_hundred_readers_get_exactly_one_digest_each_from_a_real_worker(transactional_db, smtp_server):
    for n in range(48):
        make_paper(
            topics={SLUGS[n % 6]: 0.9, SLUGS[(n + 2) % 6]: 0.3} if n % 8 else {},
            upvotes=n * 2,
            title=f"Result {n}" + (" on a robot benchmark" if n % 5 == 0 else ""),
        )
    subscribers = readers(200)
    purge_broker()
    worker = WorkerProcess(extra_env={"EMAIL_URL": smtp_server.url}).start()
    try:
        claimed, _ = claim_and_sweep(on_commit=enqueue_batches)
        assert len(claimed) == 200
        wait_for(lambda: len(smtp_server.messages) >= 200, timeout=180, message="200 digests")
        # Tick again and replay a batch: the worker must send nothing more.
        assert claim_and_sweep(on_commit=enqueue_batches) == ([], [])
        send_batch.delay(claimed[:100])
        assert ping.delay("after-replay").get(timeout=60) == "pong:after-replay"
    finally:
        worker.stop()
    assert len(smtp_server.messages) == 200, worker.output()[-3000:]
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == sorted(s.email for s in subscribers)
    for received in smtp_server.messages:
        msg = received.message
        assert msg.get_body(("plain",)) and msg.get_body(("html",))
        assert msg["List-Unsubscribe"].strip().startswith("<http") and "<mailto:" in msg["List-Unsubscribe"]
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert msg["List-Id"] and msg["Precedence"] == "bulk" and msg["Message-ID"].startswith("<digest.")
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}

    by_email = {r.rcpt_tos[0]: r.message.get_body(("plain",)).get_content() for r in smtp_server.messages}
    for d in Delivery.objects.select_related("subscriber").prefetch_related("items__paper"):
        titles = [item.paper.title for item in d.items.all()]
        assert titles and all(f"* {title}" in by_email[d.subscriber.email] for title in titles)
        assert by_email[d.subscriber.email].count("\n* ") == len(titles)

    topics_of_paper = {}
    for pid, slug in PaperTopic.objects.values_list("paper_id", "topic__slug"):
        topics_of_paper.setdefault(pid, set()).add(slug)
    for item in DeliveryItem.objects.select_related("delivery__subscriber", "paper"):
        reader = item.delivery.subscriber
        mine = set(reader.topics.values_list("slug", flat=True))
        keyword = any(k in item.paper.title.lower() for k in reader.follow_keywords)
        assert item.fill or mine & topics_of_paper.get(item.paper_id, set()) or keyword, (reader.email, item.reason)
        assert not any(k in item.paper.title.lower() for k in reader.mute_keywords)
        assert item.fill == item.reason.startswith("Top trending")
