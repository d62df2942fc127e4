"""Topic tagging: a one-vs-rest logistic regression per topic over the paper's text vector and its keyword score.

The keyword score is the plain, editable signal of the admin: a keyword in the title counts more than one in the
abstract ("title: word" counts only in titles, for words too common in abstracts); a few matching HF
ai_keywords add a little; the paper's primary arXiv category counts more than a cross-list. The learned model
(papers/textmodel/tagger-<text model>.npz, fitted by `python -m bench.tagging --train` on hand-labelled papers)
weighs that score beside the vector, with a weight that is never negative, so an operator who adds a keyword
to a topic only ever adds papers to it. A topic the model has never seen (made in the admin after training) is
tagged by its keyword score alone: kept at THRESHOLD or more, as before the model existed.

A paper keeps every topic whose probability reaches the model's threshold, else its best topic when that
reaches the model's floor, MAX_TOPICS at most. `python -m bench.tagging` measures it on papers never used for
training or tuning.
"""

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from papers import representation
from papers.models import Paper, PaperTopic, Topic

TITLE_WEIGHT = 3.0
AI_KEYWORD_WEIGHT = 0.5
AI_KEYWORD_CAP = 3.0
ABSTRACT_WEIGHT = 1.0
ABSTRACT_CAP = 3.0
PRIMARY_CATEGORY_WEIGHT = 2.0
CATEGORY_WEIGHT = 1.0
THRESHOLD = 4.0  # the keyword score that alone gives a topic the model has never seen
RELATIVE_FLOOR = 0.3
MAX_TOPICS = 3
FULL_SCORE = 10.0  # a raw score this high is stored as 1.0


TITLE_ONLY = "title:"


def keyword_pattern(keyword: str) -> str:
    """`agent*` matches any word starting with "agent"; other keywords match whole words, plural or not."""
    keyword = keyword.strip().lower().removeprefix(TITLE_ONLY).strip()
    if keyword.endswith("*"):
        return r"\b" + re.escape(keyword[:-1])
    return r"\b" + re.escape(keyword) + r"(?:s|es)?\b"


@dataclass(frozen=True)
class Keyword:
    text: str
    needle: str  # a plain substring every match contains: a cheap test before the regex
    pattern: re.Pattern

    @classmethod
    def parse(cls, line: str) -> "Keyword":
        text = line.strip().lower().removeprefix(TITLE_ONLY).strip()
        return cls(text, text.rstrip("*"), re.compile(keyword_pattern(text)))

    def found(self, text: str) -> bool:
        return self.needle in text and self.pattern.search(text) is not None


@dataclass
class TopicMatcher:
    topic_id: int
    slug: str
    keywords: list[Keyword]
    categories: set[str]
    title_keywords: list[Keyword] = field(default_factory=list)
    category_prefixes: tuple[str, ...] = ()

    @classmethod
    def from_topic(cls, topic: Topic) -> "TopicMatcher":
        # "title: vision" counts only in titles: a word too common in abstracts to mean much there.
        everywhere = [k for k in topic.keyword_list if not k.startswith(TITLE_ONLY)]
        title_only = [k for k in topic.keyword_list if k.startswith(TITLE_ONLY)]
        exact = {c for c in topic.category_list if not c.endswith("*")}
        prefixes = tuple(c[:-1] for c in topic.category_list if c.endswith("*"))
        return cls(
            topic_id=topic.pk,
            slug=topic.slug,
            keywords=[Keyword.parse(k) for k in everywhere],
            categories=exact,
            category_prefixes=prefixes,
            title_keywords=[Keyword.parse(k) for k in title_only],
        )

    def covers(self, category: str) -> bool:
        return category in self.categories or category.startswith(self.category_prefixes or ("\0",))

    def score(self, title: str, abstract: str, ai_keywords: str, categories: list[str], primary: str) -> float:
        # Inlined Keyword.found: this loop runs for every keyword of every topic of every paper.
        every = self.keywords + self.title_keywords
        title_hits = sum(1 for k in every if k.needle in title and k.pattern.search(title))
        abstract_hits = sum(1 for k in self.keywords if k.needle in abstract and k.pattern.search(abstract))
        ai_hits = sum(1 for k in every if k.needle in ai_keywords and k.pattern.search(ai_keywords))
        score = TITLE_WEIGHT * title_hits + min(AI_KEYWORD_CAP, AI_KEYWORD_WEIGHT * ai_hits)
        score += min(ABSTRACT_CAP, ABSTRACT_WEIGHT * abstract_hits)
        if primary and self.covers(primary):
            score += PRIMARY_CATEGORY_WEIGHT
        score += CATEGORY_WEIGHT * sum(1 for c in categories if c != primary and self.covers(c))
        return score

    def matched(self, text: str) -> list[str]:
        """The keywords found in `text`: the reason a topic was given."""
        return [k.text for k in self.keywords + self.title_keywords if k.found(text.lower())]


def matchers(topics: Iterable[Topic] | None = None) -> list[TopicMatcher]:
    topics = Topic.objects.filter(active=True) if topics is None else topics
    return [TopicMatcher.from_topic(t) for t in topics]


