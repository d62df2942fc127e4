"""Which text representation finds a narrow interest again: WordLlama 256-d against tf-idf fitted on the corpus.

    .venv/bin/python -m bench.representation            # every representation, a table per interest
    .venv/bin/python -m bench.representation --quick    # WordLlama and the shipped tf-idf + SVD only
    .venv/bin/python -m bench.representation --no-keywords   # papers' text without HF ai_keywords

A reader's interest narrower than a topic is a phrase family ("speculative decoding / KV cache"). On the real
corpus (shared/fixtures/corpus/hf_daily/), for each interest and every fourth week: the on-interest papers
of three weeks are the papers the reader liked (at most 8, the latest), two others of those weeks the papers
they disliked; the profile is the centroid of the liked vectors minus half the centroid of the disliked ones.
The papers of the next two weeks are ranked by cosine to the profile, and we measure

- share@10: on-interest papers among the top min(10, on-interest) / that number (the digest's share), and
- AP: average precision of the whole ranking,

averaged over windows, then over interests. `chance` is the share a random ranking gets. Every tf-idf here
(the shipped one too: `manage.py fit_text_model ... --before 2025-10-01`) is fitted only on papers listed
before 2025-10-01, so the two months of the tagger's validation set stay unseen.
"""

import argparse
import os
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FIT_BEFORE = date(2025, 10, 1)
LIKED_CAP = 8
DISLIKED = 2
DIGEST = 10

# Phrase families inside different topics: a paper is on-interest when its title or abstract says one of them.
INTERESTS = {
    "speculative decoding / KV cache": r"speculative decod|kv[- ]?cache|draft model",
    "Gaussian splatting": r"gaussian splatting|\b3dgs\b",
    "GUI and computer-use agents": r"\bgui\b|computer[- ]use|web agents?\b|mobile agents?\b",
    "speech synthesis": r"text-to-speech|\btts\b|speech synthesis|voice cloning",
    "quantization": r"quantiz",
    "vision-language-action models": r"vision-language-action|\bvlas?\b",
    "hallucination": r"hallucinat",
    "molecules and proteins": r"\bprotein|molecul",
    "jailbreaks and red teaming": r"jailbreak|red[- ]team",
    "theorem proving": r"theorem prov|\blean ?4?\b|formal proof",
    "retrieval-augmented generation": r"retrieval[- ]augmented|\brag\b",
    "mixture of experts": r"mixture[- ]of[- ]experts|\bmoe\b",
}


@dataclass
class Doc:
    text: str  # what the representation reads
    plain: str  # title and abstract, lower case: what decides whether the paper is on-interest
    day: date
    week: int  # weeks since the corpus' first Monday


def documents(with_keywords: bool = True) -> list[Doc]:
    from bench.corpus import corpus_records
    from papers.representation import paper_text

    records = corpus_records()
    first = min(r.hf_listed_on for r in records)
    docs = []
    for record in records:
        plain = paper_text(replace(record, ai_keywords=None))
        text = paper_text(record) if with_keywords else plain
        week = (record.hf_listed_on - first).days // 7
        docs.append(Doc(text, plain.lower(), record.hf_listed_on, week))
    return docs


def wordllama(docs: list[Doc]) -> np.ndarray:
    from django.test import override_settings

    from papers.representation import represent

    with override_settings(PAPERS_TEXT_MODEL="wordllama"):
        return represent([d.text for d in docs])


def shipped_tfidf(docs: list[Doc]) -> np.ndarray:
    """The model papers/textmodel/ ships (8,000 features, float16 projection), as the product uses it."""
    from django.test import override_settings

    from papers.representation import represent

    with override_settings(PAPERS_TEXT_MODEL="tfidf"):
        return represent([d.text for d in docs])


def _tfidf(docs: list[Doc]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, max_features=50_000,
                                 stop_words="english")  # fmt: skip
    vectorizer.fit([d.text for d in docs if d.day < FIT_BEFORE])
    return vectorizer.transform([d.text for d in docs])


def tfidf(docs: list[Doc]):
    return _tfidf(docs)  # sparse, rows L2-normalised by the vectorizer


