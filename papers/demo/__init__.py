"""The demo papers `manage.py bootstrap` loads when Hugging Face does not answer: seven real weeks, shipped.

`hf_daily_2025-11-03_2025-12-19.json.gz` holds the Hugging Face daily papers of 3 November to 19 December
2025 (34 weekdays, 536 papers, at least 7 for every default topic), taken from the recorded corpus
(shared/fixtures/corpus/SOURCES.md) by `bench/demo_bundle.py` with only the fields the hf-daily parser
reads. Each day goes through the same
ingestion path as live data, as one IngestionRun marked `demo`, so loading them again reports every
paper unchanged.

While no paper newer than the demo has arrived, the installation is "showing demo data": the home page
says so with the demo's dates, and digests pick from the demo's days instead of finding nothing new.
"""

import gzip
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db.models import Exists, QuerySet

from papers.ingest import ingest_content
from papers.models import IngestionRun, Paper

DEMO_FIRST = date(2025, 11, 3)
DEMO_LAST = date(2025, 12, 19)
BUNDLE = Path(__file__).resolve().parent / f"hf_daily_{DEMO_FIRST}_{DEMO_LAST}.json.gz"


@dataclass(frozen=True)
class DemoSpan:
    first: date
    last: date

    @property
    def label(self) -> str:
        """ "1–19 December 2025", "28 November – 5 December 2025"."""
        end = f"{self.last.day} {self.last:%B %Y}"
        if (self.first.year, self.first.month) == (self.last.year, self.last.month):
            return f"{self.first.day}–{end}"
        year = f" {self.first.year}" if self.first.year != self.last.year else ""
        return f"{self.first.day} {self.first:%B}{year} – {end}"


SPAN = DemoSpan(DEMO_FIRST, DEMO_LAST)


def bundled_days() -> dict[str, list]:
    """The bundle: ISO day -> that day's `/api/daily_papers` list."""
    return json.loads(gzip.decompress(BUNDLE.read_bytes()))


def load_demo_papers() -> list[str]:
    """Ingest the bundled days, one run each; return one summary line per day."""
    lines = []
    for day, items in bundled_days().items():
        parameters = {"date": day, "demo": True, "file": BUNDLE.name}
        run = ingest_content(
            IngestionRun.Source.HF_DAILY, json.dumps(items), parameters=parameters, listed_on=date.fromisoformat(day)
        )
        lines.append(f"{day}: {run.summary}")
    return lines


def demo_runs() -> QuerySet[IngestionRun]:
    """The successful runs that loaded demo days."""
    return IngestionRun.objects.filter(parameters__demo=True, status=IngestionRun.Status.SUCCEEDED)


def demo_span() -> DemoSpan | None:
    """The demo's days while the site shows nothing newer (one query); None once live papers have arrived."""
    newer = Paper.objects.visible().filter(trending_date__gt=DEMO_LAST)
    return SPAN if demo_runs().filter(~Exists(newer)).exists() else None
