import pytest


@pytest.mark.browser
def test_the_home_page_opens_in_chromium(browser, live_server, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(live_server.url + "/")
    assert "Paperboy" in page.title()
    page.screenshot(path=artifacts / "home-smoke.png", full_page=True)
