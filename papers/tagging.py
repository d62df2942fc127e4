"""Topic tagging: a score per topic from its keywords, its arXiv categories and HF's ai_keywords.

Each signal is plain and editable in the admin: a keyword in the title counts more than one in the
abstract ("title: word" counts only in titles, for words too common in abstracts); a few matching
ai_keywords add a little; the paper's primary arXiv category counts more than a cross-list. Topics
scoring at least THRESHOLD are kept (MAX_TOPICS at most, and none far below the paper's best topic),
so a paper usually carries one to three. `python -m bench.tagging` measures it against hand labels.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from papers.models import Paper, PaperTopic, Topic

TITLE_WEIGHT = 3.0
AI_KEYWORD_WEIGHT = 0.5
AI_KEYWORD_CAP = 3.0
ABSTRACT_WEIGHT = 1.0
ABSTRACT_CAP = 3.0
PRIMARY_CATEGORY_WEIGHT = 2.0
CATEGORY_WEIGHT = 1.0
THRESHOLD = 4.0
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
    """Topic id -> score in (0, 1] for the topics a paper should carry."""
    title, abstract = title.lower(), abstract.lower()
    ai_text = " | ".join(ai_keywords or []).lower()
    categories = categories or []
    raw = {m.topic_id: m.score(title, abstract, ai_text, categories, primary_category) for m in matchers}
    best = max(raw.values(), default=0.0)
    kept = sorted(((s, tid) for tid, s in raw.items() if s >= THRESHOLD and s >= RELATIVE_FLOOR * best), reverse=True)[
        :MAX_TOPICS
    ]
    return {tid: round(min(s / FULL_SCORE, 1.0), 3) for s, tid in kept}


def paper_scores(paper: Paper, matchers: list[TopicMatcher]) -> dict[int, float]:
    return score_topics(
        matchers, paper.title, paper.abstract, paper.ai_keywords, paper.arxiv_categories, paper.primary_category
    )


def tag_papers(papers: list[Paper], topic_matchers: list[TopicMatcher] | None = None) -> int:
    """Replace the topics of `papers` with fresh scores, in three queries; return the links written."""
    topic_matchers = matchers() if topic_matchers is None else topic_matchers
    links = [
        PaperTopic(paper_id=paper.pk, topic_id=topic_id, score=score)
        for paper in papers
        for topic_id, score in paper_scores(paper, topic_matchers).items()
    ]
    with transaction.atomic():
        PaperTopic.objects.filter(paper__in=[p.pk for p in papers]).delete()
        PaperTopic.objects.bulk_create(links, batch_size=1000)
    return len(links)


def retag(paper_ids: Iterable[int] | None = None, chunk: int = 1000) -> int:
    """Re-tag the given papers (all when None) with the current topics; return how many were re-tagged."""
    topic_matchers = matchers()
    queryset = Paper.objects.order_by("pk").only(
        "pk", "title", "abstract", "ai_keywords", "arxiv_categories", "primary_category"
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
