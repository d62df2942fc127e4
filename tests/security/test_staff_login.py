"""Staff login: guessed passwords are locked out by account and by IP (django-axes); a second factor (TOTP)."""

import logging
import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff():
    return User.objects.create_superuser("ops@example.com", "ops@example.com", PASSWORD)


def log_in(client, username: str, password: str, ip: str = "198.51.100.7", **extra):
    data = {"username": username, "password": password, "next": "/admin/", **extra}
    return client.post("/admin/login/", data, REMOTE_ADDR=ip)


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def code_of(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def test_it_locks_an_account_after_five_wrong_passwords_from_anywhere(client, staff):
    answers = [log_in(client, staff.username, f"guess {n}", ip=f"203.0.113.{n}").status_code for n in range(5)]
    assert answers == [200] * 4 + [429]  # the login form again with its error, then the lockout page
    right = log_in(client, staff.username, PASSWORD, ip="192.0.2.99")
    assert right.status_code == 429
    assert b"Too many failed logins" in right.content
    assert not signed_in(client)


def test_it_locks_an_ip_that_guesses_many_accounts(client, staff):
    for n in range(5):
        log_in(client, f"someone{n}@example.com", "guess", ip="203.0.113.50")
    assert log_in(client, staff.username, PASSWORD, ip="203.0.113.50").status_code == 429
    assert log_in(client, staff.username, PASSWORD, ip="192.0.2.1").status_code == 302


def test_it_lets_the_account_in_again_once_the_lockout_is_over(client, staff):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            log_in(client, staff.username, "guess")
        assert log_in(client, staff.username, PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert log_in(client, staff.username, PASSWORD).status_code == 302
        assert signed_in(client)


def test_it_logs_each_lockout_with_the_account_and_ip(client, staff, caplog):
    with caplog.at_level(logging.WARNING, logger="axes"):
        for _ in range(5):
            log_in(client, staff.username, "guess", ip="203.0.113.9")
    lockouts = [r.getMessage() for r in caplog.records if "Locking out" in r.getMessage()]
    assert len(lockouts) == 1
    assert staff.username in lockouts[0] and "203.0.113.9" in lockouts[0]


def test_it_ignores_a_forged_forwarded_for_header_without_a_trusted_proxy(client, staff):
    for n in range(5):
        data = {"username": staff.username, "password": "guess", "next": "/admin/"}
        client.post("/admin/login/", data, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")
    assert log_in(client, "other@example.com", "guess", ip="203.0.113.9").status_code == 429


@pytest.fixture
def authenticator(staff):
    return TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)


def test_staff_with_an_authenticator_must_give_its_code(client, staff, authenticator):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        without = log_in(client, staff.username, PASSWORD)
        assert without.status_code == 200
        assert "Enter the 6-digit code" in without.content.decode()
        wrong = log_in(client, staff.username, PASSWORD, otp_token=f"{(int(code_of(authenticator)) + 1) % 10**6:06d}")
        assert "wrong or has expired" in wrong.content.decode()
        assert not signed_in(client)
        clock.shift(timedelta(seconds=2))  # django-otp makes a wrong code wait a second before the next try
        assert log_in(client, staff.username, PASSWORD, otp_token=code_of(authenticator)).status_code == 302
        assert signed_in(client)


def test_a_session_without_the_second_factor_is_refused_to_staff_who_have_one(client, staff, authenticator):
    client.force_login(staff)
    assert client.get("/admin/").status_code == 302


def test_staff_without_an_authenticator_log_in_with_the_password_unless_it_is_required(client, staff, settings):
    settings.ADMIN_REQUIRE_2FA = False
    assert log_in(client, staff.username, PASSWORD).status_code == 302
    assert signed_in(client)


def test_when_required_staff_set_up_an_authenticator_before_the_admin_opens(client, staff, settings):
    settings.ADMIN_REQUIRE_2FA = True
    response = log_in(client, staff.username, PASSWORD)
    landing = client.get(response["Location"], follow=True)
    assert landing.request["PATH_INFO"] == "/admin/two-factor/"
    assert "Scan this code" in landing.content.decode()
    assert client.get("/admin/papers/paper/").status_code == 302
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert client.post("/admin/two-factor/", {"otp_token": "12"}).status_code == 400
        clock.shift(timedelta(seconds=2))
        done = client.post("/admin/two-factor/", {"otp_token": code_of(device)})
    assert done.status_code == 302
    assert signed_in(client)
    assert TOTPDevice.objects.get(user=staff).confirmed


def test_the_setup_page_is_for_signed_in_staff_only(client):
    response = client.get("/admin/two-factor/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("setting", [None, ""])
def test_two_factor_is_required_by_default_in_production(setting):
    env = {k: v for k, v in os.environ.items() if k != "ADMIN_REQUIRE_2FA"}
    if setting is not None:
        env["ADMIN_REQUIRE_2FA"] = setting  # as a copied .env.example leaves it
    env.update(
        SITE_URL="https://paperboy.example.com", SECRET_KEY="s" * 60, DJANGO_SETTINGS_MODULE="newsletter.settings"
    )
    script = "import django; django.setup(); from django.conf import settings; print(settings.ADMIN_REQUIRE_2FA)"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "True", result.stderr
