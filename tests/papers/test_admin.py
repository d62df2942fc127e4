"""The admin: papers with topic badges and moderation actions, topic counts, runs, "run now" and upload."""

import json

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from papers.ingest import ingest_content
from papers.models import IngestionRun, Paper, Topic
from tests.factories import make_paper, make_topic
from tests.papers.conftest import real

pytestmark = pytest.mark.django_db


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def demo_day(default_topics):
    return ingest_content("hf-daily", real("hf_daily_papers_2025-10-01.indent2.json"))


def test_it_lists_papers_with_topic_badges_in_a_fixed_number_of_queries(
    admin_client, demo_day, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:papers_paper_changelist"))
    assert response.status_code == 200
    assert b'class="topic-badge"' in response.content
    assert b"Vision-Zero: Scalable VLM Self-Improvement" in response.content


def test_it_escapes_a_scripted_title_everywhere(admin_client):
    paper = make_paper(title='<script>alert("x")</script> Attention')
    listing = admin_client.get(reverse("admin:papers_paper_changelist")).content.decode()
    change = admin_client.get(reverse("admin:papers_paper_change", args=[paper.pk])).content.decode()
    for page in (listing, change):
        assert '<script>alert("x")</script>' not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Attention" in page


def test_it_filters_papers_by_topic_source_and_day(admin_client, demo_day):
    ingest_content("arxiv", real("arxiv_api_query_transformer_cs.LG_2026-06-14.atom.xml"))
    url = reverse("admin:papers_paper_changelist")
    assert admin_client.get(url, {"source": "arxiv"}).context["cl"].result_count == 5
    assert admin_client.get(url, {"source": "hf-daily"}).context["cl"].result_count == 37
    robotics = Paper.objects.filter(topics__slug="robotics").count()
    by_topic = admin_client.get(url, {"topics__id__exact": Topic.objects.get(slug="robotics").pk})
    assert by_topic.context["cl"].result_count == robotics > 0
    assert admin_client.get(url, {"trending_date": "2025-10-01"}).context["cl"].result_count == 37


@pytest.mark.parametrize(
    ("action", "field", "value", "message"),
    [("hide", "hidden", True, "Hid 2 papers."), ("pin", "pinned", True, "Pinned 2 papers.")],
)
def test_it_hides_and_pins_and_says_so(admin_client, action, field, value, message):
    papers = [make_paper(), make_paper(), make_paper()]
    response = admin_client.post(
        reverse("admin:papers_paper_changelist"),
        {"action": action, "_selected_action": [papers[0].pk, papers[1].pk]},
        follow=True,
    )
    assert message in said(response)
    assert Paper.objects.filter(**{field: value}).count() == 2


def test_it_retags_selected_papers_and_says_how_many(admin_client, default_topics):
    paper = make_paper(title="Speech recognition with audio language models", abstract="ASR and TTS for speech.")
    response = admin_client.post(
        reverse("admin:papers_paper_changelist"), {"action": "retag_selected", "_selected_action": [paper.pk]},
        follow=True,
    )  # fmt: skip
    assert "Re-tagged 1 paper with the current topics." in said(response)
    assert "audio" in set(paper.topics.values_list("slug", flat=True))


def test_it_counts_the_papers_of_each_topic(admin_client, demo_day):
    response = admin_client.get(reverse("admin:papers_topic_changelist"))
    counts = {t.slug: t.num_papers for t in response.context["cl"].result_list}
    assert counts["agents"] == Paper.objects.filter(topics__slug="agents").count() > 0


def test_it_says_which_topics_the_learned_tagger_knows(admin_client, default_topics):
    make_topic("knots", name="Knot theory", keywords="knot invariant")
    page = admin_client.get(reverse("admin:papers_topic_changelist")).content.decode()
    rows = {row.split("</th>")[0]: row for row in page.split('<th class="field-name">')[1:]}
    knots = next(row for name, row in rows.items() if "Knot theory" in name)
    agents = next(row for name, row in rows.items() if "Agents &amp; tool use" in name)
    assert "keywords only" in knots
    assert "learned model + keywords" in agents


def test_it_queues_a_run_now_and_says_so(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(reverse("admin:papers_ingestionrun_run"), {"source": "hf-daily"}, follow=True)
    run = IngestionRun.objects.get()
    assert (run.source, run.trigger, run.status) == ("hf-daily", "admin", "running")
    assert len(callbacks) == 1
    assert f"Queued a Hugging Face daily papers run (#{run.pk})" in said(response)[0]


def test_it_refuses_a_run_now_for_an_unknown_source(admin_client):
    response = admin_client.post(reverse("admin:papers_ingestionrun_run"), {"source": "http://evil"}, follow=True)
    assert said(response) == ["Choose one of the sources to run."]
    assert IngestionRun.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "source", "summary"),
    [
        ("hf_daily_papers_2024-08-01.indent4.json", "hf-daily", "created=11 updated=0 unchanged=0 failed=0"),
        ("hf_papers_page_2024-08-01.html", "hf-page", "created=13 updated=0 unchanged=0 failed=0"),
        ("arxiv_rss_cs.LG_2026-04-27.first3items.xml", "arxiv", "created=3 updated=0 unchanged=0 failed=0"),
        ("arxiv_api_idlist_astro-ph-0601001_2026-05-11.wrapped.json", "arxiv", "created=1 updated=0 unchanged=0 failed=0"),  # noqa: E501
    ],
)  # fmt: skip
def test_it_ingests_an_uploaded_file_of_a_detected_type(admin_client, name, source, summary):
    upload = SimpleUploadedFile(name, real(name))
    response = admin_client.post(reverse("admin:papers_ingestionrun_upload"), {"file": upload}, follow=True)
    run = IngestionRun.objects.get()
    assert (run.source, run.trigger, run.summary) == (source, "admin", summary)
    assert said(response) == [f"Ingested {name} as {source}: {summary}."]
    assert response.redirect_chain[-1][0] == reverse("admin:papers_ingestionrun_change", args=[run.pk])


def test_it_reports_a_bad_upload_and_shows_the_error_on_the_run(admin_client):
    upload = SimpleUploadedFile("day.json", real("hf_daily_papers_2024-08-01.indent4.json")[:3000])
    response = admin_client.post(reverse("admin:papers_ingestionrun_upload"), {"file": upload}, follow=True)
    assert said(response)[0].startswith("Ingested day.json as hf-daily: created=0 updated=0 unchanged=0 failed=0. ")
    assert "not valid JSON (truncated or corrupt)" in said(response)[0]
    assert b'<pre class="run-errors">not valid JSON' in response.content


def test_it_refuses_an_upload_over_the_size_cap(admin_client):
    upload = SimpleUploadedFile("big.html", b"<html>" + b" " * (5 * 1024 * 1024))
    response = admin_client.post(reverse("admin:papers_ingestionrun_upload"), {"file": upload})
    assert "The file is 5.2 MB, over the 4.2 MB limit." in response.content.decode()
    assert IngestionRun.objects.count() == 0


def test_it_escapes_scraped_errors_on_the_run_page(admin_client):
    records = json.loads(real("hf_daily_papers_2026-06-12.json"))[:1]
    records[0]["paper"]["id"] = "<img src=x onerror=alert(1)>"
    run = ingest_content("hf-daily", json.dumps(records))
    page = admin_client.get(reverse("admin:papers_ingestionrun_change", args=[run.pk])).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
