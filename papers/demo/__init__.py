"""The demo papers loaded by `manage.py bootstrap`: a small real snapshot shipped with the project.

The files are verbatim responses recorded from the real sources (see shared/fixtures/real/SOURCES.md):
the Hugging Face daily papers of 2026-06-12 and 2025-10-01, and an arXiv API answer for
"transformer" in cs.LG. They go through the same ingestion path as live data, so loading them
again reports every paper unchanged.
"""

from pathlib import Path

from papers.ingest import ingest_content
from papers.models import IngestionRun

DEMO_DIR = Path(__file__).resolve().parent
FILES = [
    (IngestionRun.Source.HF_DAILY, "hf_daily_papers_2026-06-12.json"),
    (IngestionRun.Source.HF_DAILY, "hf_daily_papers_2025-10-01.indent2.json"),
    (IngestionRun.Source.ARXIV, "arxiv_api_query_transformer_cs.LG_2026-06-14.atom.xml"),
]


def load_demo_papers() -> list[str]:
    """Ingest the bundled snapshot; return one summary line per file."""
    lines = []
    for source, name in FILES:
        run = ingest_content(source, (DEMO_DIR / name).read_bytes(), parameters={"file": name, "demo": True})
        lines.append(f"{name}: {run.summary}")
    return lines
