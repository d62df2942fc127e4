"""The dashboard's tables: this week's top papers, the latest ingestion runs, the latest failed digests."""

from datetime import datetime, timedelta

from django.db.models import Prefetch

from newsletter.dashboard.clock import week_start
from newsletter.models import Delivery
from papers.models import IngestionRun, Paper, PaperTopic


def top_papers_this_week(now: datetime, limit: int = 10) -> list[Paper]:
    """The most upvoted visible papers trending this week, each with `topic_list` (best score first)."""
    monday = week_start(now).date()
    papers = list(
        Paper.objects.visible()
        .filter(trending_date__range=(monday, monday + timedelta(days=6)))
        .order_by("-upvotes", "-trending_date", "id")
        .prefetch_related(
            Prefetch("topic_scores", queryset=PaperTopic.objects.select_related("topic").order_by("-score"))
        )[:limit]
    )
    for paper in papers:
        paper.topic_list = [score.topic for score in paper.topic_scores.all()]
    return papers


def recent_runs(limit: int = 10) -> list[IngestionRun]:
    return list(IngestionRun.objects.order_by("-started_at")[:limit])


def recent_failed_deliveries(limit: int = 10) -> list[Delivery]:
    return list(
        Delivery.objects.filter(status=Delivery.Status.FAILED)
        .select_related("subscriber")
        .order_by("-updated_at")[:limit]
    )


# Schedules
