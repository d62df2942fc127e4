"""The bundled demo: three real weeks that load through the ingestion path, once, and say when they are from."""

from datetime import date, timedelta

import pytest

from papers.demo import DEMO_FIRST, DEMO_LAST, DemoSpan, bundled_days, demo_span, load_demo_papers
from papers.models import IngestionRun, Paper
from tests.factories import make_paper

pytestmark = pytest.mark.django_db


def test_it_loads_the_demo_days_once_and_then_reports_them_unchanged(default_topics):
    lines = load_demo_papers()
    assert len(lines) == 34 and lines[0] == "2025-11-03: created=15 updated=0 unchanged=0 failed=0"
    assert Paper.objects.count() == 536
    assert Paper.objects.filter(topics__isnull=False).distinct().count() >= 450
    assert {p.trending_date for p in Paper.objects.all()} <= {DEMO_FIRST + timedelta(days=n) for n in range(47)}
    load_demo_papers()
    again = IngestionRun.objects.order_by("-pk")[:34]
    assert {run.summary.split(" unchanged")[0] for run in again} == {"created=0 updated=0"}
    assert all(run.parameters["demo"] for run in again)


def test_the_bundle_holds_only_the_weekdays_it_names():
    days = [date.fromisoformat(day) for day in bundled_days()]
    assert (days[0], days[-1]) == (DEMO_FIRST, DEMO_LAST)
    assert all(day.weekday() < 5 for day in days)


def test_its_dates_read_as_a_person_writes_them():
    assert DemoSpan(date(2025, 12, 1), date(2025, 12, 19)).label == "1–19 December 2025"
    assert DemoSpan(date(2025, 12, 29), date(2026, 1, 9)).label == "29 December 2025 – 9 January 2026"


def test_the_site_shows_demo_data_until_a_newer_paper_arrives(default_topics):
    assert demo_span() is None  # nothing loaded: not a demo
    load_demo_papers()
    assert demo_span().label == "3 November – 19 December 2025"
    make_paper(trending_date=DEMO_LAST + timedelta(days=1))
    assert demo_span() is None
