import pytest

from newsletter.models import Delivery
from tests.conftest import purge_broker
from tests.faults.conftest import (
    REPEAT,
    UNFINISHED,
    Beat,
    children,
    kill9,
    random_point,
    readers,
    report,
    run_until_done,
    tally,
    worker,
)


@pytest.mark.parametrize("run", range(REPEAT))
def test_it_loses_and_doubles_nothing_when_a_pool_child_and_then_the_whole_worker_are_killed(
    run, fault_settings, smtp_server, redis_url
):
    emails = readers()
    purge_broker()
    first_kill, second_kill = random_point(0.2, 0.4), random_point(0.5, 0.7)
    workers = [worker(smtp_server, redis_url)]
    killed = []

    def inject(sent: int) -> None:
        if not killed and sent >= first_kill * len(emails):
            pool = children(workers[0].proc.pid)
            kill9(pool[0])
            killed.append(("child", sent))
        elif len(killed) == 1 and sent >= second_kill * len(emails):
            for pid in [workers[0].proc.pid, *children(workers[0].proc.pid)]:
                kill9(pid)
            workers[0].proc.wait()
            killed.append(("worker", sent))
            workers.append(worker(smtp_server, redis_url))

    try:
        run_until_done(Beat(redis_url), smtp_server, emails, then=inject)
    finally:
        for w in workers:
            w.stop()
    missing, duplicates = tally(smtp_server, emails)
    # A process killed after the server took its message but before it heard so sends it again (the ambiguous
    # case): at most one message per process killed, the pool child, then the worker's two children.
    in_flight = 1 + 2
    report("worker-killed", missing, duplicates, kills=killed, ambiguous_at_most=in_flight)
    assert [k for k, _ in killed] == ["child", "worker"]
    assert missing == 0 and duplicates <= in_flight, workers[-1].output()[-3000:]
    assert not Delivery.objects.filter(status__in=UNFINISHED).exists()
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == len(emails)
