"""The charts: each series holds exactly the numbers built for the test, and the SVG prints them."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from newsletter.dashboard import trends
from newsletter.dashboard.coverage import MASK_BITS, followers_per_topic, topic_coverage
from newsletter.models import Delivery
from tests.dashboard.conftest import chart_values, open_dashboard
from tests.factories import make_paper, make_subscriber, make_topic

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # Thursday of ISO week 48 (Monday 23 Nov)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def day(d: int, month: int = 11, hour: int = 9) -> datetime:
    return datetime(2026, month, d, hour, tzinfo=UTC)


def test_it_derives_subscribers_by_status_for_each_of_the_last_twelve_weeks(admin_client):
    with at(day(1, 9)):
        make_subscriber(status="active")  # before the window, never confirmed explicitly: active throughout
    with at(day(20, 10)):
        left = make_subscriber(status="pending")
    with at(day(2)):
        confirmed = make_subscriber(status="pending")
    with at(day(3)):
        confirmed.status, confirmed.confirmed_at = "active", day(3)
        confirmed.save()
        left.status, left.confirmed_at = "active", day(21, 10)
        left.save()
    with at(day(10)):
        make_subscriber(status="pending")
    with at(day(18)):
        left.status, left.unsubscribed_at = "unsubscribed", day(18)
        left.save()
    with at(day(24)):
        bounced = make_subscriber(status="active", confirmed_at=day(24))
    with at(day(25)):
        bounced.status = "bounced"
        bounced.save()

    with at(NOW):
        weekly = trends.subscribers_by_week(NOW)
        page = open_dashboard(admin_client)

    assert weekly.weeks[0] == date(2026, 9, 7) and weekly.weeks[-1] == date(2026, 11, 23)
    #         weeks starting:   7/9 14  21  28  5/10 12 19  26  2/11 9  16  23
    assert weekly.counts["active"] == [1, 1, 1, 1, 1, 1, 2, 2, 3, 3, 2, 2]
    assert weekly.counts["pending"] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]
    assert weekly.counts["unsubscribed"] == [0] * 10 + [1, 1]
    assert weekly.counts["suppressed"] == [0] * 11 + [1]
    assert weekly.counts["paused"] == [0] * 12
    # The totals printed above the columns.
    assert chart_values(page, "Subscribers by status at the end of each week") == [
        "1", "1", "1", "1", "1", "1", "2", "2", "3", "4", "4", "5"
    ]  # fmt: skip


def test_it_counts_papers_ingested_per_day(admin_client):
    for moment, n in [(day(25), 3), (day(26, hour=1), 2), (day(1), 4)]:
        with at(moment):
            for _ in range(n):
                make_paper()
    with at(NOW):
        days, counts = trends.papers_ingested_per_day(NOW)
        page = open_dashboard(admin_client)
    assert days[0] == date(2026, 11, 13) and days[-1] == date(2026, 11, 26)
    assert counts == [0] * 12 + [3, 2]
    assert chart_values(page, "Papers ingested per day") == ["0"] * 12 + ["3", "2"]


def test_it_counts_digests_sent_and_failed_per_day(admin_client):
    with at(day(24)):
        for _ in range(4):
            Delivery.objects.create(subscriber=make_subscriber(), period="2026-W48", status="sent", sent_at=day(24))
        Delivery.objects.create(subscriber=make_subscriber(), period="2026-W48", status="failed", error="550 no user")
        Delivery.objects.create(subscriber=make_subscriber(), period="2026-W48", status="queued")
    with at(day(26, hour=8)):
        Delivery.objects.create(
            subscriber=make_subscriber(), period="2026-11-26", status="sent", sent_at=day(26, hour=8)
        )
        Delivery.objects.create(subscriber=make_subscriber(), period="2026-11-26", status="failed")
        Delivery.objects.create(subscriber=make_subscriber(), period="2026-11-26", status="failed")
    with at(NOW):
        _, sent, failed = trends.deliveries_per_day(NOW)
        page = open_dashboard(admin_client)
    assert sent == [0] * 11 + [4, 0, 1]
    assert failed == [0] * 11 + [1, 0, 2]
    values = chart_values(page, "Digests sent and failed per day")
    assert values[-6:] == ["4", "1", "0", "0", "1", "2"]  # sent, failed side by side for each day


def test_it_counts_active_followers_per_topic(admin_client):
    make_topic("rl", "Reinforcement learning")
    for topics in (["llm", "rl"], ["llm"], ["llm", "agents"]):
        make_subscriber(topics=topics)
    make_subscriber(topics=["rl"], status="unsubscribed")
    followers = {topic.slug: n for topic, n in followers_per_topic()}
    assert followers == {"llm": 3, "rl": 1, "agents": 1}
    page = open_dashboard(admin_client)
    assert chart_values(page, "Active followers per topic") == ["3", "1", "1"]


@time_machine.travel(NOW, tick=False)
def test_it_counts_subscribers_who_would_get_fewer_papers_than_they_asked_for_this_week(admin_client):
    this_week, last_week = date(2026, 11, 24), date(2026, 11, 16)
    for _ in range(4):
        make_paper({"llm": 0.9}, trending_date=this_week)
    make_paper({"llm": 0.8, "rl": 0.5}, trending_date=this_week)  # counted once for a reader of both
    make_paper({"rl": 0.9}, trending_date=this_week)
    make_paper({"rl": 0.9}, trending_date=this_week, hidden=True)
    make_paper({"rl": 0.9}, trending_date=last_week)
    make_paper(trending_date=this_week)  # untagged
    make_topic("vision")

    make_subscriber(topics=["llm"], paper_count=5)  # 5 llm papers: enough
    make_subscriber(topics=["llm"], paper_count=6)  # short
    make_subscriber(topics=["rl"], paper_count=3)  # 2 rl papers: short
    make_subscriber(topics=["llm", "rl"], paper_count=6)  # 6 distinct papers: enough
    make_subscriber(topics=["llm", "rl"], paper_count=7)  # short
    make_subscriber(topics=["vision"], paper_count=3)  # nothing: short
    make_subscriber(topics=["rl"], paper_count=25, status="paused")  # not active: not counted

    coverage = topic_coverage(NOW)
    assert (coverage.active, coverage.short, coverage.papers) == (6, 4, 7)
    per_topic = {row.topic.slug: (row.papers, row.short) for row in coverage.topics}
    assert per_topic == {"llm": (5, 2), "rl": (2, 2), "vision": (0, 1)}

    page = open_dashboard(admin_client)
    headline = page.select_one(".pb-headline").get_text()
    assert " ".join(headline.split()) == (
        "4 of 6 active subscribers would get fewer papers than they asked for this week (7 candidate papers)."
    )
    svg = page.find("svg", attrs={"aria-label": lambda label: label and label.startswith("Candidate papers per topic")})
    assert [t.get_text() for t in svg.select("text.note")] == ["2 short", "2 short", "1 short"]


@time_machine.travel(NOW, tick=False)
def test_it_counts_subscribers_without_topics_against_all_of_this_weeks_papers(admin_client):
    make_paper({"llm": 0.9}, trending_date=date(2026, 11, 24))
    make_paper(trending_date=date(2026, 11, 25))
    make_subscriber(topics={}, paper_count=3)
    coverage = topic_coverage(NOW)
    assert (coverage.active, coverage.short, coverage.papers) == (1, 1, 2)


@time_machine.travel(NOW, tick=False)
def test_it_counts_coverage_right_with_more_topics_than_one_mask_holds(admin_client):
    topics = [make_topic(f"topic-{i}") for i in range(MASK_BITS + 8)]
    make_paper({topics[-1].slug: 0.9, topics[0].slug: 0.5}, trending_date=date(2026, 11, 24))
    make_paper({topics[-1].slug: 0.9}, trending_date=date(2026, 11, 24))
    make_subscriber(topics=[topics[-1].slug], paper_count=3)  # 2 papers: short
    make_subscriber(topics=[topics[0].slug, topics[-2].slug], paper_count=3)  # 1 paper: short
    make_subscriber(topics=[topics[-1].slug], paper_count=3, status="paused")
    coverage = topic_coverage(NOW)
    per_topic = {row.topic.slug: (row.papers, row.short) for row in coverage.topics}
    assert (coverage.active, coverage.short) == (2, 2)
    assert per_topic[topics[-1].slug] == (2, 1)
    assert per_topic[topics[0].slug] == (1, 1)
    assert per_topic[topics[-2].slug] == (0, 1)
