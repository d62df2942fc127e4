"""Pages reached through a signed link send Cache-Control: no-store; staff sessions last hours, not weeks."""

import os
import subprocess
import sys

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from newsletter.feedback import token_for
from newsletter.models import DeliveryItem
from subscribers.tokens import make_token
from tests.conftest import ROOT
from tests.factories import make_delivery, make_paper, make_subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return make_subscriber(topics=["llm"])


def signed_pages(reader) -> list[str]:
    delivery = make_delivery(reader, status="sent")
    paper = make_paper({"llm": 5.0})
    DeliveryItem.objects.create(delivery=delivery, paper=paper, position=1, reason="r")
    return [
        reader.absolute_url("confirm"),
        reverse("preferences", args=[reader.token("preferences")]),
        reverse("ask_delete", args=[reader.token("preferences")]),
        reverse("delete", args=[reader.token("delete")]),
        reverse("export_data", args=[reader.token("export")]),
        reverse("unsubscribe", args=[reader.token("unsubscribe")]),
        reverse("digest_web", args=[make_token("digest", delivery.pk)]),
        reverse("send_digest_now", args=[reader.token("preferences")]),
        reverse("feedback", args=[token_for(delivery.pk), paper.pk, "more"]),
        reverse("personal_feed", args=[reader.token("feed")]),
        reverse("preferences", args=["not-a-real-token"]),
    ]


def test_every_page_behind_a_signed_link_says_no_store(client, reader):
    for url in signed_pages(reader):
        response = client.get(url)
        assert "no-store" in response.get("Cache-Control", ""), (url, response.status_code)
        assert "max-age=900" not in response["Cache-Control"], url


def test_the_redirect_after_saving_through_a_link_says_no_store(client, reader):
    response = client.post(reverse("pause", args=[reader.token("preferences")]))
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]


def test_public_pages_stay_cacheable(client, reader):
    assert "public" in client.get(reverse("archive_index"))["Cache-Control"]


def test_a_staff_session_lasts_twelve_hours_by_default(client, settings):
    settings.ADMIN_REQUIRE_2FA = False
    User.objects.create_superuser("ops@example.com", "ops@example.com", "a long enough password")
    data = {"username": "ops@example.com", "password": "a long enough password", "next": "/admin/"}
    assert client.post("/admin/login/", data).status_code == 302
    assert client.cookies["sessionid"]["max-age"] == 12 * 3600


def test_the_staff_session_length_is_a_setting():
    env = {**os.environ, "ADMIN_SESSION_HOURS": "2", "DJANGO_SETTINGS_MODULE": "newsletter.settings"}
    script = "import django; django.setup(); from django.conf import settings; print(settings.SESSION_COOKIE_AGE)"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "7200", result.stderr
