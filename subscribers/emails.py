"""Emails to readers about their subscription: subject, text and HTML templates, CSS inlined once."""

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from subscribers.models import Subscriber

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
    topics = list(subscriber.topics.order_by("position", "name"))
    send("confirm", subscriber, {"confirm_url": subscriber.absolute_url("confirm"), "topics": topics}, connection)


def send_already_subscribed(subscriber: Subscriber, connection=None) -> None:
    """Someone asked to subscribe an address that already is: tell its owner, with their links."""
    context = {"preferences_url": subscriber.preferences_url, "unsubscribe_url": subscriber.unsubscribe_url}
    send("already_subscribed", subscriber, context, connection)
