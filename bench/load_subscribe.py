"""Load on the subscribe endpoint: gunicorn on loopback pinned to core 0, this load generator on core 1.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paperboy_bench .venv/bin/python bench/load_subscribe.py

Steps up an open-loop request rate (10 s each) and reports, per rate, the p95 latency and 5xx count; the
answer is the highest rate with p95 < 300 ms and no 5xx. Every request comes from its own client IP (the
last X-Forwarded-For hop, as behind the https proxy) with its own address, so no limit fires. Then it
shows the per-IP limit (10 sign-ups per 10 minutes) and the per-address limit (5 per hour) firing exactly
at their thresholds. It starts its own redis-server (cache and broker) and migrates the given database
(without DATABASE_URL: a fresh SQLite file in a temporary folder).
"""

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RATES = [5, 10, 15, 25, 50, 100, 150, 200, 300, 400]
STEP_SECONDS = 10
P95_BUDGET = 0.300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinned(core: int, cmd: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *cmd] if shutil.which("taskset") and os.cpu_count() > 1 else cmd


def start_services(var_dir: str) -> tuple[dict, list[subprocess.Popen], str]:
    redis_port, web_port = free_port(), free_port()
    redis = subprocess.Popen(
        pinned(0, ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"]),
        stdout=subprocess.DEVNULL,
    )
    env = {
        **os.environ,
        "VAR_DIR": var_dir,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SITE_URL": "https://bench.example.org",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    web = subprocess.Popen(
        pinned(0, [sys.executable, "-m", "gunicorn", "newsletter.wsgi", "-b", f"127.0.0.1:{web_port}",
                   "-w", "3", "--log-level", "warning"]),
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{web_port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)  # waiting for gunicorn to listen
    return env, [web, redis], base


class Form:
    """A form as a browser got it: the CSRF cookie and token and the signed start time."""

    def __init__(self, base: str):
        page = httpx.get(f"{base}/", headers={"X-Forwarded-Proto": "https"}, timeout=10)
        self.cookie = page.cookies["csrftoken"]
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        self.started = re.search(r'name="started" value="([^"]+)"', page.text)[1]
        self.topic = re.search(r'name="topics" value="([^"]+)"', page.text)[1]
        self.base = base
        self.origin = base.replace("http://", "https://")

    def post(self, client: httpx.AsyncClient, n: int, ip: str, email: str | None = None):
        data = {
            "csrfmiddlewaretoken": self.token, "started": self.started, "website": "",
            "email": email or f"load{n}@example.com", "topics": self.topic, "frequency": "weekly",
            "weekday": "0", "hour": "8", "timezone": "UTC", "paper_count": "10",
        }  # fmt: skip
        headers = {
            "X-Forwarded-Proto": "https", "X-Forwarded-For": ip, "Cookie": f"csrftoken={self.cookie}",
            # The proxy terminated TLS, so the browser's origin is https.
            "Referer": f"{self.origin}/", "Origin": self.origin,
        }  # fmt: skip
        return client.post(f"{self.base}/subscribe/", data=data, headers=headers)


def client_ip(n: int) -> str:
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


async def step(form: Form, rate: int, first: int) -> tuple[float, int, int]:
    """Send `rate` requests a second for STEP_SECONDS; return p95 latency, 5xx count, other errors."""
    latencies, statuses = [], []
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=200)) as client:

        async def one(n: int) -> None:
            t0 = time.perf_counter()
            try:
                response = await form.post(client, n, client_ip(n))
                statuses.append(response.status_code)
            except httpx.HTTPError:
                statuses.append(599)
            latencies.append(time.perf_counter() - t0)

        tasks, start = [], time.perf_counter()
        for i in range(rate * STEP_SECONDS):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(first + i)))
        await asyncio.gather(*tasks)
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    return p95, sum(s >= 500 for s in statuses), sum(s not in (302,) and s < 500 for s in statuses)


async def limits(form: Form, env: dict) -> None:
    import redis

    broker = redis.Redis.from_url(env["REDIS_URL"])
    async with httpx.AsyncClient(timeout=60) as client:
        codes = [(await form.post(client, 900_000 + i, "192.0.2.77")).status_code for i in range(12)]
        print(f"per-IP limit 10 per 10 min, 12 sign-ups from one IP: {codes}")
        queued = []
        for i in range(7):
            before = broker.llen("celery")
            await form.post(client, 0, client_ip(800_000 + i), email="same.address@example.com")
            queued.append(broker.llen("celery") - before)
        print(f"per-address limit 5 per hour, 7 sign-ups of one address (emails queued each): {queued}")


def main() -> None:
    var_dir = tempfile.mkdtemp(prefix="paperboy-bench-")
    env, procs, base = start_services(var_dir)
    try:
        form = Form(base)
        time.sleep(3.1)  # the signed start time must be 3 s old, or the form counts as a bot's
        if os.environ.get("BENCH_PINNED") != "1" and shutil.which("taskset"):
            os.sched_setaffinity(0, {1})
        best, first = None, 0
        print("rate/s  p95 ms  5xx  other")
        for rate in RATES:
            p95, errors, other = asyncio.run(step(form, rate, first))
            first += rate * STEP_SECONDS
            print(f"{rate:6d}  {p95 * 1000:6.0f}  {errors:3d}  {other:5d}")
            if p95 >= P95_BUDGET or errors:
                break
            best = rate
        print(f"highest rate with p95 < {P95_BUDGET * 1000:.0f} ms and no 5xx: {best}/s")
        asyncio.run(limits(form, env))
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
