"""Rank candidate papers for a reader: plain functions over rows loaded once per batch, no ORM in the loop."""

import math
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from papers.models import Paper, PaperTopic, Topic, UpvoteSnapshot
from subscribers.models import weight_level

RELEVANCE_WEIGHT = 0.65
POPULARITY_WEIGHT = 0.35
KEYWORD_RELEVANCE = 1.0  # a followed keyword counts as much as a full-score topic at weight 1
VELOCITY_WINDOW = timedelta(hours=72)
PAPER_FIELDS = (
    "id", "arxiv_id", "title", "abstract", "authors", "upvotes", "num_comments", "github_repo",
    "project_page", "pinned", "trending_date", "ai_keywords",
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

    @property
    def ordering(self) -> tuple:
        """What the order of relevant papers depends on: not count or daily, so more readers share one."""
        return (self.topic_weights, self.follow, self.mute)


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
    matched: list[tuple[int, float]]  # followed topics of the paper, with score x weight
    keywords: list[str]  # followed keywords it mentions
    pinned: bool
    primary_topic: int | None  # the followed topic this pick counts against for variety


@dataclass(slots=True)
class Ranking:
    relevant: list[Ranked]  # best first
    relevant_ids: set[int]


@dataclass(slots=True)
class Pick:
    paper_id: int
    reason: str
    fill: bool


@dataclass
class Pool:
    """The candidate papers of one batch, loaded once, with per-topic lists and per-preference rankings."""

    candidates: list[Candidate]
    topic_names: dict[int, str]
    _dates: list[date] = field(init=False)
    _by_date: list[Candidate] = field(init=False)
    by_topic: dict[int, list[Candidate]] = field(init=False)
    by_popularity: list[Candidate] = field(init=False)
    _rankings: dict[tuple, Ranking] = field(default_factory=dict)  # by Preferences.ordering
    _picks: dict[tuple[Preferences, date], list[Pick]] = field(default_factory=dict)

    def __post_init__(self):
        self._by_date = sorted(self.candidates, key=lambda c: c.trending_date)
        self._dates = [c.trending_date for c in self._by_date]
        self.by_popularity = sorted(self.candidates, key=lambda c: (-c.popularity, c.id))
        self.by_topic = defaultdict(list)
        for c in self.candidates:
            for tid in c.topics:
                self.by_topic[tid].append(c)

    def new_since(self, since: date, exclude: set[int]) -> int:
        """How many candidates are new to a reader: listed on or after `since` and never sent to them."""
        start = bisect_left(self._dates, since)
        return len(self._dates) - start - sum(1 for c in self._by_date[start:] if c.id in exclude)

    def ranking(self, prefs: Preferences) -> Ranking:
        key = prefs.ordering
        if key not in self._rankings:
            self._rankings[key] = rank(self, prefs)
        return self._rankings[key]

    def picks_for(self, prefs: Preferences, since: date, exclude: set[int]) -> list[Pick]:
        if exclude:
            return choose(self, prefs, since, exclude)
        # Readers with the same preferences, the same start and nothing to leave out get the same picks.
        key = (prefs, since)
        if key not in self._picks:
            self._picks[key] = choose(self, prefs, since, exclude)
        return self._picks[key]


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
            text=candidate_text(r),
            topics=topics.get(r["id"], {}),
            popularity=pop[r["id"]],
            pinned=r["pinned"],
            row=r,
        )
        for r in rows
    ]
    return Pool(candidates, topic_names)


def candidate_text(row: dict) -> str:
    """What keywords are matched against: title, abstract and the paper's HF keywords, lower-cased."""
    keywords = " · ".join(k for k in row.get("ai_keywords") or () if isinstance(k, str))
    return f"{row['title']}\n{row['abstract']}\n{keywords}".lower()


def tuned(entry: Ranked, topic_names: dict[int, str], weights: dict[int, float]) -> str:
    """Say so when the reader's feedback moved the weight of this paper's main topic."""
    name = topic_names.get(entry.primary_topic, "?")
    said = weight_level(weights.get(entry.primary_topic, 1.0))
    if said == "less":
        return f"Shown less: you asked for fewer {name} papers"
    if said == "more":
        return f"Shown more: you asked for more {name} papers"
    return ""


