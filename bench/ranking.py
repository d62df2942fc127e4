"""Ranking and rendering without a database, on the benchmark population.

    .venv/bin/python -m bench.ranking [--readers 100000] [--papers 2000] [--runs 3]

Ranks every reader's picks from one pool (as a worker does for a period) and prints the median time and
the number of distinct preferences; then renders 2,000 of those digests and prints digests per second.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bench import population
from bench.tagging import ROOT

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
TOPICS = list(range(1, 13))


def build_pool(papers: int):
    from newsletter.ranking import Pool, candidate_text

    candidates = []
    for spec in population.papers(papers, TOPICS, NOW.date()):
        row = {**spec.row, "id": spec.n + 1, "project_page": ""}
        popularity = spec.upvote_history[-1] / 300
        candidates.append(population_candidate(row, spec.topics, min(popularity, 1.0), candidate_text(row)))
    return Pool(candidates, {tid: f"Topic {tid}" for tid in TOPICS})


def population_candidate(row: dict, topics: dict, popularity: float, text: str):
    from newsletter.ranking import Candidate

    return Candidate(row["id"], row["trending_date"], text, topics, popularity, row["pinned"], row)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=100_000)
    parser.add_argument("--papers", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsletter.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from newsletter.compose import Digest, Item
    from newsletter.models import Delivery
    from newsletter.ranking import Preferences
    from newsletter.render import Renderer
    from subscribers.models import Subscriber

    readers = population.preferences(args.readers, TOPICS)
    prefs = [Preferences.build(r.topics, r.follow, r.mute, r.paper_count, r.daily) for r in readers]
    since = [NOW.date() - timedelta(days=1 if r.daily else 7) for r in readers]
    times = []
    for _ in range(args.runs):
        pool = build_pool(args.papers)  # a fresh pool: nothing ranked yet
        start = time.perf_counter()
        picks = [pool.picks_for(p, s, set()) for p, s in zip(prefs, since, strict=True)]
        times.append(time.perf_counter() - start)
    ranked = statistics.median(times)
    print(
        f"ranking: {args.readers} readers, {len(set(prefs))} distinct preferences, {args.papers} papers: "
        f"{ranked:.3f}s (median of {args.runs}), {ranked / args.readers * 1e6:.1f} us per reader"
    )

    renderer = Renderer()
    by_id = {c.id: c for c in pool.candidates}
    digests = []
    for n, reader_picks in enumerate(picks[:2000]):
        sub = Subscriber(id=n + 1, email=f"r{n}@example.com", timezone="UTC")
        digest = Digest(Delivery(id=n + 1, subscriber=sub, period="2026-W49", scheduled_for=NOW), sub, "the week", [])
        digest.items = [Item(by_id[p.paper_id].row, p.reason, p.fill, ["Topic 1"]) for p in reader_picks]
        digest.new_papers = args.papers
        digests.append(digest)
    start = time.perf_counter()
    for digest in digests:
        renderer.render(digest)
    rendered = time.perf_counter() - start
    print(f"rendering: {len(digests)} digests in {rendered:.3f}s = {len(digests) / rendered:.0f} digests/s")
    distinct = len(set(prefs))
    print(
        f"ranking_s={ranked:.3f} readers={args.readers} distinct={distinct} render_per_s={len(digests) / rendered:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
