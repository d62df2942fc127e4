"""Measure the topic tagger against hand labels: micro-averaged precision, recall and F1.

    .venv/bin/python -m bench.tagging            # the default topics of the data migration
    .venv/bin/python -m bench.tagging --db       # the topics in the database, as edited in the admin

The labelled papers are the 138 of shared/fixtures/seed_papers_page.txt and the Hugging Face fixtures;
tests/papers/data/labels.json holds their topics, read by hand from each title and abstract.
"""

import argparse
import importlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("PAPERBOY_FIXTURES", ROOT.parent / "shared" / "fixtures"))
LABELS = ROOT / "tests" / "papers" / "data" / "labels.json"
HF_FILES = [
    ("hf-daily", "real/hf_daily_papers_2024-08-01.indent4.json"),
    ("hf-daily", "real/hf_daily_papers_2025-10-01.indent2.json"),
    ("hf-daily", "real/hf_daily_papers_2026-06-12.json"),
    ("hf-page", "real/hf_papers_page_2024-08-01.html"),
    ("hf-page", "real/hf_paper_page_2509.24002.prettified.html"),
]


@dataclass
class Labelled:
    key: str
    title: str
    abstract: str
    ai_keywords: list[str]
    topics: set[str]


def seed_papers(path: Path) -> dict[str, str]:
    """Title -> abstract from the text of an HF papers page: a title line, then a long abstract line."""
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    papers, i = {}, 0
    while i < len(lines) - 1:
        if len(lines[i + 1]) > 200 and len(lines[i]) < 300:
            papers[lines[i]] = lines[i + 1]
            i += 2
        else:
            i += 1
    return papers


def labelled_papers() -> list[Labelled]:
    from papers.ingest import parse

    labels = json.loads(LABELS.read_text())
    seed = seed_papers(FIXTURES / "seed_papers_page.txt")
    papers = [Labelled(x["title"], x["title"], seed[x["title"]], [], set(x["topics"])) for x in labels["seed"]]
    records = {}
    for source, name in HF_FILES:
        for record in parse(source, (FIXTURES / name).read_bytes()).records:
            records.setdefault(record.arxiv_id, record)
    for x in labels["hf"]:
        r = records[x["arxiv_id"]]
        papers.append(Labelled(r.arxiv_id, r.title, r.abstract or "", r.ai_keywords or [], set(x["topics"])))
    return papers


def default_topics():
    from papers.models import Topic

    migration = importlib.import_module("papers.migrations.0002_default_topics")
    return [
        Topic(pk=i + 1, slug=slug, name=name, keywords="\n".join(keywords), arxiv_categories=categories)
        for i, (slug, name, _description, keywords, categories) in enumerate(migration.TOPICS)
    ]


@dataclass
class Score:
    precision: float
    recall: float
    f1: float
    papers: int
    mean_topics: float

    def __str__(self) -> str:
        return (
            f"papers={self.papers} precision={self.precision:.3f} recall={self.recall:.3f} f1={self.f1:.3f} "
            f"topics_per_paper={self.mean_topics:.2f}"
        )


def evaluate(topics, papers: list[Labelled] | None = None, show_errors: bool = False) -> Score:
    from papers.tagging import matchers, score_topics

    topic_matchers = matchers(topics)
    slug_of = {m.topic_id: m.slug for m in topic_matchers}
    papers = labelled_papers() if papers is None else papers
    tp = fp = fn = predicted_total = 0
    for paper in papers:
        scores = score_topics(topic_matchers, paper.title, paper.abstract, paper.ai_keywords)
        predicted = {slug_of[t] for t in scores}
        predicted_total += len(predicted)
        tp += len(predicted & paper.topics)
        fp += len(predicted - paper.topics)
        fn += len(paper.topics - predicted)
        if show_errors and predicted != paper.topics:
            print(f"{paper.title[:70]:70} +{sorted(predicted - paper.topics)} -{sorted(paper.topics - predicted)}")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, len(papers), predicted_total / max(len(papers), 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="store_true", help="use the topics in the database")
    parser.add_argument("--errors", action="store_true", help="list every paper the tagger got wrong")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsletter.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from papers.models import Topic

    topics = list(Topic.objects.filter(active=True)) if args.db else default_topics()
    print(evaluate(topics, show_errors=args.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
