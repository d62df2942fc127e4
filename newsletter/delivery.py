"""Send a batch of digests: one connection, one recipient per message, each delivery marked as it goes."""

import contextlib
import functools
import logging
import random
import re
import smtplib
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

import psycopg
from django.conf import settings
from django.core.mail import get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Exists, F
from django.utils import timezone

from newsletter.compose import NOTHING_NEW, Digest, compose_ids
from newsletter.mime import DigestMessage
from newsletter.models import Delivery, SendingSwitch
from newsletter.render import Rendered, Renderer, personal_links
from subscribers.models import Subscriber

log = logging.getLogger(__name__)

# Temporary failures (4xx, 552, a lost connection) are retried until the delivery is this old, then failed.
RETRY_WINDOW = timedelta(hours=24)
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(minutes=30)  # waits longer than a Celery countdown are left to the tick's sweep
MAILBOX_FAILURE = re.compile(r"\b5\.1\.\d{1,3}\b")  # RFC 3463: bad destination mailbox or address
NOT_ACTIVE = "The subscriber is no longer active"


@dataclass
class BatchResult:
    counts: Counter = field(default_factory=Counter)  # sent, skipped, failed, retry
    retry_ids: list[int] = field(default_factory=list)
    retry_in: timedelta = MAX_BACKOFF
    leftover_ids: list[int] = field(default_factory=list)  # not tried before the batch's time ran out


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def message_id(delivery: Delivery) -> str:
    """The same Message-ID for every attempt of a delivery, so a resend is recognisable as one message."""
    return f"<digest.{delivery.id}.{delivery.period}@{site_domain()}>"


@functools.lru_cache(maxsize=4)
def sender_address(from_email: str, domain: str) -> str:
    """The bare address of DEFAULT_FROM_EMAIL, for the mailto: unsubscribe link: parsed once, not per message."""
    return parseaddr(from_email)[1] or f"paperboy@{domain}"


