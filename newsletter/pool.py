"""The candidate papers of one batch: loaded once, held as arrays for scoring, with what is kept for reuse.

Ranking (`newsletter/ranking.py`) scores and chooses from a pool, and `newsletter/reasons.py` words its
picks; neither is imported here.
"""

import math
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from papers.models import Paper, PaperTopic, Topic, UpvoteSnapshot, has_code
from papers.names import name_key
from papers.representation import vectors_for

POPULARITY_WEIGHT = 0.35  # how much popularity counts in a paper's key, beside ranking.RELEVANCE_WEIGHT
VELOCITY_WINDOW = timedelta(hours=72)
NO_TOPIC = -1  # a paper's primary topic when none of its topics is followed (topic ids are positive)
RANKINGS_KEPT = 128  # orderings, pick lists and topic scores a pool keeps (~44 KB each), least recently used out first
SCALE_SAMPLE = 256  # papers whose pairwise similarities give the pool's typical similarity
PAPER_FIELDS = (
    "id", "arxiv_id", "title", "abstract", "authors", "upvotes", "num_comments", "github_repo",
    "project_page", "pinned", "trending_date", "ai_keywords", "organization", "github_stars",
)  # fmt: skip


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
class TopicScores:
    """What one set of topic weights makes of every candidate (by position); keyword followers add to it."""

    topic_weights: tuple[tuple[int, float], ...]
    relevance: np.ndarray  # summed score x weight over the followed topics
    pinned: np.ndarray  # pinned, and of a followed topic: ranked first
    any_pinned: bool
    primary: list[int]  # the strongest followed topic (the first on a tie), or NO_TOPIC
    followed_slots: list[int] | None  # with every weight at 1: which of each paper's topic slots are followed, as bits
    picks: dict[int | tuple, tuple] = field(default_factory=dict)  # the ranking's, by position (and keywords)
    _primary: np.ndarray | None = None  # `primary` as an array, for the readers with a profile

    def primary_array(self) -> np.ndarray:
        if self._primary is None:
            self._primary = np.asarray(self.primary, dtype=np.int64)
        return self._primary


