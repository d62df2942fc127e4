import re

from django_celery_beat.models import IntervalSchedule, PeriodicTask

from newsletter.models import Delivery
from tests.conftest import BeatProcess, purge_broker
from tests.faults.conftest import READERS, UNFINISHED, celery_env, readers, report, run_until_done, tally, worker

TICK_NAME = "Send due digests"  # the row newsletter/migrations/0003 makes
TICK_SENT = re.compile(r"Scheduler: Sending due task Send due digests \(newsletter\.tasks\.tick\)")
TICK_RAN = re.compile(r"Task newsletter\.tasks\.tick\[[0-9a-f-]+\] succeeded")


def tick_every_second() -> None:
    """The migration's tick row, firing every second; every other schedule off (they would fetch from the web)."""
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.exclude(name=TICK_NAME).update(enabled=False)
    PeriodicTask.objects.update_or_create(
        name=TICK_NAME, defaults={"task": "newsletter.tasks.tick", "interval": every_second, "enabled": True}
    )


def test_two_real_beat_processes_ticking_every_second_send_each_digest_once(
    fault_settings, smtp_server, redis_url, tmp_path
):
    emails = readers()
    tick_every_second()
    purge_broker()
    beats = [BeatProcess(tmp_path, f"beat{n}", extra_env=celery_env(redis_url)) for n in (1, 2)]
    w = worker(smtp_server, redis_url)
    try:
        for beat in beats:
            beat.start()
        run_until_done(None, smtp_server, emails)
    finally:
        for beat in beats:
            beat.stop()
        w.stop()

    ticks = [len(TICK_SENT.findall(beat.output())) for beat in beats]
    ran = len(TICK_RAN.findall(w.output()))
    missing, duplicates = tally(smtp_server, emails)
    report("two-beat-processes", missing, duplicates, ticks_sent="+".join(map(str, ticks)), ticks_ran=ran)
    assert len(emails) == READERS
    assert all(ticks), f"each beat sent the tick: {ticks}"
    assert 2 <= ran <= sum(ticks), f"the worker ran {ran} of the {sum(ticks)} ticks sent"
    assert (missing, duplicates) == (0, 0)
    assert not Delivery.objects.filter(status__in=UNFINISHED).exists()
    assert [beat.proc.returncode for beat in beats] == [0, 0], "both beats shut down cleanly"
