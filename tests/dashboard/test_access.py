import pytest
from django.contrib.auth.models import Permission, User

from tests.dashboard.conftest import open_dashboard

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_it_sends_users_who_are_not_staff_to_the_login_page(client):
    user = User.objects.create_user("reader", "reader@example.com", "a long enough password")
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert b"Health" not in response.content


def test_it_shows_the_stock_admin_index_to_staff_who_may_not_view_subscribers(client):
    staff = User.objects.create_user("editor", "editor@example.com", "a long enough password", is_staff=True)
    client.force_login(staff)
    page = open_dashboard(client)
    assert page.select_one(".pb-dashboard") is None
    assert "newsletter/dashboard.css" not in str(page)


def test_it_shows_the_dashboard_above_the_usual_app_list_to_staff_who_may_view_subscribers(client):
    staff = User.objects.create_user("operator", "op@example.com", "a long enough password", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_subscriber"))
    client.force_login(staff)
    page = open_dashboard(client)
    dashboard, app_list = page.select_one(".pb-dashboard"), page.select_one("#content-main")
    assert [h.get_text() for h in dashboard.select("h2")] == [
        "Health",
        "Actions",
        "Trends",
        "Top trending papers this week",
        "Most followed authors and organisations",
        "Recent ingestion runs",
        "Recent failed deliveries",
    ]
    assert dashboard in app_list.find_all_previous()  # the stock list of apps follows the dashboard


def test_it_loads_its_stylesheet_from_static_files_without_inline_styles(admin_client):
    response = admin_client.get("/admin/")
    html = response.content.decode()
    assert "newsletter/dashboard.css" in html
    assert " style=" not in html.split('class="pb-dashboard"', 1)[1]
    assert "<script" not in html.split('class="pb-dashboard"', 1)[1]
