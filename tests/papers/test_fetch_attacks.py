"""Hostile sources: each answer is cut off within its caps, the run says why, and no paper is written."""

import gzip
from datetime import date

import pytest

from papers.ingest import run_source
from papers.models import IngestionRun, Paper
from tests.papers.conftest import Reply, real

pytestmark = pytest.mark.django_db


def failed_run(reason: str) -> None:
    run = IngestionRun.objects.get()
    assert run.status == IngestionRun.Status.FAILED
    assert reason in run.errors and "\n" not in run.errors.strip()
    assert Paper.objects.count() == 0


def test_it_aborts_a_slow_loris_answer_at_the_total_deadline(source_server, settings):
    settings.PAPERS_HTTP_TOTAL_TIMEOUT = 1.0
    settings.PAPERS_HTTP_READ_TIMEOUT = 5.0  # each 64-byte piece comes well within it, even on a busy machine
    source_server.routes["/papers"] = [Reply(real("hf_papers_page_2024-08-01.html"), drip=0.1)]
    run_source("hf-page", day=date(2024, 8, 1))
    failed_run("took over 1 s to send its answer; aborted")
    assert source_server.requests  # it really was asked


def test_it_aborts_a_gzip_bomb_at_the_size_cap_of_the_decoded_body(source_server):
    bomb = gzip.compress(b"<html>" + b"\0" * (64 * 1024 * 1024))
    assert len(bomb) < 100_000
    source_server.routes["/papers"] = [Reply(bomb, headers={"Content-Encoding": "gzip"})]
    run_source("hf-page", day=date(2024, 8, 1))
    failed_run("sent more than 4.2 MB; download aborted")


@pytest.mark.parametrize(
    "location",
    ["http://10.0.0.7/papers", "http://[fe80::1]/papers", "file:///etc/passwd", "ftp://127.0.0.1/papers"],
)
def test_it_refuses_a_redirect_to_a_private_address_or_another_scheme(source_server, location):
    source_server.routes["/papers"] = [Reply(b"", 302, {"Location": location})]
    run_source("hf-page", day=date(2024, 8, 1))
    failed_run("is not on the allow-list" if location.startswith("http") else "is not http(s)")
