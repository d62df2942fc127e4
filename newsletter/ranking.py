"""Rank candidate papers for a reader: plain functions over rows loaded once per batch, no ORM in the loop."""

import math
from bisect import bisect_left
from collections import OrderedDict, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from itertools import chain
from typing import NamedTuple

import numpy as np

from papers.models import Paper, PaperTopic, Topic, UpvoteSnapshot, has_code
from papers.names import name_key
from papers.representation import vectors_for
from subscribers.models import weight_level

RELEVANCE_WEIGHT = 0.65
POPULARITY_WEIGHT = 0.35
KEYWORD_RELEVANCE = 1.0  # a followed keyword counts as much as a full-score topic at weight 1
VELOCITY_WINDOW = timedelta(hours=72)
NO_TOPIC = -1  # a paper's primary topic when none of its topics is followed (topic ids are positive)
RANKINGS_KEPT = 2_000  # orderings, pick lists and topic scores a pool keeps, the least recently used going first
HEAD = 64  # relevant papers ordered up front: enough for nearly every reader's picks, deferrals and skips
# The learned profile (see Pool.affinity): how close a paper's text vector is to the papers a reader liked,
# in standard deviations of the pool's own paper-to-paper similarity, so any representation reads the same.
# The values were chosen on the tune block of bench/personalisation.py (docs/personalisation.md).
LIKE_FLOOR = 1.0  # closer than this many deviations above the typical pair starts to count
LIKE_FULL = 3.0  # this close counts fully
LIKE_WEIGHT = 3.0  # a fully close paper gains three times the reader's best topic and keyword match
CENTROID_FLOOR = 1.0  # the same for the liked papers as a whole, in deviations of the pool's spread of it
CENTROID_FULL = 3.0
CENTROID_WEIGHT = 2.0
PROFILE_ENTRY = 0.5  # this close, a paper outside the reader's topics and keywords is a candidate too
DISLIKE_FLOOR = 3.0  # "less like this" lowers near-duplicates only, not the paper's whole topic
DISLIKE_FULL = 6.0
DISLIKE_WEIGHT = 1.0
SCALE_SAMPLE = 256  # papers whose pairwise similarities give the pool's typical similarity
TITLE_CHARS = 60  # a liked paper's title in a reason is cut at a word before this
PAPER_FIELDS = (
    "id", "arxiv_id", "title", "abstract", "authors", "upvotes", "num_comments", "github_repo",
    "project_page", "pinned", "trending_date", "ai_keywords", "organization", "github_stars",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Profile:
    """The papers a reader said "more" (liked) and "less" (disliked) to, as sorted paper ids."""

    liked: tuple[int, ...] = ()
    disliked: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.liked or self.disliked)


NO_PROFILE = Profile()


@dataclass(frozen=True, slots=True)
class Preferences:
    """Everything ranking depends on; readers with the same `ordering` share one ranking."""

    topic_weights: tuple[tuple[int, float], ...]
    follow: tuple[str, ...] = ()
    mute: tuple[str, ...] = ()
    count: int = 10
    daily: bool = False
    profile: Profile = NO_PROFILE
    authors: tuple[str, ...] = ()  # followed authors' name keys (papers.names.name_key)
    organizations: tuple[str, ...] = ()  # followed organisations' name keys
    with_code: bool = False  # only papers that link a code repository

    @classmethod
    def build(
        cls,
        topic_weights: dict[int, float],
        follow,
        mute,
        count: int,
        daily: bool,
        profile: Profile | None = None,
        authors: tuple[str, ...] = (),
        organizations: tuple[str, ...] = (),
        with_code: bool = False,
    ) -> "Preferences":
        def clean(words) -> tuple[str, ...]:
            return tuple(sorted({w.strip().lower() for w in words or () if isinstance(w, str) and w.strip()}))

        weights = tuple(sorted((tid, w) for tid, w in topic_weights.items() if w > 0))
        return cls(
            weights,
            clean(follow),
            clean(mute),
            count,
            daily,
            profile or NO_PROFILE,
            tuple(authors),
            tuple(organizations),
            with_code,
        )

    @property
    def follows_names(self) -> bool:
        return bool(self.authors or self.organizations)

    @property
    def ordering(self) -> tuple:
        """What the order of relevant papers depends on: not count or daily, so more readers share one.

        Readers without a profile keep the same three-part key, so they share rankings exactly as before.
        """
        if self.profile:
            return (self.topic_weights, self.follow, self.mute, self.profile)
        return (self.topic_weights, self.follow, self.mute)


