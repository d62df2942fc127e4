"""The dashboard lists the authors and organisations most readers follow, however each reader spelled them."""

from datetime import UTC, datetime

import pytest

from newsletter import follows
from tests.dashboard.conftest import open_dashboard
from tests.dashboard.test_tables import rows
from tests.factories import make_paper, make_subscriber

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(datetime(2026, 11, 26, 14, tzinfo=UTC))]


def test_it_lists_the_most_followed_names_with_their_followers(admin_client):
    make_paper(organization="Qwen", authors=["Zoë Müller"])
    for n in range(3):
        follows.follow(make_subscriber(), "", "qwen" if n else "QWEN")
    follows.follow(make_subscriber(), "author", "Zoe Muller")

    assert rows(open_dashboard(admin_client), "most-followed") == [
        ["Qwen", "Organisation", "3"],
        ["Zoë Müller", "Author", "1"],
    ]
