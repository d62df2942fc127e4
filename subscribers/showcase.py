"""The trending papers shown beside the subscribe form."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from papers.models import Paper, Topic


@dataclass
class TrendingWeek:
    start: date
    end: date
    papers: list[Paper]
    is_current: bool


def trending_week(today: date | None = None, limit: int = 20) -> TrendingWeek | None:
    """This week's most upvoted papers, else those of the latest week that has any; None when there are no papers."""
    today = today or timezone.localdate()
    visible = Paper.objects.visible().filter(trending_date__isnull=False)
    start = today - timedelta(days=today.weekday())
    is_current = visible.filter(trending_date__gte=start, trending_date__lte=today).exists()
    if not is_current:
        latest = (
            visible.filter(trending_date__lt=start)
            .order_by("-trending_date")
            .values_list("trending_date", flat=True)
            .first()
        )
        if latest is None:
            return None
        start = latest - timedelta(days=latest.weekday())
    end = start + timedelta(days=6)
    topics = Prefetch("topics", queryset=Topic.objects.filter(active=True).order_by("position", "name"))
    papers = list(
        visible.filter(trending_date__range=(start, end)).order_by("-upvotes", "-trending_date")
        .prefetch_related(topics)[:limit]
    )  # fmt: skip
    return TrendingWeek(start, end, papers, is_current)