def tfidf_svd(docs: list[Doc], dims: int = 256) -> np.ndarray:
    from sklearn.decomposition import TruncatedSVD

    matrix = _tfidf(docs)
    fitted = [i for i, d in enumerate(docs) if d.day < FIT_BEFORE]
    svd = TruncatedSVD(n_components=dims, random_state=0).fit(matrix[fitted])
    dense = svd.transform(matrix).astype(np.float32)
    return dense / np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-9)


def hybrid(docs: list[Doc]) -> np.ndarray:
    both = np.hstack([wordllama(docs), shipped_tfidf(docs)]) / np.sqrt(2)
    return both.astype(np.float32)


REPRESENTATIONS: dict[str, Callable] = {
    "wordllama-256": wordllama,
    "tfidf-svd-256 (shipped)": shipped_tfidf,
    "tfidf-svd-256, 50k features": tfidf_svd,
    "tfidf-sparse-50k": tfidf,
    "wordllama+shipped tfidf": hybrid,
}


def _rows(matrix, index) -> np.ndarray:
    rows = matrix[index]
    return rows.toarray() if hasattr(rows, "toarray") else np.asarray(rows)


def average_precision(relevant: np.ndarray) -> float:
    hits = np.cumsum(relevant)
    return float((hits / np.arange(1, len(relevant) + 1))[relevant].mean()) if relevant.any() else 0.0


def evaluate(matrix, docs: list[Doc], on_interest: np.ndarray, rng: random.Random) -> tuple[float, float, float, int]:
    """Mean share@10, AP and chance over the windows of one interest, and how many windows there were."""
    weeks = np.array([d.week for d in docs])
    shares, aps, chances = [], [], []
    for cut in range(3, weeks.max() - 1, 4):
        seed_weeks = (weeks >= cut - 3) & (weeks < cut)
        pool = np.flatnonzero((weeks >= cut) & (weeks < cut + 2))
        liked = np.flatnonzero(seed_weeks & on_interest)[-LIKED_CAP:]
        others = np.flatnonzero(seed_weeks & ~on_interest).tolist()
        targets = on_interest[pool]
        if len(liked) < 2 or targets.sum() < 2 or len(others) < DISLIKED:
            continue
        disliked = rng.sample(others, DISLIKED)
        profile = _rows(matrix, liked).mean(axis=0) - 0.5 * _rows(matrix, disliked).mean(axis=0)
        scores = np.asarray(matrix[pool] @ profile).ravel()
        ranked = targets[np.argsort(-scores, kind="stable")]
        k = min(DIGEST, int(targets.sum()))
        shares.append(ranked[:k].sum() / k)
        aps.append(average_precision(ranked))
        chances.append(targets.mean())
    return float(np.mean(shares)), float(np.mean(aps)), float(np.mean(chances)), len(shares)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only WordLlama and the shipped tf-idf + SVD")
    parser.add_argument("--no-keywords", action="store_true", help="leave HF ai_keywords out of each paper's text")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsletter.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    docs = documents(with_keywords=not args.no_keywords)
    print(f"papers={len(docs)} weeks={max(d.week for d in docs) + 1} interests={len(INTERESTS)}")
    flags = {name: np.array([bool(re.search(p, d.plain)) for d in docs]) for name, p in INTERESTS.items()}
    names = ["wordllama-256", "tfidf-svd-256 (shipped)"] if args.quick else list(REPRESENTATIONS)
    summary = []
    for name in names:
        started = time.perf_counter()
        matrix = REPRESENTATIONS[name](docs)
        seconds = time.perf_counter() - started
        print(f"\n{name} ({seconds:.1f} s to represent the corpus)")
        print(f"  {'interest':34} {'papers':>6} {'windows':>7} {'share@10':>8} {'AP':>6} {'chance':>6}")
        rows = []
        for interest, on in flags.items():
            share, ap, chance, windows = evaluate(matrix, docs, on, random.Random(15))
            rows.append((share, ap, chance))
            print(f"  {interest:34} {on.sum():6d} {windows:7d} {share:8.3f} {ap:6.3f} {chance:6.3f}")
        share, ap, chance = np.mean(rows, axis=0)
        print(f"  {'mean':34} {'':6} {'':7} {share:8.3f} {ap:6.3f} {chance:6.3f}")
        summary.append((name, share, ap, chance))
    print(f"\n{'representation':28} share@10     AP  chance")
    for name, share, ap, chance in summary:
        print(f"{name:28} {share:8.3f} {ap:6.3f} {chance:7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
