"""A realistic population for the digest benchmarks: real paper texts, skewed reader preferences.

Readers are not uniform: most pick one of a few popular topic sets, a minority follow keywords, a few
mute one, a few have moved a weight through feedback, and most keep the default of 10 papers a week.
The same seed gives the same population, in memory (`papers`, `preferences`) or in the database.
"""

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bench.tagging import FIXTURES

KEYWORDS = [
    "diffusion", "speculative decoding", "mixture of experts", "reinforcement learning", "agent", "lora",
    "quantization", "retrieval", "chain-of-thought", "benchmark", "video", "3d", "robot", "protein",
    "distillation", "tokenizer", "long context", "multimodal", "reward model", "safety", "sparse attention",
    "state space", "graph", "speech", "code generation", "math", "preference optimization", "vision-language",
    "world model", "synthetic data", "evaluation", "scaling law", "pruning", "federated", "medical",
]  # fmt: skip
COUNTS = [10] * 14 + [5, 8, 15, 20, 25, 3]


@dataclass
class PaperSpec:
    n: int
    row: dict  # Paper fields
    topics: dict[int, float]  # topic id -> score
    upvote_history: list[int]  # upvotes at 72 h, 48 h, 24 h ago and now


@dataclass
class ReaderSpec:
    n: int
    topics: dict[int, float]  # topic id -> weight
    follow: list[str]
    mute: list[str]
    paper_count: int
    daily: bool


def reader_address(n: int) -> str:
    return f"reader{n:06d}@bench.example.org"


def real_papers() -> list[dict]:
    items = []
    for name in ("hf_daily_papers_2024-08-01.indent4.json", "hf_daily_papers_2025-10-01.indent2.json"):
        items += [item["paper"] for item in json.loads((FIXTURES / "real" / name).read_bytes())]
    return items


def zipf_choice(rng: random.Random, items: list, s: float = 1.1):
    weights = [1 / (rank + 1) ** s for rank in range(len(items))]
    return rng.choices(items, weights)[0]


def papers(count: int, topic_ids: list[int], today: date, seed: int = 1) -> list[PaperSpec]:
    """`count` papers over the last week, texts of real ones, 1-3 topics each (popular topics more often)."""
    rng = random.Random(seed)
    real = real_papers()
    specs = []
    for n in range(count):
        source = real[n % len(real)]
        final = int(rng.paretovariate(1.2) * 3) - 3
        history = sorted(rng.randint(0, final) for _ in range(3)) + [final]
        row = {
            "arxiv_id": f"2611.{n:05d}",
            "title": f"{source['title']} ({n})",
            "abstract": source.get("summary", ""),
            "authors": [a["name"] for a in source.get("authors", []) if not a.get("hidden")],
            "ai_keywords": source.get("ai_keywords") or [],
            "github_repo": source.get("githubRepo") or "",
            "upvotes": final,
            "num_comments": rng.randint(0, 12),
            "trending_date": today - timedelta(days=n % 7),
            "hf_listed_on": today - timedelta(days=n % 7),
            "pinned": rng.random() < 0.002,
        }
        topics = {zipf_choice(rng, topic_ids, 0.8): round(rng.uniform(0.3, 1.0), 3) for _ in range(rng.randint(1, 3))}
        specs.append(PaperSpec(n, row, topics, history))
    return specs


def preferences(count: int, topic_ids: list[int], seed: int = 2) -> list[ReaderSpec]:
    """`count` readers: 60 % one of 15 popular topic sets, 12 % follow keywords, 4 % mute one, 5 % tuned a weight."""
    rng = random.Random(seed)
    popular_sets = [sorted({zipf_choice(rng, topic_ids) for _ in range(rng.randint(1, 3))}) for _ in range(15)]
    readers = []
    for n in range(count):
        if rng.random() < 0.6:
            chosen = zipf_choice(rng, popular_sets)
        else:
            chosen = sorted({zipf_choice(rng, topic_ids) for _ in range(rng.randint(1, 4))})
        weights = {tid: 1.0 for tid in chosen}
        if rng.random() < 0.05:
            weights[rng.choice(chosen)] = rng.choice([0.64, 0.8, 1.25, 1.56])
        follow = rng.sample(KEYWORDS, rng.randint(1, 3)) if rng.random() < 0.12 else []
        mute = [rng.choice(KEYWORDS)] if rng.random() < 0.04 else []
        readers.append(ReaderSpec(n, weights, follow, mute, rng.choice(COUNTS), rng.random() < 0.15))
    return readers


def create(subscribers: int, paper_count: int, now: datetime, chunk: int = 5000) -> None:
    """Store the population: papers with topic scores and upvote snapshots, active readers due at `now`."""
    from papers.models import Paper, PaperTopic, Topic, UpvoteSnapshot
    from subscribers.models import Subscriber, SubscriberTopic

    topic_ids = list(Topic.objects.filter(active=True).order_by("position").values_list("id", flat=True))
    specs = papers(paper_count, topic_ids, now.date())
    made = Paper.objects.bulk_create([Paper(**s.row) for s in specs], batch_size=chunk)
    PaperTopic.objects.bulk_create(
        [
            PaperTopic(paper=p, topic_id=tid, score=score)
            for p, s in zip(made, specs, strict=True)
            for tid, score in s.topics.items()
        ],
        batch_size=chunk,
    )
    hours = [72, 48, 24, 0]
    UpvoteSnapshot.objects.bulk_create(
        [
            UpvoteSnapshot(paper=p, upvotes=votes, taken_at=now - timedelta(hours=h))
            for p, s in zip(made, specs, strict=True)
            for h, votes in zip(hours, s.upvote_history, strict=True)
        ],
        batch_size=chunk,
    )
    due = now - timedelta(minutes=1)
    readers = preferences(subscribers, topic_ids)
    for start in range(0, len(readers), chunk):
        part = readers[start : start + chunk]
        rows = Subscriber.objects.bulk_create(
            [
                Subscriber(
                    email=reader_address(r.n),
                    status=Subscriber.Status.ACTIVE,
                    frequency=Subscriber.Frequency.DAILY if r.daily else Subscriber.Frequency.WEEKLY,
                    weekday=now.weekday(),
                    hour=now.hour,
                    paper_count=r.paper_count,
                    follow_keywords=r.follow,
                    mute_keywords=r.mute,
                    next_digest_at=due,
                )
                for r in part
            ]
        )
        SubscriberTopic.objects.bulk_create(
            [
                SubscriberTopic(subscriber=row, topic_id=tid, weight=weight)
                for row, r in zip(rows, part, strict=True)
                for tid, weight in r.topics.items()
            ]
        )


def create_feedback(share: float, seed: int = 3, chunk: int = 5000) -> int:
    """Give `share` of the readers 5-20 "more / less like this" clicks (4 in 5 "more") on papers of the pool,
    as the profile rows those clicks leave; return how many readers got some."""
    from newsletter.models import ProfileVote
    from papers.models import Paper
    from subscribers.models import Subscriber

    rng = random.Random(seed)
    papers = list(Paper.objects.order_by("id").values_list("id", flat=True))
    readers = [sid for sid in Subscriber.objects.order_by("id").values_list("id", flat=True) if rng.random() < share]
    votes = [
        ProfileVote(
            subscriber_id=sid,
            paper_id=pid,
            direction="more" if rng.random() < 0.8 else "less",
            source=ProfileVote.Source.DIGEST,
        )
        for sid in readers
        for pid in rng.sample(papers, rng.randint(5, 20))
    ]
    ProfileVote.objects.bulk_create(votes, batch_size=chunk)
    return len(readers)
