"""Input built to break the server gets a clear 4xx or a failed run with its reason, never a 500."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from newsletter.feedback import token_for
from papers.ingest import ingest_content
from papers.models import IngestionRun
from tests.factories import make_delivery, make_subscriber

pytestmark = pytest.mark.django_db
TOO_BIG = "9" * 25  # past any 64-bit integer


@pytest.fixture
def client():
    """A client that answers a server error with its 500 page instead of raising it."""
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    ("source", "content"),
    [("hf-daily", b"[" * 200_000), ("arxiv", b'{"body":' * 100_000), ("hf-page", b"<div>" * 200_000)],
)
def test_it_fails_a_run_of_a_file_nested_too_deeply_with_its_reason(source, content):
    run = ingest_content(source, content)
    assert run.status == IngestionRun.Status.FAILED
    assert run.finished_at is not None
    assert len(run.errors.splitlines()) == 1


def test_it_answers_an_admin_upload_nested_too_deeply_with_a_failed_run(admin_client):
    upload = SimpleUploadedFile("deep.json", b"[" * 200_000)
    response = admin_client.post(reverse("admin:papers_ingestionrun_upload"), {"source": "", "file": upload})
    assert response.status_code == 302
    run = IngestionRun.objects.get()
    assert run.status == IngestionRun.Status.FAILED
    assert "nested too deeply" in run.errors


def test_it_answers_a_feedback_link_with_a_huge_paper_id_with_not_found(client):
    delivery = make_delivery(make_subscriber())
    assert client.get(f"/feedback/{token_for(delivery.pk)}/{TOO_BIG}/more/").status_code == 404
    assert client.post(f"/feedback/{token_for(delivery.pk)}/{TOO_BIG}/less/").status_code == 404


def test_it_ignores_a_topic_level_field_with_a_huge_topic_id(client):
    subscriber = make_subscriber(topics=["llm"])
    url = reverse("set_topic_levels", args=[subscriber.token("preferences")])
    assert client.post(url, {f"level-{TOO_BIG}": "more"}).status_code == 302
    assert list(subscriber.topic_weights.values_list("weight", flat=True)) == [1.0]


def test_it_answers_dashboard_pages_with_a_huge_subscriber_id_without_an_error(admin_client):
    admin_client.raise_request_exception = False
    assert admin_client.get(f"/admin/dashboard/history/{TOO_BIG}/").status_code == 404
    assert admin_client.get(f"/admin/dashboard/preview/{TOO_BIG}/html/").status_code == 404
    assert admin_client.get("/admin/dashboard/preview/", {"subscriber": TOO_BIG}).status_code == 200


@pytest.mark.parametrize("provider", ["mailgun", "mandrill", "postal", "mailersend", "unisender_go", "amazon_ses"])
def test_it_mounts_no_webhook_of_a_provider_that_is_not_configured(client, provider):
    assert client.post(f"/anymail/{provider}/tracking/", b"{}", content_type="application/json").status_code == 404


def test_the_configured_providers_webhook_refuses_a_post_without_its_secret(client):
    response = client.post("/anymail/postmark/tracking/", b"{}", content_type="application/json")
    assert response.status_code == 400
