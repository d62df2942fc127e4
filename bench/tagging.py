"""Measure the topic tagger against hand labels on papers it never saw; fit it on the training labels.

    .venv/bin/python -m bench.tagging            # the shipped tagger and the keyword rules, on every split
    .venv/bin/python -m bench.tagging --db       # with the topics in the database, as edited in the admin
    .venv/bin/python -m bench.tagging --train    # cross-validate on the training split, then fit and write
                                                 # papers/textmodel/tagger-<PAPERS_TEXT_MODEL>.npz

The split is fixed (docs/personalisation.md, "Tagging"):
- train: the 218 papers of tests/papers/data/labels.json (the 138 of shared/fixtures/seed_papers_page.txt and 80
  of the Hugging Face fixtures) and the 260 "train" papers of labels_corpus.json (corpus, 2024-06 to 2025-09);
- validation: the 140 "validation" papers of labels_corpus.json, listed 2025-11-01 to 2025-12-31, labelled
  before any tagger was fitted. Nothing is fitted, searched or thresholded on them: --train reads only train.
"""

import argparse
import importlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("PAPERBOY_FIXTURES", ROOT.parent / "shared" / "fixtures"))
LABELS = ROOT / "tests" / "papers" / "data" / "labels.json"
CORPUS_LABELS = ROOT / "tests" / "papers" / "data" / "labels_corpus.json"
HF_FILES = [
    ("hf-daily", "real/hf_daily_papers_2024-08-01.indent4.json"),
    ("hf-daily", "real/hf_daily_papers_2025-10-01.indent2.json"),
    ("hf-daily", "real/hf_daily_papers_2026-06-12.json"),
    ("hf-page", "real/hf_papers_page_2024-08-01.html"),
    ("hf-page", "real/hf_paper_page_2509.24002.prettified.html"),
]
# The search of --train: 5-fold cross-validation on the training split only.
REGULARISATIONS = (1.0, 3.0, 10.0, 30.0)
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.2, 0.76, 0.05))
FLOORS = (0.0, 0.1, 0.2)
FOLDS = 5


@dataclass
class Labelled:
    key: str
    title: str
    abstract: str
    ai_keywords: list[str]
    topics: set[str]
    arxiv_categories: list[str] = field(default_factory=list)
    primary_category: str = ""


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
    """The 218 papers of labels.json."""
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


def corpus_labelled(split: str) -> list[Labelled]:
    """The papers of labels_corpus.json's `split` ("train" or "validation"), read from the corpus."""
    from bench.corpus import corpus_records

    records = {r.arxiv_id: r for r in corpus_records()}
    papers = []
    for x in json.loads(CORPUS_LABELS.read_text())[split]:
        r = records[x["arxiv_id"]]
        papers.append(Labelled(r.arxiv_id, r.title, r.abstract or "", r.ai_keywords or [], set(x["topics"])))
    return papers


def training_papers() -> list[Labelled]:
    return labelled_papers() + corpus_labelled("train")


def validation_papers() -> list[Labelled]:
    return corpus_labelled("validation")


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


def micro(predicted: list[set[str]], papers: list[Labelled], show_errors: bool = False) -> Score:
    tp = fp = fn = 0
    for guess, paper in zip(predicted, papers, strict=True):
        tp += len(guess & paper.topics)
        fp += len(guess - paper.topics)
        fn += len(paper.topics - guess)
        if show_errors and guess != paper.topics:
            print(f"  {paper.title[:70]:70} +{sorted(guess - paper.topics)} -{sorted(paper.topics - guess)}")
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, len(papers), sum(map(len, predicted)) / max(len(papers), 1))


def evaluate_rules(topics, papers: list[Labelled], show_errors: bool = False) -> Score:
    """The keyword rules alone, as they tagged papers before the learned tagger."""
    from papers.tagging import matchers, score_topics

    topic_matchers = matchers(topics)
    slug_of = {m.topic_id: m.slug for m in topic_matchers}
    predicted = [
        {slug_of[t] for t in score_topics(topic_matchers, p.title, p.abstract, p.ai_keywords)} for p in papers
    ]
    return micro(predicted, papers, show_errors)


def evaluate(topics, papers: list[Labelled], show_errors: bool = False) -> Score:
    """The shipped learned tagger, with `topics` (their keywords feed its keyword score)."""
    from papers.representation import paper_text, represent
    from papers.tagging import matchers, predict_topics

    topic_matchers = matchers(topics)
    slug_of = {m.topic_id: m.slug for m in topic_matchers}
    vectors = represent([paper_text(p) for p in papers])
    predicted = [{slug_of[t] for t in scores} for scores in predict_topics(papers, topic_matchers, vectors)]
    return micro(predicted, papers, show_errors)


