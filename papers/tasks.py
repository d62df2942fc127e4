"""Celery tasks: thin wrappers that take ids and parameters and call papers/ingest.py and papers/tagging.py."""

from datetime import date

from celery import shared_task

from papers.backfill import catch_up
from papers.ingest import run_source
from papers.models import IngestionRun
from papers.tagging import retag


@shared_task
def ingest_source(
    source: str, day: str | None = None, week: str | None = None, category: str | None = None, run_id: int | None = None
) -> int | None:
    """One ingestion run; `run_id` is a run the admin already created (it shows as running until done)."""
    run = None
    if run_id is not None:
        run = IngestionRun.objects.filter(pk=run_id, status=IngestionRun.Status.RUNNING).first()
        if run is None:
            return None  # deleted, or already finished by an earlier delivery of this task
    trigger = run.trigger if run else IngestionRun.Trigger.SCHEDULE
    day_value = date.fromisoformat(day) if day else None
    return run_source(source, day=day_value, week=week, category=category, trigger=trigger, run=run).pk


@shared_task
def ingest_hf_recent() -> list[int]:
    """HF daily papers of the last 7 days that are still missing, and always yesterday's and today's
    (a day's list fills in gradually, and upvotes keep moving): an installation that was off catches up."""
    return [run.pk for run in catch_up()]


@shared_task
def enrich_from_arxiv() -> int | None:
    """Categories, full author lists and abstracts from arXiv for papers first seen on Hugging Face."""
    return ingest_source(IngestionRun.Source.ARXIV)


@shared_task
def retag_papers(paper_ids: list[int] | None = None) -> int:
    """Re-score topics of the given papers (all when None), e.g. after an admin edited a topic."""
    return retag(paper_ids)
