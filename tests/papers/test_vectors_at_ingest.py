"""Every ingested paper gets its text vector; a text change gives it a new one; they load in one query."""

import json

import numpy as np
import pytest

from papers.ingest import ingest_content
from papers.models import Paper
from papers.representation import DIMENSIONS, model_name, paper_text, represent, vectors_for
from tests.papers.conftest import real

pytestmark = pytest.mark.django_db

DAY = "hf_daily_papers_2026-06-12.json"


def test_it_stores_a_vector_for_every_created_paper():
    ingest_content("hf-daily", real(DAY))
    papers = list(Paper.objects.all())
    assert len(papers) == 30
    vectors = vectors_for(p.pk for p in papers)
    assert set(vectors) == {p.pk for p in papers}
    assert {p.vector_model for p in papers} == {model_name()}
    some = papers[3]
    assert vectors[some.pk].shape == (DIMENSIONS,)
    assert np.allclose(vectors[some.pk], represent([paper_text(some)])[0], atol=1e-6)


def test_it_recomputes_the_vector_when_the_abstract_changes():
    ingest_content("hf-daily", real(DAY))
    paper = Paper.objects.get(arxiv_id="2606.00467")
    before = vectors_for([paper.pk])[paper.pk]
    body = json.loads(real(DAY))
    for item in body:
        if item["paper"]["id"] == "2606.00467":
            item["paper"]["summary"] = "We study protein folding with diffusion models for drug discovery."
    run = ingest_content("hf-daily", json.dumps(body).encode())
    assert run.updated == 1
    after = vectors_for([paper.pk])[paper.pk]
    paper.refresh_from_db()
    assert np.allclose(after, represent([paper_text(paper)])[0], atol=1e-6)
    assert not np.allclose(after, before)


def test_it_leaves_out_papers_without_a_current_vector(django_assert_num_queries):
    ingest_content("hf-daily", real(DAY))
    ids = list(Paper.objects.values_list("pk", flat=True))
    Paper.objects.filter(pk=ids[0]).update(vector=None, vector_model="")
    Paper.objects.filter(pk=ids[1]).update(vector_model="some-older-model")
    with django_assert_num_queries(1):
        vectors = vectors_for(ids)
    assert set(vectors) == set(ids[2:])
