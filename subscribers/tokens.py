"""Signed tokens for email links: one salt per purpose, ids in the payload, never the address.

A token is `blob:timestamp:signature` (Django's TimestampSigner, salted per purpose). The blob is the payload
and its link version, encrypted (an HMAC-SHA256 key stream from the secret key, with a synthetic nonce), so a
link shows neither the ids inside it (which would tell how many readers and digests exist) nor anything else.
Every purpose has a lifetime; the link version lets a reader kill every link sent so far at once (the
subscriber's `link_version` goes up; a token made for an older version no longer opens anything).

Tokens of the first format (plain signed JSON, version 0) are still read, so emails sent before keep working
until they expire or their reader revokes them.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac

DAY = 24 * 3600
# The data download and the deletion open only from a fresh link sent to the address itself.
ACCOUNT_LINK_MINUTES = 30
# Seconds a link works. Confirmation and account links (data download, deletion) are asked for and used
# at once; unsubscribe links must work from old emails for a long while; a feed reader keeps its URL for good.
MAX_AGE = {
    "confirm": 3 * DAY,
    "export": ACCOUNT_LINK_MINUTES * 60,
    "delete": ACCOUNT_LINK_MINUTES * 60,
    "preferences": 90 * DAY,
    "unsubscribe": 365 * DAY,
    "digest": 180 * DAY,
    "feedback": 180 * DAY,
    "feed": None,
}
NONCE_BYTES = 8


class BadToken(Exception):
    """The token is forged, tampered with, for another purpose, expired or revoked."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.expired = reason == "expired"


@dataclass(frozen=True)
class Link:
    payload: int | dict | str
    version: int = 0


@lru_cache(maxsize=32)
def _cipher_key(purpose: str, secret: str) -> bytes:
    return salted_hmac("paperboy.link-cipher", purpose, secret=secret, algorithm="sha256").digest()


def _keystream(purpose: str, nonce: bytes, length: int, secret: str) -> bytes:
    key = _cipher_key(purpose, secret)
    blocks = (hmac.new(key, nonce + n.to_bytes(4, "big"), hashlib.sha256).digest() for n in range(length // 32 + 1))
    return b"".join(blocks)[:length]


def _nonce(purpose: str, data: bytes, secret: str) -> bytes:
    # A synthetic nonce (an HMAC of the plaintext): one payload always gives one blob, as before, and
    # different payloads never share a key stream.
    return hmac.new(_cipher_key(purpose, secret), b"nonce" + data, hashlib.sha256).digest()[:NONCE_BYTES]


def _seal(purpose: str, data: bytes) -> str:
    nonce = _nonce(purpose, data, settings.SECRET_KEY)
    cipher = _xor(data, _keystream(purpose, nonce, len(data), settings.SECRET_KEY))
    return base64.urlsafe_b64encode(nonce + cipher).decode().rstrip("=")


def _open(purpose: str, blob: str) -> bytes:
    """The plaintext, under the key that sealed it: the current one or a fallback (the nonce tells which)."""
    raw = base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4))
    nonce, cipher = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        data = _xor(cipher, _keystream(purpose, nonce, len(cipher), secret))
        if hmac.compare_digest(_nonce(purpose, data, secret), nonce):
            return data
    raise ValueError("sealed with none of the keys")


def _xor(data: bytes, stream: bytes) -> bytes:
    """`data` XOR the first len(data) bytes of `stream`, as one big-integer operation."""
    stream = stream[: len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(data), "big")


def _signer(purpose: str) -> signing.TimestampSigner:
    return _signer_for(purpose, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


@lru_cache(maxsize=32)
def _signer_for(purpose: str, secret: str, fallbacks: tuple[str, ...]) -> signing.TimestampSigner:
    """One signer per purpose and keys: a digest signs four links, and a signer reads the settings when made."""
    return signing.TimestampSigner(key=secret, fallback_keys=list(fallbacks), salt=f"paperboy.v2.{purpose}")


def make_token(purpose: str, payload: int | dict | str, version: int = 0) -> str:
    """A token for `purpose` carrying `payload`, valid while its subscriber's link version is `version`."""
    if purpose not in MAX_AGE:
        raise ValueError(f"unknown token purpose {purpose!r}")
    data = json.dumps({"p": payload, "v": version}, separators=(",", ":")).encode()
    return _signer(purpose).sign(_seal(purpose, data))


def read_link(purpose: str, token: str) -> Link:
    """The payload and link version of a token made for `purpose`, or raise BadToken."""
    if purpose not in MAX_AGE:
        raise ValueError(f"unknown token purpose {purpose!r}")
    try:
        blob = _signer(purpose).unsign(token, max_age=MAX_AGE[purpose])
    except signing.SignatureExpired:
        raise BadToken("expired") from None
    except signing.BadSignature:
        return Link(_read_first_format(purpose, token))
    try:
        data = json.loads(_open(purpose, blob))
        return Link(data["p"], int(data["v"]))
    except (ValueError, KeyError, TypeError):  # signed by us, so only a change of this format gets here
        raise BadToken("invalid") from None


def read_token(purpose: str, token: str) -> int | dict | str:
    """Return the payload of a token made for `purpose`, or raise BadToken (the version is not checked here)."""
    return read_link(purpose, token).payload


def _read_first_format(purpose: str, token: str) -> int | dict:
    try:
        return signing.loads(token, salt=f"paperboy.{purpose}", max_age=MAX_AGE[purpose])
    except signing.SignatureExpired:
        raise BadToken("expired") from None
    except signing.BadSignature:
        raise BadToken("invalid") from None
