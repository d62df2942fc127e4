"""The reader's-path helpers (a real worker emailing a real SMTP server on loopback) for the security tests."""

from tests.subscribers.conftest import fresh_rate_limits, mail_worker, outbox, topics  # noqa: F401
