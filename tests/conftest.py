"""Shared fixtures: real services (Redis, a Celery worker process, an SMTP server on loopback)."""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


FAULTS = ROOT / "tests" / "faults"


def pytest_collection_modifyitems(items):
    """Mark the tests that drive Chromium `browser` and the fault tests `faults`, so that a pass can leave
    them out: the shifted-clock pass does, since neither runs under libfaketime (see the README)."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
        if FAULTS in Path(item.path).parents:
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="session", autouse=True)
def process_logs(tmp_path_factory) -> Path:
    """The logs of the worker and beat processes the tests start go under pytest's tmp paths."""
    CeleryProcess.log_folder = tmp_path_factory.mktemp("logs")
    return CeleryProcess.log_folder


@pytest.fixture(autouse=True)
def frozen_clock(request):
    """With `@pytest.mark.frozen(moment)`, every clock of this process stands at `moment` for the whole test.

    Tests whose dates are fixed take them all from that one moment, so they pass on any day; tests
    that start worker processes or a browser cannot freeze those and derive their dates from `now()`.
    """
    marker = request.node.get_closest_marker("frozen")
    if marker is None:
        yield None
        return
    with time_machine.travel(marker.args[0], tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fresh_worker_caches():
    """Each test starts as a new worker process would, without the pools and cards of earlier tests.

    In production a pool's version (row counts, the latest ids and `updated_at`) only grows; between
    tests, rolled-back transactions reuse ids and frozen clocks repeat timestamps.
    """
    from newsletter.compose import pools
    from newsletter.render import Renderer

    pools.clear()
    Renderer.forget()


def wait_for(condition, timeout: float = 30.0, interval: float = 0.05, message: str = "condition"):
    """Poll `condition` until it returns a truthy value; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)  # polling a condition with a deadline, not sleeping in hope
    pytest.fail(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture
def redis_url():
    """REDIS_URL, reachable. Skipped without it, unless REQUIRE_SERVICES=1 makes that a failure."""
    url = os.environ.get("REDIS_URL")
    if not url:
        if REQUIRE_SERVICES:
            pytest.fail("REQUIRE_SERVICES=1 but REDIS_URL is not set")
        pytest.skip("REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"REDIS_URL={url} is unreachable: {exc}")
    return url


def test_database_url() -> str:
    """A DATABASE_URL that points worker processes at the test database."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


test_database_url.__test__ = False


def purge_broker() -> None:
    from newsletter.celery import app

    with app.connection_for_write() as conn, contextlib.suppress(Exception):  # the queue may not exist yet
        conn.default_channel.queue_purge("celery")


class CeleryProcess:
    """A real `celery -A newsletter <command>` subprocess on the configured broker and the test database."""

    command = "worker"
    log_folder = Path(tempfile.gettempdir())  # the session's folder under pytest's tmp paths: `process_logs`

    def __init__(self, extra_env: dict | None = None, log: Path | None = None):
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen | None = None
        self.log = log or self.log_folder / f"{self.command}-{os.getpid()}-{id(self)}.log"

    def env(self) -> dict:
        env = dict(os.environ)
        env["DATABASE_URL"] = test_database_url()
        env["DJANGO_SETTINGS_MODULE"] = "newsletter.settings"
        env.update(self.extra_env)
        return env

    def arguments(self) -> list[str]:
        return []

    def start(self) -> "CeleryProcess":
        self.log.parent.mkdir(exist_ok=True)
        cmd = [sys.executable, "-m", "celery", "-A", "newsletter", self.command, "--loglevel", "INFO"]
        self.proc = subprocess.Popen(
            [*cmd, *self.arguments()], cwd=ROOT, env=self.env(), stdout=self.log.open("wb"), stderr=subprocess.STDOUT
        )
        return self

    def stop(self) -> None:
        """SIGTERM, Celery's warm shutdown; SIGKILL only if it has not exited 20 s later."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class WorkerProcess(CeleryProcess):
    """A real `celery worker` subprocess."""

    def __init__(self, extra_env: dict | None = None, concurrency: int = 1, pool: str = "prefork"):
        super().__init__(extra_env)
        self.concurrency = concurrency
        self.pool = pool

    def arguments(self) -> list[str]:
        return [
            "--pool", self.pool, "--concurrency", str(self.concurrency),
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip


class BeatProcess(CeleryProcess):
    """A real `celery beat` subprocess with the project's DatabaseScheduler; its files live in `folder`."""

    command = "beat"

    def __init__(self, folder: Path, name: str, extra_env: dict | None = None):
        super().__init__(extra_env, log=folder / f"{name}.log")
        self.folder, self.name = folder, name

    def arguments(self) -> list[str]:
        return [
            "--schedule", str(self.folder / f"{self.name}-schedule"),
            "--pidfile", str(self.folder / f"{self.name}.pid"),
        ]  # fmt: skip


@pytest.fixture
def celery_worker(transactional_db):
    """Start a worker process against the test database; stop it after the test."""
    purge_broker()
    worker = WorkerProcess().start()
    yield worker
    worker.stop()


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django's email goes to it for the test."""
    from tests.smtp import SMTPServer

    server = SMTPServer().start()
    settings.EMAIL_BACKEND = "newsletter.mail.SMTPBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def shoot(page, artifacts: Path, name: str) -> None:
    """Save the page at phone and desktop width as `<name>-phone.png` and `<name>-desktop.png`."""
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=artifacts / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size(DESKTOP)


SCREENSHOTS: list[Path] = []  # the run's screenshot folder, once a test has asked for it


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    """Folder for the screenshots people look at: ARTIFACTS_DIR, else `artifacts/` under pytest's tmp paths."""
    folder = Path(os.environ.get("ARTIFACTS_DIR") or tmp_path_factory.getbasetemp() / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    SCREENSHOTS.append(folder)
    return folder


def pytest_terminal_summary(terminalreporter):
    for folder in SCREENSHOTS:
        terminalreporter.write_line(f"screenshots: {folder}")


@pytest.fixture
def browser(monkeypatch):
    """Debian's Chromium driven by Playwright (no downloaded browser builds)."""
    if not Path(CHROMIUM).exists():
        if REQUIRE_SERVICES:
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is missing")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )  # fmt: skip
        yield chromium
        chromium.close()
