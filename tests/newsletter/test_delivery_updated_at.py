"""Every change of a delivery's status stamps `updated_at`, the time the dashboard dates it by."""

from datetime import UTC, datetime, timedelta

import pytest

from newsletter import delivery
from newsletter.models import Delivery
from tests.factories import make_delivery, make_paper, make_subscriber
from tests.smtp import free_port

NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
A_DAY_LATER = NOW + timedelta(hours=25)  # past the retry window: a temporary failure is given up

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(NOW)]


@pytest.fixture
def waiting() -> Delivery:
    """A delivery made at NOW whose reader has a paper to get."""
    make_paper(topics={"llm": 0.9})
    return make_delivery(make_subscriber("ada@example.com", topics=["llm"]))


def updated_at(d: Delivery) -> datetime:
    return Delivery.objects.values_list("updated_at", flat=True).get(id=d.id)


def test_a_sent_digest_is_dated_when_it_was_sent(smtp_server, waiting, frozen_clock):
    frozen_clock.move_to(A_DAY_LATER)
    assert delivery.send_deliveries([waiting.id], A_DAY_LATER).counts["sent"] == 1
    assert updated_at(waiting) == A_DAY_LATER


def test_a_permanent_failure_is_dated_when_it_happened(smtp_server, waiting, frozen_clock):
    smtp_server.handler.rcpt_replies["ada@example.com"] = "550 5.1.1 No such user"
    frozen_clock.move_to(A_DAY_LATER)
    delivery.send_deliveries([waiting.id], A_DAY_LATER)
    assert Delivery.objects.get(id=waiting.id).status == Delivery.Status.FAILED
    assert updated_at(waiting) == A_DAY_LATER


def test_a_temporary_failure_waiting_to_retry_is_dated_when_it_happened(smtp_server, waiting, frozen_clock):
    smtp_server.handler.data_reply = "451 4.3.0 Try again later"
    frozen_clock.move_to(NOW + timedelta(minutes=5))
    delivery.send_deliveries([waiting.id], NOW + timedelta(minutes=5))
    assert Delivery.objects.get(id=waiting.id).status == Delivery.Status.RETRY
    assert updated_at(waiting) == NOW + timedelta(minutes=5)


def test_giving_up_on_an_unreachable_mail_server_is_dated_when_it_gave_up(settings, waiting, frozen_clock):
    settings.EMAIL_BACKEND = "newsletter.mail.SMTPBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    frozen_clock.move_to(A_DAY_LATER)
    delivery.send_deliveries([waiting.id], A_DAY_LATER)
    d = Delivery.objects.get(id=waiting.id)
    assert d.status == Delivery.Status.FAILED and d.error.startswith("Gave up after")
    assert d.updated_at == A_DAY_LATER
