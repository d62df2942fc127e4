from datetime import date

import pytest
import time_machine

from tests.factories import make_paper, make_topic

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 11, 26)


@time_machine.travel("2026-11-26 12:00Z", tick=False)
def test_it_lists_this_weeks_papers_by_upvotes_with_topic_badges(client):
    make_topic("llm", "Language models")
    make_paper(title="Popular one", upvotes=90, trending_date=date(2026, 11, 23), topics={"llm": 0.9})
    make_paper(title="Less popular", upvotes=12, trending_date=THURSDAY)
    make_paper(title="Last week", upvotes=500, trending_date=date(2026, 11, 22))
    make_paper(title="Hidden one", upvotes=999, trending_date=THURSDAY, hidden=True)

    html = client.get("/").content.decode()

    assert "Trending this week" in html and "23 Nov to 29 Nov 2026" in html
    assert html.index("Popular one") < html.index("Less popular")
    assert "Last week" not in html and "Hidden one" not in html
    assert '<li class="badge">Language models</li>' in html
    assert "90<span" in html


@time_machine.travel("2026-11-26 12:00Z", tick=False)
def test_it_falls_back_to_the_latest_week_with_papers_and_names_its_dates(client):
    make_paper(title="From October", trending_date=date(2026, 10, 14))
    make_paper(title="Older still", trending_date=date(2026, 9, 1))
    html = client.get("/").content.decode()
    assert "Trending in the week of 12 Oct to 18 Oct 2026" in html
    assert "From October" in html and "Older still" not in html


def test_it_says_so_when_there_are_no_papers_yet(client):
    assert "No papers yet" in client.get("/").content.decode()


@time_machine.travel("2026-11-26 12:00Z", tick=False)
def test_it_loads_the_page_in_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for n in range(15):
        make_paper(trending_date=THURSDAY, upvotes=n, topics={"llm": 0.5, "vision": 0.4, f"t{n % 3}": 0.2})
    with django_assert_max_num_queries(5):
        response = client.get("/")
    assert response.content.decode().count('class="paper"') == 15
