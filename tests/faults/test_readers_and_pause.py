import time

import redis
from django.test import Client
from django.urls import reverse

from newsletter.claims import resume_sending
from newsletter.models import Delivery, SendingSwitch
from newsletter.tasks import ping
from subscribers.models import Subscriber
from tests.conftest import purge_broker, wait_for
from tests.faults.conftest import (
    UNFINISHED,
    Beat,
    publisher,
    readers,
    report,
    run_until_done,
    run_with_worker,
    tally,
    worker,
)


def test_nothing_reaches_a_reader_after_their_one_click_unsubscribe_returned(fault_settings, smtp_server, redis_url):
    emails = readers()
    leaving = emails[1000::50]  # 20 readers, most not yet served when the run is at 30%
    returned_at: dict[str, float] = {}
    client = Client()

    def unsubscribe(sent: int) -> None:
        if returned_at or sent < 0.3 * len(emails):
            return
        for reader in Subscriber.objects.filter(email__in=leaving):
            url = reverse("unsubscribe", args=[reader.token("unsubscribe")])
            assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
            returned_at[reader.email] = time.monotonic()

    run_with_worker(smtp_server, redis_url, emails, then=unsubscribe)
    late = [m for m in smtp_server.messages if m.rcpt_tos[0] in returned_at and m.at > returned_at[m.rcpt_tos[0]]]
    staying = [e for e in emails if e not in returned_at]
    missing, duplicates = tally(smtp_server, staying)
    served_before = sum(1 for e in leaving if smtp_server.handler.recipients()[e])
    report("unsubscribe-mid-run", missing, duplicates, unsubscribed=len(leaving), late=len(late), before=served_before)
    assert late == []
    assert (missing, duplicates) == (0, 0)
    assert served_before < len(leaving)  # the POSTs really raced the run
    assert not Delivery.objects.filter(status__in=UNFINISHED).exists()


def test_a_pause_at_half_way_holds_the_rest_and_resume_sends_each_of_them_once(fault_settings, smtp_server, redis_url):
    emails = readers()
    queue = redis.Redis.from_url(redis_url)
    paused_at = []

    def pause(sent: int) -> None:
        if not paused_at and sent >= 0.5 * len(emails):
            SendingSwitch.set(True, "fault test")
            paused_at.append(sent)

    purge_broker()
    w = worker(smtp_server, redis_url)
    try:
        beat = Beat(redis_url)
        wait_for(lambda: beat() or pause(len(smtp_server.messages)) or paused_at, timeout=300, message="half-way")
        # The worker drains its queue without sending, then answers.
        wait_for(lambda: queue.llen("celery") == 0, timeout=120, message="the queue to drain")
        assert ping.delay("paused").get(timeout=60) == "pong:paused"
        held = len(smtp_server.messages)
        beat.last = 0
        beat()  # a tick while paused claims and queues nothing
        assert len(smtp_server.messages) == held
        waiting = Delivery.objects.filter(status=Delivery.Status.QUEUED).count()
        assert held <= paused_at[0] + 2  # at most the two messages in flight when the switch flipped
        assert waiting == len(emails) - held
        resumed = resume_sending(on_commit=publisher(redis_url))
        assert len(resumed) == waiting
        run_until_done(beat, smtp_server, emails)
    finally:
        w.stop()
    missing, duplicates = tally(smtp_server, emails)
    report("pause-resume", missing, duplicates, paused_at=paused_at[0], held=held)
    assert (missing, duplicates) == (0, 0)
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == len(emails)
