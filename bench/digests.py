"""Time ranking and rendering without a database: `.venv/bin/python bench/digests.py [readers]`."""

import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsletter.settings")
import django  # noqa: E402

django.setup()

from newsletter.compose import Digest, Item  # noqa: E402
from newsletter.models import Delivery  # noqa: E402
from newsletter.ranking import Candidate, Pool, Preferences  # noqa: E402
from newsletter.render import Renderer  # noqa: E402
from subscribers.models import Subscriber  # noqa: E402

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
TOPICS = 20


def pool(papers: int = 400) -> Pool:
    rng = random.Random(1)
    candidates = []
    for n in range(papers):
        row = {
            "id": n, "arxiv_id": f"2611.{n:05d}", "title": f"Paper {n} on efficient attention",
            "abstract": "We study speculative decoding and sparse attention. " * 6, "authors": ["A B", "C D", "E"],
            "upvotes": rng.randint(0, 300), "num_comments": 2, "github_repo": "", "project_page": "", "pinned": False,
            "trending_date": date(2026, 11, 24) + timedelta(days=n % 7),
        }  # fmt: skip
        topics = {rng.randrange(TOPICS): rng.random() for _ in range(rng.randint(1, 3))}
        text = f"{row['title']}\n{row['abstract']}".lower()
        candidates.append(Candidate(n, row["trending_date"], text, topics, rng.random(), False, row))
    return Pool(candidates, {t: f"Topic {t}" for t in range(TOPICS)})


def main(readers: int) -> None:
    rng = random.Random(2)
    p = pool()
    prefs = [
        Preferences.build({rng.randrange(TOPICS): 1.0 for _ in range(rng.randint(1, 3))}, [], [], 10, False)
        for _ in range(readers)
    ]
    start = time.perf_counter()
    picks = [p.picks_for(pr, date(2026, 11, 23), set()) for pr in prefs]
    ranked = time.perf_counter() - start
    print(f"ranking: {readers} readers, {len(set(prefs))} distinct preferences, {ranked:.3f}s")

    renderer = Renderer()
    by_id = {c.id: c for c in p.candidates}
    digests = []
    for n, reader_picks in enumerate(picks[:2000]):
        sub = Subscriber(id=n + 1, email=f"r{n}@example.com", timezone="UTC")
        digest = Digest(
            Delivery(id=n + 1, subscriber=sub, period="2026-W49", scheduled_for=NOW), sub, "the week", ["A"]
        )
        digest.items = [Item(by_id[pk.paper_id].row, pk.reason, pk.fill, ["Topic 1"]) for pk in reader_picks]
        digest.new_papers = 400
        digests.append(digest)
    start = time.perf_counter()
    for digest in digests:
        renderer.render(digest)
    rendered = time.perf_counter() - start
    print(f"rendering: {len(digests)} digests in {rendered:.3f}s = {len(digests) / rendered:.0f} digests/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
