"""Preview any subscriber's next digest exactly as it would be sent, and send it as a test to the operator."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import User

from newsletter.models import Delivery, DeliveryItem
from tests.dashboard.conftest import figure, messages_shown
from tests.factories import make_paper, make_subscriber

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    make_paper({"llm": 0.9}, title="Scaling <b>laws</b> for language models", upvotes=90)
    make_paper({"llm": 0.8}, title="Instruction tuning at small scale", upvotes=40)
    make_paper({"vision": 0.9}, title="Seeing in the dark", upvotes=10)
    return make_subscriber("reader@example.com", topics=["llm"], paper_count=5)


@pytest.fixture
def operator(client):
    user = User.objects.create_superuser("operator", "operator@example.com", "a long enough password")
    client.force_login(user)
    return client


def open_page(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "lxml")


def test_it_shows_the_subject_the_papers_with_their_reasons_and_the_text(operator, reader):
    page = open_page(operator, "/admin/dashboard/preview/?email=READER@example.com")
    rows = page.select('[data-figure="preview-items"] tbody tr')
    titles = [row.select("td")[1].get_text(" ", strip=True) for row in rows]
    assert titles[0].startswith("Scaling <b>laws</b> for language models")  # escaped, shown as typed
    assert titles[1].startswith("Instruction tuning at small scale")
    assert titles[2].startswith("Seeing in the dark")  # trending outside their topics, added to fill
    assert "outside their topics" in rows[2].get_text() and "outside their topics" not in rows[0].get_text()
    assert all(row.select("td")[2].get_text(strip=True) for row in rows)  # every pick has its reason
    assert "Scaling <b>laws</b>" in figure(page, "preview-text")
    assert figure(page, "preview-subject")
    frame = page.select_one("iframe.pb-email")
    assert frame["src"] == f"/admin/dashboard/preview/{reader.pk}/html/" and frame.has_attr("sandbox")
    assert not Delivery.objects.exists() and not DeliveryItem.objects.exists()  # a preview records nothing


def test_it_serves_the_html_to_its_sandboxed_frame_only_on_this_site(operator, reader):
    response = operator.get(f"/admin/dashboard/preview/{reader.pk}/html/")
    assert response.status_code == 200
    assert b"Scaling &lt;b&gt;laws&lt;/b&gt;" in response.content
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self'" in policy
    dashboard = operator.get("/admin/")
    assert dashboard["X-Frame-Options"] == "DENY"  # every other admin page still refuses frames


def test_it_says_so_when_no_subscriber_has_that_address(operator):
    response = operator.get("/admin/dashboard/preview/?email=nobody@example.com")
    assert messages_shown(response) == ["No subscriber nobody@example.com."]


def test_it_warns_that_an_inactive_subscriber_gets_nothing(operator, reader):
    reader.status = "paused"
    reader.save()
    page = open_page(operator, f"/admin/dashboard/preview/?subscriber={reader.pk}")
    assert "nothing is sent to them until they are active again" in page.select_one(".pb-warning").get_text()


def test_it_sends_the_digest_as_a_test_to_the_operator_and_records_no_delivery(operator, reader, smtp_server):
    response = operator.post(f"/admin/dashboard/preview/{reader.pk}/test/", follow=True)
    assert response.redirect_chain[-1][0] == f"/admin/dashboard/preview/?subscriber={reader.pk}"
    assert messages_shown(response) == [
        "Sent a test of reader@example.com's digest (3 papers) to operator@example.com."
    ]
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["operator@example.com"]
    message = received.message
    assert message["Subject"].startswith("[Test: reader@example.com] ")
    assert message["X-Paperboy-Test"] == f"preview of subscriber {reader.pk}"
    assert message["List-Unsubscribe"] is None  # a click in the operator's mail client must not unsubscribe the reader
    assert "Scaling <b>laws</b> for language models" in message.get_body(("plain",)).get_content()
    assert "Scaling &lt;b&gt;laws&lt;/b&gt;" in message.get_body(("html",)).get_content()
    assert not Delivery.objects.exists() and not DeliveryItem.objects.exists()


def test_it_asks_an_operator_without_an_email_address_to_add_one(operator, reader, smtp_server):
    User.objects.filter(username="operator").update(email="")
    response = operator.post(f"/admin/dashboard/preview/{reader.pk}/test/", follow=True)
    assert messages_shown(response) == [
        "Your admin account has no email address: add one to your user to get test sends."
    ]
    assert smtp_server.messages == []


def test_it_reports_a_refused_test_in_one_line(operator, reader, smtp_server):
    smtp_server.handler.rcpt_replies["operator@example.com"] = "550 5.1.1 No such user"
    response = operator.post(f"/admin/dashboard/preview/{reader.pk}/test/", follow=True)
    [line] = messages_shown(response)
    assert line.startswith("The test was not sent: the mail server said") and "No such user" in line
    assert reader.__class__.objects.get(pk=reader.pk).status == "active"  # the reader is not touched
