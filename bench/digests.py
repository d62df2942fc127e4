"""The whole digest pipeline against its ceiling: tick, Celery on Redis, a real worker, SMTP on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paperboy REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python -m bench.digests --subscribers 10000 --papers 2000 [--runs 3] [--keep]

It builds the population of bench/population.py in a database of its own beside DATABASE_URL's
(bench_digests; --keep keeps it for the next run), starts an SMTP server in its own process
(bench/smtp_sink.py) and, per run, a `celery worker` with 2 processes. A run resets the readers to
"due now", calls the real tick (which queues the batches on Redis) and waits until every delivery is
finished. Then the ceiling, in the same run: as many of the messages the pipeline rendered, pushed to
the same server by 2 processes with plain smtplib, one reused connection each. Figures are medians.

During each run bench/cpu.py samples every process on the machine: the table of CPU per 1,000 digests has
a row per component (the tick, timed around its call in this process, and the backend serving it; the
worker's main process and pool children; the SMTP server; PostgreSQL by role; Redis; kernel threads; the
other processes by name), user and system apart, and adds up to /proc/stat's busy time, with what is left
printed as "unaccounted". Below it, the softirq events, the disk's writes and flushes, and the
PostgreSQL server's WAL and checkpoint counters (the database is created with track_wal_io_timing on).

A last, in-process pass sends 2,000 digests under cProfile for the CPU split by stage and counts the
queries of each batch. The last line: digests_per_s=N ceiling_per_s=N ratio=R queries_per_batch=N
"""

import argparse
import contextlib
import cProfile
import multiprocessing
import os
import pstats
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import cpu
from bench.tagging import ROOT

WORKER_PROCESSES = 2
PROFILED = 2000
WARM_UP = 1000
STAGES = {  # stage -> functions whose cumulative time is that stage's
    "claim+record": ["claim", "record_sent", "__exit__"],
    "rank": ["compose_ids"],
    "render": ["render", "personal_links"],
    "send": ["build_message", "send"],
}


def bench_database(url: str, name: str = "bench_digests") -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(url: str, keep: bool, name: str = "bench_digests") -> bool:
    """Create the benchmark database; return whether it already held the population (with --keep)."""
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        kept = bool(keep and conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())
        if not kept:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        # Without it pg_stat_wal's wal_sync_time stays 0; only a superuser may set it.
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            conn.execute(f'ALTER DATABASE "{name}" SET track_wal_io_timing = on')
    return kept


def configure(url: str, database: str, smtp_port: int) -> None:
    """This process's (and its children's) settings: the benchmark's own database, the SMTP sink on `smtp_port`."""
    os.environ.update(
        DATABASE_URL=bench_database(url, database),
        DJANGO_SETTINGS_MODULE="newsletter.settings",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}?timeout=20",
        SITE_URL=os.environ.get("SITE_URL", "https://paperboy.example.org"),
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-" + "k" * 50),
        LOG_LEVEL="WARNING",
    )


def use_kept(script: str, database: str, smtp_port: int | None = None) -> None:
    """This process on the benchmark database `database` beside DATABASE_URL's (the one a `--keep` run left),
    Django set up; exits with the reason when DATABASE_URL is not a PostgreSQL server."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(f"{script}: set DATABASE_URL to a PostgreSQL server (postgres://...)")
    configure(url, database, smtp_port or free_port())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sink(folder: Path, port: int) -> subprocess.Popen:
    sink = subprocess.Popen(
        [sys.executable, "-m", "bench.smtp_sink", "--port", str(port), "--folder", str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    if sink.stdout.readline().strip() != "ready":
        sys.exit("bench/digests.py: the SMTP sink did not start")
    return sink


def sink_count(folder: Path) -> int:
    path = folder / "count"
    return int(path.read_text() or 0) if path.exists() else 0


class Worker:
    """A `celery worker` with WORKER_PROCESSES processes; its memory read from /proc."""

    def __init__(self, env: dict, log: Path, processes: int):
        cmd = [
            sys.executable, "-m", "celery", "-A", "newsletter", "worker", "--loglevel", "WARNING",
            "--concurrency", str(processes), "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        self.rss_samples: list[int] = []

    def children(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    @staticmethod
    def status_kb(pid: int, key: str) -> int:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0

    def sample_rss(self) -> None:
        self.rss_samples.append(max((self.status_kb(pid, "VmRSS") for pid in self.children()), default=0))

    def peak_rss_mb(self) -> float:
        return max((self.status_kb(pid, "VmHWM") for pid in self.children()), default=0) / 1024

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wait_until_ready(app, timeout: float = 60) -> None:
    from newsletter.tasks import ping

    result = ping.apply_async(("ready",), ignore_result=False)
    result.get(timeout=timeout)


def reset(now) -> None:
    """Every reader due again, as on the first run: no deliveries, no previous digest."""
    from datetime import timedelta

    from django.db import connection

    from newsletter.models import Delivery
    from subscribers.models import Subscriber

    Delivery.objects.all().delete()
    Subscriber.objects.update(next_digest_at=now - timedelta(minutes=1), last_digest_at=None)
    # What autovacuum does between a deployment's sends (it is off on some servers, this machine's among them):
    # without it every run would start on the dead rows of all the runs before.
    tables = ["newsletter_delivery", "newsletter_deliveryitem", "subscribers_subscriber"]
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")


def own_backend() -> int:
    """The pid of the PostgreSQL backend serving this process (the tick's and the polling loop's)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def postgres_counters() -> dict[str, float]:
    from django.db import connection

    with connection.cursor() as cursor:
        return cpu.postgres_counters(cursor)


