"""The Actions area: links to operator tools that exist, each opening its page."""

import pytest

from newsletter.admin_site import ACTIONS
from tests.dashboard.conftest import open_dashboard

pytestmark = pytest.mark.django_db


def test_it_links_to_every_operator_page_and_every_link_opens(admin_client):
    page = open_dashboard(admin_client)
    links = page.select("a.pb-action-link")
    assert sorted(a.get_text() for a in links) == sorted(label for _, label, _ in ACTIONS)
    for link in links:
        assert admin_client.get(link["href"]).status_code == 200, link["href"]


def test_it_offers_every_control_that_changes_state_as_a_post_form_with_a_csrf_token(admin_client):
    page = open_dashboard(admin_client)
    buttons = {button["data-action"]: button for button in page.select("button[data-action]")}
    assert set(buttons) == {"run-hf-daily", "run-hf-page", "run-arxiv", "retag", "pause", "preview", "history"}
    for name in ["run-hf-daily", "run-hf-page", "run-arxiv", "retag", "pause"]:
        form = buttons[name].find_parent("form")
        assert form["method"] == "post" and form.select_one("input[name=csrfmiddlewaretoken]"), name
    assert page.select_one("button[data-action=preview]").find_parent("form")["method"] == "get"


def test_it_says_plainly_when_there_is_nothing_to_show_yet(admin_client):
    page = open_dashboard(admin_client)
    text = " ".join(page.get_text(" ").split())
    for sentence in [
        "No beat schedule yet: nothing runs on its own until one is added.",
        "No paper is trending this week yet.",
        "No ingestion has run yet.",
        "No failed delivery.",
    ]:
        assert sentence in text
    assert " ".join(page.select_one(".pb-headline").get_text().split()) == (
        "0 of 0 active subscribers would get fewer papers than they asked for this week (0 candidate papers)."
    )
