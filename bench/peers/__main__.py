"""Two peers against the SMTP server and ceiling of bench/digests.py, each in a throwaway virtualenv of its own.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paperboy \\
        .venv/bin/python -m bench.peers post_office --recipients 10000 --runs 3
    DATABASE_URL=... .venv/bin/python -m bench.peers newsletter --recipients 10000 --runs 3

- post_office: django-post-office, one email per recipient rendered at delivery from a context of its
  own (8 real papers, personal links; ~33 KB), sent by its `send_queued_mail` with 2 processes x 5 threads.
- newsletter: django-newsletter, one message for everyone (3 articles, ~10 KB), a Submission to every
  subscription sent by its `submit_newsletter`, which opens a new SMTP connection per message.

The peer is installed from bench/peers/requirements-<peer>.txt into --venv (/tmp/paperboy-peers/<peer>),
made once and reused while that file is unchanged; it runs bench/peers/peer_<peer>.py there, against a
database of its own beside DATABASE_URL's (peers_<peer>, dropped and made anew), with the recipients of
bench/population.py (reader000000@bench.example.org, ...) and its real paper texts. The SMTP server is
bench/smtp_sink.py in its own process. Per run: the peer queues (timed apart), sends (timed), and the
ceiling of bench/digests.py follows in the same run: the peer's own received messages, pushed to the same
server by 2 processes with plain smtplib, one reused connection each. Figures are medians.
The last line: peer=P messages_per_s=N ceiling_per_s=N ratio=R message_kb=N
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.digests import bench_database, ceiling_run, create_database, free_port, sink_count, start_sink
from bench.population import reader_address, real_papers
from bench.tagging import ROOT

HERE = Path(__file__).resolve().parent
PEERS = ("post_office", "newsletter")
CEILING_PROCESSES = 2


def ensure_venv(folder: Path, requirements: Path) -> bool:
    """The peer's virtualenv, made and installed from `requirements` unless it already was; whether it was made."""
    stamp = folder / "requirements.txt"
    if stamp.exists() and stamp.read_text() == requirements.read_text():
        return False
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True)
    pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(requirements)], check=True)
    stamp.write_text(requirements.read_text())
    return True


def write_workload(folder: Path, recipients: int) -> Path:
    """The recipients of Paperboy's benchmark population and the real paper texts its papers are made of."""
    papers = [
        {
            "id": paper["id"],
            "title": paper["title"],
            "authors": [a["name"] for a in paper.get("authors", []) if not a.get("hidden")],
            "abstract": paper.get("summary", ""),
            "url": f"https://arxiv.org/abs/{paper['id']}",
        }
        for paper in real_papers()
    ]
    path = folder / "workload.json"
    path.write_text(json.dumps({"recipients": [reader_address(n) for n in range(recipients)], "papers": papers}))
    return path


class Peer:
    """bench/peers/peer_<name>.py run in the peer's virtualenv; each phase returns its RESULT line."""

    def __init__(self, name: str, venv: Path, env: dict, log: Path):
        self.cmd = [str(venv / "bin" / "python"), str(HERE / f"peer_{name}.py")]
        self.env, self.log = env, log

    def call(self, phase: str) -> dict:
        # Not from ROOT: Paperboy's own `newsletter` package would shadow django-newsletter's.
        with self.log.open("ab") as log:
            done = subprocess.run(
                [*self.cmd, phase], env=self.env, cwd=tempfile.gettempdir(), stdout=subprocess.PIPE, stderr=log
            )
        lines = [line for line in done.stdout.decode().splitlines() if line.startswith("RESULT ")]
        if done.returncode or not lines:
            sys.exit(f"bench/peers: {phase} failed (exit {done.returncode}); see {self.log}")
        return json.loads(lines[-1].removeprefix("RESULT "))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("peer", choices=PEERS)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--venv", type=Path, help="the peer's virtualenv (default /tmp/paperboy-peers/<peer>)")
    parser.add_argument("--database", help="name of the peer's own database (default peers_<peer>)")
    parser.add_argument("--batch-size", type=int, default=100, help="post_office's BATCH_SIZE (its default: 100)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/peers: set DATABASE_URL to a PostgreSQL server (postgres://...)")
    venv = args.venv or Path(tempfile.gettempdir()) / "paperboy-peers" / args.peer
    database = args.database or f"peers_{args.peer}"

    start = time.perf_counter()
    made = ensure_venv(venv, HERE / f"requirements-{args.peer}.txt")
    print(f"virtualenv {venv} {'made' if made else 'reused'} in {time.perf_counter() - start:.1f}s", flush=True)

    create_database(url, keep=False, name=database)
    folder = Path(tempfile.mkdtemp(prefix=f"paperboy-peers-{args.peer}-"))
    sink_folder = folder / "sink"
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PEER": args.peer,
        "PEER_DATABASE_URL": bench_database(url, database),
        "PEER_SMTP_PORT": str(port),
        "PEER_BATCH_SIZE": str(args.batch_size),
        "PEER_WORKLOAD": str(write_workload(folder, args.recipients)),
    }
    log = ROOT / "var" / f"bench-peers-{args.peer}.log"
    log.parent.mkdir(exist_ok=True)
    log.write_bytes(b"")
    peer = Peer(args.peer, venv, env, log)
    sink = start_sink(sink_folder, port)
    try:
        setup = peer.call("setup")
        print(f"set up {args.recipients} recipients in {setup['setup_s']:.1f}s", flush=True)
        runs, ceilings = [], []
        for n in range(args.runs):
            before = sink_count(sink_folder)
            run = peer.call("run")
            time.sleep(0.6)  # the sink writes its count every half second
            run["received"] = sink_count(sink_folder) - before
            run["per_s"] = run["received"] / run["send_s"]
            ceiling = ceiling_run(port, sink_folder, run["received"], CEILING_PROCESSES)
            runs.append(run)
            ceilings.append(ceiling)
            print(
                f"run {n + 1}: queued in {run['queue_s']:.1f}s, {run['received']} received (statuses "
                f"{run['statuses']}) in {run['send_s']:.1f}s = {run['per_s']:.0f}/s; ceiling {ceiling['per_s']:.0f}/s "
                f"({ceiling['message_kb']:.0f} KB messages)",
                flush=True,
            )
    finally:
        sink.terminate()
        sink.wait()
        shutil.rmtree(folder)

    per_s = statistics.median(r["per_s"] for r in runs)
    ceiling_per_s = statistics.median(c["per_s"] for c in ceilings)
    message_kb = statistics.median(c["message_kb"] for c in ceilings)
    queue_s = statistics.median(r["queue_s"] for r in runs)
    print(f"\nmedian of {args.runs} runs, {args.recipients} recipients, {args.peer}:")
    print(f"  sending             {per_s:.0f} messages/s ({args.recipients / per_s:.0f} s for all)")
    print(f"  queueing, apart     {queue_s:.1f} s")
    print(f"  ceiling             {ceiling_per_s:.0f} messages/s (smtplib, {CEILING_PROCESSES} processes)")
    print(
        f"peer={args.peer} messages_per_s={per_s:.0f} ceiling_per_s={ceiling_per_s:.0f} "
        f"ratio={per_s / ceiling_per_s:.2f} message_kb={message_kb:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