def start_census(worker: Worker, sink_pid: int, backend: int) -> cpu.Census:
    from django.db import connection

    named = {
        os.getpid(): "benchmark: polling loop",
        worker.proc.pid: "celery worker: main process",
        sink_pid: "smtp sink",
        backend: "postgresql: the benchmark's backend, polling",
    }
    families = {worker.proc.pid: "celery worker: pool children"}
    return cpu.Census(named, families, database=connection.settings_dict["NAME"])


def process_cpu(pid: int) -> tuple[float, float]:
    _, reading = cpu.read_process(pid)
    return reading.user, reading.system


def pipeline_run(env: dict, sink: subprocess.Popen, sink_folder: Path, log: Path, processes: int) -> dict:
    """One run: a fresh worker, the tick, until every delivery is finished; every process's CPU meanwhile."""
    from django.db.models import Count
    from django.utils import timezone

    from newsletter.celery import app
    from newsletter.claims import claim_and_sweep
    from newsletter.models import Delivery
    from newsletter.tasks import enqueue_batches

    reset(timezone.now())
    app.control.purge()
    worker = Worker(env, log, processes)
    try:
        wait_until_ready(app)
        before_sent = sink_count(sink_folder)
        backend = own_backend()
        counters = postgres_counters()
        census = start_census(worker, sink.pid, backend)
        start = time.perf_counter()
        # The tick runs in this process: its CPU is this thread's and the backend's during the call.
        tick_before, backend_before = cpu.thread_cpu(), process_cpu(backend)
        claimed, _ = claim_and_sweep(on_commit=enqueue_batches)
        tick_after, backend_after = cpu.thread_cpu(), process_cpu(backend)
        unfinished = [Delivery.Status.CLAIMED, Delivery.Status.QUEUED, Delivery.Status.SENDING, Delivery.Status.RETRY]
        next_sample, tenth_rss = 0.0, None
        while Delivery.objects.filter(status__in=unfinished).exists():
            if time.perf_counter() > next_sample:
                worker.sample_rss()
                next_sample = time.perf_counter() + 1.0
                if tenth_rss is None and sink_count(sink_folder) - before_sent >= len(claimed) / 10:
                    tenth_rss = worker.rss_samples[-1]
            time.sleep(0.2)
        elapsed = time.perf_counter() - start
        worker.sample_rss()
        spent = census.stop()
        peak = worker.peak_rss_mb()
    finally:
        worker.stop()
    spent.carve("benchmark: polling loop", "benchmark: the tick (claim_and_sweep)", *minus(tick_after, tick_before))
    spent.carve("benchmark: polling loop", "benchmark: sampling /proc", *census.sampler_cpu)
    spent.carve(
        "postgresql: the benchmark's backend, polling",
        "postgresql: the benchmark's backend, serving the tick",
        *minus(backend_after, backend_before),
    )
    after = postgres_counters()
    spent.counts["postgresql, whole server"] = {name: after[name] - counters[name] for name in after}
    time.sleep(0.6)  # the sink writes its count every half second
    counts = dict(Delivery.objects.values_list("status").annotate(n=Count("id")).order_by())
    sent = counts.get(Delivery.Status.SENT, 0)
    received = sink_count(sink_folder) - before_sent
    samples = worker.rss_samples
    return {
        "claimed": len(claimed),
        "sent": sent,
        "received": received,
        "statuses": counts,
        "seconds": elapsed,
        "per_s": sent / elapsed,
        "cpu_per_1000": spent.total("celery worker") / max(sent, 1) * 1000,
        "machine_per_1000": spent.per_1000(sent),
        "peak_rss_mb": peak,
        "rss_early_mb": (tenth_rss or 0) / 1024,  # after the first tenth of the digests
        "rss_late_mb": samples[-1] / 1024 if samples else 0,
    }


