import time
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from papers.models import Paper, PaperTopic, Topic
from tests.factories import make_paper, make_topic

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday of 2026-W48

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(NOW)]

W48 = date(2026, 11, 23)
W46 = date(2026, 11, 9)


@pytest.fixture
def vision():
    return make_topic("vision", "Computer vision")


def test_the_index_lists_past_weeks_with_their_paper_counts(client, vision):
    for n in range(3):
        make_paper(topics={"vision": 1.0}, trending_date=W48 + timedelta(days=n))
    make_paper(trending_date=W46, title="Older")
    make_paper(trending_date=W46, hidden=True)
    make_paper(trending_date=W48 + timedelta(days=14))  # a wrong date in the future: not a past week
    page = client.get(reverse("archive_index")).content.decode()
    assert page.index("2026-W48") < page.index("2026-W46")
    assert "23 Nov – 29 Nov 2026 · 3 papers" in page and "9 Nov – 15 Nov 2026 · 1 paper<" in page
    assert "2026-W50" not in page
    assert reverse("archive_week", args=["2026-W48"]) in page and 'href="/#subscribe-title"' in page


def test_a_week_shows_its_top_papers_grouped_by_topic_with_links(client, vision):
    llm = make_topic("llm", "Language models")
    for n in range(7):
        make_paper(topics={"vision": 1.0}, trending_date=W48, upvotes=n, title=f"Vision {n}", arxiv_id=f"2611.9000{n}")
    make_paper(topics={"llm": 0.5}, trending_date=W48 + timedelta(days=2), upvotes=99, title="Language result")
    make_paper(topics={"vision": 1.0}, trending_date=W46, upvotes=1000, title="Another week")
    make_paper(topics={"vision": 1.0}, trending_date=W48, upvotes=1000, title="Hidden", hidden=True)
    page = client.get(reverse("archive_week", args=["2026-W48"])).content.decode()
    vision_part = page[page.index('id="topic-vision"') :]
    shown = [f"Vision {n}" for n in range(6, 1, -1)]
    assert [t for t in shown if t in vision_part] == shown and "Vision 1<" not in vision_part
    assert [vision_part.index(t) for t in shown] == sorted(vision_part.index(t) for t in shown)
    assert "All 7 Computer vision papers of the week" in vision_part
    assert reverse("archive_topic", args=["2026-W48", "vision"]) in vision_part
    assert "Language models (1)" in page and llm.name in page
    assert "https://huggingface.co/papers/2611.90006" in page and "https://arxiv.org/abs/2611.90006" in page
    assert "Another week" not in page and "Hidden" not in page
    assert page.index("Language result") < page.index("Vision 6")  # top of the week, by upvotes


def test_a_topic_page_lists_all_of_that_topics_papers_of_the_week(client, vision):
    for n in range(7):
        make_paper(topics={"vision": 1.0}, trending_date=W48, upvotes=n, title=f"Vision {n}")
    make_paper(topics={"llm": 1.0}, trending_date=W48, title="Language result")
    page = client.get(reverse("archive_topic", args=["2026-W48", "vision"])).content.decode()
    assert all(f"Vision {n}" in page for n in range(7)) and "Language result" not in page
    assert "7 papers" in page and reverse("topic_feed", args=["vision"]) in page


@pytest.mark.parametrize(
    "url",
    ["/archive/2026-W99/", "/archive/last-week/", "/archive/2027-W01/", "/archive/2026-W48/no-such-topic/"],
)
def test_a_bad_week_or_topic_gives_a_friendly_404(client, vision, url):
    response = client.get(url)
    assert response.status_code == 404
    assert b"Not in the archive" in response.content and b"See every week" in response.content


def test_archive_pages_are_cacheable_and_revalidate_with_an_etag(client, vision):
    make_paper(topics={"vision": 1.0}, trending_date=W48)
    url = reverse("archive_week", args=["2026-W48"])
    first = client.get(url)
    assert "max-age=900" in first["Cache-Control"] and "public" in first["Cache-Control"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    make_paper(topics={"vision": 1.0}, trending_date=W48)
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def fifty_thousand_papers() -> None:
    """50,000 papers over 175 days, each with two of the active topics."""
    topics = list(Topic.objects.filter(active=True)) or [make_topic("vision", "Computer vision")]
    papers = [
        Paper(
            arxiv_id=f"26{n // 10000:02d}.{n % 10000:05d}",
            title=f"Paper {n}",
            authors=["A. Author", "B. Author", "C. Author", "D. Author"],
            trending_date=W48 - timedelta(days=n % 175),
            upvotes=n % 997,
        )
        for n in range(50_000)
    ]
    Paper.objects.bulk_create(papers, batch_size=5000)
    ids = list(Paper.objects.values_list("id", flat=True))
    scores = [PaperTopic(paper_id=pid, topic=topics[(pid + k) % len(topics)], score=1.0) for pid in ids for k in (0, 7)]
    PaperTopic.objects.bulk_create(scores, batch_size=10000, ignore_conflicts=True)


def test_archive_pages_take_a_fixed_number_of_queries_with_fifty_thousand_papers(client, django_assert_max_num_queries):
    fifty_thousand_papers()
    timings = {}
    for name, url, queries in [
        ("index", reverse("archive_index"), 3),
        ("week", reverse("archive_week", args=["2026-W46"]), 6),
        ("topic", reverse("archive_topic", args=["2026-W46", Topic.objects.first().slug]), 6),
    ]:
        started = time.perf_counter()
        with django_assert_max_num_queries(queries):
            response = client.get(url)
        timings[name] = time.perf_counter() - started
        assert response.status_code == 200
    page = client.get(reverse("archive_index")).content.decode()
    assert page.count('href="/archive/20') == 26  # 175 days back from a Monday touch 26 ISO weeks
    print("archive page timings with 50,000 papers:", {k: f"{v * 1000:.0f} ms" for k, v in timings.items()})
    assert max(timings.values()) < 5.0


def test_every_site_page_links_to_the_archive_and_the_feed(client):
    page = client.get(reverse("home")).content.decode()
    assert 'href="/archive/">Weekly archive</a>' in page and 'href="/feeds/trending.xml">Atom feed</a>' in page
