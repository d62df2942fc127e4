"""Send a batch of digests: one connection, one recipient per message, each delivery marked as it goes."""

import contextlib
import logging
import re
import smtplib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F
from django.utils import timezone

from newsletter.compose import NOTHING_NEW, Digest, compose_ids
from newsletter.models import Delivery, SendingSwitch
from newsletter.render import Rendered, Renderer, personal_links
from subscribers.models import Subscriber

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # temporary failures before a delivery is given up
MAX_BACKOFF = timedelta(minutes=5)
HARD_BOUNCE_LIMIT = 3  # permanent failures in a row that suppress a subscriber
MAILBOX_FAILURE = re.compile(r"\b5\.1\.\d{1,3}\b")  # RFC 3463: bad destination mailbox or address
NOT_ACTIVE = "The subscriber is no longer active"


@dataclass
class BatchResult:
    counts: Counter = field(default_factory=Counter)  # sent, skipped, failed, retry
    retry_ids: list[int] = field(default_factory=list)
    retry_in: timedelta = MAX_BACKOFF


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def message_id(delivery: Delivery) -> str:
    """The same Message-ID for every attempt of a delivery, so a resend is recognisable as one message."""
    return f"<digest.{delivery.id}.{delivery.period}@{site_domain()}>"


def build_message(digest: Digest, rendered: Rendered, links: dict[str, str], connection=None) -> EmailMultiAlternatives:
    sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or f"paperboy@{site_domain()}"
    headers = {
        "Message-ID": message_id(digest.delivery),
        # RFC 8058 one-click: mail providers POST "List-Unsubscribe=One-Click" to the https URL.
        "List-Unsubscribe": f"<{links['unsubscribe_url']}>, <mailto:{sender}?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{settings.SITE_NAME} digest <digest.{site_domain()}>",
        "Precedence": "bulk",
        "Auto-Submitted": "auto-generated",
    }
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.subscriber.email],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