@dataclass(slots=True)
class Affinity:
    """What one profile makes of every candidate (by position)."""

    like: np.ndarray  # 0..1: closeness to the nearest liked paper
    centroid: np.ndarray  # 0..1: closeness to the liked papers as a whole
    dislike: np.ndarray  # 0..1: closeness to the nearest disliked paper (near-duplicates only)
    nearest: np.ndarray  # the liked paper it is closest to, or -1


@dataclass(slots=True)
class Taste:
    """A profile's part in one ranking: for each candidate (by position) what it added, and whether it led."""

    like: np.ndarray  # added to the paper's relevance, 0..LIKE_WEIGHT
    nearest: np.ndarray  # the liked paper it is closest to
    mostly: np.ndarray  # the profile added more than topics and keywords: the reason leads with it


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
    liked: str = ""  # the title of the liked paper it is close to, when that moved it up
    mostly_liked: bool = False  # that closeness moved it up more than its topics and keywords


@dataclass(slots=True)
class TopicScores:
    """What one set of topic weights makes of every candidate (by position); keyword followers add to it."""

    topic_weights: tuple[tuple[int, float], ...]
    relevance: np.ndarray  # summed score x weight over the followed topics
    pinned: np.ndarray  # pinned, and of a followed topic: ranked first
    any_pinned: bool
    primary: list[int]  # the strongest followed topic (the first on a tie), or NO_TOPIC
    followed_slots: list[int] | None  # with every weight at 1: which of each paper's topic slots are followed, as bits
    picks: dict[int | tuple, "Pick"] = field(default_factory=dict)  # by position (and matched keywords)
    _primary: np.ndarray | None = None  # `primary` as an array, for the readers with a profile

    def primary_array(self) -> np.ndarray:
        if self._primary is None:
            self._primary = np.asarray(self.primary, dtype=np.int64)
        return self._primary


class Ranking:
    """One ordering's relevant papers, best first, as pool positions.

    Readers sharing an ordering read the same first few dozen papers, so only those are ordered up front;
    the rest is sorted only for a reader who gets that far. Thousands are kept per batch, hence slots,
    tuples and no reference back to the pool: fewer objects for the garbage collector to scan, and none
    left for it to find when a batch's pool is dropped.
    """

    __slots__ = ("scores", "follow", "primary", "taste", "positions", "keys", "_pinned", "_head", "_order")

    def __init__(
        self,
        scores: TopicScores,
        follow: tuple[str, ...],
        positions: np.ndarray,
        keys: np.ndarray,
        taste: Taste | None = None,
        primary: list[int] | None = None,
    ):
        self.scores = scores
        self.follow = follow
        self.primary = self.scores.primary if primary is None else primary
        self.taste = taste
        self.positions = positions
        self.keys = keys
        self._pinned: tuple[int, ...] = ()
        if self.scores.any_pinned:  # a few papers are pinned: most sets of weights match none
            pinned = self.scores.pinned[positions]
            if pinned.any():
                self._pinned = tuple(best_first(positions[pinned], keys[pinned]))
                self.positions, self.keys = positions[~pinned], keys[~pinned]
        self._head: tuple[int, ...] | None = None
        self._order: tuple[int, ...] | None = None

    def best(self) -> Iterator[int]:
        """Pool positions of the relevant papers, best first: pinned ones, then by score."""
        return chain(self.head(), self._rest())

    def head(self) -> tuple[int, ...]:
        if self._head is None:
            self._head = self._pinned + tuple(best_first(self.positions, self.keys, HEAD))
        return self._head

    def _rest(self) -> Iterator[int]:
        """The order past the head, sorted only for the reader who reads that far."""
        seen = len(self.head())
        if seen < len(self._pinned) + len(self.positions):
            if self._order is None:
                self._order = self._pinned + tuple(best_first(self.positions, self.keys))
            yield from self._order[seen:]

    def relevant(self, size: int) -> np.ndarray:
        """Which of the pool's `size` candidates (by position) are relevant: the trending fill leaves them out."""
        mask = np.zeros(size, dtype=bool)
        mask[self.positions] = True
        mask[list(self._pinned)] = True
        return mask


