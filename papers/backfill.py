"""Catch up on the Hugging Face daily papers of the last 7 days, one IngestionRun per day.

`manage.py bootstrap` runs it so a new installation starts with this week's papers, and the beat job
runs it so an installation that was off for days fills the days it missed. A day is complete once a
successful run for it started after the day ended (UTC); yesterday and today are fetched every time,
because a day's list fills in gradually and upvotes keep moving. When the first day asked fails and
nothing has answered yet, the rest are left for the next try rather than waited on one by one.
"""

from collections.abc import Callable
from datetime import date, timedelta

from django.utils import timezone

from papers.ingest import run_source
from papers.models import IngestionRun

DAYS = 7
LANDED = (IngestionRun.Status.SUCCEEDED, IngestionRun.Status.PARTIAL)


def complete_days(days: list[date]) -> set[date]:
    """Which of `days` a live run fetched in full (demo runs do not count)."""
    runs = (
        IngestionRun.objects.filter(source=IngestionRun.Source.HF_DAILY, status__in=LANDED)
        .filter(started_at__date__gt=min(days))
        .exclude(parameters__has_key="demo")
        .values_list("parameters", "started_at")
    )
    complete = set()
    for parameters, started_at in runs:
        day = parameters.get("date") if isinstance(parameters, dict) else None
        if isinstance(day, str) and started_at.date() > date.fromisoformat(day):
            complete.add(date.fromisoformat(day))
    return complete & set(days)


def days_to_fetch(today: date, days: int = DAYS) -> list[date]:
    """The last `days` days, oldest first, less the complete ones; yesterday and today always."""
    window = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    complete = complete_days(window) - {today - timedelta(days=1), today}
    return [day for day in window if day not in complete]


def catch_up(
    today: date | None = None,
    days: int = DAYS,
    trigger: str = IngestionRun.Trigger.SCHEDULE,
    report: Callable[[str], None] = lambda line: None,
) -> list[IngestionRun]:
    """Fetch and ingest each day still missing; `report` gets one progress line per day."""
    today = today or timezone.now().date()
    runs: list[IngestionRun] = []
    wanted = days_to_fetch(today, days)
    if len(wanted) < days:
        report(f"{days - len(wanted)} of the last {days} days are already complete")
    for day in wanted:
        run = run_source(IngestionRun.Source.HF_DAILY, day=day, trigger=trigger)
        runs.append(run)
        failed = run.status == IngestionRun.Status.FAILED
        report(f"{day}: failed: {(run.errors or '?').splitlines()[0]}" if failed else f"{day}: {run.summary}")
        if run.status == IngestionRun.Status.FAILED and not answered(runs):
            if len(wanted) > 1:
                report(f"Hugging Face did not answer; the other {len(wanted) - 1} days wait for the next try")
            break
    return runs


def answered(runs: list[IngestionRun]) -> bool:
    return any(run.status in LANDED for run in runs)


def has_live_papers() -> bool:
    """Whether any ingestion other than the bundled demo ever brought papers here."""
    landed = IngestionRun.objects.filter(status__in=LANDED, created__gt=0)
    return landed.exclude(parameters__has_key="demo").exists()
