"""A text representation of every paper: one L2-normalised 256-dimension float32 vector of its title, abstract
and Hugging Face ai_keywords.

Two models, chosen by PAPERS_TEXT_MODEL, both installed with the project so nothing is downloaded at run time:

- `tfidf` (the default): scikit-learn tf-idf of unigrams and bigrams, fitted on the real corpus of Hugging Face
  daily papers and reduced to 256 dimensions by truncated SVD; the fitted vocabulary, idf weights and
  projection are the small file `papers/textmodel/tfidf-svd-256.npz` (`manage.py fit_text_model` makes it).
- `wordllama`: WordLlama's 256-dimension `l2_supercat` embedding, whose weights and tokenizer ship inside the
  `wordllama` wheel.

`python -m bench.representation` measured both (docs/personalisation.md): on narrow interests the tf-idf model
finds twice as many of a reader's later on-interest papers. The model is loaded once per process, on first use.
A missing model stops start-up (`PapersConfig.ready` raises ImproperlyConfigured) and a broken one fails
`manage.py check` (papers.E001); neither ever falls back to the other model.

Vectors are stored on `Paper.vector` (float32 bytes) with `Paper.vector_model` naming the model that made them
(the tf-idf name carries a digest of its file), so a change of model never mixes two spaces: `vectors_for`
returns only current vectors, and `represent_papers` recomputes the others.
"""

import functools
import hashlib
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q, QuerySet

from papers.models import Paper

log = logging.getLogger(__name__)

DIMENSIONS = 256
BATCH = 500
TEXT_FIELDS = ("title", "abstract", "ai_keywords")  # what paper_text reads: a change needs a new vector
MODELS = ("tfidf", "wordllama")
WORDLLAMA_CONFIG = "l2_supercat"
# How the tf-idf model reads text; fit_tfidf and the loader must agree, so both take them from here.
TFIDF_OPTIONS = {"sublinear_tf": True, "ngram_range": (1, 2), "stop_words": "english", "dtype": np.float32}
TFIDF_FEATURES = 8000


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


class TfidfModel:
    """tf-idf of the fitted vocabulary, projected on the SVD components: sparse text in, dense rows out."""

    def __init__(self, path: Path):
        # Imported here: scikit-learn takes a second to import, and only a process that embeds needs it.
        from sklearn.feature_extraction.text import TfidfVectorizer

        with np.load(path, allow_pickle=False) as data:  # no pickles: the file holds plain arrays only
            vocabulary = {str(term): i for i, term in enumerate(data["vocabulary"])}
            self.components = data["components"].astype(np.float32)
            idf = data["idf"].astype(np.float32)
        if self.components.shape != (DIMENSIONS, len(vocabulary)) or idf.shape != (len(vocabulary),):
            raise ValueError(f"components {self.components.shape} and idf {idf.shape} do not fit the vocabulary")
        self.vectorizer = TfidfVectorizer(vocabulary=vocabulary, **TFIDF_OPTIONS)
        self.vectorizer.idf_ = idf
        self.name = f"tfidf-svd-{DIMENSIONS}-{hashlib.sha256(path.read_bytes()).hexdigest()[:10]}"

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.vectorizer.transform(texts) @ self.components.T)


class WordLlamaModel:
    """The mean of WordLlama's token embeddings."""

    def __init__(self, folder: Path):
        from wordllama import WordLlama  # imported here for the same reason as scikit-learn above

        # cache_dir is the package itself: WordLlama looks for its tokenizer in "tokenizer/" beside its code,
        # while the wheel holds "tokenizers/"; as a cache folder both files are found and nothing is fetched.
        self.model = WordLlama.load(config=WORDLLAMA_CONFIG, dim=DIMENSIONS, cache_dir=folder, disable_download=True)
        self.name = f"wordllama-{WORDLLAMA_CONFIG}-{DIMENSIONS}"

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.model.embed(texts, norm=False)


def configured() -> str:
    kind = settings.PAPERS_TEXT_MODEL
    if kind not in MODELS:
        raise ImproperlyConfigured(f"PAPERS_TEXT_MODEL must be one of {', '.join(MODELS)}, got {kind!r}")
    return kind


