"""Every recorded response of the three sources parses, with values taken from the files themselves."""

from datetime import UTC, date, datetime

import pytest

from papers.records import SourceError, normalize_arxiv_id
from papers.sources import arxiv, hf_daily, hf_page
from tests.papers.conftest import real


def by_id(parsed):
    return {r.arxiv_id: r for r in parsed.records}


def test_it_reads_the_2024_daily_papers_schema():
    parsed = hf_daily.parse(real("hf_daily_papers_2024-08-01.indent4.json"))
    assert parsed.failures == []
    assert len(parsed.records) == 11
    llama = by_id(parsed)["2407.21783"]
    assert llama.title == "The Llama 3 Herd of Models"
    assert llama.upvotes == 49
    assert llama.num_comments == 4
    assert len(llama.authors) == 533
    assert llama.authors[:2] == ["Abhimanyu Dubey", "Abhinav Jauhri"]
    assert llama.published_at == datetime(2024, 7, 31, 17, 54, 27, tzinfo=UTC)
    # No submittedOnDailyAt in 2024: the listing's own date says which day it was listed.
    assert llama.hf_listed_on == date(2024, 8, 1)
    assert llama.ai_keywords is None
    assert llama.submitted_by == "AK"


def test_it_reads_the_2025_daily_papers_schema_and_unwraps_titles():
    parsed = hf_daily.parse(real("hf_daily_papers_2025-10-01.indent2.json"))
    assert parsed.failures == []
    assert len(parsed.records) == 37
    vision_zero = parsed.records[0]
    assert vision_zero.arxiv_id == "2509.25541"
    # The file's title is hard-wrapped: "...Strategic Gamified\n  Self-Play".
    assert vision_zero.title == "Vision-Zero: Scalable VLM Self-Improvement via Strategic Gamified Self-Play"
    assert vision_zero.upvotes == 55
    assert len(vision_zero.authors) == 9
    assert vision_zero.github_repo == "https://github.com/wangqinsi1/Vision-Zero"
    assert vision_zero.github_stars == 6
    assert vision_zero.ai_keywords[0] == "reinforcement learning"
    assert vision_zero.hf_listed_on == date(2025, 10, 1)
    assert sum(1 for r in parsed.records if r.project_page) == 11


def test_it_reads_the_2026_daily_papers_schema_without_hidden_authors():
    parsed = hf_daily.parse(real("hf_daily_papers_2026-06-12.json"))
    assert parsed.failures == []
    assert len(parsed.records) == 30
    first = parsed.records[0]
    assert first.arxiv_id == "2606.00467"
    assert first.upvotes == 0
    assert first.authors == ["Etienne Casanova", "Rafal Kocielnik", "R. Michael Alvarez"]
    assert first.organization == "California institute of technology"
    assert first.hf_listed_on == date(2026, 6, 12)
    # 2606.12575 lists ten authors, the fourth hidden: it is left out and the rest keep their order.
    turbo = by_id(parsed)["2606.12575"]
    assert len(turbo.authors) == 9
    assert turbo.authors[:4] == ["Dongyang Liu", "Ruoyi Du", "David Liu", turbo.authors[3]]
    assert "Dengyang Jiang" not in turbo.authors
    assert sum(len(r.authors) for r in parsed.records) == 201


def test_it_reads_the_daily_list_page_from_its_embedded_props():
    parsed = hf_page.parse(real("hf_papers_page_2024-08-01.html"))
    assert parsed.failures == []
    assert [r.arxiv_id for r in parsed.records][:3] == ["2407.21783", "2407.21705", "2407.21770"]
    assert len(parsed.records) == 13
    llama = parsed.records[0]
    assert (llama.upvotes, llama.num_comments, len(llama.authors)) == (94, 5, 533)
    assert llama.hf_listed_on == date(2024, 8, 1)
    assert by_id(parsed)["2404.01300"].title.startswith("NeRF-MAE: Masked AutoEncoders")


def test_it_falls_back_to_the_article_cards_when_the_props_are_gone():
    html = real("hf_papers_page_2024-08-01.html").decode().replace('data-target="DailyPapers"', 'data-target="x"')
    parsed = hf_page.parse(html, listed_on=date(2024, 8, 1))
    assert parsed.failures == []
    assert len(parsed.records) == 13
    llama = parsed.records[0]
    assert (llama.arxiv_id, llama.title, llama.upvotes, llama.num_comments) == (
        "2407.21783", "The Llama 3 Herd of Models", 94, 5,
    )  # fmt: skip
    assert by_id(parsed)["2407.21705"].upvotes == 24


