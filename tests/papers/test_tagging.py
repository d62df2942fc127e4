"""The keyword score: explainable keyword, category and ai_keyword signals that operators steer in the admin, and
that the learned tagger weighs beside the text vector (tests/papers/test_learned_tagger.py)."""

import pytest

from bench.tagging import evaluate_rules, labelled_papers
from papers.models import Paper
from papers.tagging import matchers, retag, score_topics
from tests.factories import make_paper, make_topic

pytestmark = pytest.mark.django_db

MEASURED_F1 = 0.809  # the keyword rules alone on labels.json, the papers they were tuned on


def slugs(topic_matchers, scores):
    names = {m.topic_id: m.slug for m in topic_matchers}
    return {names[t] for t in scores}


def test_its_keyword_rules_keep_their_f1_on_the_hand_labelled_papers(default_topics):
    papers = labelled_papers()
    assert len(papers) == 218
    score = evaluate_rules(default_topics, papers)
    assert score.f1 >= MEASURED_F1 - 0.01, score
    assert 1.0 <= score.mean_topics <= 3.0


def test_it_weighs_a_keyword_in_the_title_more_than_in_the_abstract():
    (robots,) = matchers([make_topic("robotics", keywords="robot*\nmanipulation")])
    in_title = robots.score("robot manipulation at home", "", "", [], "")
    in_abstract = robots.score("a study", "robot manipulation at home", "", [], "")
    assert in_title > in_abstract > 0


def test_it_reads_prefixes_title_only_keywords_and_arxiv_categories():
    vision = make_topic("vision", keywords="title: vision\nsegmentation", arxiv_categories="cs.CV")
    science = make_topic("science", keywords="protein*", arxiv_categories="q-bio*")
    found = matchers([vision, science])
    # "vision" in an abstract alone says little; in the title, with the primary category, it decides.
    assert score_topics(found, "A study", "Our vision is broad. " * 3) == {}
    tagged = score_topics(found, "Vision models", "We do segmentation.", categories=["cs.CV"], primary_category="cs.CV")
    assert slugs(found, tagged) == {"vision"}
    folding = score_topics(found, "Proteins fold", "Proteins.", categories=["q-bio.BM"], primary_category="q-bio.BM")
    assert slugs(found, folding) == {"science"}


def test_it_counts_hugging_face_ai_keywords():
    agents = make_topic("agents", keywords="agent*\ntool use")
    found = matchers([agents])
    assert score_topics(found, "A study", "", ai_keywords=[]) == {}
    assert slugs(found, score_topics(found, "Agents", "", ai_keywords=["tool use", "LLM agents"])) == {"agents"}


def test_it_retags_every_paper_after_a_topic_is_edited():
    # A topic the learned tagger never saw is tagged by its keywords alone, so editing them decides it.
    make_topic("code", keywords="code generation")
    knots = make_topic("knots", keywords="knot invariant")
    paper = make_paper(title="Knot invariant learning", abstract="We learn knot invariants from diagrams.")
    retag()
    assert knots in paper.topics.all()
    knots.keywords = "molecule"
    knots.save()
    assert retag() == Paper.objects.count()
    assert knots not in paper.topics.all()
