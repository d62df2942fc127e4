"""The public weekly archive: past ISO weeks and their top papers per topic, in a fixed number of queries."""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, F, Max, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from papers.models import Paper, PaperTopic, Topic

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
TOP_OF_WEEK = 10  # papers in the week's headline list
PER_TOPIC = 5  # papers per topic section of a week
TOPIC_PAGE = 50  # papers on one topic's page
MAX_WEEKS = 520  # ten years of weeks on the index
CARD_FIELDS = ("id", "arxiv_id", "title", "authors", "upvotes", "num_comments", "trending_date")


def parse_week(text: str) -> date | None:
    """The Monday of an ISO week written 2026-W48, or None for anything else (or a future week)."""
    match = WEEK_RE.match(text or "")
    if not match:
        return None
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None
    return monday if monday <= timezone.now().date() else None


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Week:
    monday: date
    count: int = 0

    @property
    def label(self) -> str:
        return week_label(self.monday)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


@dataclass
class Section:
    topic: Topic
    count: int
    papers: list[dict] = field(default_factory=list)


def _in_week(monday: date, prefix: str = "") -> dict:
    return {
        f"{prefix}hidden": False,
        f"{prefix}trending_date__gte": monday,
        f"{prefix}trending_date__lte": monday + timedelta(days=6),
    }


def weeks() -> list[Week]:
    """Every week up to this one that has papers, newest first, with its paper count.

    One query grouped by day (the indexed column, at most a few hundred rows a year), folded into weeks here:
    truncating 50,000 dates to weeks in the database is slower than that on SQLite.
    """
    today = timezone.now().date()
    oldest = today - timedelta(weeks=MAX_WEEKS)
    days = (
        Paper.objects.filter(hidden=False, trending_date__gte=oldest, trending_date__lte=today)
        .values("trending_date")
        .annotate(count=Count("id"))
        .order_by()
    )
    found: dict[date, Week] = {}
    for row in days:
        day = row["trending_date"]
        monday = day - timedelta(days=day.weekday())
        found.setdefault(monday, Week(monday)).count += row["count"]
    return sorted(found.values(), key=lambda w: w.monday, reverse=True)


def top_of_week(monday: date, limit: int = TOP_OF_WEEK) -> list[dict]:
    return list(Paper.objects.filter(**_in_week(monday)).order_by("-upvotes", "id").values(*CARD_FIELDS)[:limit])


def sections(monday: date, topics: list[Topic] | None = None, per_topic: int = PER_TOPIC) -> list[Section]:
    """The week's best papers of each topic, in three queries whatever the number of papers.

    A window function numbers each topic's papers by upvotes, so the database returns at most `per_topic`
    rows per topic.
    """
    topics = topics if topics is not None else list(Topic.objects.filter(active=True))
    ids = [t.id for t in topics]
    # The week's papers by the trending_date index first, then their topic rows by paper id.
    week_papers = Paper.objects.filter(**_in_week(monday)).values("id")
    scored = PaperTopic.objects.filter(paper_id__in=week_papers, topic_id__in=ids, score__gt=0)
    counts = dict(scored.values("topic_id").annotate(n=Count("id")).values_list("topic_id", "n"))
    ranked = scored.annotate(
        rank=Window(RowNumber(), partition_by=[F("topic_id")], order_by=[F("paper__upvotes").desc(), F("paper_id")])
    ).filter(rank__lte=per_topic)
    fields = {f"paper__{name}": name for name in CARD_FIELDS}
    by_topic: dict[int, list[dict]] = {}
    for row in ranked.order_by("topic_id", "rank").values("topic_id", *fields):
        by_topic.setdefault(row["topic_id"], []).append({fields[k]: v for k, v in row.items() if k in fields})
    return [Section(t, counts.get(t.id, 0), by_topic.get(t.id, [])) for t in topics if counts.get(t.id)]


def version(monday: date | None = None) -> str:
    """A cheap fingerprint of what an archive page shows, for its ETag."""
    papers = Paper.objects.filter(**_in_week(monday)) if monday else Paper.objects.filter(hidden=False)
    state = papers.aggregate(n=Count("id"), changed=Max("updated_at"))
    topics = Topic.objects.aggregate(n=Count("id"), last=Max("id"))
    return f"{monday or 'all'}-{state['n']}-{state['changed']}-{topics['n']}-{topics['last']}"
