"""Signed tokens for email links: one salt per purpose, ids in the payload, never the address."""

from django.core import signing

# Confirmation links expire; unsubscribe and preferences links must keep working in old emails.
MAX_AGE = {
    "confirm": 3 * 24 * 3600,
    "preferences": None,
    "unsubscribe": None,
    "digest": None,
    "feedback": None,
    "feed": None,
}


class BadToken(Exception):
    """The token is forged, tampered with, for another purpose, or expired."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.expired = reason == "expired"


def make_token(purpose: str, payload: int | dict) -> str:
    if purpose not in MAX_AGE:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return signing.dumps(payload, salt=f"paperboy.{purpose}", compress=True)


def read_token(purpose: str, token: str) -> int | dict:
    """Return the payload of a token made for `purpose`, or raise BadToken."""
    try:
        return signing.loads(token, salt=f"paperboy.{purpose}", max_age=MAX_AGE[purpose])
    except signing.SignatureExpired:
        raise BadToken("expired") from None
    except signing.BadSignature:
        raise BadToken("invalid") from None