def score_topics(
    matchers: list[TopicMatcher],
    title: str,
    abstract: str = "",
    ai_keywords: list[str] | None = None,
    categories: list[str] | None = None,
    primary_category: str = "",
) -> dict[int, float]:
    """The keyword rule alone, as it tagged papers before the learned tagger (kept as its baseline in
    bench.tagging): topic id -> score in (0, 1] for the topics scoring THRESHOLD or more."""
    title, abstract = title.lower(), abstract.lower()
    ai_text = " | ".join(ai_keywords or []).lower()
    categories = categories or []
    raw = {m.topic_id: m.score(title, abstract, ai_text, categories, primary_category) for m in matchers}
    best = max(raw.values(), default=0.0)
    kept = sorted(((s, tid) for tid, s in raw.items() if s >= THRESHOLD and s >= RELATIVE_FLOOR * best), reverse=True)[
        :MAX_TOPICS
    ]
    return {tid: round(min(s / FULL_SCORE, 1.0), 3) for s, tid in kept}


def rule_scores(paper, topic_matchers: list[TopicMatcher]) -> np.ndarray:
    """The raw keyword score of `paper` for each matcher, in order."""
    title, abstract = (paper.title or "").lower(), (paper.abstract or "").lower()
    ai_text = " | ".join(paper.ai_keywords or []).lower()
    categories, primary = paper.arxiv_categories or [], paper.primary_category or ""
    return np.array([m.score(title, abstract, ai_text, categories, primary) for m in topic_matchers], dtype=np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class Tagger:
    """The learned weights: per topic slug, a vector of weights over the text vector, one over the keyword score
    (divided by FULL_SCORE) and an intercept; and the rule that turns probabilities into topics."""

    slugs: tuple[str, ...]
    vector_weights: np.ndarray  # (topics, DIMENSIONS)
    keyword_weights: np.ndarray  # (topics,), never negative
    intercepts: np.ndarray  # (topics,)
    threshold: float
    floor: float
    text_model: str  # the representation the vector weights were fitted on

    @classmethod
    def load(cls, path: Path) -> "Tagger":
        with np.load(path, allow_pickle=False) as data:  # plain arrays only, never pickles
            return cls(
                slugs=tuple(str(s) for s in data["slugs"]),
                vector_weights=data["vector_weights"].astype(np.float32),
                keyword_weights=data["keyword_weights"].astype(np.float32),
                intercepts=data["intercepts"].astype(np.float32),
                threshold=float(data["threshold"]),
                floor=float(data["floor"]),
                text_model=str(data["text_model"]),
            )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as file:
            np.savez_compressed(
                file, slugs=np.array(self.slugs), vector_weights=self.vector_weights,
                keyword_weights=self.keyword_weights, intercepts=self.intercepts, threshold=self.threshold,
                floor=self.floor, text_model=np.array(self.text_model),
            )  # fmt: skip

    def probabilities(self, vectors: np.ndarray, keyword_scores: np.ndarray, columns: list[int]) -> np.ndarray:
        """(papers, len(columns)) probabilities of the topics at `columns` of this tagger; keyword_scores are raw
        keyword scores of those topics, in the same order."""
        logits = vectors @ self.vector_weights[columns].T
        logits += keyword_scores / FULL_SCORE * self.keyword_weights[columns] + self.intercepts[columns]
        return _sigmoid(logits)


def tagger_path() -> Path:
    return Path(settings.PAPERS_TAGGER_DIR) / f"tagger-{representation.configured()}.npz"


@functools.lru_cache(maxsize=4)
def _load_tagger(path: str, text_model: str) -> Tagger:
    try:
        tagger = Tagger.load(Path(path))
    except Exception as exc:
        raise ImproperlyConfigured(f"the tagger {path} cannot be loaded: {type(exc).__name__}: {exc}") from exc
    if tagger.text_model != text_model:
        raise ImproperlyConfigured(
            f"the tagger {path} was fitted on {tagger.text_model} vectors but the text model is {text_model}: "
            "fit it again with `python -m bench.tagging --train`"
        )
    return tagger


def check_tagger_installed() -> None:
    path = tagger_path()
    if not path.is_file():
        raise ImproperlyConfigured(
            f"the tagger is missing: {path} does not exist (fit it with `python -m bench.tagging --train`, "
            "or fix PAPERS_TAGGER_DIR)"
        )


def tagger() -> Tagger:
    """The learned tagger of the configured text model, loaded once per process."""
    check_tagger_installed()
    return _load_tagger(str(tagger_path()), representation.model_name())


def decide(scores: dict[int, float], learned: set[int], threshold: float, floor: float) -> dict[int, float]:
    """The topics a paper keeps from its scores: learned ones at `threshold` (the best one at `floor`), unlearned
    ones by the keyword rule; MAX_TOPICS at most, best first, scores rounded for storage."""
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    kept = {}
    for rank, (topic_id, score) in enumerate(ranked):
        learned_keeps = score >= threshold or (rank == 0 and score >= floor)
        if learned_keeps if topic_id in learned else score > 0:
            kept[topic_id] = round(score, 3)
        if len(kept) == MAX_TOPICS:
            break
    return kept


def current_vectors(papers: Sequence[Paper]) -> np.ndarray:
    """The stored vector of each paper when the current model made it, else one computed now (not saved)."""
    name = representation.model_name()
    vectors = np.zeros((len(papers), representation.DIMENSIONS), dtype=np.float32)
    missing = []
    for i, paper in enumerate(papers):
        if paper.vector is not None and paper.vector_model == name:
            vectors[i] = representation.from_bytes(paper.vector)
        else:
            missing.append(i)
    if missing:
        vectors[missing] = representation.represent([representation.paper_text(papers[i]) for i in missing])
    return vectors


def predict_topics(papers: Sequence, topic_matchers: list[TopicMatcher], vectors: np.ndarray) -> list[dict[int, float]]:
    """Topic id -> score in (0, 1] of the topics each paper should carry."""
    model = tagger()
    column = {slug: i for i, slug in enumerate(model.slugs)}
    raw = np.array([rule_scores(p, topic_matchers) for p in papers], dtype=np.float32).reshape(len(papers), -1)
    learned = [j for j, m in enumerate(topic_matchers) if m.slug in column]
    learned_ids = {topic_matchers[j].topic_id for j in learned}
    columns = [column[topic_matchers[j].slug] for j in learned]
    probabilities = model.probabilities(vectors, raw[:, learned], columns)
    results = []
    for i in range(len(papers)):
        scores = {topic_matchers[j].topic_id: float(probabilities[i, k]) for k, j in enumerate(learned)}
        for j, m in enumerate(topic_matchers):
            if m.topic_id not in learned_ids and raw[i, j] >= THRESHOLD:
                scores[m.topic_id] = min(float(raw[i, j]) / FULL_SCORE, 1.0)
        results.append(decide(scores, learned_ids, model.threshold, model.floor))
    return results


def tag_papers(papers: list[Paper], topic_matchers: list[TopicMatcher] | None = None) -> int:
    """Replace the topics of `papers` with fresh scores, in three queries; return the links written."""
    topic_matchers = matchers() if topic_matchers is None else topic_matchers
    if not papers:
        return 0
    predicted = predict_topics(papers, topic_matchers, current_vectors(papers))
    links = [
        PaperTopic(paper_id=paper.pk, topic_id=topic_id, score=score)
        for paper, scores in zip(papers, predicted, strict=True)
        for topic_id, score in scores.items()
    ]
    with transaction.atomic():
        PaperTopic.objects.filter(paper__in=[p.pk for p in papers]).delete()
        PaperTopic.objects.bulk_create(links, batch_size=1000)
    return len(links)


def retag(paper_ids: Iterable[int] | None = None, chunk: int = 1000) -> int:
    """Re-tag the given papers (all when None) with the current topics; return how many were re-tagged."""
    topic_matchers = matchers()
    queryset = Paper.objects.order_by("pk").only(
        "pk", "title", "abstract", "ai_keywords", "arxiv_categories", "primary_category", "vector", "vector_model"
    )
    if paper_ids is not None:
        queryset = queryset.filter(pk__in=list(paper_ids))
    count, batch = 0, []
    for paper in queryset.iterator(chunk_size=chunk):
        batch.append(paper)
        if len(batch) == chunk:
            count += len(batch)
            tag_papers(batch, topic_matchers)
            batch = []
    if batch:
        count += len(batch)
        tag_papers(batch, topic_matchers)
    return count


def fit_tagger(
    vectors: np.ndarray, keyword_scores: np.ndarray, labels: np.ndarray, slugs: Sequence[str], *,
    regularisation: float, threshold: float, floor: float, text_model: str,
) -> Tagger:  # fmt: skip
    """One balanced logistic regression per topic with at least one labelled paper, over [vector, score/FULL]."""
    # Imported here: fitting happens by hand (bench.tagging --train), never while serving.
    from sklearn.linear_model import LogisticRegression

    kept, weights, keyword_weights, intercepts = [], [], [], []
    for j, slug in enumerate(slugs):
        if not labels[:, j].any():
            continue
        features = np.hstack([vectors, keyword_scores[:, j : j + 1] / FULL_SCORE])
        model = LogisticRegression(C=regularisation, class_weight="balanced", max_iter=5000)
        model.fit(features, labels[:, j])
        kept.append(slug)
        weights.append(model.coef_[0, :-1])
        # Never negative: a keyword an operator adds to a topic must only ever add papers to it.
        keyword_weights.append(max(model.coef_[0, -1], 0.0))
        intercepts.append(model.intercept_[0])
    return Tagger(
        slugs=tuple(kept), vector_weights=np.array(weights, dtype=np.float32),
        keyword_weights=np.array(keyword_weights, dtype=np.float32), intercepts=np.array(intercepts, dtype=np.float32),
        threshold=threshold, floor=floor, text_model=text_model,
    )  # fmt: skip
