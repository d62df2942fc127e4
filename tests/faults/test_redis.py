from newsletter.models import Delivery
from tests.faults.conftest import UNFINISHED, Beat, readers, report, run_until_done, tally, worker


def finished_cleanly(smtp, emails, name: str, **extra) -> None:
    missing, duplicates = tally(smtp, emails)
    report(name, missing, duplicates, **extra)
    assert (missing, duplicates) == (0, 0)
    assert not Delivery.objects.filter(status__in=UNFINISHED).exists()


def test_it_loses_nothing_when_redis_restarts_without_persistence_mid_run(fault_settings, smtp_server, own_redis):
    emails = readers()
    restarted = []

    def inject(sent: int) -> None:
        if not restarted and sent >= 0.4 * len(emails):
            own_redis.kill()  # every queued batch is gone with it
            own_redis.start()
            restarted.append(sent)

    w = worker(smtp_server, own_redis.url)
    try:
        run_until_done(Beat(own_redis.url), smtp_server, emails, then=inject)
    finally:
        w.stop()
    assert restarted
    finished_cleanly(smtp_server, emails, "redis-restarted", at=restarted[0])


def test_the_digests_go_out_once_redis_is_back_after_being_down_when_the_tick_fired(
    fault_settings, smtp_server, own_redis
):
    emails = readers()
    own_redis.kill()
    beat = Beat(own_redis.url)
    beat()  # the tick claims and records; publishing fails and is logged
    assert Delivery.objects.filter(status=Delivery.Status.QUEUED).count() == len(emails)
    assert smtp_server.messages == []
    own_redis.start()
    w = worker(smtp_server, own_redis.url)
    try:
        run_until_done(beat, smtp_server, emails)
    finally:
        w.stop()
    finished_cleanly(smtp_server, emails, "redis-down-at-tick")
