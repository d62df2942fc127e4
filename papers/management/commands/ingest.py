"""`manage.py ingest SOURCE [--date YYYY-MM-DD | --week YYYY-Www] [--file PATH]`: one ingestion run."""

import re
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from papers.ingest import PARSERS, ingest_content, run_source
from papers.models import IngestionRun


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be a day as YYYY-MM-DD, got {value!r}") from None


def parse_week(value: str) -> str:
    match = re.fullmatch(r"(\d{4})-W(\d{2})", value)
    try:
        if not match:
            raise ValueError(value)
        date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise CommandError(f"--week must be an ISO week as YYYY-Www (e.g. 2026-W48), got {value!r}") from None
    return value


class Command(BaseCommand):
    help = "Ingest papers from one source (hf-daily, hf-page or arxiv), from the network or a saved response."

    def add_arguments(self, parser):
        parser.add_argument("source", help=f"one of {', '.join(PARSERS)}")
        # Checked in handle() rather than by argparse, so every bad input gets a one-line reason.
        parser.add_argument("--date", help="the day to fetch, YYYY-MM-DD (default: the latest day)")
        parser.add_argument("--week", help="the ISO week to fetch, YYYY-Www (hf-daily only)")
        parser.add_argument("--file", help="read this saved response instead of the network")
        parser.add_argument("--category", help="arxiv: today's RSS listing of this category instead of enrichment")

    def handle(self, *args, source, date=None, week=None, file=None, category=None, **options):
        if source not in PARSERS:
            raise CommandError(f"unknown source {source!r}; choose one of {', '.join(PARSERS)}")
        if date and week:
            raise CommandError("give --date or --week, not both")
        day = parse_date(date) if date else None
        week = parse_week(week) if week else None
        if week and source != IngestionRun.Source.HF_DAILY:
            raise CommandError("--week works with hf-daily only")
        if file:
            run = self.ingest_file(source, Path(file), day)
        else:
            what = day or week or category or ("papers missing arXiv details" if source == "arxiv" else "latest day")
            self.stdout.write(f"Fetching {source} ({what})...")
            run = run_source(source, day=day, week=week, category=category, trigger=IngestionRun.Trigger.CLI)
        self.report(run)

    def ingest_file(self, source: str, path: Path, day: date | None) -> IngestionRun:
        try:
            size = path.stat().st_size
            if size > settings.PAPERS_MAX_RESPONSE_BYTES:
                limit = settings.PAPERS_MAX_RESPONSE_BYTES / 1e6
                raise CommandError(f"{path} is {size / 1e6:.1f} MB, over the {limit:.1f} MB limit")
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        self.stdout.write(f"Reading {path} ({size} bytes) as {source}...")
        parameters = {"file": path.name, **({"date": day.isoformat()} if day else {})}
        return ingest_content(source, content, parameters=parameters, listed_on=day)

    def report(self, run: IngestionRun) -> None:
        self.stdout.write(f"Run {run.pk}: {run.get_status_display()}")
        if run.status != IngestionRun.Status.FAILED:
            for line in run.errors.splitlines():
                self.stdout.write(f"  failed: {line}")
        self.stdout.write(run.summary)
        if run.status == IngestionRun.Status.FAILED:
            raise CommandError(run.errors.splitlines()[0] if run.errors else "the run failed")
