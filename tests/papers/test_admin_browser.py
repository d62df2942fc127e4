"""A staff user drives ingestion from the admin in Chromium: run now, upload a file, read the run, edit a topic."""

import pytest
from django.db import connections

from papers.models import IngestionRun, Topic
from tests.conftest import wait_for
from tests.papers.conftest import REAL


@pytest.fixture
def short_lived_connections(monkeypatch):
    """Database connections that do not outlive the test and block dropping the test database.

    Chromium keeps HTTP connections alive, so the live server's request threads would keep persistent
    database connections. (Playwright's sync API also runs the test in a greenlet whose context gets
    connections of its own, unseen by pytest-django's teardown: the test closes those itself.)
    """
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)


@pytest.mark.browser
@pytest.mark.usefixtures("short_lived_connections")
def test_staff_runs_an_ingestion_uploads_a_file_and_edits_a_topic(
    browser, live_server, artifacts, celery_worker, default_topics, django_user_model
):
    django_user_model.objects.create_superuser("editor", "editor@example.com", "a long test password")
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/papers/ingestionrun/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "a long test password")
    page.click("input[type=submit]")

    # Run now: a real worker picks the run up; nothing lacks arXiv details yet, so it succeeds empty.
    page.click("text=Run arxiv now")
    assert "Queued a arXiv run" in page.inner_text(".messagelist")
    run = IngestionRun.objects.get()
    wait_for(lambda: IngestionRun.objects.get(pk=run.pk).status == "succeeded", timeout=60, message="the worker's run")
    page.reload()
    assert "Succeeded" in page.inner_text("#result_list")
    page.screenshot(path=artifacts / "papers-admin-runs.png", full_page=True)

    # Upload a saved HF daily papers response; the run page shows what happened.
    page.click("text=Upload a file")
    page.set_input_files("#id_file", str(REAL / "hf_daily_papers_2025-10-01.indent2.json"))
    page.screenshot(path=artifacts / "papers-admin-upload-form.png", full_page=True)
    page.click("input[value='Ingest file']")
    assert "created=37 updated=0 unchanged=0 failed=0" in page.inner_text(".messagelist")
    page.screenshot(path=artifacts / "papers-admin-run-detail.png", full_page=True)

    # The papers now carry topic badges; hiding one marks it.
    page.goto(f"{live_server.url}/admin/papers/paper/")
    assert page.locator(".topic-badge").count() > 37
    page.locator("#result_list input[name=_selected_action]").first.check()
    page.select_option("select[name=action]", "hide")
    page.click("button[name=index]")
    assert "Hid 1 paper." in page.inner_text(".messagelist")
    assert page.locator(".flag-hidden").count() == 1
    page.click("text=Vision-Zero: Scalable VLM Self-Improvement via Strategic Gamified Self-Play")
    assert "arxiv.org/abs/2509.25541" in page.inner_html("div.field-links")
    page.screenshot(path=artifacts / "papers-admin-paper.png", full_page=True)
    page.screenshot(path=artifacts / "papers-admin-papers.png")

    # Edit a topic's keywords; the admin says how to apply them, and the action re-tags.
    page.goto(f"{live_server.url}/admin/papers/topic/")
    page.click("text=Agents & tool use")
    page.fill("#id_keywords", page.input_value("#id_keywords") + "\ninformation-seeking")
    page.click("input[name=_save]")
    assert "Re-tag all papers" in page.inner_text(".messagelist")
    assert "information-seeking" in Topic.objects.get(slug="agents").keywords
    page.screenshot(path=artifacts / "papers-admin-topics.png", full_page=True)

    connections.close_all()  # the ones of Playwright's greenlet context (see short_lived_connections)
