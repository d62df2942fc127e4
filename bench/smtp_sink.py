"""An SMTP server on loopback for the benchmarks: takes every message, counts them, keeps the first few.

    .venv/bin/python -m bench.smtp_sink --port 2525 --keep 200 --folder /tmp/sink

It runs in a process of its own (aiosmtpd), so the server's CPU is not charged to the code under test.
It prints "ready" once it listens, writes the count of messages taken to <folder>/count every half
second and on exit, and saves the first --keep messages as <folder>/<n>.eml for the ceiling run.
"""

import argparse
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder: Path, keep: int):
        self.folder = folder
        self.keep = keep
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        if self.count < self.keep:
            (self.folder / f"{self.count}.eml").write_bytes(envelope.original_content or envelope.content)
        self.count += len(envelope.rcpt_tos)
        return "250 Message accepted"

    def write_count(self) -> None:
        (self.folder / "count").write_text(str(self.count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--keep", type=int, default=200)
    parser.add_argument("--folder", type=Path, required=True)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    sink = Sink(args.folder, args.keep)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    # The server runs its event loop in a thread of its own; this one only reports the count.
    controller = Controller(sink, hostname="127.0.0.1", port=args.port, data_size_limit=10_000_000)
    controller.start()
    print("ready", flush=True)
    try:
        while not stop.wait(0.5):
            sink.write_count()
    finally:
        controller.stop()
        sink.write_count()


if __name__ == "__main__":
    main()
