"""Paths to the recorded real responses, and the default topics built for tests that flush the database."""

import contextlib
import importlib
import time

import pytest

from bench.tagging import FIXTURES

REAL = FIXTURES / "real"


def real(name: str) -> bytes:
    """The bytes of one recorded response in shared/fixtures/real/."""
    return (REAL / name).read_bytes()


@pytest.fixture
def default_topics(db):
    """The topics of the data migration, present even after a transactional test flushed them."""
    from tests.factories import make_topic

    migration = importlib.import_module("papers.migrations.0002_default_topics")
    return [
        make_topic(slug, name, description=description, keywords="\n".join(keywords), arxiv_categories=categories)
        for slug, name, description, keywords, categories in migration.TOPICS
    ]


class Reply:
    """One canned answer: status, headers, body; `stall` seconds before the body (a slow server); `drip`
    seconds between 64-byte pieces of the body (a slow-loris server that never lets a read time out)."""

    def __init__(
        self, body: bytes = b"", status: int = 200, headers: dict | None = None, stall: float = 0, drip: float = 0
    ):
        self.body, self.status, self.headers, self.stall, self.drip = body, status, headers or {}, stall, drip


class SourceServer:
    """A real HTTP server on loopback standing in for huggingface.co and arXiv, serving recorded responses.

    `routes` maps a path to a function of the query dict returning a Reply, or to a list of Replies
    given in turn (the last one repeats). Every request is logged with its arrival time.
    """

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        server = self
        self.routes: dict = {}
        self.requests: list[tuple[float, str, dict, str]] = []
        self.release = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # no Content-Length needed: the body ends when the connection closes

            def do_GET(self):
                import time
                from urllib.parse import parse_qs, urlsplit

                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                server.requests.append((time.monotonic(), parts.path, query, self.headers.get("User-Agent", "")))
                route = server.routes.get(parts.path)
                if route is None:
                    reply = Reply(b"not found", 404)
                elif callable(route):
                    reply = route(query)
                else:
                    reply = route.pop(0) if len(route) > 1 else route[0]
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if reply.stall:
                    server.pause(reply.stall)
                # The client may give up, as it should with a slow or oversized answer.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    pieces = [reply.body[i : i + 64] for i in range(0, len(reply.body), 64)] if reply.drip else []
                    for piece in pieces:
                        self.wfile.write(piece)
                        self.wfile.flush()
                        if server.pause(reply.drip):
                            return
                    if not pieces:
                        self.wfile.write(reply.body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def pause(self, seconds: float) -> bool:
        """Wait `seconds`, or less when the test releases the server; True when released.

        Short sleeps rather than `Event.wait(timeout)`: under libfaketime (the shifted-clock pass) a
        timed wait on a shifted CLOCK_MONOTONIC never returns, while `time.sleep` is shifted correctly.
        """
        deadline = time.monotonic() + seconds
        while not self.release.is_set() and time.monotonic() < deadline:
            time.sleep(min(0.01, max(deadline - time.monotonic(), 0)))
        return self.release.is_set()

    def start(self) -> "SourceServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def source_server(settings):
    """The local stand-in for the sources, with the fetch settings pointed at it and short waits."""
    server = SourceServer().start()
    settings.PAPERS_HTTP_ALLOWED_HOSTS = [*settings.PAPERS_HTTP_ALLOWED_HOSTS, "127.0.0.1"]
    settings.PAPERS_HF_URL = server.url
    settings.PAPERS_ARXIV_API_URL = f"{server.url}/api/query"
    settings.PAPERS_ARXIV_RSS_URL = f"{server.url}/rss"
    settings.PAPERS_HTTP_READ_TIMEOUT = 0.5
    settings.PAPERS_HTTP_BACKOFF = 0.01
    settings.PAPERS_HTTP_MAX_WAIT = 2.0
    settings.PAPERS_HTTP_RETRIES = 2
    settings.PAPERS_ARXIV_DELAY = 0
    yield server
    server.stop()
