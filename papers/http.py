"""Fetching from the sources: a fixed allow-list of hosts, timeouts, a size cap, retries that honour Retry-After.

Admins never type URLs the server then fetches: every URL is built from settings, and a redirect to
any host outside the allow-list is refused rather than followed.
"""

import email.utils
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_REDIRECTS = 3


class FetchError(Exception):
    """The response could not be fetched; the message is one line fit for an IngestionRun."""


@dataclass(frozen=True)
class Patience:
    connect: float
    read: float
    retries: int


_patience: ContextVar[Patience | None] = ContextVar("patience", default=None)


@contextmanager
def impatient(connect: float = 3.0, read: float = 10.0, retries: int = 0) -> Iterator[None]:
    """Fetch with short timeouts and no retries inside the block: someone is waiting at a terminal."""
    token = _patience.set(Patience(connect, read, retries))
    try:
        yield
    finally:
        _patience.reset(token)


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise FetchError(f"refused to fetch {url}: scheme {parts.scheme!r} is not http(s)")
    if parts.hostname not in settings.PAPERS_HTTP_ALLOWED_HOSTS:
        raise FetchError(f"refused to fetch {url}: host {parts.hostname!r} is not on the allow-list")
    return url


def retry_wait(response: httpx.Response, attempt: int) -> float:
    """Seconds to wait before the next attempt: Retry-After when given, else exponential backoff."""
    backoff = settings.PAPERS_HTTP_BACKOFF * 2**attempt
    header = response.headers.get("Retry-After", "").strip()
    if header.isdigit():
        wait = float(header)
    elif header:
        try:
            wait = (email.utils.parsedate_to_datetime(header) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            wait = backoff
    else:
        wait = backoff
    return max(0.0, min(wait, settings.PAPERS_HTTP_MAX_WAIT))


def _read_capped(response: httpx.Response, url: str) -> bytes:
    limit = settings.PAPERS_MAX_RESPONSE_BYTES
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchError(f"{url} answered {int(declared) / 1e6:.1f} MB, over the {limit / 1e6:.1f} MB limit")
    body = bytearray()
    # The read timeout is per read: a server dripping a byte at a time would never trip it.
    deadline = time.monotonic() + settings.PAPERS_HTTP_TOTAL_TIMEOUT
    for chunk in response.iter_bytes():  # decoded: a gzip bomb meets the same cap
        body += chunk
        if len(body) > limit:
            raise FetchError(f"{url} sent more than {limit / 1e6:.1f} MB; download aborted")
        if time.monotonic() > deadline:
            raise FetchError(f"{url} took over {settings.PAPERS_HTTP_TOTAL_TIMEOUT:.0f} s to send its answer; aborted")
    return bytes(body)


def user_agent() -> str:
    """Names the software and the installation, so a source's operators know who is asking."""
    return f"Paperboy/0.1 (self-hosted ML paper newsletter; +{settings.SITE_URL})"


def client() -> httpx.Client:
    patience = _patience.get()
    read = patience.read if patience else settings.PAPERS_HTTP_READ_TIMEOUT
    timeout = httpx.Timeout(read, connect=patience.connect if patience else settings.PAPERS_HTTP_CONNECT_TIMEOUT)
    return httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": user_agent()})


def fetch(url: str, params: dict | None = None, accept_status: tuple[int, ...] = ()) -> bytes:
    """GET `url` and return its body; FetchError with a one-line reason when that is not possible.

    `accept_status` lists error statuses whose body is still wanted (arXiv explains a bad query in a
    400 response's Atom feed).
    """
    check_url(url)
    patience = _patience.get()
    retries = patience.retries if patience else settings.PAPERS_HTTP_RETRIES
    with client() as http:
        attempt = redirects = 0
        while True:
            try:
                with http.stream("GET", url, params=params) as response:
                    if response.is_redirect and redirects < MAX_REDIRECTS:
                        url = check_url(urljoin(str(response.url), response.headers["Location"]))
                        params, redirects = None, redirects + 1
                        continue
                    if response.status_code in RETRY_STATUSES and attempt < retries:
                        wait = retry_wait(response, attempt)
                        log.info("HTTP %s from %s; retrying in %.1fs", response.status_code, url, wait)
                        attempt += 1
                        time.sleep(wait)
                        continue
                    if response.is_success or response.status_code in accept_status:
                        return _read_capped(response, url)
                    tries = f" after {attempt + 1} attempts" if attempt else ""
                    raise FetchError(f"{url} answered HTTP {response.status_code}{tries}")
            except httpx.TimeoutException as exc:
                raise FetchError(f"timed out fetching {url} ({type(exc).__name__})") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"could not fetch {url}: {type(exc).__name__}: {exc}") from None
