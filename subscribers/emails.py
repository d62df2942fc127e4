"""Emails to readers about their subscription: subject, text and HTML templates, CSS inlined once."""

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from subscribers.models import Subscriber
from subscribers.tokens import ACCOUNT_LINK_MINUTES

_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def render(name: str, context: dict) -> tuple[str, str, str]:
    """Return (subject, text, html) of the email `name`."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"subscribers/email/{name}-subject.txt", context).split())
    text = render_to_string(f"subscribers/email/{name}.txt", context)
    html = _inliner.inline(render_to_string(f"subscribers/email/{name}.html", context))
    return subject, text, html


def send(name: str, subscriber: Subscriber, context: dict, connection=None) -> None:
    subject, text, html = render(name, {"subscriber": subscriber, **context})
    message = EmailMultiAlternatives(subject, text, to=[subscriber.email], connection=connection)
    message.attach_alternative(html, "text/html")
    message.extra_headers["Auto-Submitted"] = "auto-generated"
    message.send()


def send_confirmation(subscriber: Subscriber, connection=None) -> None:
    topics = subscriber.topics_to_confirm()
    send("confirm", subscriber, {"confirm_url": subscriber.absolute_url("confirm"), "topics": topics}, connection)


def send_already_subscribed(subscriber: Subscriber, connection=None) -> None:
    """Someone asked to subscribe an address that already is: tell its owner, with their links."""
    context = {"preferences_url": subscriber.preferences_url, "unsubscribe_url": subscriber.unsubscribe_url}
    send("already_subscribed", subscriber, context, connection)


def send_account_link(subscriber: Subscriber, action: str, connection=None) -> None:
    """The short-lived link that opens the data download ("export") or the deletion ("delete")."""
    url = subscriber.absolute_url("export_data" if action == "export" else "delete", action)
    context = {"action": action, "url": url, "minutes": ACCOUNT_LINK_MINUTES}
    send("account_link", subscriber, context, connection)


def send_new_links(subscriber: Subscriber, connection=None) -> None:
    """After the reader revoked their links: the new ones, to the address itself."""
    context = {"preferences_url": subscriber.preferences_url, "unsubscribe_url": subscriber.unsubscribe_url}
    send("new_links", subscriber, context, connection)


def notify(subscriber: Subscriber) -> bool:
    """Email a confirmation link, or the links of an existing subscription, unless one went out minutes ago.

    False when there was nothing to send; an SMTP error is raised after freeing the slot for the next attempt."""
    awaiting_opt_in = subscriber.status == Subscriber.Status.PENDING or (
        subscriber.status == Subscriber.Status.UNSUBSCRIBED and subscriber.confirm_nonce
    )
    subscribed = subscriber.status in (Subscriber.Status.ACTIVE, Subscriber.Status.PAUSED)
    if not (awaiting_opt_in or subscribed) or not subscriber.claim_confirmation_email():
        return False
    try:
        if awaiting_opt_in:
            send_confirmation(subscriber)
        else:
            send_already_subscribed(subscriber)
    except OSError:  # smtplib's errors are OSErrors too
        subscriber.release_confirmation_email()
        raise
    return True
