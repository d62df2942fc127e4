"""The dashboard's controls: pause and resume sending, retry a period's failures, re-tag, run an ingestion."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from newsletter.claims import claim_and_sweep
from newsletter.models import Delivery, DeliveryItem, SendingSwitch
from papers.models import IngestionRun, PaperTopic
from tests.conftest import WorkerProcess, purge_broker, wait_for
from tests.dashboard.conftest import figure, messages_shown, open_dashboard
from tests.factories import make_delivery, make_paper, make_subscriber, make_topic, week_of

CONTROLS = [
    "/admin/dashboard/sending/",
    "/admin/dashboard/retry/",
    "/admin/dashboard/retag/",
    "/admin/dashboard/preview/1/test/",
]
PAGES = ["/admin/dashboard/preview/", "/admin/dashboard/preview/1/html/", "/admin/dashboard/history/1/"]


@pytest.mark.django_db
def test_it_pauses_sending_so_the_tick_claims_nothing_then_resumes_it(admin_client, django_capture_on_commit_callbacks):
    reader = make_subscriber(next_digest_at=timezone.now() - timedelta(minutes=1))
    response = admin_client.post(
        "/admin/dashboard/sending/", {"action": "pause", "reason": "SMTP provider outage"}, follow=True
    )
    assert messages_shown(response) == [
        "Sending paused: the tick claims no digest and workers send none until you resume."
    ]
    assert SendingSwitch.is_paused() and SendingSwitch.objects.get().reason == "SMTP provider outage"
    page = open_dashboard(admin_client)
    assert figure(page, "sending") == "paused"
    assert page.select_one("button[data-action=resume]") and not page.select_one("button[data-action=pause]")
    assert claim_and_sweep(on_commit=None) == ([], []) and not Delivery.objects.exists()

    response = admin_client.post("/admin/dashboard/sending/", {"action": "resume"}, follow=True)
    assert messages_shown(response) == [
        "Sending resumed: 0 held-back digest(s) queued; readers who came due meanwhile get one digest at the next tick."
    ]
    assert figure(open_dashboard(admin_client), "sending") == "on"
    claimed, _ = claim_and_sweep(on_commit=None)
    assert Delivery.objects.get(pk__in=claimed).subscriber == reader


def test_the_resume_button_sends_the_digests_the_pause_held_back(transactional_db, smtp_server, client):
    operator = User.objects.create_superuser("operator", "operator@example.com", "a long enough password")
    client.force_login(operator)
    make_paper({"llm": 0.9}, title="A paper that waited out the pause")
    client.post("/admin/dashboard/sending/", {"action": "pause", "reason": "provider incident"}, follow=True)
    held = [make_delivery(make_subscriber(f"held{n}@example.com")) for n in range(2)]  # queued, not sent

    purge_broker()
    worker = WorkerProcess(extra_env={"EMAIL_URL": smtp_server.url}).start()
    try:
        response = client.post("/admin/dashboard/sending/", {"action": "resume"}, follow=True)
        assert messages_shown(response)[0].startswith("Sending resumed: 2 held-back digest(s) queued;")
        wait_for(lambda: Delivery.objects.filter(status="sent").count() == 2, timeout=60, message="held digests")
    finally:
        worker.stop()
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [d.subscriber.email for d in held]
    assert SendingSwitch.objects.get().reason == "resumed by operator"


@pytest.mark.django_db
def test_it_refuses_an_unknown_switch_position_in_one_line(admin_client):
    response = admin_client.post("/admin/dashboard/sending/", {"action": "explode"}, follow=True)
    assert messages_shown(response) == ["Choose pause or resume."]
    assert not SendingSwitch.is_paused()


def test_it_retries_the_failed_digests_of_a_period_through_the_worker(transactional_db, smtp_server, client):
    operator = User.objects.create_superuser("operator", "operator@example.com", "a long enough password")
    client.force_login(operator)
    # A worker process runs on the real clock: the periods are this week and the one before.
    this_week, last_week = week_of(timezone.now()), week_of(timezone.now() - timedelta(days=7))
    paper = make_paper({"llm": 0.9}, title="A paper worth a second try")
    readers = [make_subscriber(f"reader{n}@example.com") for n in range(3)]
    gone = make_subscriber("gone@example.com", status="bounced")
    failed = [
        make_delivery(r, this_week, status="failed", attempts=5, error="Gave up after 5 temporary failures: 451")
        for r in [*readers, gone]
    ]
    for delivery in failed:
        DeliveryItem.objects.create(delivery=delivery, paper=paper, position=1, reason="Because you follow LLMs")
    other = make_delivery(make_subscriber("later@example.com"), last_week, status="failed", error="451")
    page = open_dashboard(client)
    options = [o.get_text() for o in page.select("select[name=period] option")]
    assert options == [f"{last_week}: 1 failed", f"{this_week}: 4 failed"]

    purge_broker()
    worker = WorkerProcess(extra_env={"EMAIL_URL": smtp_server.url}).start()
    try:
        response = client.post("/admin/dashboard/retry/", {"period": this_week}, follow=True)
        assert messages_shown(response) == [
            f"Queued 3 failed digest(s) of {this_week} again; 1 left alone (their readers are no longer active)."
        ]
        wait_for(lambda: len(smtp_server.messages) >= 3, timeout=60, message="three retried digests")
        wait_for(lambda: Delivery.objects.filter(status="sent").count() == 3, message="three deliveries sent")
    finally:
        worker.stop()
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [r.email for r in readers]
    assert all(
        "A paper worth a second try" in m.message.get_body(("plain",)).get_content() for m in smtp_server.messages
    )
    assert Delivery.objects.get(subscriber=gone).status == "failed"
    assert Delivery.objects.get(pk=other.pk).status == "failed"  # another period is left alone


@pytest.mark.django_db
def test_it_says_when_a_period_has_nothing_to_retry(admin_client):
    response = admin_client.post("/admin/dashboard/retry/", {"period": "2026-W01"}, follow=True)
    assert messages_shown(response) == ["No failed digest in 2026-W01: nothing to retry."]
    response = admin_client.post("/admin/dashboard/retry/", {"period": ""}, follow=True)
    assert messages_shown(response) == ["Choose a period whose failed digests to retry."]


def test_it_retags_every_paper_in_the_worker_after_a_topic_is_edited(transactional_db, celery_worker, client):
    client.force_login(User.objects.create_superuser("operator", "operator@example.com", "a long enough password"))
    topic = make_topic("quantum", "Quantum computing", keywords="")
    paper = make_paper(title="Quantum error correction with transformers", abstract="Quantum circuits, qubits.")
    assert not PaperTopic.objects.filter(paper=paper).exists()
    topic.keywords = "quantum\nqubit*"
    topic.save()

    response = client.post("/admin/dashboard/retag/", follow=True)

    assert messages_shown(response) == ["Re-tagging 1 paper in the background with the current topics."]
    wait_for(lambda: PaperTopic.objects.filter(paper=paper, topic=topic).exists(), message="the paper re-tagged")


@pytest.mark.django_db
def test_it_queues_an_ingestion_run_from_the_dashboard_form(admin_client, django_capture_on_commit_callbacks):
    page = open_dashboard(admin_client)
    form = page.select_one("button[data-action=run-arxiv]").find_parent("form")
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(form["action"], {"source": form.select_one("input[name=source]")["value"]})
    assert response.status_code == 302
    run = IngestionRun.objects.get()
    assert (run.source, run.trigger, run.status) == ("arxiv", "admin", "running")
    assert len(callbacks) == 1  # the task goes to the broker once the run is committed


@pytest.mark.django_db
@pytest.mark.parametrize("url", CONTROLS + PAGES)
def test_it_sends_anonymous_visitors_of_every_control_to_the_login_page(client, url):
    response = client.post(url) if url in CONTROLS else client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("url", CONTROLS)
def test_it_refuses_staff_without_the_permission_to_change_anything(client, url):
    staff = User.objects.create_user("viewer", "viewer@example.com", "a long enough password", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_subscriber"))
    client.force_login(staff)
    make_subscriber()
    assert client.post(url, {"action": "pause", "period": "2026-W48"}).status_code == 403
    assert not SendingSwitch.is_paused()


@pytest.mark.django_db
@pytest.mark.parametrize("url", CONTROLS)
def test_it_refuses_a_post_without_the_csrf_token(url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_superuser("operator", "operator@example.com", "a long enough password"))
    assert client.post(url, {"action": "pause"}).status_code == 403
    assert not SendingSwitch.is_paused()


@pytest.mark.django_db
@pytest.mark.parametrize("url", CONTROLS)
def test_it_changes_nothing_on_a_get(admin_client, url):
    assert admin_client.get(url).status_code == 405
