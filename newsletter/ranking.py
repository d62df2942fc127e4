"""Rank candidate papers for a reader: plain functions over rows loaded once per batch, no ORM in the loop."""

import heapq
import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from papers.models import Paper, PaperTopic, Topic, UpvoteSnapshot
from subscribers.models import weight_level

RELEVANCE_WEIGHT = 0.65
POPULARITY_WEIGHT = 0.35
KEYWORD_RELEVANCE = 1.0  # a followed keyword counts as much as a full-score topic at weight 1
VELOCITY_WINDOW = timedelta(hours=72)
HEAD = 64  # relevant papers ordered up front: enough for nearly every reader's picks, deferrals and skips
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
    """One ordering's relevant papers, ordered lazily: most readers need only the first few dozen."""

    scored: list[tuple[tuple, Ranked]]  # (sort key, entry); keys end with the paper id, so they never tie
    weights: dict[int, float]
    _head: list[Ranked] | None = None
    _ordered: list[Ranked] | None = None
    _ids: set[int] | None = None
    _reasons: dict[int, str] = field(default_factory=dict)

    def best(self) -> Iterator[Ranked]:
        """Relevant papers best first; the full sort happens only for a reader who gets past the head."""
        yield from self.head()
        if len(self.scored) > HEAD:
            yield from self.ordered()[HEAD:]

    def head(self) -> list[Ranked]:
        if self._head is None:
            self._head = [entry for _, entry in heapq.nsmallest(HEAD, self.scored)]
        return self._head

    def ordered(self) -> list[Ranked]:
        if self._ordered is None:
            self._ordered = [entry for _, entry in sorted(self.scored)]
        return self._ordered

    @property
    def relevant_ids(self) -> set[int]:
        if self._ids is None:
            self._ids = {entry.candidate.id for _, entry in self.scored}
        return self._ids

    def reason(self, entry: Ranked, topic_names: dict[int, str]) -> str:
        """The entry's reason, worded once: every reader sharing this ranking gets the same words for it."""
        cid = entry.candidate.id
        if cid not in self._reasons:
            self._reasons[cid] = reason(entry, topic_names, self.weights)
        return self._reasons[cid]


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
    by_id: dict[int, Candidate] = field(init=False)
    _mentions: dict[tuple[str, ...], frozenset[int]] = field(default_factory=dict)
    _rankings: dict[tuple, Ranking] = field(default_factory=dict)  # by Preferences.ordering
    _picks: dict[tuple[Preferences, date], list[Pick]] = field(default_factory=dict)

    def __post_init__(self):
        self._by_date = sorted(self.candidates, key=lambda c: c.trending_date)
        self._dates = [c.trending_date for c in self._by_date]
        self.by_popularity = sorted(self.candidates, key=lambda c: (-c.popularity, c.id))
        self.by_id = {c.id: c for c in self.candidates}
        self.by_topic = defaultdict(list)
        for c in self.candidates:
            for tid in c.topics:
                self.by_topic[tid].append(c)

    def new_since(self, since: date, exclude: set[int]) -> int:
        """How many candidates are new to a reader: listed on or after `since` and never sent to them."""
        start = bisect_left(self._dates, since)
        return len(self._dates) - start - sum(1 for c in self._by_date[start:] if c.id in exclude)

    def mentioning(self, words: tuple[str, ...]) -> frozenset[int]:
        """Ids of the candidates whose text contains any of `words`; each text is scanned once per word set."""
        if not words:
            return frozenset()
        if words not in self._mentions:
            self._mentions[words] = frozenset(c.id for c in self.candidates if any(w in c.text for w in words))
        return self._mentions[words]

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
    """Score the pool's relevant papers for one set of preferences; the Ranking orders them.

    Only papers of the reader's topics or mentioning a followed keyword can be relevant, so only those are
    scored, and keywords are looked up in the pool's index rather than searched for in every text.
    """
    weights = dict(prefs.topic_weights)
    mentions = {word: pool.mentioning((word,)) for word in prefs.follow}
    ids = {c.id for tid in weights for c in pool.by_topic.get(tid, ())}.union(*mentions.values())
    ids -= pool.mentioning(prefs.mute)
    scored = []
    top_relevance = 0.0
    for cid in ids:
        c = pool.by_id[cid]
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
        keywords = [word for word, having in mentions.items() if cid in having]
        relevance += KEYWORD_RELEVANCE * len(keywords)
        if relevance <= 0:
            continue
        if relevance > top_relevance:
            top_relevance = relevance
        pinned = c.pinned and bool(matched)
        scored.append((pinned, relevance, Ranked(c, matched, keywords, pinned, primary)))
    top_relevance = top_relevance or 1.0
    keyed = [
        (
            (
                not pinned,
                -(RELEVANCE_WEIGHT * relevance / top_relevance + POPULARITY_WEIGHT * entry.candidate.popularity),
                entry.candidate.id,
            ),
            entry,
        )
        for pinned, relevance, entry in scored
    ]
    return Ranking(keyed, weights)


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
    for entry in ranking.best():
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
    chosen = [Pick(p.candidate.id, ranking.reason(p, pool.topic_names), False) for p in picks]
    if len(chosen) < prefs.count:
        fill = trending_reason(prefs)
        muted = pool.mentioning(prefs.mute)
        for c in pool.by_popularity:
            if c.trending_date < since or c.id in exclude or c.id in ranking.relevant_ids:
                continue
            if c.id in muted:
                continue
            chosen.append(Pick(c.id, fill, True))
            if len(chosen) == prefs.count:
                break
    return chosen
