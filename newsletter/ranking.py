"""Rank candidate papers for a reader: plain functions over a batch's pool (`newsletter/pool.py`), no ORM in the loop.

Readers with the same preferences share one ranking and one list of picks, kept in the pool; the words of each
pick come from `newsletter/reasons.py`.
"""

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from itertools import chain
from typing import NamedTuple

import numpy as np

from newsletter.pool import NO_TOPIC, Candidate, Pool, TopicScores, kept
from newsletter.reasons import Ranked, followed_reason, reason, trending_reason

RELEVANCE_WEIGHT = 0.65  # how much relevance counts in a paper's key, beside pool.POPULARITY_WEIGHT
KEYWORD_RELEVANCE = 1.0  # a followed keyword counts as much as a full-score topic at weight 1
HEAD = 64  # relevant papers ordered up front: enough for nearly every reader's picks, deferrals and skips
# The learned profile (see affinity): how close a paper's text vector is to the papers a reader liked,
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


def affinity(pool: Pool, profile: Profile) -> Affinity:
    """How close every candidate is to the profile's liked and disliked papers: one product per side."""
    size = len(pool.at)
    like, centroid, dislike = np.zeros(size), np.zeros(size), np.zeros(size)
    nearest = np.full(size, -1, dtype=np.int64)
    if pool.matrix is None:
        return Affinity(like, centroid, dislike, nearest)
    mean, spread = pool.scale()
    liked = [pid for pid in profile.liked if pid in pool.vectors]
    if liked:
        similarity = np.stack([pool.vectors[pid] for pid in liked]) @ pool.matrix  # (liked, candidates)
        deviations = (similarity.max(axis=0) - mean) / spread
        like = np.clip((deviations - LIKE_FLOOR) / (LIKE_FULL - LIKE_FLOOR), 0.0, 1.0)
        if CENTROID_WEIGHT:
            closeness = similarity.mean(axis=0)  # to the mean of the liked vectors, up to its length
            deviations = (closeness - closeness.mean()) / max(float(closeness.std()), 1e-6)
            centroid = np.clip((deviations - CENTROID_FLOOR) / (CENTROID_FULL - CENTROID_FLOOR), 0.0, 1.0)
        nearest = np.array(liked, dtype=np.int64)[similarity.argmax(axis=0)]
    disliked = [pid for pid in profile.disliked if pid in pool.vectors]
    if disliked:
        similarity = np.stack([pool.vectors[pid] for pid in disliked]) @ pool.matrix
        deviations = (similarity.max(axis=0) - mean) / spread
        dislike = np.clip((deviations - DISLIKE_FLOOR) / (DISLIKE_FULL - DISLIKE_FLOOR), 0.0, 1.0)
    return Affinity(like, centroid, dislike, nearest)


def ranking_for(pool: Pool, prefs: Preferences) -> Ranking:
    """The pool's ranking for `prefs`, shared by the readers of the same ordering."""
    if prefs.profile:  # one reader's own: not kept, it would only push shared rankings out of the pool
        return rank(pool, prefs)
    key = prefs.ordering
    return kept(pool.rankings, key, lambda: rank(pool, prefs))


def picks_for(pool: Pool, prefs: Preferences, since: date, exclude: set[int]) -> list[Pick]:
    """A reader's picks from the pool, papers in `exclude` left out."""
    if prefs.with_code:
        exclude = exclude | pool.without_code()
    if exclude:
        return choose(pool, prefs, since, exclude)
    # Readers with the same preferences, the same start and nothing to leave out get the same picks.
    # (A plain tuple: hashed and compared in C, once per reader.)
    if prefs.profile or prefs.follows_names:
        return choose(pool, prefs, since, exclude)
    key = (prefs.topic_weights, prefs.follow, prefs.mute, prefs.count, prefs.daily, since)
    return kept(pool.picks, key, lambda: choose(pool, prefs, since, exclude))


