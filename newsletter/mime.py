"""Digest emails as bytes, built straight from their parts.

A digest is one multipart/alternative message: a plain-text and an HTML part, both UTF-8. Like Django's own
messages, a body goes as 8bit while every line fits in RFC 5322's 998 bytes and as quoted-printable
otherwise. Django's email classes build it through the email package's object tree and generator, whose
quoted-printable encoder and header folding are pure Python: about 2 ms for a 60 KB digest, a quarter of a
worker's time per message. Here the headers go through the email package's own encoders only where they
need it, and the bodies are encoded once, as bytes.

`DigestMessage` is a Django `EmailMultiAlternatives` whose `message()` returns these bytes, so every
email backend (SMTP, the .eml outbox, locmem in tests) sends it as it sends any other message.
"""

import base64
import binascii
import email
import email.policy
import secrets
from email.utils import formataddr, formatdate, parseaddr
from functools import cached_property, lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

CRLF = "\r\n"
LONGEST_LINE = 998  # bytes, RFC 5322: a body with a longer line is sent quoted-printable


ENCODED_WORD_BYTES = 36  # 60 characters as an encoded-word: a line stays within 78 after "Subject: "


def encoded_words(value: str) -> str:
    """Non-ASCII text as base64 encoded-words, one per folded line, never splitting a character.

    (The email package's Header weighs quoted-printable against base64 character by character, which
    costs more than the rest of the message together.)
    """
    data, words, start = value.encode(), [], 0
    while start < len(data):
        end = min(start + ENCODED_WORD_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its character
            end -= 1
        words.append(data[start:end])
        start = end
    return (CRLF + " ").join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words or [b""])


def header(name: str, value: str) -> str:
    """One header line, RFC 2047-encoded where it is not ASCII, folded when long; CR and LF cannot pass."""
    value = " ".join(str(value).split())
    if not value.isascii():
        return f"{name}: {encoded_words(value)}"
    return folded(f"{name}: {value}")


def folded(line: str, width: int = 78) -> str:
    """An ASCII header line folded at its spaces to lines of at most `width` where words allow (RFC 5322 2.2.3)."""
    if len(line) <= width:
        return line
    lines, current = [], ""
    for word in line.split(" "):
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = ""
        current = f"{current} {word}" if current or lines else word
    lines.append(current)
    return CRLF.join(lines)


ATOM_ENDS = frozenset(' \t"(),:;<>[\\]')


def bare(value: str) -> bool:
    """ASCII with nothing an address parser would take apart: no name, quotes, comments, brackets or spaces."""
    return value.isascii() and not ATOM_ENDS.intersection(value)


def address(value: str) -> str:
    """An address for a header: a bare ASCII mailbox as it is (a reader's canonical address), others formatted."""
    if bare(value):
        return value
    return _formatted_address(value)


@lru_cache(maxsize=64)
def _formatted_address(value: str) -> str:
    name, addr = parseaddr(" ".join(value.split()))
    return formataddr((name, addr), charset="utf-8")


def quoted_printable(data: bytes) -> bytes:
    """UTF-8 bytes as quoted-printable with CRLF line ends: never a line over 76 characters, never a '=_'."""
    return binascii.b2a_qp(data, istext=True).replace(b"\n", CRLF.encode())


def lines_fit(data: bytes, limit: int = LONGEST_LINE) -> bool:
    """Whether no line of `data` (split at LF) is longer than `limit` bytes.

    The last line feed in each stretch of `limit` + 1 bytes from a line's start is searched for, so a 50 KB
    body takes about fifty searches, not a split into its thousand lines.
    """
    start, end = 0, len(data)
    while end - start > limit:
        newline = data.rfind(b"\n", start, start + limit + 1)
        if newline < 0:
            return False
        start = newline + 1
    return True


def part(content_type: str, text: str) -> bytes:
    """One body part, 8bit while every line fits in LONGEST_LINE bytes, quoted-printable otherwise."""
    if "\r" in text:  # the renderer's line ends are LF; anything else is made LF first
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    data = text.encode()
    if lines_fit(data):
        encoding, data = "8bit", data.replace(b"\n", CRLF.encode())
    else:
        encoding, data = "quoted-printable", quoted_printable(data)
    head = f'Content-Type: {content_type}; charset="utf-8"{CRLF}Content-Transfer-Encoding: {encoding}{CRLF}{CRLF}'
    return head.encode("ascii") + data


def boundary_for(*bodies: str) -> str:
    """A random boundary that occurs in none of the bodies (with 96 random bits, the first one all but always)."""
    while True:
        boundary = f"=_{secrets.token_hex(12)}"
        if not any(boundary in body for body in bodies):
            return boundary


def build(subject: str, from_email: str, to: list[str], headers: dict[str, str], text: str, html: str) -> bytes:
    """The message's bytes, CRLF line ends, ready for SMTP: ASCII headers, UTF-8 bodies."""
    boundary = boundary_for(text, html)
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
    delimiter, crlf = f"--{boundary}{CRLF}".encode("ascii"), CRLF.encode()
    return b"".join([
        (CRLF.join(lines) + CRLF + CRLF).encode("ascii"),
        delimiter, part("text/plain", text), crlf,
        delimiter, part("text/html", html), crlf,
        f"--{boundary}--{CRLF}".encode("ascii"),
    ])  # fmt: skip


class Prepared:
    """What `EmailMessage.message()` returns to the backends: the bytes, parsed only if someone reads a header."""

    def __init__(self, data: bytes):
        self.data = data

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return self.data if linesep == CRLF else self.data.replace(CRLF.encode(), linesep.encode())

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(linesep=linesep).decode()

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