def build_message(digest: Digest, rendered: Rendered, links: dict[str, str], connection=None) -> DigestMessage:
    sender = sender_address(settings.DEFAULT_FROM_EMAIL, site_domain())
    headers = {
        "Message-ID": message_id(digest.delivery),
        # RFC 8058 one-click: mail providers POST "List-Unsubscribe=One-Click" to the https URL.
        "List-Unsubscribe": f"<{links['unsubscribe_url']}>, <mailto:{sender}?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{settings.SITE_NAME} digest <digest.{site_domain()}>",
        "Precedence": "bulk",
        "Auto-Submitted": "auto-generated",
    }
    message = DigestMessage(
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


def is_temporary(code: int | None) -> bool:
    """4xx and a lost connection are temporary; so is 552 (RFC 5321 asks clients to treat it as 452)."""
    return code is None or 400 <= code < 500 or code == 552


def backoff(attempts: int) -> timedelta:
    """Exponential from one minute, capped, with jitter so a recovering server is not hit by every retry at once."""
    wait = min(FIRST_BACKOFF * 2 ** min(max(attempts - 1, 0), 16), MAX_BACKOFF)
    return wait * random.uniform(0.5, 1.0)


def gave_up(created_at: datetime | None, now: datetime) -> bool:
    return created_at is not None and now - created_at >= RETRY_WINDOW


def active_subscribers():
    return Subscriber.objects.receiving().values("id")


# On PostgreSQL the claim locks the reader's row (FOR NO KEY UPDATE) and takes the delivery in one statement.
# The status test sits on the updated row itself, not in a joined subquery: PostgreSQL re-checks only the
# row's own conditions after waiting for a concurrent update, so a join would let two workers through.
CLAIM_SQL = """
WITH reader AS (
    SELECT id FROM {subscriber} WHERE id = %(subscriber)s AND status = %(active)s FOR NO KEY UPDATE
)
UPDATE {delivery} SET status = %(sending)s, attempts = attempts + 1, updated_at = %(updated_at)s
WHERE id = %(delivery)s AND status IN ({sendable})
    AND subscriber_id IN (SELECT id FROM reader)
    AND NOT EXISTS (SELECT 1 FROM {switch} WHERE id = 1 AND paused)
"""
RECORD_SQL = """
WITH sent AS (
    UPDATE {delivery} SET status = %(sent)s, sent_at = %(sent_at)s, message_id = %(message_id)s, error = '',
        retry_at = NULL, new_papers = %(new_papers)s, updated_at = %(sent_at)s
    WHERE id = %(delivery)s RETURNING subscriber_id
)
UPDATE {subscriber} SET last_digest_at = %(now)s, consecutive_failures = 0 WHERE id IN (SELECT subscriber_id FROM sent)
"""


@functools.cache
def statement(sql: str) -> str:
    """`sql` with its table names and the sendable statuses (our constants, not input) filled in, once per process."""
    tables = {"delivery": Delivery, "subscriber": Subscriber, "switch": SendingSwitch}
    names = {k: db_connection.ops.quote_name(model._meta.db_table) for k, model in tables.items()}
    return sql.format(**names, sendable=", ".join(f"'{status}'" for status in Delivery.SENDABLE))


class PreparedCursor(psycopg.Cursor):
    """A psycopg cursor that binds parameters on the server and prepares each statement on the connection the
    first time it runs: the claim and the record are parsed and planned once per connection, not per message.
    Django's own cursors bind on the client and prepare nothing (prepared statements need a PgBouncer of 1.21 or
    later with max_prepared_statements set, in transaction mode)."""

    def execute(self, query, params=None, *, prepare: bool | None = True, binary: bool | None = None):
        return super().execute(query, params, prepare=prepare, binary=binary)

    def _convert_query(self, query, params=None):
        # psycopg leaves `_query` unset when it runs a prepared statement; Django's query log reads the SQL there.
        self._query = converted = super()._convert_query(query, params)
        return converted


def execute(sql: str, params: dict) -> int:
    """Run one of the statements above, prepared, through Django's cursor wrapper: its execute wrappers, query
    log and error translation stay as for any query."""
    db_connection.ensure_connection()
    with db_connection._prepare_cursor(PreparedCursor(db_connection.connection)) as cursor:
        cursor.execute(statement(sql), params)
        return cursor.rowcount


def claim(digest: Digest, now: datetime) -> bool:
    """Take a delivery for sending, once, if its reader is still active and sending is not paused.

    A second worker, a retried task or a duplicate message gets nothing. On PostgreSQL the reader's row
    stays locked until the transaction ends, so an unsubscribe (or a bounce) waits for this one send
    and nothing leaves for the reader once it has returned. The hot path of every message: one
    statement there, where the ORM would take two and compile both each time.
    """
    if db_connection.vendor == "postgresql":
        params = {
            "subscriber": digest.subscriber.id, "active": Subscriber.Status.ACTIVE, "sending": Delivery.Status.SENDING,
            "updated_at": timezone.now(), "delivery": digest.delivery.id,
        }  # fmt: skip
        return execute(CLAIM_SQL, params) == 1
    return bool(  # SQLite: no row locks, one writer at a time
        Delivery.objects.filter(
            id=digest.delivery.id, status__in=Delivery.SENDABLE, subscriber_id__in=active_subscribers()
        )
        .exclude(Exists(SendingSwitch.objects.filter(id=1, paused=True)))
        .move(Delivery.Status.SENDING, attempts=F("attempts") + 1)
    )


def record_sent(digest: Digest, mid: str, now: datetime) -> None:
    """Mark the delivery sent and the reader's digest as of `now` (one statement on PostgreSQL)."""
    values = {"sent_at": timezone.now(), "message_id": mid, "new_papers": digest.new_papers}
    if db_connection.vendor == "postgresql":
        execute(RECORD_SQL, {**values, "sent": Delivery.Status.SENT, "delivery": digest.delivery.id, "now": now})
        return
    sent = Delivery.objects.filter(id=digest.delivery.id)
    sent.move(Delivery.Status.SENT, error="", retry_at=None, **values)
    Subscriber.objects.filter(id=digest.subscriber.id).update(last_digest_at=now, consecutive_failures=0)


def record_failure(digest: Digest, exc: Exception, now: datetime, result: BatchResult) -> None:
    delivery = digest.delivery
    attempts = delivery.attempts + 1
    code, text = smtp_failure(exc)
    error = f"{code} {text}" if code else text
    if is_temporary(code):
        if not gave_up(delivery.created_at, now):
            wait = backoff(attempts)
            Delivery.objects.filter(id=delivery.id).move(Delivery.Status.RETRY, retry_at=now + wait, error=error)
            result.counts["retry"] += 1
            result.retry_ids.append(delivery.id)
            result.retry_in = min(result.retry_in, wait)
            return
        error = f"Gave up after {attempts} temporary failures in {RETRY_WINDOW}: {error}"
    Delivery.objects.filter(id=delivery.id).move(Delivery.Status.FAILED, error=error, retry_at=None)
    result.counts["failed"] += 1
    if code is None:  # our side or the network: says nothing about the address
        return
    # The suppression list is the subscriber's status: a bad mailbox at once, other refusals after repeats.
    reader = Subscriber.objects.filter(id=digest.subscriber.id)
    if code >= 500 and code != 552 and MAILBOX_FAILURE.search(text):
        reader.hard_bounce()
    else:
        reader.soft_bounce()


def skip(digests: list[Digest], reason: str, now: datetime, result: BatchResult) -> None:
    ids = [d.delivery.id for d in digests]
    if not ids:
        return
    result.counts["skipped"] += Delivery.objects.filter(id__in=ids, status__in=Delivery.SENDABLE).move(
        Delivery.Status.SKIPPED, skip_reason=reason
    )
    if reason == NOTHING_NEW:  # the period was covered: the next digest looks only at what came after it
        Subscriber.objects.filter(id__in=[d.subscriber.id for d in digests]).update(last_digest_at=now)


def postpone(digests: list[Digest], exc: Exception, now: datetime, result: BatchResult) -> None:
    """The mail server cannot be reached: try these deliveries again later, with the same bounded backoff."""
    error = smtp_failure(exc)[1]
    pending = Delivery.objects.filter(id__in=[d.delivery.id for d in digests], status__in=Delivery.SENDABLE)
    by_attempts: dict[tuple[int, bool], list[int]] = {}
    for pk, attempts, created_at in pending.values_list("id", "attempts", "created_at"):
        by_attempts.setdefault((attempts + 1, gave_up(created_at, now)), []).append(pk)
    for (attempts, too_old), ids in by_attempts.items():
        rows = Delivery.objects.filter(id__in=ids, status__in=Delivery.SENDABLE)
        if too_old:
            failed = f"Gave up after {attempts} temporary failures in {RETRY_WINDOW}: {error}"
            result.counts["failed"] += rows.move(Delivery.Status.FAILED, attempts=attempts, error=failed)
            continue
        wait = backoff(attempts)
        result.counts["retry"] += rows.move(Delivery.Status.RETRY, attempts=attempts, retry_at=now + wait, error=error)
        result.retry_ids += ids
        result.retry_in = min(result.retry_in, wait)


def deliver(
    digests: list[Digest], connection, now: datetime, result: BatchResult, deadline: float = float("inf")
) -> None:
    """Send each digest over one connection, reopened after a drop; if it cannot be reopened, postpone the rest.

    Past `deadline` (time.monotonic()) the rest is left for another task: a time limit striking mid-send
    would roll back a message the server may already have taken, and send it twice.
    """
    renderer = Renderer.shared()
    connected = False
    for n, digest in enumerate(digests):
        if time.monotonic() > deadline:
            result.leftover_ids = [d.delivery.id for d in digests[n:]]
            return
        if not connected:
            try:
                connection.open()
            except (smtplib.SMTPException, OSError) as exc:
                postpone(digests[n:], exc, now, result)
                return
            connected = True
        connected = send_one(digest, renderer, connection, now, result)


def send_one(digest: Digest, renderer: Renderer, connection, now: datetime, result: BatchResult) -> bool:
    """Claim, send and record one delivery; return whether the connection is still usable.

    Where the database has row locks the claim, the send and the record are one transaction: a worker killed
    mid-send rolls the claim back, so the delivery is sent again (at most one duplicate, if the message had
    left) instead of being lost. Without them (SQLite) the claim is committed first and a delivery stuck in
    "sending" is queued again by the tick's sweep.
    """
    locking = db_connection.features.has_select_for_update
    with transaction.atomic() if locking else contextlib.nullcontext():
        if not claim(digest, now):
            return True
        links = personal_links(digest)
        message = build_message(digest, renderer.render(digest, links), links, connection)
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("delivery %s to subscriber %s failed: %s", digest.delivery.id, digest.subscriber.id, exc)
            record_failure(digest, exc, now, result)
            if isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
                return True
            with contextlib.suppress(Exception):  # the connection is gone; the next send opens a new one
                connection.close()
            return False
        record_sent(digest, message.extra_headers["Message-ID"], now)
        result.counts["sent"] += 1
    return True


def send_deliveries(delivery_ids: list[int], now: datetime | None = None) -> BatchResult:
    """Compose, render and send the given deliveries; finished, taken or vanished ones are left alone.

    It stops after half the task's soft time limit and returns the rest as `leftover_ids`.
    """
    deadline = time.monotonic() + settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
    now = now or timezone.now()
    result = BatchResult()
    if SendingSwitch.is_paused():
        return result
    digests = compose_ids(delivery_ids, now)
    skip([d for d in digests if not d.items], NOTHING_NEW, now, result)
    connection = get_connection()
    try:
        deliver([d for d in digests if d.items], connection, now, result, deadline)
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    inactive = Delivery.objects.filter(id__any=delivery_ids, status__in=Delivery.SENDABLE).exclude(
        subscriber_id__in=active_subscribers()
    )
    result.counts["skipped"] += inactive.move(Delivery.Status.SKIPPED, skip_reason=NOT_ACTIVE)
    return result
