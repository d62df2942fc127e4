"""The real corpus of shared/fixtures/corpus/hf_daily/ (392 days of Hugging Face daily papers), read with the
project's own hf-daily parser: one record per paper, on the first day Hugging Face listed it."""

import functools
import re
from datetime import date
from pathlib import Path

from bench.tagging import FIXTURES

CORPUS = FIXTURES / "corpus" / "hf_daily"
DAY = re.compile(r"hf_daily_papers_(\d{4}-\d{2}-\d{2})\.json$")


def day_files(folder: Path = CORPUS) -> list[tuple[date, Path]]:
    found = ((DAY.search(p.name), p) for p in folder.glob("hf_daily_papers_*.json"))
    return sorted((date.fromisoformat(m[1]), p) for m, p in found if m)


@functools.cache
def corpus_records(folder: Path = CORPUS) -> tuple:
    """Every paper of the corpus once, in listing order, as PaperRecords (Django must be set up)."""
    from papers.ingest import parse

    seen: dict[str, object] = {}
    for day, path in day_files(folder):
        for record in parse("hf-daily", path.read_bytes(), day).records:
            seen.setdefault(record.arxiv_id, record)
    return tuple(seen.values())
