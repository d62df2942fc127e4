"""The picks of the benchmark population from one in-memory pool: what the ranking gives readers with no profile.

`picks_before_profiles.json` beside this module holds what the ranking gave before profiles existed, computed
by this same function on that code; `test_no_profile_ranking.py` compares today's picks with it.
"""

import hashlib
import json
from datetime import UTC, datetime, timedelta

from bench import population
from bench.ranking import TOPICS, build_pool

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
READERS = 3000
PAPERS = 600
KEPT_IN_FULL = 100  # readers whose picks are stored one by one, to show where a difference starts


def population_picks() -> dict:
    from newsletter.ranking import Preferences, picks_for

    pool = build_pool(PAPERS)
    picks = []
    for r in population.preferences(READERS, TOPICS):
        prefs = Preferences.build(r.topics, r.follow, r.mute, r.paper_count, r.daily)
        since = NOW.date() - timedelta(days=1 if r.daily else 7)
        exclude = set(range(1, 1 + r.n % 40)) if r.n % 7 == 0 else set()  # some readers got papers before
        picks.append([[p.paper_id, p.reason, p.fill] for p in picks_for(pool, prefs, since, exclude)])
    digest = hashlib.sha256(json.dumps(picks).encode()).hexdigest()
    return {"readers": READERS, "papers": PAPERS, "sha256": digest, "first": picks[:KEPT_IN_FULL]}
