"""The real fetch path against a local server on loopback serving the recorded responses."""

import json
from datetime import date

import pytest

from papers.http import FetchError, fetch
from papers.ingest import ingest_content, run_source
from papers.models import IngestionRun, Paper
from tests.papers.conftest import Reply, real

pytestmark = pytest.mark.django_db

DAY = real("hf_daily_papers_2025-10-01.indent2.json")


def paged(records: list):
    """Serve a recorded list the way the API pages it: `limit` records from page `p`."""

    def reply(query):
        limit, page = int(query.get("limit", 100)), int(query.get("p", 0))
        return Reply(json.dumps(records[page * limit : (page + 1) * limit]).encode())

    return reply


def test_it_fetches_every_page_of_a_day(source_server, settings):
    settings.PAPERS_HF_PAGE_SIZE = 10
    source_server.routes["/api/daily_papers"] = paged(json.loads(DAY))
    run = run_source("hf-daily", day=date(2025, 10, 1))
    assert run.summary == "created=37 updated=0 unchanged=0 failed=0"
    assert run.parameters == {"date": "2025-10-01"}
    queries = [query for _, _, query, _ in source_server.requests]
    assert [q["p"] for q in queries] == ["0", "1", "2", "3"]
    assert {q["date"] for q in queries} == {"2025-10-01"}


def test_it_asks_for_a_week_when_given_one(source_server):
    source_server.routes["/api/daily_papers"] = paged(json.loads(real("hf_daily_papers_2026-06-12.json")))
    run = run_source("hf-daily", week="2026-W24")
    assert run.created == 30
    assert source_server.requests[0][2]["week"] == "2026-W24"


def test_it_waits_as_long_as_retry_after_says_then_succeeds(source_server):
    source_server.routes["/api/daily_papers"] = [
        Reply(b"slow down", 429, {"Retry-After": "1"}),
        Reply(DAY),
    ]
    run = run_source("hf-daily", day=date(2025, 10, 1))
    assert run.status == IngestionRun.Status.SUCCEEDED
    assert run.created == 37
    (first, *_), (second, *_) = source_server.requests
    assert second - first >= 0.95


def test_it_gives_up_on_a_server_error_after_its_retries_and_changes_nothing(source_server):
    ingest_content("hf-daily", real("hf_daily_papers_2024-08-01.indent4.json"))
    source_server.routes["/api/daily_papers"] = [Reply(b"oops", 500)]
    run = run_source("hf-daily", day=date(2025, 10, 1))
    assert run.status == IngestionRun.Status.FAILED
    assert run.errors.endswith("answered HTTP 500 after 3 attempts")
    assert len(source_server.requests) == 3
    assert Paper.objects.count() == 11


def test_it_times_out_on_a_response_that_never_comes(source_server):
    source_server.routes["/papers"] = [Reply(real("hf_papers_page_2024-08-01.html"), stall=10)]
    run = run_source("hf-page", day=date(2024, 8, 1))
    assert run.status == IngestionRun.Status.FAILED
    assert run.errors.startswith("timed out fetching")
    assert Paper.objects.count() == 0


def test_it_aborts_a_body_larger_than_the_cap(source_server):
    source_server.routes["/papers"] = [Reply(b"<html>" + b"x" * (5 * 1024 * 1024))]
    run = run_source("hf-page", day=date(2024, 8, 1))
    assert run.status == IngestionRun.Status.FAILED
    assert "sent more than 4.2 MB; download aborted" in run.errors


def test_it_refuses_a_declared_oversized_body_before_reading_it(source_server):
    source_server.routes["/papers"] = [Reply(b"<html></html>", headers={"Content-Length": str(50 * 1024 * 1024)})]
    with pytest.raises(FetchError, match="answered 52.4 MB, over the 4.2 MB limit"):
        fetch(f"{source_server.url}/papers")


def test_it_refuses_hosts_and_redirects_off_the_allow_list(source_server):
    with pytest.raises(FetchError, match="host 'example.com' is not on the allow-list"):
        fetch("https://example.com/api/daily_papers")
    source_server.routes["/papers"] = [Reply(b"", 302, {"Location": "http://169.254.169.254/latest/meta-data"})]
    with pytest.raises(FetchError, match="host '169.254.169.254' is not on the allow-list"):
        fetch(f"{source_server.url}/papers")


def test_it_reads_a_category_listing_with_a_descriptive_user_agent(source_server, settings):
    source_server.routes["/rss/cs.CL"] = [Reply(real("arxiv_rss_cs.CL_2026-04-27.first3items.xml"))]
    run = run_source("arxiv", category="cs.CL")
    assert run.created == 3
    _, path, _, user_agent = source_server.requests[0]
    assert path == "/rss/cs.CL"
    assert user_agent == f"Paperboy/0.1 (self-hosted ML paper newsletter; +{settings.SITE_URL})"


def test_it_enriches_papers_first_seen_on_hf_from_the_arxiv_api(source_server, default_topics):
    records = json.loads(real("hf_daily_papers_2026-06-12.json"))[:1]
    records[0]["paper"]["id"] = "2606.13677"
    ingest_content("hf-daily", json.dumps(records))
    source_server.routes["/api/query"] = [Reply(real("arxiv_api_query_transformer_cs.LG_2026-06-14.atom.xml"))]
    run = run_source("arxiv")
    assert source_server.requests[0][2]["id_list"] == "2606.13677"
    assert run.updated == 1
    assert Paper.objects.get(arxiv_id="2606.13677").primary_category == "cs.RO"


def test_it_reports_the_arxiv_error_entry_of_a_400_answer(source_server):
    ingest_content("hf-daily", real("hf_daily_papers_2024-08-01.indent4.json"))
    body = json.loads(real("arxiv_api_error_invalid-id_2026-04-12.wrapped.json"))["body"].encode()
    source_server.routes["/api/query"] = [Reply(body, 400, {"Content-Type": "application/atom+xml"})]
    run = run_source("arxiv")
    assert run.status == IngestionRun.Status.FAILED
    assert run.errors == "arXiv API error: incorrect id format for abc"


def test_it_follows_a_redirect_on_the_same_host_to_the_papers_page(source_server):
    source_server.routes["/papers"] = [Reply(b"", 302, {"Location": "/papers/date/2024-08-01"})]
    source_server.routes["/papers/date/2024-08-01"] = [Reply(real("hf_papers_page_2024-08-01.html"))]
    run = run_source("hf-page", day=date(2024, 8, 1))
    assert run.summary == "created=13 updated=0 unchanged=0 failed=0"
    assert [(path, query) for _, path, query, _ in source_server.requests] == [
        ("/papers", {"date": "2024-08-01"}),
        ("/papers/date/2024-08-01", {}),
    ]
