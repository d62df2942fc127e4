"""One canonical form per mailbox: what a reader typed, checked and normalised before it touches the database."""

import unicodedata

from django.core.exceptions import ValidationError
from email_validator import EmailNotValidError, validate_email

MAX_LOCAL = 64
MAX_TOTAL = 254


def _reject(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_email")


def _check_characters(value: str) -> None:
    for char in value:
        if char in "\r\n":
            raise _reject("An email address cannot contain a line break.")
        if unicodedata.category(char) == "Zs":
            raise _reject("An email address cannot contain spaces.")
        if unicodedata.category(char) in ("Cf", "Cc", "Zl", "Zp"):
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            raise _reject(f"The email address contains an invisible character ({name}); please retype it.")
        if unicodedata.east_asian_width(char) == "F":
            raise _reject("The email address contains full-width characters; please type it in half-width (ASCII).")


def canonical_email(raw: str) -> str:
    """Return the canonical address (trimmed, IDNA domain lower-cased) or raise ValidationError with one clear line."""
    value = (raw or "").strip()
    if not value:
        raise _reject("Please enter your email address.")
    if len(value) > MAX_TOTAL:
        raise _reject(f"That email address is too long (at most {MAX_TOTAL} characters).")
    _check_characters(value)
    if "@" not in value:
        raise _reject("An email address needs an @ sign, like ada@example.com.")
    local, _, domain = value.rpartition("@")
    if len(local) > MAX_LOCAL:
        raise _reject(f"The part before the @ is too long (at most {MAX_LOCAL} characters).")
    if not local.isascii():
        raise _reject("The part before the @ must use ASCII letters, digits and punctuation only.")
    if domain.startswith("["):
        raise _reject("Please use an address with a domain name, not an IP address.")
    if domain.rstrip(".").lower() in ("localhost", "localhost.localdomain") or domain.lower().endswith(".localhost"):
        raise _reject("Please use an address on a public domain, not localhost.")
    try:
        result = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise _reject(str(exc)) from None
    address = f"{result.local_part}@{result.ascii_domain.lower()}"
    if len(address) > MAX_TOTAL:
        raise _reject(f"That email address is too long (at most {MAX_TOTAL} characters).")
    return address


def masked(address: str) -> str:
    """The first character of the mailbox and the whole domain: enough to recognise, not to harvest."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}\u2022\u2022\u2022@{domain}"