def reason(entry: Ranked, topic_names: dict[int, str], weights: dict[int, float] | None = None) -> str:
    names = [topic_names.get(tid, "?") for tid, _ in sorted(entry.matched, key=lambda m: -m[1])]
    parts = []
    if entry.pinned:
        parts.append(f"Editor's pick for {names[0]}")
    if entry.keywords:
        parts.append("Mentions " + ", ".join(f"'{k}'" for k in entry.keywords))
    if names:
        parts.append(("Matches your topic: " if len(names) == 1 else "Matches your topics: ") + ", ".join(names))
    if weights and entry.primary_topic is not None:
        parts.append(tuned(entry, topic_names, weights))
    return " · ".join(p for p in parts if p)


def trending_reason(prefs: Preferences) -> str:
    return f"Top trending {'today' if prefs.daily else 'this week'}, outside your topics"


def rank(pool: Pool, prefs: Preferences) -> Ranking:
    """Order the pool's relevant papers for one set of preferences, best first.

    Only papers of the reader's topics are looked at, unless they follow keywords (then every paper is).
    """
    weights = dict(prefs.topic_weights)
    if prefs.follow:
        candidates = pool.candidates
    else:
        candidates = list({c.id: c for tid in weights for c in pool.by_topic.get(tid, ())}.values())
    mute, follow = prefs.mute, prefs.follow
    scored = []
    top_relevance = 0.0
    for c in candidates:
        text = c.text
        if mute and any(word in text for word in mute):
            continue
        matched = []
        relevance = 0.0
        primary, best = None, 0.0
        for tid, score in c.topics.items():
            weight = weights.get(tid)
            if weight and score > 0:
                value = score * weight
                matched.append((tid, value))
                relevance += value
                if value > best:
                    primary, best = tid, value
        keywords = [word for word in follow if word in text] if follow else []
        relevance += KEYWORD_RELEVANCE * len(keywords)
        if relevance <= 0:
            continue
        if relevance > top_relevance:
            top_relevance = relevance
        pinned = c.pinned and bool(matched)
        scored.append((pinned, relevance, Ranked(c, matched, keywords, pinned, primary)))
    top_relevance = top_relevance or 1.0
    scored.sort(
        key=lambda s: (
            not s[0],
            -(RELEVANCE_WEIGHT * s[1] / top_relevance + POPULARITY_WEIGHT * s[2].candidate.popularity),
            s[2].candidate.id,
        )
    )
    relevant = [s[2] for s in scored]
    return Ranking(relevant, {r.candidate.id for r in relevant})


def fair_share(prefs: Preferences) -> int:
    """The most picks one topic may take when a reader follows several."""
    followed = len(prefs.topic_weights)
    if followed < 2:
        return prefs.count
    return max(2, math.ceil(prefs.count / followed))


def choose(pool: Pool, prefs: Preferences, since: date, exclude: set[int]) -> list[Pick]:
    """A reader's picks: the best relevant papers with a fair share per topic, then trending fill if short."""
    ranking = pool.ranking(prefs)
    cap = fair_share(prefs)
    per_topic: dict[int | None, int] = defaultdict(int)
    picks: list[Ranked] = []
    deferred: list[Ranked] = []
    for entry in ranking.relevant:
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
    weights = dict(prefs.topic_weights)
    chosen = [Pick(p.candidate.id, reason(p, pool.topic_names, weights), False) for p in picks]
    if len(chosen) < prefs.count:
        fill = trending_reason(prefs)
        for c in pool.by_popularity:
            if c.trending_date < since or c.id in exclude or c.id in ranking.relevant_ids:
                continue
            if prefs.mute and any(word in c.text for word in prefs.mute):
                continue
            chosen.append(Pick(c.id, fill, True))
            if len(chosen) == prefs.count:
                break
    return chosen