def training_matrices(topics, papers: list[Labelled]):
    """Vectors, raw keyword scores (papers x topics) and labels (papers x topics) of `papers`."""
    from papers.representation import paper_text, represent
    from papers.tagging import matchers, rule_scores

    topic_matchers = matchers(topics)
    vectors = represent([paper_text(p) for p in papers])
    keyword_scores = np.array([rule_scores(p, topic_matchers) for p in papers])
    labels = np.array([[m.slug in p.topics for m in topic_matchers] for p in papers])
    return vectors, keyword_scores, labels, [m.slug for m in topic_matchers]


def chosen(probabilities: np.ndarray, threshold: float, floor: float) -> np.ndarray:
    """The decision rule of papers.tagging.decide, on a matrix: papers x topics booleans."""
    picked = np.zeros(probabilities.shape, dtype=bool)
    for i, row in enumerate(probabilities):
        for rank, j in enumerate(np.argsort(-row)[:3]):
            picked[i, j] = row[j] >= threshold or (rank == 0 and row[j] >= floor)
    return picked


def micro_f1(picked: np.ndarray, labels: np.ndarray) -> float:
    tp, fp, fn = (picked & labels).sum(), (picked & ~labels).sum(), (~picked & labels).sum()
    return float(2 * tp / max(2 * tp + fp + fn, 1))


def cross_validate(vectors, keyword_scores, labels, slugs) -> tuple[float, float, float, float]:
    """The (f1, regularisation, threshold, floor) with the best cross-validated micro-F1 on these papers."""
    from papers.tagging import fit_tagger

    folds = np.random.default_rng(0).permutation(len(labels)) % FOLDS
    best = (0.0, 0.0, 0.0, 0.0)
    for regularisation in REGULARISATIONS:
        probabilities = np.zeros(labels.shape)
        for fold in range(FOLDS):
            train, test = folds != fold, folds == fold
            tagger = fit_tagger(vectors[train], keyword_scores[train], labels[train], slugs,
                                regularisation=regularisation, threshold=0.5, floor=0.0, text_model="")  # fmt: skip
            columns = [slugs.index(s) for s in tagger.slugs]
            probabilities[np.ix_(test, columns)] = tagger.probabilities(
                vectors[test], keyword_scores[np.ix_(test, columns)], list(range(len(columns)))
            )
        for threshold in THRESHOLDS:
            for floor in FLOORS:
                f1 = micro_f1(chosen(probabilities, threshold, floor), labels)
                print(f"  C={regularisation:<4} threshold={threshold:.2f} floor={floor:.1f} cv_f1={f1:.3f}")
                best = max(best, (f1, regularisation, threshold, floor))
    return best


def train(topics) -> int:
    from papers.representation import model_name
    from papers.tagging import fit_tagger, tagger_path

    papers = training_papers()
    vectors, keyword_scores, labels, slugs = training_matrices(topics, papers)
    print(f"Cross-validating on the {len(papers)} training papers ({FOLDS} folds)...")
    f1, regularisation, threshold, floor = cross_validate(vectors, keyword_scores, labels, slugs)
    print(f"best: C={regularisation} threshold={threshold:.2f} floor={floor:.1f} cv_f1={f1:.3f}")
    tagger = fit_tagger(vectors, keyword_scores, labels, slugs, regularisation=regularisation,
                        threshold=threshold, floor=floor, text_model=model_name())  # fmt: skip
    path = tagger_path()
    tagger.save(path)
    print(f"topics={len(tagger.slugs)} text_model={tagger.text_model} file={path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="store_true", help="use the topics in the database")
    parser.add_argument("--errors", action="store_true", help="list every validation paper the tagger got wrong")
    parser.add_argument("--train", action="store_true", help="fit the tagger on the training split and write it")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsletter.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from papers.models import Topic

    topics = list(Topic.objects.filter(active=True)) if args.db else default_topics()
    if args.train:
        return train(topics)
    splits = {"train (fitted on)": training_papers(), "validation (unseen)": validation_papers()}
    for name, papers in splits.items():
        print(f"{name}:")
        print(f"  keyword rules  {evaluate_rules(topics, papers)}")
        errors = args.errors and name.startswith("validation")
        print(f"  learned tagger {evaluate(topics, papers, show_errors=errors)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
