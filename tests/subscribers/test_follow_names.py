"""Following a name: checked against the ingested papers, one clear message for each bad input, nothing changed."""

from datetime import UTC, datetime

import pytest

from newsletter import follows
from newsletter.models import Follow
from tests.factories import make_paper, make_subscriber

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(datetime(2026, 11, 30, 8, tzinfo=UTC))]


@pytest.fixture
def reader():
    make_paper(arxiv_id="2611.00001", organization="Qwen", authors=["Ada Lovelace", "Zoë Müller"])
    make_paper(arxiv_id="2611.00002", organization="Qwen", authors=["Ada Lovelace"])
    return make_subscriber()


@pytest.mark.parametrize(
    ("kind", "name", "message"),
    [
        ("author", "   ", "Type the name of an author or an organisation to follow."),
        ("author", "A" * 201, "That name is too long: at most 200 characters."),
        ("author", "Alan Turing", "No paper lists “Alan Turing” as an author"),
        ("organization", "Ada Lovelace", "No paper lists “Ada Lovelace” as an organisation"),
        ("robot", "Qwen", "Choose whether to follow an author or an organisation."),
    ],
)
def test_it_refuses_bad_names_with_a_clear_message_and_changes_nothing(reader, kind, name, message):
    with pytest.raises(follows.FollowError) as refused:
        follows.follow(reader, kind, name)
    assert str(refused.value).startswith(message)
    assert not Follow.objects.exists()


def test_it_refuses_the_same_name_twice_however_it_is_spelled(reader):
    follows.follow(reader, Follow.Kind.AUTHOR, "Zoë Müller")
    with pytest.raises(follows.FollowError, match="You already follow Zoë Müller."):
        follows.follow(reader, Follow.Kind.AUTHOR, "zoe muller")
    assert list(reader.follows.values_list("name", flat=True)) == ["Zoë Müller"]


def test_it_suggests_names_with_their_paper_counts_most_papers_first(reader):
    found = follows.suggest("lo")
    assert [(n.kind, n.name, n.papers) for n in found] == [("author", "Ada Lovelace", 2)]
    assert [(n.name, n.papers) for n in follows.suggest("QW")] == [("Qwen", 2)]
    assert [n.name for n in follows.suggest("muller")] == ["Zoë Müller"]
    assert follows.suggest("q") == []
