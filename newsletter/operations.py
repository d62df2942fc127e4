"""What an operator does to digests from the dashboard: retry a period's failures, send a test, read a history."""

from dataclasses import dataclass
from datetime import datetime
from email.utils import make_msgid

from django.db import transaction
from django.db.models import Count, Prefetch

from newsletter.compose import Digest, preview
from newsletter.delivery import build_message, site_domain
from newsletter.models import Delivery, DeliveryItem, Feedback
from newsletter.render import Rendered, Renderer, personal_links
from subscribers.models import Subscriber

# A test copy goes to the operator, not the reader: a one-click unsubscribe in their mail client must not
# unsubscribe the reader, so these headers are left out of it.
READER_ONLY_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post")


@dataclass
class Retried:
    queued: int
    left: int  # failed deliveries of readers no longer active: not sent again


def retry_failed(period: str, *, on_commit) -> Retried:
    """Queue the failed deliveries of `period` again, through the same batch task as the tick.

    Their recorded papers are sent again (compose keeps a delivery's items); attempts restart from zero.
    Readers who bounced, complained or left since are not written to again.
    """
    failed = Delivery.objects.filter(period=period, status=Delivery.Status.FAILED)
    with transaction.atomic():
        ids = list(
            failed.filter(subscriber__status=Subscriber.Status.ACTIVE).select_for_update().values_list("id", flat=True)
        )
        queued = Delivery.objects.filter(id__in=ids, status=Delivery.Status.FAILED).move(
            Delivery.Status.QUEUED, attempts=0, retry_at=None
        )
        if ids and on_commit:
            transaction.on_commit(lambda: on_commit(ids))
    return Retried(queued, failed.count())


def render_preview(subscriber: Subscriber, now: datetime | None = None) -> tuple[Digest, Rendered]:
    """The digest `subscriber` would get now, rendered as it would be sent; nothing is recorded."""
    digest = preview(subscriber, now)
    return digest, Renderer().render(digest, personal_links(digest))


def send_test(subscriber: Subscriber, to: str, now: datetime | None = None) -> Digest:
    """Send the operator at `to` a copy of the digest `subscriber` would get now.

    The same compose, render and message code as a real delivery; no Delivery is recorded, so the
    reader's own next digest is unchanged. The subject and a header say it is a test.
    """
    digest, rendered = render_preview(subscriber, now)
    message = build_message(digest, rendered, personal_links(digest))
    message.to = [to]
    message.subject = f"[Test: {subscriber.email}] {rendered.subject}"
    for name in READER_ONLY_HEADERS:
        message.extra_headers.pop(name, None)
    message.extra_headers["Message-ID"] = make_msgid("digest-test", domain=site_domain())
    message.extra_headers["X-Paperboy-Test"] = f"preview of subscriber {subscriber.pk}"
    message.send()
    return digest


@dataclass
class Event:
    at: datetime
    text: str


def status_changes(subscriber: Subscriber) -> list[Event]:
    """Status changes derived from the subscriber's timestamps and consents, oldest first."""
    events = [Event(subscriber.created_at, "Signed up (pending confirmation)")]
    events += [
        Event(consent.given_at, f"Consent recorded ({', '.join(consent.topics) or 'no topics'})")
        for consent in subscriber.consents.all()
    ]
    if subscriber.confirmed_at:
        events.append(Event(subscriber.confirmed_at, "Confirmed: active"))
    if subscriber.unsubscribed_at:
        reason = f" ({subscriber.get_unsubscribe_reason_display()})" if subscriber.unsubscribe_reason else ""
        events.append(Event(subscriber.unsubscribed_at, f"Unsubscribed{reason}"))
    if subscriber.status in (Subscriber.Status.PAUSED, Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED):
        events.append(Event(subscriber.updated_at, f"Now {subscriber.get_status_display().lower()} (last change)"))
    return sorted(events, key=lambda event: event.at)


HISTORY_DELIVERIES = 50


def history(subscriber_id: int) -> dict | None:
    """One subscriber's record for the operator: status changes, latest deliveries with their papers, feedback."""
    subscriber = (
        Subscriber.objects.filter(pk=subscriber_id).prefetch_related("consents", "topic_weights__topic").first()
    )
    if subscriber is None:
        return None
    items = DeliveryItem.objects.select_related("paper").order_by("position")
    deliveries = list(
        subscriber.deliveries.order_by("-created_at").prefetch_related(Prefetch("items", queryset=items))[
            :HISTORY_DELIVERIES
        ]
    )
    found = dict(subscriber.deliveries.values("status").annotate(n=Count("id")).values_list("status", "n"))
    counts = {status: found[status] for status in Delivery.Status.values if status in found}
    return {
        "subscriber": subscriber,
        "events": status_changes(subscriber),
        "deliveries": deliveries,
        "delivery_counts": counts,
        "total_deliveries": sum(counts.values()),
        "feedback": feedback_of(subscriber),
    }


def feedback_of(subscriber: Subscriber) -> list:
    """The "more / less like this" clicks of a subscriber, newest first."""
    rows = Feedback.objects.filter(delivery__subscriber=subscriber).select_related("paper")
    return list(rows[:HISTORY_DELIVERIES])
