"""Bad input gets a clear one-line error and leaves the papers already stored as they were."""

import json

import pytest

from papers.ingest import ingest_content
from papers.models import IngestionRun, Paper
from tests.papers.conftest import real

pytestmark = pytest.mark.django_db


@pytest.fixture
def earlier_papers():
    ingest_content("hf-daily", real("hf_daily_papers_2024-08-01.indent4.json"))
    return {p.arxiv_id: (p.title, p.upvotes, p.updated_at) for p in Paper.objects.all()}


def assert_intact(earlier_papers):
    now = {p.arxiv_id: (p.title, p.upvotes, p.updated_at) for p in Paper.objects.all()}
    assert now == earlier_papers


def assert_failed(run: IngestionRun, reason: str):
    assert run.status == IngestionRun.Status.FAILED
    assert reason in run.errors
    assert "\n" not in run.errors
    assert run.summary == "created=0 updated=0 unchanged=0 failed=0"


@pytest.mark.parametrize(
    ("source", "content", "reason"),
    [
        ("hf-daily", real("hf_daily_papers_2024-08-01.indent4.json")[:5000], "not valid JSON (truncated or corrupt)"),
        ("hf-daily", b"", "the response is empty"),
        ("hf-page", b"  \n", "the response is empty"),
        ("hf-daily", bytes(range(256)) * 40, "not text"),
        ("hf-page", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(2000), "not text"),
        ("arxiv", b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4, "not text"),
        ("hf-page", b"<html><body><h1>Nothing here</h1></body></html>", "no papers found on the page"),
        ("arxiv", real("arxiv_api_error_invalid-id_2026-04-12.wrapped.json"), "arXiv API error: incorrect id format"),
        ("arxiv", real("hf_papers_page_2024-08-01.html"), "not valid XML"),
        ("arxiv", b"<?xml version='1.0'?><html><body/></html>", "not an arXiv Atom or RSS feed"),
        ("hf-daily", b'{"error": "Invalid date"}', "Hugging Face answered with an error: Invalid date"),
        ("hf-daily", b"x" * (5 * 1024 * 1024), "5.2 MB, over the 4.2 MB limit"),
    ],
    ids=[
        "truncated-json", "empty-file", "blank-page", "binary-file", "png-as-page", "gzip-as-feed",
        "html-without-papers", "atom-error-entry", "html-as-atom", "xml-not-atom", "hf-error", "five-megabytes",
    ],
)  # fmt: skip
def test_it_fails_the_run_with_one_line_and_changes_no_paper(earlier_papers, source, content, reason):
    run = ingest_content(source, content)
    assert_failed(run, reason)
    assert_intact(earlier_papers)


def test_it_counts_a_record_missing_its_id_as_failed_and_lands_the_rest(earlier_papers):
    records = json.loads(real("hf_daily_papers_2025-10-01.indent2.json"))
    del records[2]["paper"]["id"]
    records[5]["paper"]["id"] = "not-an-id"
    run = ingest_content("hf-daily", json.dumps(records))
    assert run.summary == "created=35 updated=0 unchanged=0 failed=2"
    assert run.status == IngestionRun.Status.PARTIAL
    assert run.errors.splitlines() == ["record 3: record has no arXiv id", "record 6: not an arXiv id: 'not-an-id'"]
    assert Paper.objects.count() == 11 + 35


def test_it_stores_a_scripted_title_as_plain_text(earlier_papers):
    records = json.loads(real("hf_daily_papers_2026-06-12.json"))[:1]
    records[0]["paper"]["title"] = '<script>alert("x")</script> Attention &amp; more'
    ingest_content("hf-daily", json.dumps(records))
    paper = Paper.objects.get(arxiv_id="2606.00467")
    assert paper.title == '<script>alert("x")</script> Attention &amp; more'
