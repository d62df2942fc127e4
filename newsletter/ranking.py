"""Rank candidate papers for a reader: plain functions over rows loaded once per batch, no ORM in the loop."""

import math
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from papers.models import Paper, PaperTopic, Topic, UpvoteSnapshot

RELEVANCE_WEIGHT = 0.65
POPULARITY_WEIGHT = 0.35
KEYWORD_RELEVANCE = 1.0  # a followed keyword counts as much as a full-score topic at weight 1
VELOCITY_WINDOW = timedelta(hours=72)
PAPER_FIELDS = (
    "id", "arxiv_id", "title", "abstract", "authors", "upvotes", "num_comments", "github_repo",
    "project_page", "pinned", "trending_date",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Preferences:
    """Everything ranking depends on; readers with equal preferences share one ranking."""

    topic_weights: tuple[tuple[int, float], ...]
    follow: tuple[str, ...] = ()
    mute: tuple[str, ...] = ()
    count: int = 10
    daily: bool = False

    @classmethod
    def build(cls, topic_weights: dict[int, float], follow, mute, count: int, daily: bool) -> "Preferences":
        def clean(words) -> tuple[str, ...]:
            return tuple(sorted({w.strip().lower() for w in words or () if isinstance(w, str) and w.strip()}))

        weights = tuple(sorted((tid, w) for tid, w in topic_weights.items() if w > 0))
        return cls(weights, clean(follow), clean(mute), count, daily)


@dataclass(slots=True)
class Candidate:
    id: int
    trending_date: date
    text: str  # title and abstract, lower-cased, for keyword matching
    topics: dict[int, float]
    popularity: float  # 0..1 within the pool
    pinned: bool
    row: dict  # the paper's values() row, for rendering


@dataclass(slots=True)
class Ranked:
    candidate: Candidate
    reason: str
    primary_topic: int | None  # the followed topic this pick counts against for variety
    fill: bool = False


@dataclass(slots=True)
class Pick:
    paper_id: int
    reason: str
    fill: bool


@dataclass
class Pool:
    """The candidate papers of one batch, loaded once, with per-preference rankings cached."""

    candidates: list[Candidate]
    topic_names: dict[int, str]
    _dates: list[date] = field(init=False)
    _by_date: list[Candidate] = field(init=False)
    _rankings: dict[Preferences, tuple[list[Ranked], list[Ranked]]] = field(default_factory=dict)

    def __post_init__(self):
        self._by_date = sorted(self.candidates, key=lambda c: c.trending_date)
        self._dates = [c.trending_date for c in self._by_date]

    def new_since(self, since: date, exclude: set[int]) -> int:
        """How many candidates are new to a reader: listed on or after `since` and never sent to them."""
        start = bisect_left(self._dates, since)
        return len(self._dates) - start - sum(1 for c in self._by_date[start:] if c.id in exclude)

    def ranking(self, prefs: Preferences) -> tuple[list[Ranked], list[Ranked]]:
        if prefs not in self._rankings:
            self._rankings[prefs] = rank(self.candidates, prefs, self.topic_names)
        return self._rankings[prefs]

    def picks_for(self, prefs: Preferences, since: date, exclude: set[int]) -> list[Pick]:
        relevant, fill = self.ranking(prefs)
        return choose(relevant, fill, prefs, since, exclude)


def popularity(rows: list[dict], snapshots: list[dict], now: datetime) -> dict[int, float]:
    """Upvotes (log-scaled) mixed with their recent velocity, each normalised within the pool."""
    first: dict[int, dict] = {}
    last: dict[int, dict] = {}
    for snap in snapshots:  # ordered by taken_at
        first.setdefault(snap["paper_id"], snap)
        last[snap["paper_id"]] = snap
    velocity = {}
    for pid, start in first.items():
        end = last[pid]
        hours = max((end["taken_at"] - start["taken_at"]).total_seconds() / 3600, 1.0)
        velocity[pid] = max(end["upvotes"] - start["upvotes"], 0) / hours
    top_votes = max((math.log1p(r["upvotes"]) for r in rows), default=0.0) or 1.0
    top_velocity = max(velocity.values(), default=0.0) or 1.0
    return {
        r["id"]: 0.7 * math.log1p(r["upvotes"]) / top_votes + 0.3 * velocity.get(r["id"], 0.0) / top_velocity
        for r in rows
    }


def load_pool(since: date, until: date, now: datetime) -> Pool:
    """Every visible paper trending between `since` and `until`, in four queries whatever its size."""
    window = {"paper__hidden": False, "paper__trending_date__gte": since, "paper__trending_date__lte": until}
    rows = list(
        Paper.objects.visible()
        .filter(trending_date__gte=since, trending_date__lte=until)
        .order_by("-upvotes", "id")
        .values(*PAPER_FIELDS)
    )
    topics: dict[int, dict[int, float]] = defaultdict(dict)
    for pid, tid, score in PaperTopic.objects.filter(**window, topic__active=True).values_list(
        "paper_id", "topic_id", "score"
    ):
        topics[pid][tid] = score
    snapshots = list(
        UpvoteSnapshot.objects.filter(**window, taken_at__gte=now - VELOCITY_WINDOW)
        .order_by("taken_at")
        .values("paper_id", "upvotes", "taken_at")
    )
    topic_names = dict(Topic.objects.values_list("id", "name"))
    pop = popularity(rows, snapshots, now)
    candidates = [
        Candidate(
            id=r["id"],
            trending_date=r["trending_date"],
            text=f"{r['title']}\n{r['abstract']}".lower(),
            topics=topics.get(r["id"], {}),
            popularity=pop[r["id"]],
            pinned=r["pinned"],
            row=r,
        )
        for r in rows
    ]
    return Pool(candidates, topic_names)


def _reason(matched: list[tuple[int, float]], keywords: list[str], topic_names: dict[int, str], pinned: bool) -> str:
    names = [topic_names.get(tid, "?") for tid, _ in sorted(matched, key=lambda m: -m[1])]
    parts = []
    if pinned and names:
        parts.append(f"Editor's pick for {names[0]}")
    if keywords:
        parts.append("Mentions " + ", ".join(f"'{k}'" for k in keywords))
    if names:
        parts.append(("Matches your topic: " if len(names) == 1 else "Matches your topics: ") + ", ".join(names))
    return " · ".join(parts)


def rank(
    candidates: list[Candidate], prefs: Preferences, topic_names: dict[int, str]
) -> tuple[list[Ranked], list[Ranked]]:
    """Order a pool for one set of preferences: (relevant picks best first, trending fill best first)."""
    weights = dict(prefs.topic_weights)
    scored = []
    fill = []
    top_relevance = 0.0
    trending = "Top trending today" if prefs.daily else "Top trending this week"
    for c in candidates:
        if any(word in c.text for word in prefs.mute):
            continue
        matched = [(tid, score * weights[tid]) for tid, score in c.topics.items() if tid in weights and score > 0]
        keywords = [word for word in prefs.follow if word in c.text]
        relevance = sum(value for _, value in matched) + KEYWORD_RELEVANCE * len(keywords)
        if relevance <= 0:
            fill.append(Ranked(c, f"{trending}, outside your topics", None, fill=True))
            continue
        top_relevance = max(top_relevance, relevance)
        primary = max(matched, key=lambda m: m[1])[0] if matched else None
        pinned = c.pinned and bool(matched)
        scored.append((pinned, relevance, c, Ranked(c, _reason(matched, keywords, topic_names, pinned), primary)))
    top_relevance = top_relevance or 1.0
    scored.sort(
        key=lambda s: (
            not s[0],
            -(RELEVANCE_WEIGHT * s[1] / top_relevance + POPULARITY_WEIGHT * s[2].popularity),
            s[2].id,
        )
    )
    fill.sort(key=lambda r: (-r.candidate.popularity, r.candidate.id))
    return [s[3] for s in scored], fill


def fair_share(prefs: Preferences) -> int:
    """The most picks one topic may take when a reader follows several."""
    followed = len(prefs.topic_weights)
    if followed < 2:
        return prefs.count
    return max(2, math.ceil(prefs.count / followed))


def choose(
    relevant: list[Ranked], fill: list[Ranked], prefs: Preferences, since: date, exclude: set[int]
) -> list[Pick]:
    """A reader's picks: the best relevant papers with a fair share per topic, then trending fill if short."""
    cap = fair_share(prefs)
    per_topic: dict[int, int] = defaultdict(int)
    picks: list[Ranked] = []
    deferred: list[Ranked] = []
    for entry in relevant:
        c = entry.candidate
        if c.trending_date < since or c.id in exclude:
            continue
        if entry.primary_topic is not None and per_topic[entry.primary_topic] >= cap:
            deferred.append(entry)
            continue
        per_topic[entry.primary_topic] += 1
        picks.append(entry)
        if len(picks) == prefs.count:
            break
    picks.extend(deferred[: prefs.count - len(picks)])
    if len(picks) < prefs.count:
        for entry in fill:
            c = entry.candidate
            if c.trending_date >= since and c.id not in exclude:
                picks.append(entry)
                if len(picks) == prefs.count:
                    break
    return [Pick(p.candidate.id, p.reason, p.fill) for p in picks]