def smtp_failure(exc: Exception) -> tuple[int | None, str]:
    """The SMTP reply code and text of a failed send; no code for a lost connection."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, text = next(iter(exc.recipients.values()))
        return code, text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        return exc.smtp_code, text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return None, f"{type(exc).__name__}: {exc}"


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=1) * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def active_subscribers():
    return Subscriber.objects.filter(status=Subscriber.Status.ACTIVE).values("id")


def claim(delivery: Delivery, now: datetime) -> bool:
    """Take a delivery for sending, once: a second worker, a retried task or a duplicate message gets 0 rows.

    The status test must sit on the updated row itself, not in a joined subquery: PostgreSQL re-checks only
    the row's own conditions after waiting for a concurrent update, so a join would let two workers through.
    """
    return bool(
        Delivery.objects.filter(
            id=delivery.id, status__in=Delivery.SENDABLE, subscriber_id__in=active_subscribers()
        ).update(status=Delivery.Status.SENDING, attempts=F("attempts") + 1, updated_at=now)
    )


def record_sent(digest: Digest, mid: str, now: datetime) -> None:
    Delivery.objects.filter(id=digest.delivery.id).update(
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        message_id=mid,
        error="",
        retry_at=None,
        new_papers=digest.new_papers,
    )
    Subscriber.objects.filter(id=digest.subscriber.id).update(last_digest_at=now, consecutive_failures=0)


def record_failure(digest: Digest, exc: Exception, now: datetime, result: BatchResult) -> None:
    delivery = digest.delivery
    attempts = delivery.attempts + 1
    code, text = smtp_failure(exc)
    error = f"{code} {text}" if code else text
    if code is None or 400 <= code < 500:
        if attempts < MAX_ATTEMPTS:
            wait = backoff(attempts)
            Delivery.objects.filter(id=delivery.id).update(
                status=Delivery.Status.RETRY, retry_at=now + wait, error=error
            )
            result.counts["retry"] += 1
            result.retry_ids.append(delivery.id)
            result.retry_in = min(result.retry_in, wait)
            return
        error = f"Gave up after {attempts} temporary failures: {error}"
    Delivery.objects.filter(id=delivery.id).update(status=Delivery.Status.FAILED, error=error, retry_at=None)
    result.counts["failed"] += 1
    if code is None or code < 500:
        return
    subscriber = Subscriber.objects.filter(id=digest.subscriber.id)
    subscriber.update(consecutive_failures=F("consecutive_failures") + 1)
    active = subscriber.filter(status=Subscriber.Status.ACTIVE)
    if MAILBOX_FAILURE.search(text):
        active.update(status=Subscriber.Status.BOUNCED)
    else:
        active.filter(consecutive_failures__gte=HARD_BOUNCE_LIMIT).update(status=Subscriber.Status.BOUNCED)


def skip(digests: list[Digest], reason: str, now: datetime, result: BatchResult) -> None:
    ids = [d.delivery.id for d in digests]
    if not ids:
        return
    result.counts["skipped"] += Delivery.objects.filter(id__in=ids, status__in=Delivery.SENDABLE).update(
        status=Delivery.Status.SKIPPED, skip_reason=reason, updated_at=now
    )
    if reason == NOTHING_NEW:  # the period was covered: the next digest looks only at what came after it
        Subscriber.objects.filter(id__in=[d.subscriber.id for d in digests]).update(last_digest_at=now)


def postpone(digests: list[Digest], exc: Exception, now: datetime, result: BatchResult) -> None:
    """The mail server cannot be reached: try these deliveries again later, with the same bounded backoff."""
    error = smtp_failure(exc)[1]
    pending = Delivery.objects.filter(id__in=[d.delivery.id for d in digests], status__in=Delivery.SENDABLE)
    by_attempts: dict[int, list[int]] = {}
    for pk, attempts in pending.values_list("id", "attempts"):
        by_attempts.setdefault(attempts + 1, []).append(pk)
    for attempts, ids in by_attempts.items():
        rows = Delivery.objects.filter(id__in=ids, status__in=Delivery.SENDABLE)
        if attempts >= MAX_ATTEMPTS:
            failed = f"Gave up after {attempts} temporary failures: {error}"
            result.counts["failed"] += rows.update(status=Delivery.Status.FAILED, attempts=attempts, error=failed)
            continue
        wait = backoff(attempts)
        result.counts["retry"] += rows.update(
            status=Delivery.Status.RETRY, attempts=attempts, retry_at=now + wait, error=error, updated_at=now
        )
        result.retry_ids += ids
        result.retry_in = min(result.retry_in, wait)


def deliver(digests: list[Digest], connection, now: datetime, result: BatchResult) -> None:
    """Send each digest over one connection, reopened after a drop; if it cannot be reopened, postpone the rest."""
    renderer = Renderer()
    connected = False
    for n, digest in enumerate(digests):
        if not connected:
            try:
                connection.open()
            except (smtplib.SMTPException, OSError) as exc:
                postpone(digests[n:], exc, now, result)
                return
            connected = True
        if not claim(digest.delivery, now):
            continue
        links = personal_links(digest)
        message = build_message(digest, renderer.render(digest, links), links, connection)
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("delivery %s to subscriber %s failed: %s", digest.delivery.id, digest.subscriber.id, exc)
            record_failure(digest, exc, now, result)
            if not isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
                with contextlib.suppress(Exception):  # the connection is gone; the next send opens a new one
                    connection.close()
                connected = False
            continue
        record_sent(digest, message.extra_headers["Message-ID"], now)
        result.counts["sent"] += 1


def send_batch(delivery_ids: list[int], now: datetime | None = None) -> BatchResult:
    """Compose, render and send the given deliveries; finished, taken or vanished ones are left alone."""
    now = now or timezone.now()
    result = BatchResult()
    if SendingSwitch.is_paused():
        return result
    digests = compose_ids(delivery_ids, now)
    skip([d for d in digests if not d.items], NOTHING_NEW, now, result)
    connection = get_connection()
    try:
        deliver([d for d in digests if d.items], connection, now, result)
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    inactive = Delivery.objects.filter(id__in=delivery_ids, status__in=Delivery.SENDABLE).exclude(
        subscriber_id__in=active_subscribers()
    )
    result.counts["skipped"] += inactive.update(status=Delivery.Status.SKIPPED, skip_reason=NOT_ACTIVE, updated_at=now)
    return result