def best_first(positions: np.ndarray, keys: np.ndarray, n: int | None = None) -> list[int]:
    """`positions` ordered by key, ties in their given order; with `n`, only the first n (and any tied)."""
    if n is not None and len(keys) > n:
        # Everything tied with the n-th key is kept, so this is a prefix of the full order.
        near = np.flatnonzero(keys <= np.partition(keys, n - 1)[n - 1])
        positions, keys = positions[near], keys[near]
    return positions[np.argsort(keys, kind="stable")].tolist()


class Pick(NamedTuple):
    """One paper of a digest. Readers who get the same paper for the same reason share one; a tuple of plain
    values, so the garbage collector stops scanning it (tens of thousands are kept per batch)."""

    paper_id: int
    reason: str
    fill: bool


@dataclass
class Pool:
    """The candidate papers of one batch, loaded once, as arrays for scoring, with the rankings made so far.

    Scores are computed with NumPy over arrays indexed by position (candidates in id order): one pass per
    ordering costs tens of microseconds, where a Python loop over every paper cost milliseconds.
    """

    candidates: list[Candidate]
    topic_names: dict[int, str]
    vectors: dict[int, np.ndarray] = field(default_factory=dict)  # text vectors by paper id, loaded with the pool
    _dates: list[date] = field(init=False)
    _by_date: list[Candidate] = field(init=False)
    by_popularity: list[Candidate] = field(init=False)
    at: list[Candidate] = field(init=False)  # candidates in id order; "position" indexes this list
    position: dict[int, int] = field(init=False)  # paper id -> position
    ids: list[int] = field(init=False)
    days: list[date] = field(init=False)
    _rankings: OrderedDict[tuple, Ranking] = field(default_factory=OrderedDict)  # by Preferences.ordering
    _picks: OrderedDict[tuple, list[Pick]] = field(default_factory=OrderedDict)
    _mentions: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)
    _mention_sets: dict[str, frozenset[int]] = field(default_factory=dict)
    _hits: dict[str, np.ndarray] = field(default_factory=dict)
    _topic_scores: OrderedDict[tuple, TopicScores] = field(default_factory=OrderedDict)
    _plain_picks: dict[tuple, Pick] = field(default_factory=dict)  # by position, followed slots, keywords
    popularity_keys: np.ndarray = field(init=False)  # POPULARITY_WEIGHT x popularity, by position
    _pinned: np.ndarray = field(init=False)  # by position
    _topic_columns: dict[int, int] = field(init=False)  # topic id -> column of a topic weight vector
    # Each paper's topics as slots (slot k of every paper is row k), by position: the topic's column, its id,
    # its score, and the slot's bit.
    _slot_topic: np.ndarray = field(init=False)
    _slot_tid: np.ndarray = field(init=False)
    _slot_score: np.ndarray = field(init=False)
    _slot_bits: np.ndarray = field(init=False)
    _matrix: np.ndarray | None = field(init=False)  # the candidates' vectors, one column per position (zeros without)
    _scale: tuple[float, float] | None = field(init=False, default=None)
    titles: dict[int, str] = field(default_factory=dict)  # of the papers in the batch's profiles, for reasons
    _name_keys: list[tuple[str, dict[str, str]]] | None = field(init=False, default=None)
    _without_code: frozenset[int] | None = field(init=False, default=None)

    def __post_init__(self):
        self._by_date = sorted(self.candidates, key=lambda c: c.trending_date)
        self._dates = [c.trending_date for c in self._by_date]
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
        self._matrix = None
        if self.vectors:
            # Columns, so a profile's similarities come out as one row per liked paper and reduce along rows:
            # numpy reduces a (16, 2000) array over its first axis several times faster than a (2000, 16) one.
            dimensions = len(next(iter(self.vectors.values())))
            self._matrix = np.zeros((dimensions, len(self.at)), dtype=np.float32)
            for n, c in enumerate(self.at):
                if c.id in self.vectors:
                    self._matrix[:, n] = self.vectors[c.id]

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
            if self._matrix is not None and self._matrix.shape[1] > 2:
                step = max(1, self._matrix.shape[1] // SCALE_SAMPLE)  # evenly spaced: the same pool, the same scale
                sample = self._matrix[:, ::step][:, :SCALE_SAMPLE].T
                pairs = (sample @ sample.T)[np.triu_indices(len(sample), 1)]
                self._scale = (float(pairs.mean()), max(float(pairs.std()), 0.02))
        return self._scale

    def affinity(self, profile: Profile) -> Affinity:
        """How close every candidate is to the profile's liked and disliked papers: one product per side."""
        size = len(self.at)
        like, centroid, dislike = np.zeros(size), np.zeros(size), np.zeros(size)
        nearest = np.full(size, -1, dtype=np.int64)
        if self._matrix is None:
            return Affinity(like, centroid, dislike, nearest)
        mean, spread = self.scale()
        liked = [pid for pid in profile.liked if pid in self.vectors]
        if liked:
            similarity = np.stack([self.vectors[pid] for pid in liked]) @ self._matrix  # (liked, candidates)
            deviations = (similarity.max(axis=0) - mean) / spread
            like = np.clip((deviations - LIKE_FLOOR) / (LIKE_FULL - LIKE_FLOOR), 0.0, 1.0)
            if CENTROID_WEIGHT:
                closeness = similarity.mean(axis=0)  # to the mean of the liked vectors, up to its length
                deviations = (closeness - closeness.mean()) / max(float(closeness.std()), 1e-6)
                centroid = np.clip((deviations - CENTROID_FLOOR) / (CENTROID_FULL - CENTROID_FLOOR), 0.0, 1.0)
            nearest = np.array(liked, dtype=np.int64)[similarity.argmax(axis=0)]
        disliked = [pid for pid in profile.disliked if pid in self.vectors]
        if disliked:
            similarity = np.stack([self.vectors[pid] for pid in disliked]) @ self._matrix
            deviations = (similarity.max(axis=0) - mean) / spread
            dislike = np.clip((deviations - DISLIKE_FLOOR) / (DISLIKE_FULL - DISLIKE_FLOOR), 0.0, 1.0)
        return Affinity(like, centroid, dislike, nearest)

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
        return len(self._dates) - start - sum(1 for c in self._by_date[start:] if c.id in exclude)

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

    def pick(self, ranking: Ranking, position: int) -> Pick:
        """A relevant paper's pick: readers with the same weights and matched keywords share it, and its words."""
        scores, mentions = ranking.scores, self.mentions
        keywords = tuple([word for word in ranking.follow if position in mentions(word)]) if ranking.follow else ()
        if ranking.taste is not None and ranking.taste.like[position] > 0:
            return self._liked_pick(position, ranking, keywords)  # one reader's own words: not shared
        key = (position, *keywords) if keywords else position  # one flat key, a plain int when it can be
        pick = scores.picks.get(key)
        if pick is None:
            if scores.followed_slots is None:
                pick = self._new_pick(position, scores, keywords)
            else:
                # With every weight at 1, the words depend only on which of the paper's topics are followed,
                # so readers of different topic sets share them too.
                shared = (position, scores.followed_slots[position], *keywords)
                pick = self._plain_picks.get(shared)
                if pick is None:
                    pick = self._plain_picks[shared] = self._new_pick(position, scores, keywords)
            scores.picks[key] = pick
        return pick

    def _new_pick(self, position: int, scores: TopicScores, keywords: tuple[str, ...]) -> Pick:
        c, weights = self.at[position], dict(scores.topic_weights)
        matched = topic_match(c, weights)
        primary = scores.primary[position]
        pinned = c.pinned and bool(matched)
        entry = Ranked(c, matched, list(keywords), pinned, None if primary == NO_TOPIC else primary)
        return Pick(c.id, reason(entry, self.topic_names, weights), False)

    def _liked_pick(self, position: int, ranking: Ranking, keywords: tuple[str, ...]) -> Pick:
        c, weights, taste = self.at[position], dict(ranking.scores.topic_weights), ranking.taste
        matched = topic_match(c, weights)
        primary = ranking.scores.primary[position]
        entry = Ranked(
            c,
            matched,
            list(keywords),
            c.pinned and bool(matched),
            None if primary == NO_TOPIC else primary,
            liked=self.titles.get(int(taste.nearest[position]), ""),
            mostly_liked=bool(taste.mostly[position]),
        )
        return Pick(c.id, reason(entry, self.topic_names, weights), False)

    def ranking(self, prefs: Preferences) -> Ranking:
        if prefs.profile:  # one reader's own: kept, it would only push shared rankings out of the pool
            return rank(self, prefs)
        key = prefs.ordering
        return kept(self._rankings, key, lambda: rank(self, prefs))

    def picks_for(self, prefs: Preferences, since: date, exclude: set[int]) -> list[Pick]:
        if prefs.with_code:
            exclude = exclude | self.without_code()
        if exclude:
            return choose(self, prefs, since, exclude)
        # Readers with the same preferences, the same start and nothing to leave out get the same picks.
        # (A plain tuple: hashed and compared in C, once per reader.)
        if prefs.profile or prefs.follows_names:
            return choose(self, prefs, since, exclude)
        key = (prefs.topic_weights, prefs.follow, prefs.mute, prefs.count, prefs.daily, since)
        return kept(self._picks, key, lambda: choose(self, prefs, since, exclude))


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


def tuned(entry: Ranked, topic_names: dict[int, str], weights: dict[int, float]) -> str:
    """Say so when the reader's feedback moved the weight of this paper's main topic."""
    name = topic_names.get(entry.primary_topic, "?")
    said = weight_level(weights.get(entry.primary_topic, 1.0))
    if said == "less":
        return f"Shown less: you asked for fewer {name} papers"
    if said == "more":
        return f"Shown more: you asked for more {name} papers"
    return ""


def close_to(title: str) -> str:
    """The reason part "Close to 'Medusa: simple LLM inference…', which you liked"."""
    title = " ".join(title.split())
    if len(title) > TITLE_CHARS:
        title = title[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",.:;") + "…"
    return f"Close to '{title}', which you liked"


def reason(entry: Ranked, topic_names: dict[int, str], weights: dict[int, float] | None = None) -> str:
    names = [topic_names.get(tid, "?") for tid, _ in sorted(entry.matched, key=lambda m: -m[1])]
    parts = []
    if entry.pinned:
        parts.append(f"Editor's pick for {names[0]}")
    if entry.liked and entry.mostly_liked:
        parts.append(close_to(entry.liked))
    if entry.keywords:
        parts.append("Mentions " + ", ".join(f"'{k}'" for k in entry.keywords))
    if names:
        parts.append(("Matches your topic: " if len(names) == 1 else "Matches your topics: ") + ", ".join(names))
    if entry.liked and not entry.mostly_liked:
        parts.append(close_to(entry.liked))
    if weights and entry.primary_topic is not None:
        parts.append(tuned(entry, topic_names, weights))
    return " · ".join(p for p in parts if p)


def trending_reason(prefs: Preferences) -> str:
    return f"Top trending {'today' if prefs.daily else 'this week'}, outside your topics"


def topic_match(c: Candidate, weights: dict[int, float]) -> list[tuple[int, float]]:
    """A paper's followed topics, with score x weight."""
    return [(tid, score * weights[tid]) for tid, score in c.topics.items() if weights.get(tid) and score > 0]


def rank(pool: Pool, prefs: Preferences) -> Ranking:
    """Score the pool's papers for one ordering: topic relevance plus followed keywords, mixed with popularity.

    Pinned papers of a followed topic come first; ties go to the lower paper id.
    """
    relevance = pool.topic_scores(prefs.topic_weights).relevance
    if prefs.follow:
        hits = [pool.keyword_hits(word) for word in prefs.follow]
        relevance = relevance + KEYWORD_RELEVANCE * sum(hits[1:], hits[0])
    if prefs.profile:
        return rank_with_profile(pool, prefs, relevance)
    relevant = relevance > 0
    if prefs.mute:
        relevant &= ~pool.mentioning(prefs.mute)
    positions = np.flatnonzero(relevant)
    relevance = relevance[positions]
    top_relevance = float(relevance.max()) if len(positions) else 0.0
    keys = -(RELEVANCE_WEIGHT * relevance / (top_relevance or 1.0) + pool.popularity_keys[positions])
    return Ranking(pool.topic_scores(prefs.topic_weights), prefs.follow, positions, keys)


def rank_with_profile(pool: Pool, prefs: Preferences, relevance: np.ndarray) -> Ranking:
    """`rank` for a reader with a profile: closeness to liked papers adds to relevance, to disliked ones takes away.

    A paper close enough to a liked one is a candidate even outside the reader's topics and keywords (topics
    are tagged by a model and miss some papers); one picked mostly for that counts against no topic's share.
    """
    scores = pool.topic_scores(prefs.topic_weights)
    affinity = pool.affinity(prefs.profile)
    allowed = ~pool.mentioning(prefs.mute) if prefs.mute else np.ones(len(pool.at), dtype=bool)
    matched = (relevance > 0) & allowed
    topical = relevance / (float(relevance[matched].max()) if matched.any() else 1.0)
    like = LIKE_WEIGHT * affinity.like + CENTROID_WEIGHT * affinity.centroid
    total = topical + like - DISLIKE_WEIGHT * affinity.dislike
    close = np.maximum(affinity.like, affinity.centroid)
    positions = np.flatnonzero(matched | (allowed & (close >= PROFILE_ENTRY)))
    keys = -(RELEVANCE_WEIGHT * total[positions] + pool.popularity_keys[positions])
    mostly = like > topical
    primary = np.where(mostly, NO_TOPIC, scores.primary_array()).tolist()
    taste = Taste(like, affinity.nearest, mostly)
    return Ranking(scores, prefs.follow, positions, keys, taste, primary)


def fair_share(prefs: Preferences) -> int:
    """The most picks one topic may take when a reader follows several."""
    followed = len(prefs.topic_weights)
    if followed < 2:
        return prefs.count
    return max(2, math.ceil(prefs.count / followed))


def followed_reason(pool: Pool, position: int, prefs: Preferences) -> str:
    """Why a followed paper is picked, or "" when it is by no one the reader follows."""
    organization, authors = pool.name_keys()[position]
    parts = []
    if organization and organization in prefs.organizations:
        parts.append(f"From {pool.at[position].row['organization'].strip()}, which you follow")
    names = [authors[key] for key in prefs.authors if key in authors]
    if names:
        parts.append(f"New paper by {' and '.join(names)}, whom you follow")
    return " · ".join(parts)


def choose_followed(pool: Pool, prefs: Preferences, since: date, exclude: set[int]) -> list[Pick]:
    """Papers by the authors and organisations a reader follows first (most popular first, within their count,
    whatever their topics; muted keywords still keep a paper out), then the usual picks for the rest."""
    muted = pool.mentioning(prefs.mute) if prefs.mute else None
    weights = dict(prefs.topic_weights)
    chosen: list[Pick] = []
    for c in pool.by_popularity:
        position = pool.position[c.id]
        if c.trending_date < since or c.id in exclude or (muted is not None and muted[position]):
            continue
        why = followed_reason(pool, position, prefs)
        if why:
            matched = reason(Ranked(c, topic_match(c, weights), [], False, None), pool.topic_names)
            chosen.append(Pick(c.id, " · ".join(p for p in (why, matched) if p), False))
            if len(chosen) == prefs.count:
                return chosen
    rest = replace(prefs, authors=(), organizations=(), count=prefs.count - len(chosen))
    return chosen + choose(pool, rest, since, exclude | {p.paper_id for p in chosen})


def choose(pool: Pool, prefs: Preferences, since: date, exclude: set[int]) -> list[Pick]:
    """A reader's picks: the best relevant papers with a fair share per topic, then trending fill if short."""
    if prefs.follows_names:
        return choose_followed(pool, prefs, since, exclude)
    ranking = pool.ranking(prefs)
    cap = fair_share(prefs)
    per_topic: dict[int, int] = defaultdict(int)
    picks: list[int] = []  # pool positions
    deferred: list[int] = []
    days, ids, primaries = pool.days, pool.ids, ranking.primary  # looked up once: this runs per distinct reader
    for position in ranking.best():
        if days[position] < since or ids[position] in exclude:
            continue
        primary = primaries[position]
        if primary != NO_TOPIC and per_topic[primary] >= cap:
            deferred.append(position)
            continue
        per_topic[primary] += 1
        picks.append(position)
        if len(picks) == prefs.count:
            break
    picks.extend(deferred[: prefs.count - len(picks)])
    chosen = [pool.pick(ranking, p) for p in picks]
    if len(chosen) < prefs.count:
        fill = trending_reason(prefs)
        left_out = ranking.relevant(len(pool.at)) | pool.mentioning(prefs.mute)
        for c in pool.by_popularity:
            if c.trending_date < since or c.id in exclude or left_out[pool.position[c.id]]:
                continue
            chosen.append(Pick(c.id, fill, True))
            if len(chosen) == prefs.count:
                break
    return chosen