def relevant_pick(pool: Pool, ranking: Ranking, position: int) -> Pick:
    """A relevant paper's pick: readers with the same weights and matched keywords share it, and its words."""
    scores, mentions = ranking.scores, pool.mentions
    keywords = tuple([word for word in ranking.follow if position in mentions(word)]) if ranking.follow else ()
    if ranking.taste is not None and ranking.taste.like[position] > 0:
        return _liked_pick(pool, position, ranking, keywords)  # one reader's own words: not shared
    key = (position, *keywords) if keywords else position  # one flat key, a plain int when it can be
    pick = scores.picks.get(key)
    if pick is None:
        if scores.followed_slots is None:
            pick = _new_pick(pool, position, scores, keywords)
        else:
            # With every weight at 1, the words depend only on which of the paper's topics are followed,
            # so readers of different topic sets share them too.
            shared = (position, scores.followed_slots[position], *keywords)
            pick = pool.plain_picks.get(shared)
            if pick is None:
                pick = pool.plain_picks[shared] = _new_pick(pool, position, scores, keywords)
        scores.picks[key] = pick
    return pick


def _new_pick(pool: Pool, position: int, scores: TopicScores, keywords: tuple[str, ...]) -> Pick:
    c, weights = pool.at[position], dict(scores.topic_weights)
    matched = topic_match(c, weights)
    primary = scores.primary[position]
    pinned = c.pinned and bool(matched)
    entry = Ranked(c, matched, list(keywords), pinned, None if primary == NO_TOPIC else primary)
    return Pick(c.id, reason(entry, pool.topic_names, weights), False)


def _liked_pick(pool: Pool, position: int, ranking: Ranking, keywords: tuple[str, ...]) -> Pick:
    c, weights, taste = pool.at[position], dict(ranking.scores.topic_weights), ranking.taste
    matched = topic_match(c, weights)
    primary = ranking.scores.primary[position]
    entry = Ranked(
        c,
        matched,
        list(keywords),
        c.pinned and bool(matched),
        None if primary == NO_TOPIC else primary,
        liked=pool.titles.get(int(taste.nearest[position]), ""),
        mostly_liked=bool(taste.mostly[position]),
    )
    return Pick(c.id, reason(entry, pool.topic_names, weights), False)


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
    closeness = affinity(pool, prefs.profile)
    allowed = ~pool.mentioning(prefs.mute) if prefs.mute else np.ones(len(pool.at), dtype=bool)
    matched = (relevance > 0) & allowed
    topical = relevance / (float(relevance[matched].max()) if matched.any() else 1.0)
    like = LIKE_WEIGHT * closeness.like + CENTROID_WEIGHT * closeness.centroid
    total = topical + like - DISLIKE_WEIGHT * closeness.dislike
    close = np.maximum(closeness.like, closeness.centroid)
    positions = np.flatnonzero(matched | (allowed & (close >= PROFILE_ENTRY)))
    keys = -(RELEVANCE_WEIGHT * total[positions] + pool.popularity_keys[positions])
    mostly = like > topical
    primary = np.where(mostly, NO_TOPIC, scores.primary_array()).tolist()
    taste = Taste(like, closeness.nearest, mostly)
    return Ranking(scores, prefs.follow, positions, keys, taste, primary)


def fair_share(prefs: Preferences) -> int:
    """The most picks one topic may take when a reader follows several."""
    followed = len(prefs.topic_weights)
    if followed < 2:
        return prefs.count
    return max(2, math.ceil(prefs.count / followed))


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
        why = followed_reason(pool, position, prefs.authors, prefs.organizations)
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
    ranking = ranking_for(pool, prefs)
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
    chosen = [relevant_pick(pool, ranking, p) for p in picks]
    if len(chosen) < prefs.count:
        fill = trending_reason(prefs.daily)
        left_out = ranking.relevant(len(pool.at)) | pool.mentioning(prefs.mute)
        for c in pool.by_popularity:
            if c.trending_date < since or c.id in exclude or left_out[pool.position[c.id]]:
                continue
            chosen.append(Pick(c.id, fill, True))
            if len(chosen) == prefs.count:
                break
    return chosen
