"""A staff member who may only view changes nothing: every admin action that changes state needs its own permission."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from newsletter.models import Delivery, SendingSwitch
from papers.models import IngestionRun, Paper, Topic
from subscribers.models import Subscriber
from tests.factories import make_delivery, make_paper, make_subscriber, make_topic
from tests.papers.conftest import real

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client):
    """Staff with every "view" permission and nothing else, logged in."""
    user = User.objects.create_user("viewer", "viewer@example.com", "a long viewer password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client.force_login(user)
    return client


@pytest.fixture
def paper():
    return make_paper(topics={"llm": 5.0})


def changelist_action(model: str, action: str, pk: int) -> tuple[str, dict]:
    return reverse(f"admin:{model}_changelist"), {"action": action, "_selected_action": [pk]}


@pytest.mark.parametrize("action", ["hide", "pin"])
def test_it_refuses_paper_actions_to_a_viewer(viewer, paper, action):
    url, data = changelist_action("papers_paper", action, paper.pk)
    viewer.post(url, data)
    paper.refresh_from_db()
    assert (paper.hidden, paper.pinned) == (False, False)


def test_it_refuses_retagging_selected_papers_to_a_viewer(viewer, paper):
    url, data = changelist_action("papers_paper", "retag_selected", paper.pk)
    response = viewer.post(url, data, follow=True)
    assert b"Re-tagged" not in response.content
    assert list(paper.topic_scores.values_list("topic__slug", "score")) == [("llm", 5.0)]


@pytest.mark.parametrize("action", ["unhide", "unpin"])
def test_it_refuses_undoing_moderation_to_a_viewer(viewer, action):
    paper = make_paper(hidden=True, pinned=True)
    url, data = changelist_action("papers_paper", action, paper.pk)
    viewer.post(url, data)
    paper.refresh_from_db()
    assert (paper.hidden, paper.pinned) == (True, True)


def test_it_refuses_retagging_every_paper_from_the_topic_list_to_a_viewer(
    viewer, paper, django_capture_on_commit_callbacks
):
    topic = make_topic("llm")
    url, data = changelist_action("papers_topic", "retag_all", topic.pk)
    with django_capture_on_commit_callbacks() as queued:
        response = viewer.post(url, data)
    assert queued == []
    assert b"Re-tagging all" not in response.content


def test_it_refuses_run_now_to_a_viewer(viewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = viewer.post(reverse("admin:papers_ingestionrun_run"), {"source": "hf-daily"})
    assert response.status_code == 403
    assert queued == [] and not IngestionRun.objects.exists()


def test_it_refuses_the_upload_form_and_the_upload_to_a_viewer(viewer):
    assert viewer.get(reverse("admin:papers_ingestionrun_upload")).status_code == 403
    upload = SimpleUploadedFile("day.json", real("hf_daily_papers_2025-10-01.indent2.json"))
    response = viewer.post(reverse("admin:papers_ingestionrun_upload"), {"source": "", "file": upload})
    assert response.status_code == 403
    assert not Paper.objects.exists() and not IngestionRun.objects.exists()


def test_it_hides_run_and_upload_buttons_from_a_viewer(viewer):
    page = viewer.get(reverse("admin:papers_ingestionrun_changelist")).content.decode()
    assert reverse("admin:papers_ingestionrun_upload") not in page
    assert reverse("admin:papers_ingestionrun_run") not in page


def test_it_still_lets_a_viewer_read_the_runs_and_papers(viewer, paper):
    assert viewer.get(reverse("admin:papers_ingestionrun_changelist")).status_code == 200
    assert viewer.get(reverse("admin:papers_paper_change", args=[paper.pk])).status_code == 200


def test_it_lets_staff_with_add_ingestion_run_upload(viewer):
    user = User.objects.get(username="viewer")
    user.user_permissions.add(Permission.objects.get(codename="add_ingestionrun"))
    upload = SimpleUploadedFile("day.json", real("hf_daily_papers_2025-10-01.indent2.json"))
    viewer.post(reverse("admin:papers_ingestionrun_upload"), {"source": "", "file": upload})
    assert Paper.objects.count() == 37


def test_it_refuses_a_test_send_from_the_delivery_list_to_a_viewer(viewer, django_capture_on_commit_callbacks):
    delivery = make_delivery(make_subscriber(), status=Delivery.Status.SENT)
    url, data = changelist_action("newsletter_delivery", "send_digest_now", delivery.pk)
    with django_capture_on_commit_callbacks() as queued:
        viewer.post(url, data)
    assert queued == []
    assert Delivery.objects.count() == 1


@pytest.mark.parametrize(("action", "status"), [("pause", "active"), ("unsubscribe", "active")])
def test_it_refuses_subscriber_actions_to_a_viewer(viewer, action, status):
    subscriber = make_subscriber()
    url, data = changelist_action("subscribers_subscriber", action, subscriber.pk)
    viewer.post(url, data)
    subscriber.refresh_from_db()
    assert subscriber.status == status


def test_it_refuses_the_subscriber_import_to_a_viewer(viewer, topics):
    upload = SimpleUploadedFile(
        "r.csv", b"email,topics,frequency,weekday,hour,timezone\nnew@example.com,llm,weekly,0,8,UTC\n"
    )
    response = viewer.post(reverse("admin:subscribers_subscriber_import"), {"file": upload})
    assert response.status_code == 403
    assert not Subscriber.objects.filter(email="new@example.com").exists()


@pytest.fixture
def topics():
    return [make_topic("llm")]


def test_it_refuses_pausing_all_sending_to_a_viewer(viewer):
    response = viewer.post(reverse("dashboard_sending"), {"action": "pause"})
    assert response.status_code == 403
    assert not SendingSwitch.objects.filter(paused=True).exists()


def test_it_refuses_the_sending_switch_change_form_to_a_viewer(viewer):
    switch, _ = SendingSwitch.objects.get_or_create(id=1)
    viewer.post(reverse("admin:newsletter_sendingswitch_change", args=[switch.pk]), {"paused": "on", "reason": "x"})
    switch.refresh_from_db()
    assert not switch.paused


def test_it_refuses_retrying_failed_digests_to_a_viewer(viewer):
    delivery = make_delivery(make_subscriber(), status=Delivery.Status.FAILED)
    assert viewer.post(reverse("dashboard_retry"), {"period": delivery.period}).status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED


def test_it_refuses_the_dashboard_retag_to_a_viewer(viewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        assert viewer.post(reverse("dashboard_retag")).status_code == 403
    assert queued == []


def test_it_refuses_a_test_send_from_the_preview_to_a_viewer(viewer, mailoutbox):
    subscriber = make_subscriber()
    assert viewer.post(reverse("dashboard_send_test", args=[subscriber.pk])).status_code == 403
    assert mailoutbox == []


def test_it_shows_a_viewer_no_buttons_they_may_not_press_on_the_dashboard(viewer):
    page = viewer.get("/admin/").content.decode()
    assert 'data-action="run-hf-daily"' not in page
    assert 'data-action="retag"' not in page


def test_it_refuses_editing_a_topic_to_a_viewer(viewer):
    topic = make_topic("llm", "Language models")
    viewer.post(reverse("admin:papers_topic_change", args=[topic.pk]), {"name": "Changed", "slug": "llm"})
    assert Topic.objects.get(pk=topic.pk).name == "Language models"
