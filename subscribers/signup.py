"""Requests to subscribe or for a new link: the same answer for every address, at most one email per few minutes.

The web request only records the request and queues `email_later`; a worker sends the email, so no response waits
for SMTP or shows by its timing whether an address was known."""

from functools import partial

from django.db import transaction

from subscribers.forms import SubscribeForm
from subscribers.models import Subscriber
from subscribers.tasks import send_account_email, send_signup_email

Status = Subscriber.Status


def request_subscription(form: SubscribeForm) -> None:
    """Record a sign-up from a valid form. A new address takes its preferences; one waiting for its opt-in (or
    unsubscribed) keeps them aside until it confirms; a subscribed one keeps its own."""
    address = form.cleaned_data["email"]
    # One transaction: one commit (one WAL flush) per sign-up instead of one per statement.
    with transaction.atomic():
        subscriber, created = Subscriber.objects.get_or_create(email__iexact=address, defaults={"email": address})
        if created:
            form.save_to(subscriber)
            subscriber.start_opt_in()
        elif subscriber.status in (Status.PENDING, Status.UNSUBSCRIBED):
            # Anyone can type an address: what they chose waits until the address's owner confirms it.
            subscriber.propose(form.chosen())
            subscriber.start_opt_in()
        email_later(subscriber)


def request_new_link(address: str) -> None:
    subscriber = Subscriber.objects.by_email(address).first()
    if subscriber is not None:
        email_later(subscriber)


def email_later(subscriber: Subscriber) -> None:
    transaction.on_commit(partial(send_signup_email.delay, subscriber.pk))


def email_account_link_later(subscriber: Subscriber, kind: str) -> None:
    transaction.on_commit(partial(send_account_email.delay, subscriber.pk, kind))


def request_resubscription(subscriber: Subscriber) -> bool:
    """Someone holding an old unsubscribe link asks for digests again: a new opt-in, confirmed by email."""
    if subscriber.status != Status.UNSUBSCRIBED:
        return False
    with transaction.atomic():
        subscriber.start_opt_in()
        email_later(subscriber)
    return True
