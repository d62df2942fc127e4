"""Helpers for the dashboard tests: open the admin index as staff and read the figures it shows."""

import pytest
from bs4 import BeautifulSoup


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
