"""The run command's setup stage: migrate, papers (live or the demo), admin account; twice in a row is harmless."""

import socket

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from papers.models import IngestionRun, Paper
from tests.factories import make_paper


@pytest.fixture
def offline(settings, tmp_path):
    """Hugging Face does not answer: its URL is a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.PAPERS_HF_URL = f"http://127.0.0.1:{port}"
    settings.PAPERS_HTTP_ALLOWED_HOSTS = [*settings.PAPERS_HTTP_ALLOWED_HOSTS, "127.0.0.1"]
    settings.STATIC_ROOT = tmp_path / "static"


@pytest.mark.django_db(transaction=True)
def test_it_sets_up_an_empty_database_twice_without_duplicates(offline, capsys, monkeypatch):
    monkeypatch.setenv("ADMIN_EMAIL", "ops@example.com")
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    call_command("bootstrap")
    first = capsys.readouterr().out
    papers_after_first = Paper.objects.count()
    call_command("bootstrap")
    second = capsys.readouterr().out

    admin = get_user_model().objects.get()
    assert admin.is_superuser and admin.email == "ops@example.com"
    assert "Admin account created: ops@example.com / " in first
    password = first.split("Admin account created: ops@example.com / ")[1].split()[0]
    assert admin.check_password(password)
    assert "(exists)" in second and password not in second
    assert Paper.objects.count() == papers_after_first


@pytest.mark.django_db(transaction=True)
def test_without_network_it_loads_the_demo_and_the_home_page_says_so(offline, client, capsys):
    call_command("bootstrap")
    out = capsys.readouterr().out
    assert "failed: could not fetch" in out and "Hugging Face did not answer; the other 6 days wait" in out
    assert "Loading the bundled demo papers" in out and "2025-12-19: created=25" in out
    failed = IngestionRun.objects.filter(status="failed").get()
    assert failed.source == "hf-daily" and "could not fetch" in failed.errors
    assert Paper.objects.count() == 536
    page = client.get("/").content.decode()
    assert "Demo data: real papers of 3 November – 19 December 2025." in page
    assert "Trending in the week of 15 Dec to 21 Dec 2025" in page


@pytest.mark.django_db(transaction=True)
def test_without_network_it_keeps_live_papers_and_adds_no_demo(offline, capsys):
    make_paper(arxiv_id="2611.00001")
    IngestionRun.objects.create(source="hf-daily", status="succeeded", created=1, parameters={"date": "2026-11-02"})
    call_command("bootstrap")
    assert "demo" not in capsys.readouterr().out.lower()
    assert Paper.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_takes_the_admin_password_from_the_environment(offline, capsys, monkeypatch):
    monkeypatch.setenv("ADMIN_EMAIL", "ops@example.com")
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse battery staple")
    call_command("bootstrap", "--no-fetch", "--no-demo")
    assert "correct horse" not in capsys.readouterr().out
    assert get_user_model().objects.get().check_password("correct horse battery staple")
