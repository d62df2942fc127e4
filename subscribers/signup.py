"""Requests to subscribe or for a new link: the same answer for every address, at most one email per few minutes."""

import logging
import smtplib

from subscribers import emails
from subscribers.forms import SubscribeForm
from subscribers.models import Subscriber

log = logging.getLogger(__name__)
Status = Subscriber.Status


def request_subscription(form: SubscribeForm) -> None:
    """Record a sign-up from a valid form; only an address still waiting for its opt-in takes the new preferences."""
    address = form.cleaned_data["email"]
    subscriber, _ = Subscriber.objects.get_or_create(email__iexact=address, defaults={"email": address})
    if subscriber.status in (Status.PENDING, Status.UNSUBSCRIBED):
        form.save_to(subscriber)
        subscriber.start_opt_in()
    notify(subscriber)


def request_new_link(address: str) -> None:
    subscriber = Subscriber.objects.by_email(address).first()
    if subscriber is not None:
        notify(subscriber)


def notify(subscriber: Subscriber) -> bool:
    """Email a confirmation link, or the links of an existing subscription, unless one went out minutes ago."""
    awaiting_opt_in = subscriber.status == Status.PENDING or (
        subscriber.status == Status.UNSUBSCRIBED and subscriber.confirm_nonce
    )
    subscribed = subscriber.status in (Status.ACTIVE, Status.PAUSED)
    if not (awaiting_opt_in or subscribed) or not subscriber.claim_confirmation_email():
        return False
    try:
        if awaiting_opt_in:
            emails.send_confirmation(subscriber)
        else:
            emails.send_already_subscribed(subscriber)
    except (smtplib.SMTPException, OSError):
        log.exception("could not email subscriber %s", subscriber.pk)
        # Give the next attempt its chance instead of waiting out the resend interval.
        Subscriber.objects.filter(pk=subscriber.pk).update(confirmation_sent_at=None)
        return False
    return True
