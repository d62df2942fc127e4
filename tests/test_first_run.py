"""A newcomer's first minutes, as `make run` gives them: a fresh bootstrap on the embedded default with no
network, the whole service under honcho on its own PORT, and Chromium doing what a person would: read the
home page, subscribe, confirm from the outbox, look at the preview, press "send me my digest now"."""

import email
import email.policy
import os
import re
import signal
import socket
import subprocess
import time
from html import unescape
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, shoot, wait_for
from tests.smtp import free_port

# Variables that would point the service at something other than its embedded defaults.
CONFIGURED = (
    "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SITE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "VAR_DIR", "PORT",
    "DJANGO_SETTINGS_MODULE",  # the test run's settings; `make run` uses the project's own
)  # fmt: skip


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Service:
    """`make run` (bootstrap, then web, worker and beat under honcho) in its own VAR_DIR, on its own PORT."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.outbox = folder / "var" / "outbox"
        self.env = {k: v for k, v in os.environ.items() if k not in CONFIGURED}
        # No network: every request to Hugging Face goes through a proxy that nothing listens on.
        proxy = f"http://127.0.0.1:{closed_port()}"
        self.env.update(VAR_DIR=str(folder / "var"), PORT=str(self.port))
        self.env.update({name: proxy for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")})
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            self.env.pop(name, None)
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = (self.folder / "make-run.log").open("wb")
        # Its own process group, so the test stops make, honcho and everything they started, and nothing else.
        self.proc = subprocess.Popen(
            ["make", "run"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_for(self.healthy, timeout=180, interval=0.5, message=f"the service on port {self.port}")

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def log(self, tail: int | None = 3000) -> str:
        path = self.folder / "make-run.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return text[-tail:] if tail else text

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def emails(self) -> list[email.message.EmailMessage]:
        paths = sorted(self.outbox.glob("*.eml")) if self.outbox.exists() else []
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in paths]

    def confirmation(self) -> email.message.EmailMessage | None:
        return next((m for m in self.emails() if "onfirm" in m["Subject"]), None)

    def digest(self) -> email.message.EmailMessage | None:
        """A digest: the only email with a one-click unsubscribe header."""
        return next((m for m in self.emails() if m["List-Unsubscribe-Post"]), None)


@pytest.fixture
def service(tmp_path):
    running = Service(tmp_path)
    yield running
    running.stop()


def html_of(message: email.message.EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


@pytest.mark.browser
def test_a_newcomer_gets_a_real_digest_within_minutes_of_a_fresh_start(service, browser, tmp_path):
    started = time.monotonic()
    service.start()
    assert "Hugging Face did not answer" in service.log(tail=None)
    assert "Loading the bundled demo papers" in service.log(tail=None)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(service.url + "/")
    loaded = time.monotonic()
    assert page.get_by_text("Demo data: real papers of 3 November – 19 December 2025.").is_visible()
    assert page.locator(".trending .paper").count() >= 10
    keywords = page.locator("summary", has_text="Keywords")
    marker = keywords.evaluate("s => getComputedStyle(s, '::before').content")
    assert "▸" in marker  # the keywords section shows that it opens
    keywords.click()
    assert page.get_by_label("Keywords to mute").is_visible()
    shoot(page, tmp_path, "first-run-1-home")

    page.get_by_label("Email address").fill("newcomer@example.com")
    page.get_by_label("Robotics & embodied AI").check()
    page.get_by_label("Speech & audio").check()
    # The form drops sign-ups sent within 3 s of showing it (bots); a person takes longer than that.
    page.wait_for_timeout(max(0, 3.2 - (time.monotonic() - loaded)) * 1000)
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/check-your-inbox/")

    confirmation = wait_for(service.confirmation, timeout=60, message="the confirmation email")
    text = confirmation.get_body(("plain",)).get_content()
    (confirm_link,) = set(re.findall(r"http://[^\s\"<>]+/confirm/[^\s\"<>]+/", text))
    assert confirm_link.startswith(f"{service.url}/confirm/")
    page.goto(confirm_link)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/preferences/**")

    preview = page.frame_locator("#next-digest iframe")
    papers = preview.locator(".preview-paper")
    papers.first.wait_for()
    assert papers.count() >= 5
    assert "Demo data: real papers of 3 November – 19 December 2025" in preview.locator("body").inner_text()
    shoot(page, tmp_path, "first-run-2-preferences")
    previewed = [papers.nth(n).locator(".paper-title").inner_text() for n in range(papers.count())]

    preview.get_by_role("button", name="Send me my digest now").click()
    page.wait_for_url("**/digests/send-now/**")
    assert page.get_by_role("heading", name="Your digest is on its way").is_visible()

    digest = wait_for(service.digest, timeout=120, interval=0.5, message=f"the digest; log: {service.log()}")
    arrived = time.monotonic() - started
    html = html_of(digest)
    titles = [title for title in previewed if title in unescape(html)]
    assert len(titles) == len(previewed) >= 5  # the papers the preview showed
    # The decoded bodies and the headers: the raw message's quoted-printable lines may cut a URL in two.
    text = digest.get_body(("plain",)).get_content() + html + digest["List-Unsubscribe"]
    ports = set(re.findall(r"https?://(?:127\.0\.0\.1|localhost):(\d+)", text))
    assert ports == {str(service.port)}, f"links point at ports {ports}, the service runs on {service.port}"
    assert arrived < 120
    digest_page = browser.new_page(viewport={"width": 760, "height": 900})
    digest_page.set_content(html)
    digest_page.screenshot(path=tmp_path / "first-run-3-digest.png", full_page=True)
