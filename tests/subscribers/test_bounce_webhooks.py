"""Postmark bounce and complaint webhooks (django-anymail) feed the suppression list."""

import base64
import json

import pytest

from subscribers.models import Subscriber
from tests.factories import make_subscriber

URL = "/anymail/postmark/tracking/"
SECRET = "postmark:s3cret-webhook-pass"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


def bounce(email: str, kind: str = "HardBounce", type_code: int = 1) -> dict:
    """A bounce as Postmark posts it (its documented example, with our address)."""
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": type_code,
        "Name": "Hard bounce" if kind == "HardBounce" else "Soft bounce",
        "Tag": "digest",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "paperboy@example.org",
        "BouncedAt": "2026-11-26T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": kind == "HardBounce",
        "CanActivate": True,
        "Subject": "Your papers this week",
        "Content": "Return-Path: <>\r\n...",
    }


def complaint(email: str) -> dict:
    return {
        **bounce(email),
        "RecordType": "SpamComplaint",
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Name": "Spam complaint",
        "Description": "The subscriber explicitly marked this message as spam.",
        "Details": "Test spam complaint details",
    }


def post(client, payload: dict, credentials: str | None = SECRET):
    headers = {}
    if credentials:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(credentials.encode()).decode()
    return client.post(URL, json.dumps(payload), content_type="application/json", **headers)


def status(email: str) -> str:
    return Subscriber.objects.get(email=email).status


def test_it_suppresses_a_hard_bounce_at_once(client):
    make_subscriber("gone@example.com")
    make_subscriber("kept@example.com")
    assert post(client, bounce("Gone@Example.com")).status_code == 200
    assert (status("gone@example.com"), status("kept@example.com")) == ("bounced", "active")


def test_it_suppresses_a_spam_complaint_at_once_even_after_a_bounce(client):
    make_subscriber("angry@example.com", status=Subscriber.Status.BOUNCED)
    assert post(client, complaint("angry@example.com")).status_code == 200
    assert status("angry@example.com") == "complained"


def test_it_suppresses_soft_bounces_only_after_three_in_a_row(client):
    make_subscriber("full@example.com")
    for n in range(1, 4):
        assert post(client, bounce("full@example.com", "SoftBounce", 4096)).status_code == 200
        assert status("full@example.com") == ("bounced" if n == 3 else "active")


def test_it_keeps_an_unsubscribed_reader_unsubscribed_after_a_bounce(client):
    make_subscriber("left@example.com", status=Subscriber.Status.UNSUBSCRIBED)
    assert post(client, bounce("left@example.com")).status_code == 200
    assert status("left@example.com") == "unsubscribed"


@pytest.mark.parametrize("credentials", [None, "postmark:wrong", "someone:s3cret-webhook-pass"])
def test_it_refuses_a_webhook_without_the_right_credentials(client, credentials):
    make_subscriber("ada@example.com")
    assert post(client, complaint("ada@example.com"), credentials).status_code == 400
    assert status("ada@example.com") == "active"


def test_it_refuses_every_webhook_when_no_secret_is_configured(client, settings):
    from newsletter import settings as configured

    settings.ANYMAIL = configured.ANYMAIL
    make_subscriber("ada@example.com")
    assert post(client, complaint("ada@example.com"), "postmark:").status_code == 400
    assert status("ada@example.com") == "active"