def model_path() -> Path:
    """The file (tfidf) or folder (wordllama) the configured model is read from."""
    if configured() == "tfidf":
        return Path(settings.PAPERS_TFIDF_PATH)
    if settings.PAPERS_WORDLLAMA_DIR:
        return Path(settings.PAPERS_WORDLLAMA_DIR)
    try:
        import wordllama  # imported here: only this model needs the package
    except ImportError as exc:
        raise ImproperlyConfigured(f"PAPERS_TEXT_MODEL=wordllama needs the wordllama package ({exc})") from None
    return Path(wordllama.__file__).parent


def check_installed() -> None:
    """Raise ImproperlyConfigured, naming the file, unless the configured model's files are on disk."""
    path = model_path()
    if configured() == "tfidf":
        needed = [path]
        hint = "run `manage.py fit_text_model`, or fix PAPERS_TFIDF_PATH"
    else:
        needed = [path / f"weights/{WORDLLAMA_CONFIG}_{DIMENSIONS}.safetensors",
                  path / f"tokenizers/{WORDLLAMA_CONFIG}_tokenizer_config.json"]  # fmt: skip
        hint = "reinstall wordllama from requirements.txt, or fix PAPERS_WORDLLAMA_DIR"
    for file in needed:
        if not file.is_file():
            raise ImproperlyConfigured(f"the text model is missing: {file} does not exist ({hint})")


@functools.lru_cache(maxsize=4)
def _load(kind: str, path: str):
    try:
        return TfidfModel(Path(path)) if kind == "tfidf" else WordLlamaModel(Path(path))
    except Exception as exc:
        raise ImproperlyConfigured(f"the text model {path} cannot be loaded: {type(exc).__name__}: {exc}") from exc


def model():
    """The configured model, loaded once per process (and per configured file)."""
    check_installed()
    return _load(configured(), str(model_path()))


def model_name() -> str:
    """The name stored in Paper.vector_model beside every vector the current model makes."""
    return model().name


def represent(texts: Sequence[str]) -> np.ndarray:
    """An (n, DIMENSIONS) float32 array, one L2-normalised row per text; a text with nothing to go on gives a
    zero row (never NaN)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return _unit_rows(model().embed(list(texts)))


def paper_text(paper) -> str:
    """What a paper's vector is made of: its title, its abstract, then Hugging Face's ai_keywords if any."""
    parts = [" ".join((paper.title or "").split()), " ".join((paper.abstract or "").split())]
    if paper.ai_keywords:
        parts.append("Keywords: " + ", ".join(paper.ai_keywords))
    text = ""
    for part in filter(None, parts):
        if text:
            text += " " if text.endswith((".", "?", "!")) else ". "
        text += part
    return text


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.float32)


def set_vectors(papers: Sequence[Paper]) -> None:
    """Compute and assign (not save) the vector of each paper, in one batch."""
    if not papers:
        return
    vectors = represent([paper_text(p) for p in papers])
    name = model_name()
    for paper, vector in zip(papers, vectors, strict=True):
        paper.vector = to_bytes(vector)
        paper.vector_model = name


def vectors_for(paper_ids: Iterable[int]) -> dict[int, np.ndarray]:
    """Paper id -> its current vector, in one query; papers without one (or with a stale one) are left out."""
    rows = Paper.objects.filter(pk__in=list(paper_ids), vector_model=model_name(), vector__isnull=False)
    return {pk: from_bytes(data) for pk, data in rows.values_list("pk", "vector")}


def stale() -> QuerySet:
    """Papers whose vector is missing or was made by another model."""
    return Paper.objects.filter(~Q(vector_model=model_name()) | Q(vector__isnull=True))


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


def fit_tfidf(texts: Sequence[str], path: Path, features: int = TFIDF_FEATURES) -> str:
    """Fit the tf-idf model on `texts` and write it to `path`; return its model name."""
    # Imported here: fitting happens once, by hand; the rest of the module never needs these.
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(min_df=2, max_features=features, **TFIDF_OPTIONS)
    matrix = vectorizer.fit_transform(texts)
    svd = TruncatedSVD(n_components=DIMENSIONS, random_state=0).fit(matrix)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        np.savez_compressed(
            file,
            vocabulary=vectorizer.get_feature_names_out().astype(str),
            idf=vectorizer.idf_.astype(np.float32),
            components=svd.components_.astype(np.float16),  # half precision: the file stays small, rows barely move
        )
    return TfidfModel(path).name
