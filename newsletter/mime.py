"""Digest emails as bytes, built straight from their parts.

A digest is one multipart/alternative message: a plain-text and an HTML part, both UTF-8 and
quoted-printable. Django's email classes build it through the email package's object tree and
generator, whose quoted-printable encoder is pure Python: about 2 ms for a 60 KB digest, a quarter of a
worker's time per message. Here the headers go through the email package's own encoders and the bodies
through binascii's C encoder, for the same structure at a tenth of the cost.

`DigestMessage` is a Django `EmailMultiAlternatives` whose `message()` returns these bytes, so every
email backend (SMTP, the .eml outbox, locmem in tests) sends it as it sends any other message.
"""

import base64
import binascii
import email
import email.policy
import secrets
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from functools import cached_property

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

CRLF = "\r\n"


ENCODED_WORD_BYTES = 36  # 60 characters as an encoded-word: a line stays within 78 after "Subject: "


def encoded_words(value: str) -> str:
    """Non-ASCII text as base64 encoded-words, one per folded line, never splitting a character.

    (The email package's Header weighs quoted-printable against base64 character by character, which
    costs more than the rest of the message together.)
    """
    words, chunk = [], b""
    for char in value:
        data = char.encode()
        if len(chunk) + len(data) > ENCODED_WORD_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += data
    words.append(chunk)
    return (CRLF + " ").join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words)


def header(name: str, value: str) -> str:
    """One header line, RFC 2047-encoded where it is not ASCII, folded when long; CR and LF cannot pass."""
    value = " ".join(str(value).split())
    if not value.isascii():
        return f"{name}: {encoded_words(value)}"
    if len(name) + len(value) + 2 > 78:
        return f"{name}: " + Header(value, "us-ascii", header_name=name).encode(linesep=CRLF)
    return f"{name}: {value}"


def address(value: str) -> str:
    name, addr = parseaddr(" ".join(value.split()))
    return formataddr((name, addr), charset="utf-8")


def quoted_printable(text: str) -> str:
    """UTF-8 text as quoted-printable with CRLF line ends: never a line over 76 characters, never a '=_'."""
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode()
    return binascii.b2a_qp(data, istext=True).decode("ascii").replace("\n", CRLF)


def part(content_type: str, text: str) -> str:
    return (
        f'Content-Type: {content_type}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
        f"{quoted_printable(text)}"
    )


def build(subject: str, from_email: str, to: list[str], headers: dict[str, str], text: str, html: str) -> bytes:
    """The message's bytes, CRLF line ends, ready for SMTP."""
    # Quoted-printable writes "=" as "=3D", so a boundary starting with "=_" cannot occur in the parts.
    boundary = f"=_{secrets.token_hex(12)}"
    given = {name.lower() for name in headers}
    lines = [
        header("Subject", subject),
        f"From: {address(from_email)}",
        f"To: {', '.join(address(a) for a in to)}",
        *([] if "date" in given else [f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}"]),
        *(header(name, value) for name, value in headers.items()),
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    body = (
        f"--{boundary}{CRLF}{part('text/plain', text)}{CRLF}"
        f"--{boundary}{CRLF}{part('text/html', html)}{CRLF}"
        f"--{boundary}--{CRLF}"
    )
    return (CRLF.join(lines) + CRLF + CRLF + body).encode("ascii")


class Prepared:
    """What `EmailMessage.message()` returns to the backends: the bytes, parsed only if someone reads a header."""

    def __init__(self, data: bytes):
        self.data = data

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return self.data if linesep == CRLF else self.data.replace(CRLF.encode(), linesep.encode())

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(linesep=linesep).decode("ascii")

    def get_charset(self):
        return None

    @cached_property
    def parsed(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)

    def __getattr__(self, name: str):
        return getattr(self.parsed, name)

    def __getitem__(self, name: str):
        return self.parsed[name]


class DigestMessage(EmailMultiAlternatives):
    """A text body with one HTML alternative, built by `build` rather than by the email package."""

    def message(self) -> Prepared:
        html = next(content for content, mimetype in self.alternatives if mimetype == "text/html")
        return Prepared(build(self.subject, self.from_email, self.to, self.extra_headers, self.body, html))
