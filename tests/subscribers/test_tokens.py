"""Links already in readers' inboxes keep opening: a token of today's format is the same string, made the same way."""

from datetime import UTC, datetime

import pytest

from subscribers.tokens import make_token, read_link

MADE = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
# Made by the code of 3 December 2026 with this key at MADE: emails carry tokens like these.
SENT = {
    ("preferences", 4242, 3): "tRX2TCBBp29Ch__77CQUYNal4yNrj_zi:1wTyV6:l1-BbwOcrDI_ek7DSd9uKSWd71CEUBAUvt0kDyGsJ_Y",
}
LONG = {"d": 7, "x": "long payload over thirty-two bytes long"}  # more than one block of the key stream
SENT_LONG = (
    "2IdNIjhIwbIel7fWWwXO4KvGb9_7im6GQhqwyDs2pmQrnGGrA_9akUFYtGUNptHYOrOtUbWb489l-P2hMdCMZra55Zyg8uT8pA"
    ":1wTyV6:fbKLOKFzwSKLb5QTZUJKFcweci6eccfA6Z95RT9Luo4"
)


@pytest.fixture
def golden_key(settings):
    settings.SECRET_KEY = "golden-" + "s" * 50
    settings.SECRET_KEY_FALLBACKS = []


@pytest.mark.frozen(MADE)
def test_a_token_is_made_as_the_links_already_sent_were(golden_key):
    assert make_token("preferences", 4242, 3) == SENT[("preferences", 4242, 3)]
    assert make_token("feedback", LONG, 0) == SENT_LONG


@pytest.mark.frozen(MADE)
def test_a_sent_token_opens_to_its_payload_and_version(golden_key):
    link = read_link("preferences", SENT[("preferences", 4242, 3)])
    assert (link.payload, link.version) == (4242, 3)
    assert read_link("feedback", SENT_LONG).payload == LONG


@pytest.mark.frozen(MADE)
def test_a_new_secret_key_with_the_old_one_as_fallback_still_opens_sent_links(settings):
    settings.SECRET_KEY = "rotated-" + "r" * 50
    settings.SECRET_KEY_FALLBACKS = ["golden-" + "s" * 50]
    assert read_link("preferences", SENT[("preferences", 4242, 3)]).payload == 4242
