"""A text representation of every paper: one L2-normalised float32 vector of its title and abstract.

The model is WordLlama's 256-dimension `l2_supercat` embedding, whose weights and tokenizer ship inside
the installed `wordllama` wheel, so nothing is downloaded at run time. It is loaded once per process, on
first use. A missing model stops start-up (`PapersConfig.ready` raises ImproperlyConfigured) and a broken
one fails `manage.py check` (papers.E001); neither ever falls back to another representation.

Vectors are stored on `Paper.vector` (float32 bytes) with `Paper.vector_model` naming the model that made
them, so a change of model never mixes vectors of two spaces: `vectors_for` returns only current ones.
`python -m bench.representation` measures this model against a tf-idf alternative.
"""

import functools
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet

from papers.models import Paper

log = logging.getLogger(__name__)

CONFIG = "l2_supercat"
DIMENSIONS = 256
MODEL_NAME = f"wordllama-{CONFIG}-{DIMENSIONS}"
BATCH = 500
TEXT_FIELDS = ("title", "abstract")  # what paper_text reads: a change to these needs a new vector


def model_dir() -> Path:
    """The folder holding `weights/` and `tokenizers/`: the installed wordllama package unless configured."""
    if settings.PAPERS_WORDLLAMA_DIR:
        return Path(settings.PAPERS_WORDLLAMA_DIR)
    try:
        import wordllama
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"the text model needs the wordllama package ({exc}); install requirements.txt"
        ) from None
    return Path(wordllama.__file__).parent


def check_installed() -> None:
    """Raise ImproperlyConfigured, naming the file, unless the model's weights and tokenizer are on disk."""
    folder = model_dir()
    for needed in (f"weights/{CONFIG}_{DIMENSIONS}.safetensors", f"tokenizers/{CONFIG}_tokenizer_config.json"):
        if not (folder / needed).is_file():
            raise ImproperlyConfigured(
                f"the text model is missing: {folder / needed} does not exist "
                "(reinstall wordllama from requirements.txt, or fix PAPERS_WORDLLAMA_DIR)"
            )


@functools.lru_cache(maxsize=2)
def _load(folder: str):
    from wordllama import WordLlama  # imported on first use: a process that never embeds never pays for it

    try:
        # cache_dir is the package itself: WordLlama looks for its tokenizer in "tokenizer/" beside its code,
        # while the wheel holds "tokenizers/"; as a cache folder both files are found and nothing is fetched.
        return WordLlama.load(config=CONFIG, dim=DIMENSIONS, cache_dir=Path(folder), disable_download=True)
    except Exception as exc:
        raise ImproperlyConfigured(f"the text model in {folder} cannot be loaded: {type(exc).__name__}: {exc}") from exc


def model():
    """The loaded model, once per process (and per configured folder)."""
    check_installed()
    return _load(str(model_dir()))


def represent(texts: Sequence[str]) -> np.ndarray:
    """An (n, DIMENSIONS) float32 array, one L2-normalised row per text; an empty text gives a zero row."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = np.asarray(model().embed(list(texts), norm=False), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def paper_text(paper) -> str:
    """What a paper's vector is made of: its title, then its abstract."""
    title = " ".join((paper.title or "").split())
    abstract = " ".join((paper.abstract or "").split())
    return f"{title}. {abstract}" if abstract else title


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.float32)


def set_vectors(papers: Sequence[Paper]) -> None:
    """Compute and assign (not save) the vector of each paper, in one batch."""
    vectors = represent([paper_text(p) for p in papers])
    for paper, vector in zip(papers, vectors, strict=True):
        paper.vector = to_bytes(vector)
        paper.vector_model = MODEL_NAME


def vectors_for(paper_ids: Iterable[int]) -> dict[int, np.ndarray]:
    """Paper id -> its current vector, in one query; papers without one (or with a stale one) are left out."""
    rows = Paper.objects.filter(pk__in=list(paper_ids), vector_model=MODEL_NAME, vector__isnull=False)
    return {pk: from_bytes(data) for pk, data in rows.values_list("pk", "vector")}


def stale() -> QuerySet:
    """Papers whose vector is missing or was made by another model."""
    return Paper.objects.exclude(vector_model=MODEL_NAME) | Paper.objects.filter(vector__isnull=True)


def represent_papers(paper_ids: Iterable[int] | None = None, *, batch: int = BATCH, progress=None) -> int:
    """(Re)compute the vectors of the given papers (the stale ones when None); return how many were written."""
    queryset = stale() if paper_ids is None else Paper.objects.filter(pk__in=list(paper_ids))
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), batch):
        papers = list(Paper.objects.filter(pk__in=ids[start : start + batch]).only("pk", *TEXT_FIELDS))
        set_vectors(papers)
        with transaction.atomic():
            Paper.objects.bulk_update(papers, ["vector", "vector_model"], batch_size=batch)
        done += len(papers)
        if progress:
            progress(done, len(ids))
    return done
