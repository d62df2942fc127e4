"""Real papers of the corpus (`shared/fixtures/corpus/`) for profile tests: their own words give real vectors."""

import functools
import json

from bench.tagging import FIXTURES
from papers.models import Paper
from papers.representation import represent_papers
from tests.factories import make_paper

CORPUS = FIXTURES / "corpus" / "hf_daily"


@functools.cache
def _day(day: str) -> dict[str, dict]:
    items = json.loads((CORPUS / f"hf_daily_papers_{day}.json").read_text())
    return {item["paper"]["id"]: item["paper"] for item in items}


def day_ids(day: str) -> list[str]:
    """The arXiv ids Hugging Face listed that day, in the listing's order."""
    return list(_day(day))


def corpus_paper(day: str, arxiv_id: str, topics: dict[str, float] | None = None, **fields) -> Paper:
    """The paper as listed on `day`, stored with `topics` and `fields`, its text vector computed."""
    record = _day(day)[arxiv_id]
    fields.setdefault("upvotes", 10)
    paper = make_paper(
        topics=topics,
        arxiv_id=arxiv_id,
        title=" ".join(record["title"].split()),
        abstract=" ".join(record.get("summary", "").split()),
        authors=[a["name"] for a in record.get("authors", [])][:10],
        ai_keywords=record.get("ai_keywords") or [],
        **fields,
    )
    represent_papers([paper.pk])
    return paper
