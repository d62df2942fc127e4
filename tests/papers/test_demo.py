"""The bundled demo papers load through the ingestion path, and loading them again changes nothing."""

import pytest

from papers.demo import load_demo_papers
from papers.models import IngestionRun, Paper

pytestmark = pytest.mark.django_db


def test_it_loads_the_demo_papers_once_and_then_reports_them_unchanged(default_topics):
    assert load_demo_papers() == [
        "hf_daily_papers_2026-06-12.json: created=30 updated=0 unchanged=0 failed=0",
        "hf_daily_papers_2025-10-01.indent2.json: created=37 updated=0 unchanged=0 failed=0",
        "arxiv_api_query_transformer_cs.LG_2026-06-14.atom.xml: created=5 updated=0 unchanged=0 failed=0",
    ]
    assert Paper.objects.count() == 72
    assert Paper.objects.filter(topics__isnull=False).distinct().count() >= 60
    load_demo_papers()
    assert [r.summary for r in IngestionRun.objects.order_by("-pk")[:3]][::-1] == [
        "created=0 updated=0 unchanged=30 failed=0",
        "created=0 updated=0 unchanged=37 failed=0",
        "created=0 updated=0 unchanged=5 failed=0",
    ]
