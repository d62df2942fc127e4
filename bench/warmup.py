"""One worker process's CPU per digest, apart: its warm-up and its steady state, without Celery.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paperboy \\
        .venv/bin/python -m bench.warmup [--digests 5000] [--rounds 2] [--database bench_digests]

It runs on the population that `bench.digests --keep` left in its database (the same --database). Each round
resets the readers to "due now", claims them with the real tick and starts a fresh process that starts as a
Celery worker does (Django set up, the system checks run, the tasks imported: what a worker's main process
does before it forks its pool) and then sends the first --digests deliveries in batches of the tick's size to an
SMTP server on loopback (bench/smtp_sink.py), timing each batch with time.process_time. A pool process's share
of a 10,000-reader run with 2 processes is 5,000 digests.

Printed per round: the start-up; the first batch; the steady state (the median batch after the first ten), per
digest; the warm-up (all batches minus as many steady ones); all of it per digest; the process's memory (VmRSS)
after the first 10 % of the digests and at the end. With --trace, tracemalloc follows every allocation made after
that 10 % point, and the round prints the places whose allocations still alive at the end weigh most: what the
process's growth is made of (tracemalloc slows the process, so a traced round's times are not comparable).
With --hours H the digests are sent as if over H hours, each batch's `now` a step further, so that the process
loads its pools again every hour as a long-running worker does (a pool is kept for an hour at most).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from bench import digests
from bench.tagging import ROOT

STEADY_AFTER = 10  # batches
TRACED_PLACES = 12


def rss_mb() -> float:
    return digests.Worker.status_kb(os.getpid(), "VmRSS") / 1024


def child(count: int, trace: bool = False, hours: float = 0) -> dict:
    """In the fresh process: start as a worker does, then send `count` claimed deliveries, batch by batch."""
    start = time.process_time()
    import django

    django.setup()
    from django.core.checks import run_checks

    run_checks()  # as Celery's Django fix-up does in the worker's main process
    from django.utils import timezone

    import newsletter.tasks  # noqa: F401 (what the worker imports before it forks)
    from newsletter.claims import batches
    from newsletter.delivery import send_deliveries
    from newsletter.models import Delivery

    started = time.process_time() - start
    ids = list(Delivery.objects.filter(status__in=Delivery.SENDABLE).order_by("id").values_list("id", flat=True))
    seconds, sent, early_mb, grown = [], 0, None, []
    start_at = timezone.now()
    for batch in batches(ids[:count]):
        before = time.process_time()
        send_deliveries(batch, start_at + timedelta(hours=hours * sent / count) if hours else None)
        seconds.append(time.process_time() - before)
        sent += len(batch)
        if early_mb is None and sent >= count / 10:
            early_mb = rss_mb()
            if trace:
                tracemalloc.start(8)
    if trace:
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        for stat in snapshot.statistics("traceback")[:TRACED_PLACES]:
            frames = [f"{Path(f.filename).name}:{f.lineno}" for f in stat.traceback if "/bench/" not in f.filename]
            grown.append({"kb": stat.size / 1024, "blocks": stat.count, "where": " < ".join(frames[-1::-1][:4])})
    return {
        "startup_s": started, "batches": seconds, "digests": sent,
        "early_mb": early_mb or rss_mb(), "end_mb": rss_mb(), "grown": grown,
    }  # fmt: skip


def summary(result: dict) -> dict:
    batches = result["batches"]
    steady = statistics.median(batches[STEADY_AFTER:] or batches)
    per_batch = result["digests"] / len(batches)
    return {
        "startup_s": result["startup_s"],
        "first_s": batches[0],
        "steady_ms": steady / per_batch * 1000,
        "warmup_s": sum(batches) - steady * len(batches),
        "all_ms": sum(batches) / result["digests"] * 1000,
        "early_mb": result["early_mb"],
        "end_mb": result["end_mb"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database", default="bench_digests", help="the database `bench.digests --keep` left")
    parser.add_argument("--trace", action="store_true", help="name what the memory grown after 10 %% is made of")
    parser.add_argument("--hours", type=float, default=0, help="send the digests as if over this many hours")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.trace, args.hours)))
        return 0
    port = digests.free_port()
    digests.use_kept("bench/warmup.py", args.database, port)
    from django.db import OperationalError
    from django.utils import timezone

    from newsletter.claims import claim_and_sweep
    from subscribers.models import Subscriber

    try:
        readers = Subscriber.objects.count()
    except OperationalError:
        readers = 0
    if readers < args.digests:
        sys.exit(
            f"bench/warmup.py: {args.database} has {readers} readers, fewer than --digests {args.digests}; "
            f"build it first with `bench.digests --keep --database {args.database}`"
        )
    sink = digests.start_sink(Path(tempfile.mkdtemp(prefix="paperboy-sink-")), port)
    rounds = []
    try:
        for n in range(args.rounds):
            digests.reset(timezone.now())
            claim_and_sweep(on_commit=None)
            command = [sys.executable, "-m", "bench.warmup", "--child", str(args.digests)]
            command += (["--trace"] if args.trace else []) + ["--hours", str(args.hours)]
            out = subprocess.run(command, cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, check=True)
            result = json.loads(out.stdout.splitlines()[-1])
            rounds.append(row := summary(result))
            print(
                f"round {n + 1}: start-up {row['startup_s']:.2f} s; first batch {row['first_s']:.2f} s; "
                f"steady state {row['steady_ms']:.2f} ms per digest; warm-up {row['warmup_s']:.2f} s; "
                f"all batches {row['all_ms']:.2f} ms per digest; memory {row['early_mb']:.0f} MB after 10 %, "
                f"{row['end_mb']:.0f} MB at the end ({row['end_mb'] / row['early_mb'] - 1:+.0%})",
                flush=True,
            )
            for place in result["grown"]:
                print(f"    {place['kb']:9.0f} KB in {place['blocks']:7d} blocks  {place['where']}")
    finally:
        sink.terminate()
        sink.wait()
    median = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    print(
        f"median of {len(rounds)} rounds, {args.digests} digests in one process: "
        f"steady_ms={median['steady_ms']:.2f} warmup_s={median['warmup_s']:.2f} "
        f"first_batch_s={median['first_s']:.2f} startup_s={median['startup_s']:.2f} all_ms={median['all_ms']:.2f} "
        f"memory_growth={median['end_mb'] / median['early_mb'] - 1:+.0%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