def test_it_reads_a_single_paper_page():
    parsed = hf_page.parse(real("hf_paper_page_2509.24002.prettified.html"))
    (paper,) = parsed.records
    assert paper.arxiv_id == "2509.24002"
    assert paper.title == "MCPMark: A Benchmark for Stress-Testing Realistic and Comprehensive MCP Use"
    assert paper.upvotes == 118
    assert len(paper.authors) == 15
    assert paper.github_stars == 182
    assert paper.project_page == "https://mcpmark.ai/"


def test_it_reads_the_current_arxiv_atom_format():
    parsed = arxiv.parse(real("arxiv_api_query_transformer_cs.LG_2026-06-14.atom.xml"))
    assert [r.arxiv_id for r in parsed.records] == [
        "2606.13677", "2606.13591", "2606.13568", "2606.13515", "2606.13501",
    ]  # fmt: skip
    mana = parsed.records[0]
    assert mana.title == "Mana: Dexterous Manipulation of Articulated Tools"
    assert mana.authors == ["Zhao-Heng Yin", "Guanya Shi", "Pieter Abbeel", "C. Karen Liu"]
    assert mana.arxiv_categories == ["cs.RO", "cs.AI", "cs.CV", "cs.LG"]
    assert mana.primary_category == "cs.RO"
    assert mana.upvotes is None
    assert "(<1 minute per tool)" in mana.abstract


def test_it_reads_the_legacy_arxiv_atom_format_and_strips_the_version():
    parsed = arxiv.parse(real("arxiv_api_idlist_1111.2011v2_2016-10-09.legacy.atom.xml"))
    (paper,) = parsed.records
    assert paper.arxiv_id == "1111.2011"
    assert paper.title == "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    assert paper.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert paper.arxiv_categories == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert paper.primary_category == "cond-mat.str-el"
    assert paper.abstract.startswith("Theoretical description of anisotropic systems")
    legacy = arxiv.parse(real("arxiv_api_query_au-del_maestro_2016-10-09.legacy.atom.xml"))
    assert len(legacy.records) == 10
    assert by_id(legacy)["cond-mat/0412498"].arxiv_categories == ["cond-mat.str-el", "cond-mat.stat-mech"]


def test_it_reads_recorded_api_responses_wrapped_in_json():
    testing = arxiv.parse(real("arxiv_api_query_all-testing_2026-04-12.wrapped.json"))
    assert len(testing.records) == 10
    assert testing.records[0].arxiv_id == "2202.12139"
    assert testing.records[0].arxiv_categories == ["cs.SE", "cs.LG"]
    (old_style,) = arxiv.parse(real("arxiv_api_idlist_astro-ph-0601001_2026-05-11.wrapped.json")).records
    assert old_style.arxiv_id == "astro-ph/0601001"
    assert old_style.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]
    assert arxiv.parse(real("arxiv_api_empty-result_2026-04-12.wrapped.json")).records == []


def test_it_turns_an_arxiv_error_entry_into_a_source_error():
    with pytest.raises(SourceError, match="arXiv API error: incorrect id format for abc"):
        arxiv.parse(real("arxiv_api_error_invalid-id_2026-04-12.wrapped.json"))


def test_it_reads_the_arxiv_rss_listing():
    parsed = arxiv.parse(real("arxiv_rss_cs.CL_2026-04-27.first3items.xml"))
    assert [r.arxiv_id for r in parsed.records] == ["2604.22002", "2604.22027", "2604.22038"]
    first = parsed.records[0]
    assert first.authors == ["Anamta Khan", "Ratna Kandala", "Deepti", "Sheza Munir", "Joyojeet Pal"]
    assert first.abstract.startswith("Social media platforms have become primary channels")
    assert first.arxiv_categories == ["cs.CL"]
    lg = arxiv.parse(real("arxiv_rss_cs.LG_2026-04-27.first3items.xml"))
    assert lg.records[0].arxiv_categories == ["cs.LG", "cs.AI", "cs.AR", "cs.NE", "cs.RO"]


def test_it_reads_an_empty_weekend_feed_as_no_papers():
    assert arxiv.parse(real("arxiv_rss_cs.CL_2026-08-01_weekend-empty.xml")).records == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://arxiv.org/abs/2606.13677v1", "2606.13677"),
        ("oai:arXiv.org:2604.22002v1", "2604.22002"),
        ("https://arxiv.org/pdf/astro-ph/0601001v1", "astro-ph/0601001"),
        ("2407.21783", "2407.21783"),
    ],
)
def test_it_normalises_arxiv_ids_to_the_version_less_form(raw, expected):
    assert normalize_arxiv_id(raw) == expected
