"""Digest messages built as bytes read back, through the email package, as Django's classes would build them."""

import email
import email.policy

import pytest
from django.core.mail import EmailMultiAlternatives

from newsletter.mime import DigestMessage

SUBJECT = "The week of 23 November 2026: Über-efficient décodage — スパース注意 and a very long tail of words 9 more"
TEXT = "Good morning\n\n.a line that starts with a dot\nFrom the start\ntrailing space \n" + "long " * 100 + "\n"
HTML = (
    '<html><body><p style="color:#333;font-family:Georgia">=_ not a boundary · é ü ß 注意</p>'
    + "<a href='https://example.org/a?b=c&amp;d=e'>link</a>" * 60
    + "</body></html>"
)
HEADERS = {
    "Message-ID": "<digest.7.2026-W48@paperboy.example.org>",
    "List-Unsubscribe": "<https://paperboy.example.org/unsubscribe/tok/>, <mailto:p@paperboy.example.org?subject=u>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def parsed(message) -> email.message.EmailMessage:
    return email.message_from_bytes(message.message().as_bytes(linesep="\r\n"), policy=email.policy.default)


def built(cls, subject=SUBJECT, to="reader+tag@example.org"):
    message = cls(subject, TEXT, "Paperboy Ünïcode <paperboy@example.org>", [to], headers=HEADERS)
    message.attach_alternative(HTML, "text/html")
    return message


def bodies(message: email.message.EmailMessage) -> tuple[str, str]:
    return (
        message.get_body(("plain",)).get_content().replace("\r\n", "\n"),
        message.get_body(("html",)).get_content().replace("\r\n", "\n"),
    )


def test_a_digest_reads_back_with_the_same_headers_and_bodies_as_djangos_own_message():
    ours, django = parsed(built(DigestMessage)), parsed(built(EmailMultiAlternatives))

    assert ours.get_content_type() == django.get_content_type() == "multipart/alternative"
    for name in ["Subject", "From", "To", *HEADERS]:
        assert str(ours[name]) == str(django[name]).strip(), name  # Django folds a space into a long subject
    assert ours["Subject"] == SUBJECT
    assert ours["Date"]
    assert bodies(ours) == bodies(django) == (TEXT, HTML)


def test_headers_are_short_ascii_lines_and_a_body_of_short_lines_goes_8bit_as_django_sends_it():
    html = HTML.replace("</a>", "</a>\n")  # lines of a few dozen bytes, as a rendered digest has
    message = DigestMessage(SUBJECT, TEXT, "Paperboy Ünïcode <paperboy@example.org>", ["reader@example.org"])
    message.attach_alternative(html, "text/html")
    raw = message.message().as_bytes(linesep="\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")

    head.decode("ascii")
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert body.count(b"Content-Transfer-Encoding: 8bit") == 2
    assert "注意".encode() in body  # UTF-8 as it is
    assert bodies(parsed(message)) == (TEXT, html)


def test_a_body_with_a_line_over_998_bytes_goes_quoted_printable_and_reads_back_the_same():
    assert len(HTML.encode()) > 998  # one line
    message = built(DigestMessage)
    raw = message.message().as_bytes(linesep="\r\n")

    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert raw.count(b"Content-Transfer-Encoding: quoted-printable") == 1  # the text part stays 8bit
    assert bodies(parsed(message)) == (TEXT, HTML)


@pytest.mark.parametrize("where", ["first", "middle", "last"])
@pytest.mark.parametrize(("length", "encoding"), [(998, b"8bit"), (999, b"quoted-printable")])
def test_a_line_goes_8bit_up_to_998_bytes_wherever_it_is_in_the_body(where, length, encoding):
    short = ("<p>" + "é" * 30 + "</p>\n") * 40  # lines of 70 bytes around it
    long = "注" * (length // 3) + "x" * (length % 3)  # three bytes a character: the limit counts bytes
    html = {"first": long + "\n" + short, "middle": short + long + "\n" + short, "last": short + long}[where]
    message = DigestMessage(SUBJECT, TEXT.replace("long " * 100, "short"), "paperboy@example.org", ["r@example.org"])
    message.attach_alternative(html, "text/html")
    raw = message.message().as_bytes(linesep="\r\n")

    assert raw.count(b"Content-Transfer-Encoding: " + encoding) == (2 if encoding == b"8bit" else 1)
    assert bodies(parsed(message))[1] == html


def test_a_body_with_cr_or_crlf_line_ends_goes_with_crlf_alone():
    message = DigestMessage(SUBJECT, "one\r\ntwo\rthree\n", "paperboy@example.org", ["r@example.org"])
    message.attach_alternative("<p>a</p>\r\n<p>b</p>", "text/html")
    raw = message.message().as_bytes(linesep="\r\n")

    assert b"one\r\ntwo\r\nthree\r\n" in raw
    assert b"\r\r" not in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert bodies(parsed(message)) == ("one\ntwo\nthree\n", "<p>a</p>\n<p>b</p>")


def test_the_boundary_never_occurs_in_a_body():
    message = built(DigestMessage)
    boundary = parsed(message).get_boundary()

    assert boundary.startswith("=_") and boundary not in TEXT + HTML
    assert len(parsed(message).get_payload()) == 2


@pytest.mark.parametrize("subject", ["Title\r\nBcc: victim@example.org", "Title\nX-Injected: yes"])
def test_a_line_break_in_the_subject_cannot_add_a_header(subject):
    message = parsed(built(DigestMessage, subject=subject))

    assert message["Bcc"] is None and message["X-Injected"] is None
    assert message["Subject"] == " ".join(subject.split())
