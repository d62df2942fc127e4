"""The tables: top papers of the week with topics, recent ingestion runs, recent failed deliveries."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from newsletter.models import Delivery
from papers.models import IngestionRun
from tests.dashboard.conftest import open_dashboard
from tests.factories import make_paper, make_subscriber

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)


def rows(page, name: str) -> list[list[str]]:
    table = page.select_one(f'[data-figure="{name}"]')
    assert table is not None, f"no table {name!r}"
    return [[" ".join(td.get_text(" ").split()) for td in tr.select("td")] for tr in table.select("tbody tr")]


@time_machine.travel(NOW, tick=False)
def test_it_lists_the_ten_most_upvoted_papers_of_this_week_with_their_topics(admin_client):
    for upvotes in range(12):
        make_paper({"llm": 0.5}, title=f"Week paper {upvotes}", upvotes=upvotes, trending_date=date(2026, 11, 24))
    make_paper({"rl": 0.9, "llm": 0.4}, title="Top paper", upvotes=500, trending_date=date(2026, 11, 23))
    make_paper(title="Last week's hit", upvotes=900, trending_date=date(2026, 11, 20))
    make_paper(title="Hidden hit", upvotes=800, trending_date=date(2026, 11, 24), hidden=True)

    table = rows(open_dashboard(admin_client), "top-papers")

    assert len(table) == 10
    assert [row[2] for row in table] == ["500", "11", "10", "9", "8", "7", "6", "5", "4", "3"]
    assert table[0][1].startswith("Top paper")
    assert table[0][4] == "Rl Llm"  # topics, best score first
    assert "Last week's hit" not in str(table) and "Hidden hit" not in str(table)


def test_it_escapes_titles_and_topic_names(admin_client):
    make_paper({"xss": 0.9}, title="<script>alert(1)</script> attention")
    response = admin_client.get("/admin/")
    assert b"<script>alert(1)" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; attention" in response.content


@time_machine.travel(NOW, tick=False)
def test_it_lists_recent_ingestion_runs_with_their_counts_and_errors(admin_client):
    for hours in range(12, 0, -1):
        with time_machine.travel(NOW - timedelta(hours=hours), tick=False):
            IngestionRun.objects.create(source="hf-daily", status="succeeded", created=hours, finished_at=NOW)
    with time_machine.travel(NOW - timedelta(minutes=5), tick=False):
        IngestionRun.objects.create(
            source="arxiv", status="failed", updated=2, failed=3, errors="HTTP 503 from export.arxiv.org\nretry later"
        )

    table = rows(open_dashboard(admin_client), "recent-runs")

    assert len(table) == 10
    assert table[0][1:8] == ["arXiv", "cli", "Failed", "0", "2", "0", "3"]
    assert table[0][8].startswith("HTTP 503 from export.arxiv.org")
    assert [row[4] for row in table[1:]] == ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
    assert table[1][8] == "none"


@time_machine.travel(NOW, tick=False)
def test_it_lists_recent_failed_deliveries_with_their_reasons(admin_client):
    reader = make_subscriber("gone@example.com")
    Delivery.objects.create(
        subscriber=reader, period="2026-W48", status="failed", attempts=1, error="550 5.1.1 No such user"
    )
    Delivery.objects.create(subscriber=make_subscriber("fine@example.com"), period="2026-W48", status="sent")

    page = open_dashboard(admin_client)
    table = rows(page, "failed-deliveries")

    assert table == [["Thu 26 Nov, 14:00", "gone@example.com", "2026-W48", "1", "550 5.1.1 No such user"]]
    link = page.select_one('[data-figure="failed-deliveries"] tbody td a[title="History of this subscriber"]')
    assert link["href"] == f"/admin/dashboard/history/{reader.pk}/"
