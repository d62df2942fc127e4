"""Which topics readers follow and whether this week's papers cover them (active readers grouped by topic set)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Case, Sum, Value, When

from newsletter.dashboard.clock import week_start
from newsletter.dashboard.status import Status
from papers.models import Paper, PaperTopic, Topic
from subscribers.models import Subscriber, SubscriberTopic

MASK_BITS = 62  # topics per bigint mask column


@dataclass
class TopicSets:
    """Active subscribers grouped by (paper_count, set of followed topics), from one grouped query."""

    topics: list[Topic]  # ordered by id; topic i of chunk c is bit i of mask column c
    chunks: list[list[Topic]]
    groups: list[tuple[int, int, tuple]]  # (paper_count, subscribers, followed topic ids)


def active_topic_sets() -> TopicSets:
    """Group active subscribers by paper_count and topic set, the set being one bit per topic.

    The ORM cannot group the rows of a grouped query, so the outer query is SQL around the ORM's inner one.
    """
    topics = list(Topic.objects.order_by("id"))
    chunks = [topics[i : i + MASK_BITS] for i in range(0, len(topics), MASK_BITS)]
    masks = {
        f"mask{i}": Sum(Case(*[When(topic_id=t.id, then=Value(1 << n)) for n, t in enumerate(chunk)], default=0))
        for i, chunk in enumerate(chunks)
    }
    inner, params = SubscriberTopic.objects.values("subscriber_id").annotate(**masks).order_by().query.sql_with_params()
    columns = "".join(f", m.mask{i}" for i in range(len(chunks)))
    # Only our own table and column names are formatted in; every value is a parameter.
    sql = (
        f"SELECT s.paper_count, COUNT(*){columns} FROM {Subscriber._meta.db_table} s "  # noqa: S608
        f"LEFT JOIN ({inner}) m ON m.subscriber_id = s.id WHERE s.status = %s GROUP BY s.paper_count{columns}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, Status.ACTIVE])
        rows = cursor.fetchall()
    followed: dict[tuple, tuple] = {}  # a few thousand distinct sets at most: decode each once
    groups = []
    for paper_count, n, *chunk_masks in rows:
        key = tuple(int(m or 0) for m in chunk_masks)
        if key not in followed:
            followed[key] = tuple(
                t.id for chunk, m in zip(chunks, key, strict=True) for b, t in enumerate(chunk) if m >> b & 1
            )
        groups.append((paper_count, n, followed[key]))
    return TopicSets(topics, chunks, groups)


def followers_per_topic(sets: TopicSets | None = None) -> list[tuple[Topic, int]]:
    """Active subscribers following each topic, most followed first."""
    sets = sets or active_topic_sets()
    followers: dict[int, int] = {}
    for _, n, topic_ids in sets.groups:
        for topic_id in topic_ids:
            followers[topic_id] = followers.get(topic_id, 0) + n
    ranked = sorted(sets.topics, key=lambda t: (-followers.get(t.id, 0), t.position, t.name))
    return [(topic, followers.get(topic.id, 0)) for topic in ranked]


@dataclass
class TopicCoverage:
    topic: Topic
    papers: int  # candidate papers this week tagged with the topic
    short: int  # active followers who would get fewer papers than they asked for


@dataclass
class Coverage:
    active: int
    short: int
    papers: int  # candidate papers this week, tagged or not
    topics: list[TopicCoverage]


def topic_coverage(now: datetime, sets: TopicSets | None = None) -> Coverage:
    """How many active subscribers would get fewer papers this week than their paper_count.

    A subscriber's candidates are this week's visible papers tagged with any of their topics
    (all of this week's papers when they follow none). Python walks the groups of active_topic_sets,
    never the subscribers.
    """
    sets = sets or active_topic_sets()
    monday = week_start(now).date()
    candidates = Paper.objects.visible().filter(trending_date__range=(monday, monday + timedelta(days=6)))
    week_papers = candidates.count()
    # One bit per candidate paper, one integer per topic: the union of a topic set is an OR.
    index: dict[int, int] = {}
    papers_of: dict[int, int] = {}
    for paper_id, topic_id in PaperTopic.objects.filter(paper__in=candidates).values_list("paper_id", "topic_id"):
        bit = 1 << index.setdefault(paper_id, len(index))
        papers_of[topic_id] = papers_of.get(topic_id, 0) | bit

    available: dict[tuple, int] = {}
    short_of: dict[int, int] = {}
    active = short = 0
    for paper_count, n, topic_ids in sets.groups:
        if topic_ids not in available:
            union = 0
            for topic_id in topic_ids:
                union |= papers_of.get(topic_id, 0)
            available[topic_ids] = union.bit_count() if topic_ids else week_papers
        active += n
        if available[topic_ids] < paper_count:
            short += n
            for topic_id in topic_ids:
                short_of[topic_id] = short_of.get(topic_id, 0) + n
    per_topic = [
        TopicCoverage(t, papers_of.get(t.id, 0).bit_count(), short_of.get(t.id, 0))
        for t in sorted(sets.topics, key=lambda t: (t.position, t.name))
        if t.active
    ]
    return Coverage(active, short, week_papers, per_topic)


# Tables
