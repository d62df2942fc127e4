"""Every figure on the admin dashboard, computed in one place: one function per figure, aggregates in the database.

The number of queries is fixed: no function loops over rows of a table that grows with
subscribers or papers (the Python loops below run over days, weeks, topics or topic sets).
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from django.utils import timezone

from newsletter.dashboard.clock import current_periods
from newsletter.dashboard.coverage import active_topic_sets, followers_per_topic, topic_coverage
from newsletter.dashboard.schedules import schedules
from newsletter.dashboard.status import (
    broker_reachable,
    deliveries_this_period,
    failed_periods,
    failed_runs_last_7_days,
    last_ingestions,
    sending_switch,
    subscribers_by_status,
    suppressed_addresses,
    workers_answering,
)
from newsletter.dashboard.tables import recent_failed_deliveries, recent_runs, top_papers_this_week
from newsletter.dashboard.trends import deliveries_per_day, papers_ingested_per_day, subscribers_by_week
from newsletter.follows import most_followed


def network_health() -> tuple[bool, int]:
    """(broker reachable, workers answering): the two checks that wait on the network, not the database."""
    broker_up = broker_reachable()
    return broker_up, workers_answering(broker_up)


def build(now: datetime | None = None) -> dict:
    """Every figure of the dashboard, computed once per page."""
    now = now or timezone.now()
    # The ping waits for its timeout when no worker runs: let it wait while the queries run.
    with ThreadPoolExecutor(max_workers=1) as pool:
        network = pool.submit(network_health)
        topic_sets = active_topic_sets()  # shared by the followers and the coverage figures
        figures = {
            "now": now,
            "periods": current_periods(now),
            "last_ingestions": last_ingestions(now),
            "failed_runs_7d": failed_runs_last_7_days(now),
            "deliveries_now": deliveries_this_period(now),
            "sending": sending_switch(),
            "failed_periods": failed_periods(),
            "subscribers": subscribers_by_status(),
            "suppressed": suppressed_addresses(),
            "subscribers_by_week": subscribers_by_week(now),
            "papers_per_day": papers_ingested_per_day(now),
            "deliveries_per_day": deliveries_per_day(now),
            "followers": followers_per_topic(topic_sets),
            "coverage": topic_coverage(now, topic_sets),
            "top_papers": top_papers_this_week(now),
            "most_followed": most_followed(),
            "recent_runs": recent_runs(),
            "failed_deliveries": recent_failed_deliveries(),
            "schedules": schedules(now),
        }
        figures["broker_ok"], figures["workers"] = network.result()
    return figures
