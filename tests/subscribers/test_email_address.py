import pytest
from django.core.exceptions import ValidationError

from subscribers.email_address import canonical_email


def rejection(raw: str) -> str:
    with pytest.raises(ValidationError) as info:
        canonical_email(raw)
    (message,) = info.value.messages
    return message


def test_it_trims_and_lower_cases_the_domain_but_keeps_the_local_part():
    assert canonical_email("  Ada.Lovelace@Example.COM \n") == "Ada.Lovelace@example.com"


def test_it_keeps_plus_addressing():
    assert canonical_email("ada+papers@example.com") == "ada+papers@example.com"


def test_it_idna_encodes_an_international_domain():
    assert canonical_email("ada@Bücher.de") == "ada@xn--bcher-kva.de"
    assert canonical_email("ada@xn--bcher-kva.de") == "ada@xn--bcher-kva.de"


def test_it_rejects_a_zero_width_character():
    assert "invisible character (ZERO WIDTH SPACE)" in rejection("ada\u200b@example.com")
    assert "invisible character" in rejection("ada@exam\u200dple.com")


def test_it_rejects_full_width_characters_in_either_part():
    assert "full-width" in rejection("ａｄａ@example.com")
    assert "full-width" in rejection("ada@ｅｘａｍｐｌｅ.com")


def test_it_rejects_a_non_ascii_local_part():
    assert rejection("jörg@example.com") == "The part before the @ must use ASCII letters, digits and punctuation only."


def test_it_rejects_localhost_and_ip_literal_domains():
    assert "not localhost" in rejection("ada@localhost")
    assert "not an IP address" in rejection("ada@[127.0.0.1]")
    assert "not an IP address" in rejection("ada@[IPv6:::1]")


def test_it_rejects_line_breaks_that_could_inject_headers():
    assert rejection("ada@example.com\r\nBcc: eve@example.com") == "An email address cannot contain a line break."


def test_it_rejects_over_long_addresses():
    assert "at most 64" in rejection("a" * 65 + "@example.com")
    assert "at most 254" in rejection("a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + ".example.com")
    assert "at most 254" in rejection("x" * 1000)


@pytest.mark.parametrize("raw", ["", "   ", "ada", "ada@", "@example.com", "ada@example", "a da@example.com"])
def test_it_gives_one_clear_line_for_malformed_input(raw):
    message = rejection(raw)
    assert message and "\n" not in message
