from newsletter.models import Delivery
from subscribers.models import Subscriber
from tests.faults.conftest import UNFINISHED, readers, report, run_with_worker, tally


def run(smtp, redis_url, emails, then=None) -> None:
    run_with_worker(smtp, redis_url, emails, then=then)
    assert not Delivery.objects.filter(status__in=UNFINISHED).exists()


def test_every_digest_goes_out_once_after_451_replies_and_full_mailboxes_clear_up(
    fault_settings, smtp_server, redis_url
):
    emails = readers()
    handler = smtp_server.handler
    handler.data_reply = "451 4.3.0 Try again later"
    full = emails[::20]
    handler.rcpt_replies.update({e: "552 5.2.2 Mailbox full" for e in full})
    recovered, refused = [], set()

    def recover(sent: int) -> None:
        if not recovered and handler.data_commands >= len(emails) // 4:
            with handler.lock:
                refused.update(e for e in full if handler.rcpt_attempts[e])
                handler.data_reply = None
                handler.rcpt_replies.clear()
            recovered.append(handler.data_commands)

    run(smtp_server, redis_url, emails, then=recover)
    missing, duplicates = tally(smtp_server, emails)
    report("smtp-451-then-552", missing, duplicates, refused_data=recovered[0], refused_552=len(refused))
    assert (missing, duplicates) == (0, 0)
    assert refused and all(handler.rcpt_attempts[e] >= 2 for e in refused)  # refused with 552, then retried
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert Subscriber.objects.filter(status=Subscriber.Status.ACTIVE).count() == len(emails)


def test_550_suppresses_at_once_a_dropped_reply_doubles_at_most_that_message_and_a_hang_times_out(
    fault_settings, smtp_server, redis_url
):
    emails = readers()
    handler = smtp_server.handler
    gone = emails[::20]  # 5%
    handler.rcpt_replies.update({e: "550 5.1.1 No such user" for e in gone})
    dropped = set(emails[7::100])  # the server takes the message, then the connection dies before its reply
    handler.reset_after_data.update(dropped)
    handler.hang_next, handler.hang_seconds = 3, 30  # three DATA commands never answered (client timeout: 3 s)

    run(smtp_server, redis_url, emails)
    delivered = [e for e in emails if e not in gone]
    missing, duplicates = tally(smtp_server, delivered)
    report("smtp-550-reset-hang", missing, duplicates, rejected=len(gone), resets=handler.resets, hangs=3)
    assert missing == 0
    assert handler.resets == len(dropped) and duplicates <= handler.resets
    assert all(handler.rcpt_attempts[e] == 1 for e in gone)  # never retried
    assert not any(m for m in smtp_server.messages if m.rcpt_tos[0] in gone)
    assert set(Subscriber.objects.filter(email__in=gone).values_list("status", flat=True)) == {"bounced"}
    assert Delivery.objects.filter(status=Delivery.Status.FAILED).count() == len(gone)
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == len(delivered)