@dataclass
class Pool:
    """The candidate papers of one batch, loaded once, as arrays for scoring, with the rankings made so far.

    Scores are computed with NumPy over arrays indexed by position (candidates in id order): one pass per
    ordering costs tens of microseconds, where a Python loop over every paper cost milliseconds.
    """

    candidates: list[Candidate]
    topic_names: dict[int, str]
    vectors: dict[int, np.ndarray] = field(default_factory=dict)  # text vectors by paper id, loaded with the pool
    _dates: list[date] = field(init=False)  # the candidates' trending days, sorted
    by_popularity: list[Candidate] = field(init=False)
    at: list[Candidate] = field(init=False)  # candidates in id order; "position" indexes this list
    position: dict[int, int] = field(init=False)  # paper id -> position
    ids: list[int] = field(init=False)
    days: list[date] = field(init=False)
    _mentions: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)
    _mention_sets: dict[str, frozenset[int]] = field(default_factory=dict)
    _hits: dict[str, np.ndarray] = field(default_factory=dict)
    _topic_scores: OrderedDict[tuple, TopicScores] = field(default_factory=OrderedDict)
    popularity_keys: np.ndarray = field(init=False)  # POPULARITY_WEIGHT x popularity, by position
    _pinned: np.ndarray = field(init=False)  # by position
    _topic_columns: dict[int, int] = field(init=False)  # topic id -> column of a topic weight vector
    # Each paper's topics as slots (slot k of every paper is row k), by position: the topic's column, its id,
    # its score, and the slot's bit.
    _slot_topic: np.ndarray = field(init=False)
    _slot_tid: np.ndarray = field(init=False)
    _slot_score: np.ndarray = field(init=False)
    _slot_bits: np.ndarray = field(init=False)
    matrix: np.ndarray | None = field(init=False)  # the candidates' vectors, one column per position (zeros without)
    _scale: tuple[float, float] | None = field(init=False, default=None)
    titles: dict[int, str] = field(default_factory=dict)  # of the papers in the batch's profiles, for reasons
    _name_keys: list[tuple[str, dict[str, str]]] | None = field(init=False, default=None)
    _without_code: frozenset[int] | None = field(init=False, default=None)
    # What the ranking (newsletter/ranking.py) keeps here for the readers who share it, bounded by `kept`:
    # rankings by Preferences.ordering, pick lists by preferences and start, and single picks by position,
    # followed topic slots and keywords.
    rankings: OrderedDict[tuple, object] = field(default_factory=OrderedDict)
    picks: OrderedDict[tuple, list[tuple]] = field(default_factory=OrderedDict)
    plain_picks: dict[tuple, tuple] = field(default_factory=dict)

    def __post_init__(self):
        self._dates = sorted(c.trending_date for c in self.candidates)
        self.by_popularity = sorted(self.candidates, key=lambda c: (-c.popularity, c.id))
        self.at = sorted(self.candidates, key=lambda c: c.id)
        self.position = {c.id: n for n, c in enumerate(self.at)}
        self.ids = [c.id for c in self.at]  # by position
        self.days = [c.trending_date for c in self.at]
        self.popularity_keys = np.array([POPULARITY_WEIGHT * c.popularity for c in self.at], dtype=float)
        self._pinned = np.array([c.pinned for c in self.at], dtype=bool)
        self._topic_columns = {tid: n for n, tid in enumerate(sorted({t for c in self.at for t in c.topics}))}
        # Each paper's topics as slots in their dict order (slot k of every paper is row k), so relevance adds
        # up in the same order as before; an empty slot points at a last column whose weight is always 0.
        slots = max((len(c.topics) for c in self.at), default=0)
        self._slot_topic = np.full((slots, len(self.at)), len(self._topic_columns), dtype=np.intp)
        self._slot_tid = np.full((slots, len(self.at)), NO_TOPIC, dtype=np.int64)
        self._slot_score = np.zeros((slots, len(self.at)), dtype=float)
        self._slot_bits = (1 << np.arange(slots, dtype=np.int64))[:, None]
        for n, c in enumerate(self.at):
            for k, (tid, score) in enumerate(c.topics.items()):
                self._slot_topic[k, n] = self._topic_columns[tid]
                self._slot_tid[k, n] = tid
                self._slot_score[k, n] = score
        self.matrix = None
        if self.vectors:
            # Columns, so a profile's similarities come out as one row per liked paper and reduce along rows:
            # numpy reduces a (16, 2000) array over its first axis several times faster than a (2000, 16) one.
            dimensions = len(next(iter(self.vectors.values())))
            self.matrix = np.zeros((dimensions, len(self.at)), dtype=np.float32)
            for n, c in enumerate(self.at):
                if c.id in self.vectors:
                    self.matrix[:, n] = self.vectors[c.id]

    def missing_vectors(self, paper_ids) -> list[int]:
        """Which of these papers (liked or disliked ones, often older than the window) have no vector here yet."""
        return [pid for pid in paper_ids if pid not in self.vectors]

    def know(self, vectors: dict[int, np.ndarray], titles: dict[int, str]) -> None:
        """Keep the vectors and titles of papers in the batch's profiles, for this and later batches."""
        self.vectors.update(vectors)
        self.titles.update(titles)

    def scale(self) -> tuple[float, float]:
        """The mean and spread of the cosine similarity of two of the pool's papers: what "close" is measured in."""
        if self._scale is None:
            self._scale = (0.0, 1.0)
            if self.matrix is not None and self.matrix.shape[1] > 2:
                step = max(1, self.matrix.shape[1] // SCALE_SAMPLE)  # evenly spaced: the same pool, the same scale
                sample = self.matrix[:, ::step][:, :SCALE_SAMPLE].T
                pairs = (sample @ sample.T)[np.triu_indices(len(sample), 1)]
                self._scale = (float(pairs.mean()), max(float(pairs.std()), 0.02))
        return self._scale

    def name_keys(self) -> list[tuple[str, dict[str, str]]]:
        """By position: the organisation's name key, and each author's key with the name as the paper spells it.

        Made on the first reader who follows a name, so a batch without follows never pays for it.
        """
        if self._name_keys is None:
            self._name_keys = [
                (
                    name_key(c.row.get("organization") or ""),
                    {name_key(a): a for a in c.row.get("authors") or () if isinstance(a, str)},
                )
                for c in self.at
            ]
        return self._name_keys

    def without_code(self) -> frozenset[int]:
        """The ids of the candidates that link no code: left out for a reader who wants only papers with code."""
        if self._without_code is None:
            self._without_code = frozenset(c.id for c in self.at if not has_code(c.row))
        return self._without_code

    def new_since(self, since: date, exclude: set[int]) -> int:
        """How many candidates are new to a reader: listed on or after `since` and never sent to them."""
        start = bisect_left(self._dates, since)
        # A reader has had tens of papers, the window holds thousands: count theirs, not the window's.
        had = sum(1 for pid in exclude if (n := self.position.get(pid)) is not None and self.days[n] >= since)
        return len(self._dates) - start - had

    def mentioning(self, words: tuple[str, ...]) -> np.ndarray:
        """Which candidates (by position) contain any of `words`: each text is scanned once per word set."""
        if words not in self._mentions:
            self._mentions[words] = np.array([any(w in c.text for w in words) for c in self.at], dtype=bool)
        return self._mentions[words]

    def keyword_hits(self, word: str) -> np.ndarray:
        """1.0 for the candidates (by position) that contain `word`, else 0.0: summed into keyword counts."""
        if word not in self._hits:
            self._hits[word] = self.mentioning((word,)).astype(float)
        return self._hits[word]

    def mentions(self, word: str) -> frozenset[int]:
        """The positions of the candidates that contain `word`, for a quick test one paper at a time."""
        if word not in self._mention_sets:
            self._mention_sets[word] = frozenset(np.flatnonzero(self.mentioning((word,))).tolist())
        return self._mention_sets[word]

    def topic_scores(self, topic_weights: tuple[tuple[int, float], ...]) -> TopicScores:
        """Relevance from topics alone, computed once per set of weights and shared by their orderings."""
        return kept(self._topic_scores, topic_weights, lambda: self._score_topics(topic_weights))

    def _score_topics(self, topic_weights: tuple[tuple[int, float], ...]) -> TopicScores:
        weights = np.zeros(len(self._topic_columns) + 1)
        for tid, w in topic_weights:
            if tid in self._topic_columns:
                weights[self._topic_columns[tid]] = w
        weight = weights[self._slot_topic]
        counts = (weight != 0) & (self._slot_score > 0)
        values = np.where(counts, self._slot_score * weight, 0.0)
        relevance = np.zeros(len(self.at))
        for row in values:  # slot by slot, so sums add up in the order they always did
            relevance += row
        primary = np.full(len(self.at), NO_TOPIC)
        if len(values):
            strongest = values.argmax(axis=0)  # the first slot on a tie
            primary = np.where(
                values.max(axis=0) > 0, np.take_along_axis(self._slot_tid, strongest[None, :], 0)[0], NO_TOPIC
            )
        pinned = self._pinned & counts.any(axis=0)
        plain = all(w == 1.0 for _, w in topic_weights)
        followed_slots = (counts * self._slot_bits).sum(axis=0).tolist() if plain else None
        return TopicScores(topic_weights, relevance, pinned, bool(pinned.any()), primary.tolist(), followed_slots)


def kept(cache: OrderedDict, key, make):
    """`cache[key]`, made on first use; past RANKINGS_KEPT entries the least recently used goes.

    A worker keeps its pool for a whole run, so its memory stays flat however many readers it serves,
    while the popular preferences (most readers share a few) stay ranked.
    """
    value = cache.get(key)
    if value is None:
        value = cache[key] = make()
        if len(cache) > RANKINGS_KEPT:
            cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    return value


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
    """Every visible paper trending between `since` and `until`, in five queries whatever its size."""
    window = {"paper__hidden": False, "paper__trending_date__gte": since, "paper__trending_date__lte": until}
    rows = list(
        Paper.objects.visible()
        .filter(trending_date__gte=since, trending_date__lte=until)
        .order_by("-upvotes", "id")
        .values(*PAPER_FIELDS)
    )
    topics = PaperTopic.objects.filter(**window, topic__active=True).by_paper()
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
    return Pool(candidates, topic_names, vectors_for([r["id"] for r in rows]))


def candidate_text(row: dict) -> str:
    """What keywords are matched against: title, abstract and the paper's HF keywords, lower-cased."""
    keywords = " · ".join(k for k in row.get("ai_keywords") or () if isinstance(k, str))
    return f"{row['title']}\n{row['abstract']}\n{keywords}".lower()
