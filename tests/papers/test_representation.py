"""The text representation: unit float32 rows from a model shipped with the project, loaded once, and a clear
start-up error when that model is missing or broken, never a fallback to the other one."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured

from papers import representation
from papers.apps import check_text_model
from papers.representation import DIMENSIONS, paper_text, represent

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["tfidf", "wordllama"])
def text_model(request, settings):
    settings.PAPERS_TEXT_MODEL = request.param
    return request.param


def test_it_gives_one_unit_float32_row_per_text(text_model):
    vectors = represent(["Speculative decoding for LLM inference", "Protein structure prediction", ""])
    assert vectors.dtype == np.float32
    assert vectors.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, atol=1e-5)
    assert not vectors[2].any()  # nothing to say: a zero row, never NaN
    assert represent([]).shape == (0, DIMENSIONS)


def test_it_places_texts_on_one_subject_closer_than_unrelated_ones(text_model):
    draft, kv_cache, proteins = represent(
        [
            "Speculative decoding: a small draft model proposes tokens that the large language model verifies.",
            "Compressing the KV cache of large language models to speed up long-context inference and decoding.",
            "Predicting protein structures and binding affinities of small molecules for drug discovery.",
        ]
    )
    assert draft @ kv_cache > draft @ proteins + 0.1


def test_it_loads_the_model_once_per_process(text_model):
    assert representation.model() is representation.model()
    assert representation.model_name().startswith(text_model)


def test_it_names_the_tfidf_model_after_its_file(settings, tmp_path):
    copy = tmp_path / "model.npz"
    shutil.copy(settings.PAPERS_TFIDF_PATH, copy)
    shipped = representation.model_name()
    settings.PAPERS_TFIDF_PATH = copy
    assert representation.model_name() == shipped  # same bytes, same space
    assert shipped.startswith("tfidf-svd-256-")


def test_it_reads_the_title_the_abstract_then_the_ai_keywords():
    class Paper:
        title = "Medusa:  simple LLM\n inference acceleration"
        abstract = "Extra decoding heads."
        ai_keywords = ["speculative decoding", "LLM inference"]

    assert paper_text(Paper()) == (
        "Medusa: simple LLM inference acceleration. Extra decoding heads. "
        "Keywords: speculative decoding, LLM inference"
    )
    Paper.ai_keywords = []
    assert paper_text(Paper()) == "Medusa: simple LLM inference acceleration. Extra decoding heads."


def test_it_refuses_to_start_without_the_tfidf_file(settings, tmp_path):
    settings.PAPERS_TFIDF_PATH = tmp_path / "nowhere.npz"
    with pytest.raises(ImproperlyConfigured, match="the text model is missing: .*nowhere.npz does not exist"):
        representation.check_installed()
    (error,) = check_text_model()
    assert error.id == "papers.E001"


def test_it_refuses_to_start_without_the_wordllama_files(settings, tmp_path):
    settings.PAPERS_TEXT_MODEL = "wordllama"
    settings.PAPERS_WORDLLAMA_DIR = str(tmp_path)
    with pytest.raises(ImproperlyConfigured, match="the text model is missing: .*l2_supercat_256.safetensors"):
        representation.check_installed()


def test_it_refuses_an_unknown_model_name(settings):
    settings.PAPERS_TEXT_MODEL = "bert"
    with pytest.raises(ImproperlyConfigured, match="PAPERS_TEXT_MODEL must be one of tfidf, wordllama, got 'bert'"):
        representation.check_installed()


def test_it_reports_a_broken_tfidf_file_in_the_system_check(settings, tmp_path):
    broken = tmp_path / "model.npz"
    broken.write_bytes(Path(settings.PAPERS_TFIDF_PATH).read_bytes()[:5000])
    settings.PAPERS_TFIDF_PATH = broken
    (error,) = check_text_model()
    assert error.id == "papers.E001"
    assert "cannot be loaded" in error.msg


def test_it_reports_a_broken_wordllama_tokenizer_in_the_system_check(settings, tmp_path):
    settings.PAPERS_TEXT_MODEL = "wordllama"
    shutil.copytree(representation.model_path() / "weights", tmp_path / "weights")
    (tmp_path / "tokenizers").mkdir()
    (tmp_path / "tokenizers" / "l2_supercat_tokenizer_config.json").write_text('{"truncated": ')
    settings.PAPERS_WORDLLAMA_DIR = str(tmp_path)
    (error,) = check_text_model()
    assert error.id == "papers.E001"
    assert "cannot be loaded" in error.msg


def test_it_stops_manage_py_with_a_one_line_reason_when_the_model_is_missing(tmp_path):
    env = {**os.environ, "PAPERS_TFIDF_PATH": str(tmp_path / "gone.npz")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: the text model is missing" in result.stderr.splitlines()[-1]
