"""The SMTP backend digests go through: what the server receives is what was built, dots and all."""

import smtplib

import pytest
from django.core.mail import EmailMessage, get_connection

from newsletter.mime import DigestMessage

pytestmark = pytest.mark.django_db

TEXT = ".a first line that starts with a dot\n..two dots\nmiddle\n.\nlast line . not at the start\n"
HTML = "<p>one</p>\n.<p>a dot first</p>\n<p>é 注意</p>\n"


def digest(to: str) -> DigestMessage:
    message = DigestMessage("Week of 30 November: é", TEXT, "Paperboy <paperboy@example.org>", [to])
    message.attach_alternative(HTML, "text/html")
    return message


def bodies(message) -> tuple[str, str]:
    return (
        message.get_body(("plain",)).get_content().replace("\r\n", "\n"),
        message.get_body(("html",)).get_content().replace("\r\n", "\n"),
    )


def test_a_digest_arrives_with_its_lines_intact_its_envelope_and_an_8bit_body(smtp_server):
    with get_connection() as connection:
        assert connection.send_messages([digest("reader@example.org")]) == 1

    (received,) = smtp_server.handler.messages
    assert received.mail_from == "paperboy@example.org"
    assert received.rcpt_tos == ["reader@example.org"]
    assert "BODY=8BITMIME" in received.mail_options
    assert bodies(received.message) == (TEXT, HTML)
    assert received.message["Subject"] == "Week of 30 November: é"


def test_other_messages_and_unusual_recipients_go_as_django_sends_them(smtp_server):
    plain = EmailMessage("Confirm", ".dot first\nbody\n", "Paperboy <paperboy@example.org>", ["Ada <ada@example.org>"])
    with get_connection() as connection:
        assert connection.send_messages([plain, digest("Bob <bob@example.org>")]) == 2

    first, second = smtp_server.handler.messages
    assert first.rcpt_tos == ["ada@example.org"]
    assert first.message.get_content().replace("\r\n", "\n") == ".dot first\nbody\n"
    assert second.rcpt_tos == ["bob@example.org"]


ADDRESSES = [
    "reader+tag@example.org",
    "o'brien@example.org",
    "a.b-c_d=e@sub.example.co.uk",
    "#!$%&*/^`{|}~@example.org",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_a_bare_recipient_reaches_the_envelope_as_smtplib_would_quote_it(smtp_server, address):
    assert smtplib.quoteaddr(address) == f"<{address}>"  # what smtplib itself sends, after parsing it
    with get_connection() as connection:
        assert connection.send_messages([digest(address)]) == 1

    (received,) = smtp_server.handler.messages
    assert (received.mail_from, received.rcpt_tos) == ("paperboy@example.org", [address])
    assert "BODY=8BITMIME" in received.mail_options
