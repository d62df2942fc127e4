"""Every CPU second of the machine by process, read from /proc, for the benchmarks that span processes.

A Census reads /proc/stat and every /proc/<pid>/stat when it starts, every SAMPLE_EVERY seconds from a
thread of its own, and when it stops; each process keeps its last reading and its role. A process that came
and went in between (a backend, an autovacuum worker) counts up to its last sample. What it spent after
that, and the whole of a child that lived between two samples, comes back in its parent's cutime/cstime once
the parent reaps it (the postmaster reaps every backend and autovacuum worker; a reaped child brings its own
reaped children's time along): what the cutime/cstime of a process still running at the end grew by, less
what was sampled of its dead descendants, is charged to its role as "children between samples".

How the rows add up on this kernel (tick-based accounting, no CONFIG_IRQ_TIME_ACCOUNTING): a process's
system time holds the irq and softirq work that interrupted it (loopback TCP receive runs as softirq in the
sender's system call, or in ksoftirqd), so /proc/stat's irq and softirq are shown as "of which", not as rows.
The machine's busy time is /proc/stat's user + nice (the user column) and system + irq + softirq (the
system column); the rest row is busy minus every process, which is what ran while the idle task was
interrupted, processes that died unreaped, and the difference between tick samples (/proc/stat) and the
scheduler's exact runtimes (/proc/<pid>/stat).
"""

import numbers
import os
import resource
import statistics
import threading
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_EVERY = 0.5  # seconds; a scan of ~150 processes takes ~3 ms
TICK = os.sysconf("SC_CLK_TCK")
PF_KTHREAD = 0x00200000
POSTGRES_ROLES = {  # words of the process title PostgreSQL sets -> row
    "autovacuum launcher": "postgresql: autovacuum launcher",
    "autovacuum worker": "postgresql: autovacuum workers",
    "checkpointer": "postgresql: checkpointer",
    "background writer": "postgresql: background writer",
    "walwriter": "postgresql: WAL writer",
}
KERNEL_THREADS = {  # a kernel thread's name up to "/" or "." -> row
    "kworker": "kernel threads: kworker (deferred work, block I/O completion)",
    "ksoftirqd": "kernel threads: ksoftirqd (softirq overflow)",
    "jbd2": "kernel threads: jbd2 (ext4 journal commits)",
    "kdamond": "kernel threads: kdamond (DAMON memory monitoring)",
}
ORDER = ["benchmark", "celery worker", "smtp sink", "postgresql", "redis", "kernel threads", "process: ", "other"]
TOP = 4  # kernel threads and other processes shown by name; the rest of each make one row
SOFTIRQS = ("NET_RX", "NET_TX", "BLOCK", "TIMER", "SCHED", "RCU")


@dataclass(frozen=True)
class Reading:
    """One process's CPU seconds so far, its own and its reaped children's."""

    comm: str
    ppid: int
    user: float
    system: float
    children_user: float
    children_system: float
    kernel_thread: bool


NOTHING = Reading("", 0, 0.0, 0.0, 0.0, 0.0, False)


