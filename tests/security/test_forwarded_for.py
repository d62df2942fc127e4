"""X-Forwarded-For is believed only as far as TRUSTED_PROXY_COUNT proxies wrote it: no dodged limits, no forged IPs."""

import pytest
from django.test import RequestFactory

from subscribers.client_ip import client_ip
from subscribers.models import Consent
from tests.factories import make_subscriber
from tests.subscribers.conftest import form_data
from tests.test_settings import run_check


def test_without_a_trusted_proxy_a_forged_header_does_not_dodge_the_per_ip_limit(client, topics, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # an https SITE_URL, as in the review
    answers = [
        client.post(
            "/subscribe/", form_data(f"r{n}@example.com"), REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        ).status_code
        for n in range(11)
    ]
    assert answers == [302] * 10 + [429]


@pytest.mark.django_db
def test_without_a_trusted_proxy_the_consent_ip_is_the_real_peer(client, topics, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    pending = make_subscriber("ada@example.com", status="pending", confirm_nonce="n1")
    client.post(f"/confirm/{pending.confirm_token()}/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="1.1.1.1")
    assert Consent.objects.get().ip_address == "203.0.113.5"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "192.0.2.10"),
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (2, "198.51.100.1", ""),  # fewer hops than proxies: it did not come through them
        (1, "not-an-ip", ""),
    ],
)
def test_it_takes_the_client_from_the_hop_the_trusted_proxies_added(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_start_up_refuses_a_negative_proxy_count():
    result = run_check(TRUSTED_PROXY_COUNT="-1")
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT=-1" in result.stderr.strip().splitlines()[-1]
