"""Ranking and rendering without a database, on the benchmark population.

    .venv/bin/python -m bench.ranking [--readers 100000] [--papers 2000] [--runs 3]

Ranks every reader's picks from one pool (as a worker does for a period) and prints the median time and
the number of distinct preferences; then renders 2,000 of those digests and prints digests per second.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bench import population
from bench.tagging import ROOT

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
TOPICS = list(range(1, 13))


def build_pool(papers: int, vectors: bool = False):
    """The benchmark's pool; with `vectors`, the papers' text vectors and titles too, as profiles need."""
    from newsletter.pool import Pool, candidate_text

    candidates = []
    for spec in population.papers(papers, TOPICS, NOW.date()):
        row = {**spec.row, "id": spec.n + 1, "project_page": ""}
        popularity = spec.upvote_history[-1] / 300
        candidates.append(population_candidate(row, spec.topics, min(popularity, 1.0), candidate_text(row)))
    pool = Pool(candidates, {tid: f"Topic {tid}" for tid in TOPICS}, text_vectors(candidates) if vectors else {})
    if vectors:
        pool.know({}, {c.id: c.row["title"] for c in candidates})
    return pool


def text_vectors(candidates) -> dict:
    from papers.representation import represent

    vectors = represent([f"{c.row['title']}. {c.row['abstract']}" for c in candidates])
    return {c.id: vector for c, vector in zip(candidates, vectors, strict=True)}


def profiles(count: int, share: float, papers: int, seed: int = 3) -> list:
    """`share` of the readers with 5-20 "more / less like this" clicks (4 in 5 "more") on papers of the pool."""
    from newsletter.ranking import NO_PROFILE, Profile

    rng = random.Random(seed)
    result = []
    for _ in range(count):
        if rng.random() >= share:
            result.append(NO_PROFILE)
            continue
        clicked = rng.sample(range(1, papers + 1), rng.randint(5, 20))
        liked = sorted(pid for pid in clicked if rng.random() < 0.8)
        result.append(Profile(tuple(liked), tuple(sorted(set(clicked) - set(liked)))))
    return result


def population_candidate(row: dict, topics: dict, popularity: float, text: str):
    from newsletter.pool import Candidate

    return Candidate(row["id"], row["trending_date"], text, topics, popularity, row["pinned"], row)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=100_000)
    parser.add_argument("--papers", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--feedback", type=float, default=0.0, help="share of readers with 5-20 feedback clicks")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsletter.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from newsletter.compose import Digest, Item
    from newsletter.models import Delivery
    from newsletter.ranking import Preferences, picks_for
    from newsletter.render import Renderer
    from subscribers.models import Subscriber

    readers = population.preferences(args.readers, TOPICS)
    taught = profiles(args.readers, args.feedback, args.papers)
    prefs = [
        Preferences.build(r.topics, r.follow, r.mute, r.paper_count, r.daily, profile)
        for r, profile in zip(readers, taught, strict=True)
    ]
    since = [NOW.date() - timedelta(days=1 if r.daily else 7) for r in readers]
    # A reader's own papers are left out of their digest, as compose does.
    exclude = [set(p.liked + p.disliked) for p in taught]
    times = []
    for _ in range(args.runs):
        pool = build_pool(args.papers, vectors=bool(args.feedback))  # a fresh pool: nothing ranked yet
        start = time.perf_counter()
        picks = [picks_for(pool, p, s, x) for p, s, x in zip(prefs, since, exclude, strict=True)]
        times.append(time.perf_counter() - start)
    ranked = statistics.median(times)
    print(
        f"ranking: {args.readers} readers ({sum(1 for p in taught if p)} with a profile), "
        f"{len(set(prefs))} distinct preferences, {args.papers} papers: "
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
