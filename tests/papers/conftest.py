"""Paths to the recorded real responses, and the default topics built for tests that flush the database."""

import importlib

import pytest

from bench.tagging import FIXTURES

REAL = FIXTURES / "real"


def real(name: str) -> bytes:
    """The bytes of one recorded response in shared/fixtures/real/."""
    return (REAL / name).read_bytes()


@pytest.fixture
def default_topics(db):
    """The topics of the data migration, present even after a transactional test flushed them."""
    from tests.factories import make_topic

    migration = importlib.import_module("papers.migrations.0002_default_topics")
    return [
        make_topic(slug, name, description=description, keywords="\n".join(keywords), arxiv_categories=categories)
        for slug, name, description, keywords, categories in migration.TOPICS
    ]
