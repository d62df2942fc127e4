"""The "only papers with code" switch drops papers without a repository; cards with code show a badge and stars."""

from datetime import UTC, datetime
from html import unescape

import pytest
from django.urls import reverse

from newsletter.compose import preview
from newsletter.render import Renderer
from papers.sources import arxiv
from tests.factories import make_paper, make_subscriber
from tests.papers.conftest import REAL

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(datetime(2026, 11, 30, 8, tzinfo=UTC))]


def test_it_drops_a_paper_without_code_for_a_reader_who_wants_only_papers_with_code(client):
    coded = make_paper({"llm": 0.9}, upvotes=5, github_repo="https://github.com/qwen/qwen3", github_stars=1234)
    bare = make_paper({"llm": 0.9}, upvotes=50)
    reader = make_subscriber(topics=["llm"], paper_count=3)
    assert {i.paper["id"] for i in preview(reader).items} == {coded.pk, bare.pk}

    client.post(reverse("set_only_with_code", args=[reader.token("preferences")]), {"only_with_code": "on"})
    reader.refresh_from_db()

    assert [i.paper["id"] for i in preview(reader).items] == [coded.pk]


def test_it_shows_a_code_badge_with_the_stars_on_every_card_that_links_code():
    make_paper({"llm": 0.9}, upvotes=5, github_repo="https://github.com/qwen/qwen3", github_stars=1234)
    make_paper({"llm": 0.9}, upvotes=4, github_repo="https://github.com/ada/engine")
    make_paper({"llm": 0.9}, upvotes=3)
    digest = preview(make_subscriber(topics=["llm"]))

    rendered = Renderer().render(digest)

    assert rendered.html.count('class="badge code"') == 2
    assert "code ★ 1.2k</a>" in unescape(rendered.html) and ">code</a>" in rendered.html
    assert "Code (★ 1.2k) https://github.com/qwen/qwen3" in rendered.text


def test_it_reads_a_code_repository_from_the_arxiv_comment_and_not_a_project_page():
    feed = (REAL / "arxiv_api_query_transformer_cs.LG_2026-06-14.atom.xml").read_bytes()
    records = arxiv.parse(feed).records
    assert records and all(not (r.github_repo or "").startswith("https://zhaohengyin.github.io") for r in records)
    comment = feed.replace(b"<arxiv:comment>", b"<arxiv:comment>Code: https://github.com/ada/engine. ", 1)
    assert "https://github.com/ada/engine" in [r.github_repo for r in arxiv.parse(comment).records]
