"""The worker's side of a sign-up: the email it sends, and what happens when SMTP fails."""

import smtplib

import pytest

from subscribers.models import Subscriber
from subscribers.tasks import send_signup_email
from tests.factories import make_subscriber

pytestmark = pytest.mark.django_db


def test_a_failed_send_frees_the_slot_so_the_retry_sends(topics, smtp_server):
    subscriber = make_subscriber("ada@example.com", status="pending", confirm_nonce="n1")
    smtp_server.handler.data_reply = "451 4.3.0 Try again later"
    with pytest.raises(smtplib.SMTPDataError):
        send_signup_email(subscriber.pk)
    assert Subscriber.objects.get().confirmation_sent_at is None

    smtp_server.handler.data_reply = None
    send_signup_email(subscriber.pk)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ada@example.com"]]
    assert Subscriber.objects.get().confirmation_sent_at is not None


def test_it_sends_nothing_to_bounced_or_complaining_addresses_or_deleted_rows(topics, smtp_server):
    for status in ["bounced", "complained"]:
        send_signup_email(make_subscriber(f"{status}@example.com", status=status).pk)
    send_signup_email(999_999)
    assert not smtp_server.messages


def test_an_unsubscribed_address_gets_nothing_until_it_signs_up_again(topics, smtp_server):
    subscriber = make_subscriber("gone@example.com", status="unsubscribed")
    send_signup_email(subscriber.pk)
    assert not smtp_server.messages
    subscriber.start_opt_in()
    send_signup_email(subscriber.pk)
    assert smtp_server.messages[0].message["Subject"] == "Confirm your Paperboy subscription"
