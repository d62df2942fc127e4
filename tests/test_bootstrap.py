"""The run command's setup stage: migrate, demo data, admin account; twice in a row is harmless."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from papers.models import Paper


@pytest.mark.django_db(transaction=True)
def test_it_sets_up_an_empty_database_twice_without_duplicates(capsys, monkeypatch):
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
def test_it_takes_the_admin_password_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("ADMIN_EMAIL", "ops@example.com")
    monkeypatch.setenv("ADMIN_PASSWORD", "correct horse battery staple")
    call_command("bootstrap", "--no-demo")
    assert "correct horse" not in capsys.readouterr().out
    assert get_user_model().objects.get().check_password("correct horse battery staple")
