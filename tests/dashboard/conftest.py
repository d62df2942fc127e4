"""Helpers for the dashboard tests: open the admin index as staff and read the figures it shows."""

import pytest
from bs4 import BeautifulSoup


@pytest.fixture(autouse=True)
def no_migration_rows(request):
    """Start from the rows each test builds: the default topics and beat schedules of migrations are removed.

    Every figure is then checked against data made for the test, whether or not an earlier
    transactional test flushed the migration rows.
    """
    transactional = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    if transactional:
        request.getfixturevalue("transactional_db")
    elif request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
    else:
        return  # a test without the database
    from django_celery_beat.models import PeriodicTask

    from papers.models import Topic

    PeriodicTask.objects.all().delete()
    Topic.objects.all().delete()


@pytest.fixture(autouse=True)
def short_worker_ping(settings):
    # No worker runs in most dashboard tests: don't wait the default half second for one.
    settings.WORKER_PING_TIMEOUT = 0.05


def open_dashboard(client) -> BeautifulSoup:
    response = client.get("/admin/")
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "lxml")


def figure(page: BeautifulSoup, name: str) -> str:
    """The text of the element marked data-figure=name, whitespace collapsed."""
    element = page.select_one(f'[data-figure="{name}"]')
    assert element is not None, f"the dashboard has no figure {name!r}"
    return " ".join(element.get_text(" ").split())


def chart_values(page: BeautifulSoup, title: str) -> list[str]:
    """The values printed on the chart with this title, left to right (top to bottom for bars)."""
    svg = page.find("svg", attrs={"aria-label": title})
    assert svg is not None, f"no chart titled {title!r}"
    return [text.get_text() for text in svg.select("text.value")]


def messages_shown(response) -> list[str]:
    """The messages framework's lines on a page, as the operator reads them."""
    page = BeautifulSoup(response.content, "lxml")
    return [" ".join(li.get_text(" ").split()) for li in page.select(".messagelist li")]