def minus(after: tuple[float, float], before: tuple[float, float]) -> tuple[float, float]:
    return after[0] - before[0], after[1] - before[1]


def push(args: tuple[int, list[bytes], int]) -> float:
    """One ceiling process: `count` messages over one reused connection; returns its wall time."""
    port, messages, count = args
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(count):
            smtp.sendmail("paperboy@bench.example.org", [f"ceiling{n}@bench.example.org"], messages[n % len(messages)])
    return time.perf_counter() - start


def ceiling_run(port: int, sink_folder: Path, count: int, processes: int) -> dict:
    messages = [path.read_bytes() for path in sorted(sink_folder.glob("*.eml"))]
    share = count // processes
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        pool.map(push, [(port, messages, share)] * processes)
    elapsed = time.perf_counter() - start
    size = statistics.mean(len(m) for m in messages)
    return {"per_s": share * processes / elapsed, "message_kb": size / 1024}


def profile_pass(subscribers: int) -> dict:
    """2,000 digests sent in this process under cProfile after 1,000 unprofiled, in batches of the tick's size,
    queries counted."""
    from django.db import connection
    from django.utils import timezone

    from newsletter.claims import batches, claim_and_sweep
    from newsletter.delivery import send_deliveries

    reset(timezone.now())
    claimed, _ = claim_and_sweep(on_commit=None)
    # As in a worker well into a run: the pool loaded and ranked, the cards rendered, before profiling. A small
    # population warms up on its first third.
    warm_up = min(WARM_UP, len(claimed) // 3)
    warm, chosen = claimed[:warm_up], claimed[warm_up : warm_up + PROFILED]
    if not chosen:
        sys.exit(f"bench/digests.py: {len(claimed)} readers claimed, none left to profile: use --subscribers 3 or more")
    for batch in batches(warm):
        send_deliveries(batch)
    queries: list[int] = []

    def count(execute, sql, params, many, context):
        queries[-1] += 1
        return execute(sql, params, many, context)

    profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on the database or the server
    with connection.execute_wrapper(count):
        for batch in batches(chosen):
            queries.append(0)
            profiler.enable()
            send_deliveries(batch)
            profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    cumulative: dict[str, float] = {}
    for (filename, _, name), (_, _, _, ct, _) in stats.stats.items():
        ours = "newsletter/" in filename or (name == "__exit__" and "transaction" in filename)
        if name == "send" and "django/core/mail/message" in filename:
            ours = True
        if ours:
            cumulative[name] = cumulative.get(name, 0.0) + ct
    split = {stage: sum(cumulative.get(f, 0.0) for f in names) for stage, names in STAGES.items()}
    split["other"] = max(total - sum(split.values()), 0.0)
    per_1000 = {stage: seconds / len(chosen) * 1000 for stage, seconds in split.items()}
    return {
        "digests": len(chosen),
        "queries": queries,
        "per_1000": per_1000,
        "total_per_1000": total / len(chosen) * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database (and reuse it)")
    parser.add_argument("--concurrency", type=int, default=WORKER_PROCESSES, help="worker (and ceiling) processes")
    parser.add_argument("--feedback", type=float, default=0.0, help="share of readers with 5-20 feedback clicks")
    parser.add_argument("--database", default="bench_digests", help="name of the benchmark's own database")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/digests.py: set DATABASE_URL to a PostgreSQL server (postgres://...)")
    port = free_port()
    configure(url, args.database, port)
    os.environ["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    kept = create_database(url, args.keep, args.database)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from bench import population
    from newsletter.claims import BATCH_SIZE
    from newsletter.models import ProfileVote
    from papers.models import Paper
    from papers.representation import represent_papers
    from subscribers.models import Subscriber

    call_command("migrate", verbosity=0)
    built = Subscriber.objects.count(), Paper.objects.count()
    if not kept or built != (args.subscribers, args.papers):
        start = time.perf_counter()
        Subscriber.objects.all().delete()
        Paper.objects.all().delete()
        population.create(args.subscribers, args.papers, timezone.now())
        represent_papers()  # as ingestion does
        print(f"built {args.subscribers} subscribers and {args.papers} papers in {time.perf_counter() - start:.0f}s")
    ProfileVote.objects.all().delete()
    if args.feedback:
        learners = population.create_feedback(args.feedback)
        print(f"{learners} readers have 5-20 feedback clicks ({ProfileVote.objects.count()} in all)")

    folder = Path(tempfile.mkdtemp(prefix="paperboy-sink-"))
    sink = start_sink(folder, port)
    log = ROOT / "var" / "bench-digests-worker.log"
    log.parent.mkdir(exist_ok=True)
    try:
        runs, ceilings = [], []
        for n in range(args.runs):
            run = pipeline_run(dict(os.environ), sink, folder, log, args.concurrency)
            ceiling = ceiling_run(port, folder, run["sent"], args.concurrency)
            runs.append(run)
            ceilings.append(ceiling)
            print(
                f"run {n + 1}: {run['sent']} sent ({run['received']} received, statuses {run['statuses']}) "
                f"in {run['seconds']:.1f}s = {run['per_s']:.0f}/s; worker CPU {run['cpu_per_1000']:.2f}s per 1,000; "
                f"worker process RSS {run['rss_early_mb']:.0f} MB after the first 10 %, "
                f"{run['rss_late_mb']:.0f} MB at the end "
                f"({run['rss_late_mb'] / max(run['rss_early_mb'], 1) - 1:+.0%}), "
                f"peak {run['peak_rss_mb']:.0f} MB; ceiling {ceiling['per_s']:.0f}/s "
                f"({ceiling['message_kb']:.0f} KB messages)",
                flush=True,
            )
        profile = profile_pass(args.subscribers)
    finally:
        sink.terminate()
        sink.wait()

    per_s = statistics.median(r["per_s"] for r in runs)
    ceiling_per_s = statistics.median(c["per_s"] for c in ceilings)
    ratios = [r["per_s"] / c["per_s"] for r, c in zip(runs, ceilings, strict=True)]
    queries = profile["queries"]
    print(f"\nmedian of {args.runs} runs, {args.subscribers} subscribers, {args.papers} papers:")
    print(f"  end to end          {per_s:.0f} digests/s ({args.subscribers / per_s:.0f} s for all)")
    print(f"  ceiling             {ceiling_per_s:.0f} messages/s (smtplib, {args.concurrency} processes)")
    print(
        f"  ratio               {statistics.median(ratios):.2f} (each run against its own ceiling: "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + ")"
    )
    print(f"  worker CPU          {statistics.median(r['cpu_per_1000'] for r in runs):.2f} s per 1,000 digests")
    print(f"  machine CPU per 1,000 digests by process, seconds (2 cores; each cell the median of {args.runs} runs):")
    for line in cpu.report(cpu.median([r["machine_per_1000"] for r in runs])):
        print(f"    {line}")
    print(f"  worker peak RSS     {max(r['peak_rss_mb'] for r in runs):.0f} MB per process")
    growth = statistics.median(r["rss_late_mb"] / max(r["rss_early_mb"], 1) - 1 for r in runs)
    print(f"  worker RSS growth   {growth:+.0%} from the first 10 % of the digests to the end")
    per_digest = sum(queries) / profile["digests"]
    print(
        f"  queries per batch   {statistics.median(queries):.0f} (min {min(queries)}, max {max(queries)}; "
        f"batches of up to {BATCH_SIZE}, {per_digest:.2f} queries per digest)"
    )
    # cProfile slows Python code more than C code: its shares, applied to the worker CPU measured without it.
    worker_cpu = statistics.median(r["cpu_per_1000"] for r in runs)
    profiled = sum(profile["per_1000"].values())
    print(f"  worker CPU per 1,000 digests by stage (shares from cProfile over {profile['digests']} digests):")
    for stage, seconds in profile["per_1000"].items():
        print(f"    {stage:<14} {worker_cpu * seconds / profiled:.2f} s ({seconds / profiled:.0%})")
    print(
        f"digests_per_s={per_s:.0f} ceiling_per_s={ceiling_per_s:.0f} ratio={statistics.median(ratios):.2f} "
        f"queries_per_batch={statistics.median(queries):.0f} worker_ms_per_digest={worker_cpu:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
