"""Upserting on the arXiv id: created, then unchanged; updates with snapshots; arXiv enrichment merges in."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from papers.ingest import ingest_content
from papers.models import IngestionRun, Paper, PaperTopic, UpvoteSnapshot
from tests.papers.conftest import real

pytestmark = pytest.mark.django_db

FILES = [
    ("hf-daily", "hf_daily_papers_2024-08-01.indent4.json", 11),
    ("hf-daily", "hf_daily_papers_2025-10-01.indent2.json", 37),
    ("hf-daily", "hf_daily_papers_2026-06-12.json", 30),
    ("hf-page", "hf_papers_page_2024-08-01.html", 13),
    ("hf-page", "hf_paper_page_2509.24002.prettified.html", 1),
    ("arxiv", "arxiv_api_query_transformer_cs.LG_2026-06-14.atom.xml", 5),
    ("arxiv", "arxiv_api_query_all-testing_2026-04-12.wrapped.json", 10),
    ("arxiv", "arxiv_api_idlist_astro-ph-0601001_2026-05-11.wrapped.json", 1),
    ("arxiv", "arxiv_api_empty-result_2026-04-12.wrapped.json", 0),
    ("arxiv", "arxiv_api_query_au-del_maestro_2016-10-09.legacy.atom.xml", 10),
    ("arxiv", "arxiv_api_idlist_1111.2011v2_2016-10-09.legacy.atom.xml", 1),
    ("arxiv", "arxiv_rss_cs.CL_2026-04-27.first3items.xml", 3),
    ("arxiv", "arxiv_rss_cs.LG_2026-04-27.first3items.xml", 3),
    ("arxiv", "arxiv_rss_cs.CL_2026-08-01_weekend-empty.xml", 0),
]


@pytest.mark.parametrize(("source", "name", "count"), FILES)
def test_it_creates_every_paper_once_then_reports_them_unchanged(source, name, count):
    first = ingest_content(source, real(name))
    assert first.summary == f"created={count} updated=0 unchanged=0 failed=0"
    assert first.status == IngestionRun.Status.SUCCEEDED
    again = ingest_content(source, real(name))
    assert again.summary == f"created=0 updated=0 unchanged={count} failed=0"
    assert Paper.objects.count() == count


def test_it_stores_what_the_source_said(default_topics):
    ingest_content("hf-daily", real("hf_daily_papers_2025-10-01.indent2.json"))
    paper = Paper.objects.get(arxiv_id="2509.25541")
    assert paper.title == "Vision-Zero: Scalable VLM Self-Improvement via Strategic Gamified Self-Play"
    assert paper.upvotes == 55
    assert paper.hf_listed_on == paper.trending_date == date(2025, 10, 1)
    assert paper.sources == ["hf-daily"]
    assert paper.github_repo == "https://github.com/wangqinsi1/Vision-Zero"
    assert paper.snapshots.get().upvotes == 55
    assert {"multimodal", "rl"} <= set(paper.topics.values_list("slug", flat=True))


def test_it_updates_changed_upvotes_and_records_a_snapshot():
    ingest_content("hf-daily", real("hf_daily_papers_2024-08-01.indent4.json"))
    # Ten days later the list page of the same day shows 13 papers and higher counts.
    run = ingest_content("hf-page", real("hf_papers_page_2024-08-01.html"))
    assert (run.created, run.updated) == (2, 11)
    llama = Paper.objects.get(arxiv_id="2407.21783")
    assert llama.upvotes == 94
    assert list(llama.snapshots.values_list("upvotes", flat=True)) == [49, 94]
    assert sorted(llama.sources) == ["hf-daily", "hf-page"]


def test_it_merges_arxiv_categories_authors_and_abstract_into_a_paper_first_seen_on_hf(default_topics):
    # The real 2026 HF record, pointed at a paper of the real arXiv feed so both sources describe one paper.
    records = json.loads(real("hf_daily_papers_2026-06-12.json"))[:1]
    records[0]["paper"]["id"] = "2606.13677"
    ingest_content("hf-daily", json.dumps(records))
    run = ingest_content("arxiv", real("arxiv_api_query_transformer_cs.LG_2026-06-14.atom.xml"))
    assert (run.created, run.updated) == (4, 1)
    paper = Paper.objects.get(arxiv_id="2606.13677")
    assert paper.title == "Mana: Dexterous Manipulation of Articulated Tools"
    assert paper.authors == ["Zhao-Heng Yin", "Guanya Shi", "Pieter Abbeel", "C. Karen Liu"]
    assert paper.arxiv_categories == ["cs.RO", "cs.AI", "cs.CV", "cs.LG"]
    assert paper.primary_category == "cs.RO"
    assert paper.hf_listed_on == paper.trending_date == date(2026, 6, 12)
    assert paper.upvotes == 0
    assert paper.sources == ["arxiv", "hf-daily"]
    assert "robotics" in set(paper.topics.values_list("slug", flat=True))
    # HF, re-read later, does not take back what arXiv said.
    again = ingest_content("hf-daily", json.dumps(records))
    assert again.summary == "created=0 updated=0 unchanged=1 failed=0"


def test_it_writes_in_a_few_queries_however_many_papers(django_assert_max_num_queries, default_topics):
    content = real("hf_daily_papers_2025-10-01.indent2.json")
    with django_assert_max_num_queries(13):
        ingest_content("hf-daily", content)
    assert PaperTopic.objects.count() >= 37
    assert UpvoteSnapshot.objects.count() == 37


def test_the_next_run_marks_a_run_whose_worker_was_killed_as_failed_and_leaves_a_live_one_alone():
    killed = IngestionRun.objects.create(source="hf-daily")
    live = IngestionRun.objects.create(source="arxiv")
    IngestionRun.objects.filter(pk=killed.pk).update(started_at=timezone.now() - timedelta(hours=2))
    IngestionRun.objects.filter(pk=live.pk).update(started_at=timezone.now() - timedelta(minutes=4))

    ingest_content("hf-daily", real("hf_daily_papers_2026-06-12.json"))

    killed.refresh_from_db()
    live.refresh_from_db()
    assert killed.status == IngestionRun.Status.FAILED and killed.finished_at is not None
    assert killed.errors.startswith("Interrupted: still running 60 minutes after it started")
    assert live.status == IngestionRun.Status.RUNNING