def read_process(pid: int) -> tuple[tuple[int, int], Reading] | None:
    """((pid, start time), its reading); None when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(v) / TICK for v in fields[11:15])
    kernel_thread = bool(int(fields[6]) & PF_KTHREAD)
    return (pid, int(fields[19])), Reading(comm, int(fields[1]), utime, stime, cutime, cstime, kernel_thread)


def process_title(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def postgres_role(title: str, database: str) -> str:
    if not title.startswith("postgres: "):
        return "postgresql: postmaster"
    for words, role in POSTGRES_ROLES.items():
        if words in title:
            return role
    # A client backend reads "postgres: [cluster: ]user database host(port) state".
    words = title.split()
    if "(" in title and database in words:
        return f"postgresql: client backends of {database}"
    if "(" in title or "[local]" in title:
        return "postgresql: client backends of other databases"
    return "postgresql: other processes"


def kernel_thread_role(comm: str) -> str:
    family = comm.split("/")[0].split(".")[0]
    return KERNEL_THREADS.get(family, f"kernel threads: {family}")


def machine_times() -> dict[str, float]:
    """/proc/stat's first line, in seconds."""
    values = [int(v) / TICK for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = values[:8]
    return {"user": user + nice, "system": system + irq + softirq, "irq": irq, "softirq": softirq, "steal": steal}


def softirq_counts() -> dict[str, int]:
    counts = {}
    for line in Path("/proc/softirqs").read_text().splitlines()[1:]:
        name, *per_cpu = line.split()
        counts[name.rstrip(":")] = sum(int(v) for v in per_cpu)
    return {name: counts.get(name, 0) for name in SOFTIRQS}


def disk_counts() -> dict[str, int]:
    """Writes and cache flushes completed by each disk (partitions left out), from /proc/diskstats."""
    counts = {}
    for line in Path("/proc/diskstats").read_text().splitlines():
        fields = line.split()
        name = fields[2]
        if not Path(f"/sys/block/{name}").exists() or name.startswith(("loop", "ram", "zram")):
            continue
        counts[f"{name} writes"] = int(fields[7])
        if len(fields) > 18:  # flush counts since Linux 5.5
            counts[f"{name} flushes"] = int(fields[18])
    return counts


def postgres_counters(cursor) -> dict[str, float]:
    """The server's WAL, background writer and checkpointer counters (every database's work, not one's)."""
    cursor.execute("SELECT to_regclass('pg_stat_checkpointer') IS NOT NULL")
    has_checkpointer = cursor.fetchone()[0]  # PostgreSQL 17 moved the checkpoint counters there
    queries = ["SELECT * FROM pg_stat_wal", "SELECT * FROM pg_stat_bgwriter"]
    if has_checkpointer:
        queries.append("SELECT * FROM pg_stat_checkpointer")
    counters = {}
    for query in queries:
        cursor.execute(query)
        row = cursor.fetchone()
        for column, value in zip((c[0] for c in cursor.description), row, strict=True):
            if isinstance(value, numbers.Number) and not isinstance(value, bool):
                counters[column] = float(value)
    return counters


def thread_cpu() -> tuple[float, float]:
    """The calling thread's user and system seconds."""
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime, usage.ru_stime


@dataclass
class Spent:
    """What a Census saw: (user, system) seconds per row, /proc/stat's seconds, and counters by group."""

    rows: dict[str, tuple[float, float]]
    machine: dict[str, float]
    counts: dict[str, dict[str, float]] = field(default_factory=dict)

    def carve(self, source: str, row: str, user: float, system: float) -> None:
        """Move part of a row's seconds to a row of its own (the tick out of the benchmark's process)."""
        have_user, have_system = self.rows.get(source, (0.0, 0.0))
        self.rows[source] = (have_user - user, have_system - system)
        self.rows[row] = (user, system)

    def total(self, prefix: str) -> float:
        return sum(user + system for name, (user, system) in self.rows.items() if name.startswith(prefix))

    def per_1000(self, digests: int) -> "Spent":
        scale = 1000 / max(digests, 1)
        return Spent(
            {name: (user * scale, system * scale) for name, (user, system) in self.rows.items()},
            {name: seconds * scale for name, seconds in self.machine.items()},
            {group: {name: n * scale for name, n in counts.items()} for group, counts in self.counts.items()},
        )


def median(runs: list[Spent]) -> Spent:
    """Each cell the median of the runs (a row missing from a run counts 0 there)."""
    names = list(dict.fromkeys(name for run in runs for name in run.rows))
    rows = {}
    for name in names:
        cells = [run.rows.get(name, (0.0, 0.0)) for run in runs]
        rows[name] = (statistics.median(c[0] for c in cells), statistics.median(c[1] for c in cells))
    machine = {name: statistics.median(run.machine[name] for run in runs) for name in runs[0].machine}
    counts = {
        group: {name: statistics.median(run.counts[group].get(name, 0) for run in runs) for name in counters}
        for group, counters in runs[0].counts.items()
    }
    return Spent(rows, machine, counts)


def row_order(item: tuple[str, tuple[float, float]]) -> tuple[int, float]:
    name, (user, system) = item
    group = next((n for n, prefix in enumerate(ORDER) if name.startswith(prefix)), len(ORDER))
    return group, -(user + system)


def fold(rows: list[tuple[str, tuple[float, float]]], prefix: str, rest: str) -> list[tuple[str, tuple]]:
    """The TOP biggest rows starting with prefix as they are, the others of them summed into one."""
    group = sorted((row for row in rows if row[0].startswith(prefix)), key=row_order)
    if len(group) <= TOP + 1:
        return rows
    shown, folded = group[:TOP], group[TOP:]
    sums = (sum(cells[0] for _, cells in folded), sum(cells[1] for _, cells in folded))
    others = [row for row in rows if not row[0].startswith(prefix)]
    return others + shown + [(f"{rest} ({len(folded)})", sums)]


def report(spent: Spent) -> list[str]:
    """The table, one row per component, ending with the rest and the machine's busy time, then the counters."""
    rows = fold(list(spent.rows.items()), "kernel threads: ", "kernel threads: others")
    rows = sorted(fold(rows, "process: ", "other processes"), key=row_order)
    busy = spent.machine["user"], spent.machine["system"]
    named = sum(c[0] for _, c in rows), sum(c[1] for _, c in rows)
    rows.append(("unaccounted (busy minus the rows above)", (busy[0] - named[0], busy[1] - named[1])))
    width = max(len(name) for name, _ in rows) + 2
    lines = [f"{'':{width}}   user  system   total"]
    for name, (user, system) in rows:
        lines.append(f"{name:<{width}} {user:6.2f}  {system:6.2f}  {user + system:6.2f}")
    lines.append(f"{'machine busy (/proc/stat)':<{width}} {busy[0]:6.2f}  {busy[1]:6.2f}  {sum(busy):6.2f}")
    machine = spent.machine
    lines.append(
        f"softirq {machine['softirq']:.2f} s and irq {machine['irq']:.2f} s (/proc/stat) are in the system column, "
        f"in the rows of the processes they interrupted; steal, not in busy: {machine['steal']:.2f} s"
    )
    for group, counters in spent.counts.items():
        shown = ", ".join(
            f"{name} {n:,.0f}{' ms' if name.endswith('_time') else ''}" for name, n in counters.items() if round(n)
        )
        lines.append(f"{group}: {shown or 'none'}")
    return lines


class Census:
    """Samples every process until stopped. `named` gives pids a row of their own; `families` gives the
    children of a pid one ("celery worker: pool children")."""

    def __init__(self, named: dict[int, str], families: dict[int, str], database: str):
        self.named, self.families, self.database = named, families, database
        self.roles: dict[tuple[int, int], str] = {}
        self.last: dict[tuple[int, int], Reading] = {}
        self.first = self.scan()
        self.alive = set(self.first)
        self.start_machine, self.start_softirqs, self.start_disks = machine_times(), softirq_counts(), disk_counts()
        self.stopping = threading.Event()
        self.sampler_cpu = (0.0, 0.0)
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def role(self, key: tuple[int, int], reading: Reading) -> str:
        pid = key[0]
        if pid in self.named:
            return self.named[pid]
        if reading.ppid in self.families:
            return self.families[reading.ppid]
        if reading.kernel_thread:
            return kernel_thread_role(reading.comm)
        if reading.comm == "postgres":
            return postgres_role(process_title(pid), self.database)
        if reading.comm == "redis-server":
            return "redis"
        return f"process: {reading.comm}"

    def scan(self) -> dict[tuple[int, int], Reading]:
        seen = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            found = read_process(int(entry.name))
            if found is None:
                continue
            key, reading = found
            seen[key] = reading
            # A forked backend shows the postmaster's title until it has set its own: ask again until then.
            if key not in self.roles or self.roles[key] == "postgresql: postmaster":
                self.roles[key] = self.role(key, reading)
        self.last.update(seen)
        self.alive = set(seen)
        return seen

    def sample(self) -> None:
        start = thread_cpu()
        while not self.stopping.wait(SAMPLE_EVERY):
            self.scan()
        end = thread_cpu()
        self.sampler_cpu = (end[0] - start[0], end[1] - start[1])

    def survivor(self, reading: Reading, by_pid: dict[int, tuple[int, int]]) -> tuple[int, int] | None:
        """The nearest ancestor still running at the end: the one whose cutime/cstime holds this process."""
        walked = set()
        while (key := by_pid.get(reading.ppid)) is not None and key not in walked:
            if key in self.alive:
                return key
            walked.add(key)
            reading = self.last[key]
        return None

    def sampled_descendants(self) -> dict[tuple[int, int], tuple[float, float]]:
        """Per running process, what its reaped descendants' cutime/cstime share we saw: their last readings,
        plus what they had reaped themselves before the start (in their cutime then, not spent since)."""
        by_pid = {key[0]: key for key in self.last} | {key[0]: key for key in self.alive}
        sampled: dict[tuple[int, int], tuple[float, float]] = {}
        for key, reading in self.last.items():
            if key in self.alive or (ancestor := self.survivor(reading, by_pid)) is None:
                continue
            before = self.first.get(key, NOTHING)
            user, system = sampled.get(ancestor, (0.0, 0.0))
            sampled[ancestor] = (
                user + reading.user + before.children_user,
                system + reading.system + before.children_system,
            )
        return sampled

    def stop(self) -> Spent:
        self.stopping.set()
        self.thread.join()
        self.scan()
        machine = {k: v - self.start_machine[k] for k, v in machine_times().items()}
        softirqs = {k: v - self.start_softirqs[k] for k, v in softirq_counts().items()}
        disks = {k: v - self.start_disks.get(k, 0) for k, v in disk_counts().items()}
        rows: dict[str, tuple[float, float]] = {}

        def add(row: str, user: float, system: float) -> None:
            have_user, have_system = rows.get(row, (0.0, 0.0))
            rows[row] = (have_user + user, have_system + system)

        for key, reading in self.last.items():
            before = self.first.get(key, NOTHING)
            add(self.roles[key], reading.user - before.user, reading.system - before.system)
        sampled = self.sampled_descendants()
        for key in self.alive:
            reading, before = self.last[key], self.first.get(key, NOTHING)
            seen_user, seen_system = sampled.get(key, (0.0, 0.0))
            missed_user = reading.children_user - before.children_user - seen_user
            missed_system = reading.children_system - before.children_system - seen_system
            if missed_user > 0 or missed_system > 0:
                add(self.roles[key] + ", children between samples", max(missed_user, 0.0), max(missed_system, 0.0))
        return Spent(rows, machine, {"softirq events": softirqs, "disk": disks})
