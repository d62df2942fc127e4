"""`manage.py fit_text_model FOLDER [--before YYYY-MM-DD] [--output PATH]`: fit the tf-idf text model on saved
Hugging Face daily papers responses (the shipped model: shared/fixtures/corpus/hf_daily, --before 2025-10-01)."""

import re
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from papers.ingest import parse
from papers.records import SourceError
from papers.representation import fit_tfidf, paper_text

DAY = re.compile(r"(\d{4}-\d{2}-\d{2})")


class Command(BaseCommand):
    help = "Fit the tf-idf text model on a folder of saved Hugging Face daily papers JSON responses."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="folder of hf_daily_papers_YYYY-MM-DD.json files")
        parser.add_argument("--before", help="only papers Hugging Face listed before this day, YYYY-MM-DD")
        parser.add_argument("--output", help=f"where to write the model (default {settings.PAPERS_TFIDF_PATH})")

    def handle(self, *args, folder, before=None, output=None, **options):
        try:
            cutoff = date.fromisoformat(before) if before else None
        except ValueError:
            raise CommandError(f"--before must be a day as YYYY-MM-DD, got {before!r}") from None
        files = sorted(Path(folder).glob("*.json"))
        if not files:
            raise CommandError(f"no .json files in {folder}")
        texts: dict[str, str] = {}
        for path in files:
            named = DAY.search(path.name)
            day = date.fromisoformat(named[1]) if named else None
            if cutoff and (day is None or day >= cutoff):
                continue
            try:
                records = parse("hf-daily", path.read_bytes(), day).records
            except SourceError as exc:
                raise CommandError(f"cannot read {path}: {exc}") from None
            for record in records:
                texts.setdefault(record.arxiv_id, paper_text(record))
        if len(texts) < 1000:
            raise CommandError(f"only {len(texts)} papers: too few to fit a 256-dimension model (need 1000)")
        self.stdout.write(f"Fitting tf-idf + SVD on {len(texts)} papers from {len(files)} files...")
        target = Path(output) if output else Path(settings.PAPERS_TFIDF_PATH)
        name = fit_tfidf(list(texts.values()), target)
        self.stdout.write(f"papers={len(texts)} model={name} file={target} ({target.stat().st_size} bytes)")
