import smtplib

from celery import shared_task

from subscribers import emails
from subscribers.models import Subscriber


@shared_task(
    autoretry_for=(OSError,),
    dont_autoretry_for=(smtplib.SMTPRecipientsRefused,),
    retry_backoff=60,
    max_retries=4,
)
def send_signup_email(subscriber_id: int) -> None:
    """Send the email a sign-up or new-link request calls for; retried while the SMTP server is unreachable."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is not None:
        emails.notify(subscriber)


ACCOUNT_EMAILS = {
    "export": lambda subscriber: emails.send_account_link(subscriber, "export"),
    "delete": lambda subscriber: emails.send_account_link(subscriber, "delete"),
    "new_links": emails.send_new_links,
}


@shared_task(
    autoretry_for=(OSError,),
    dont_autoretry_for=(smtplib.SMTPRecipientsRefused,),
    retry_backoff=60,
    max_retries=4,
)
def send_account_email(subscriber_id: int, kind: str) -> None:
    """Email a reader a link only their inbox should hold: a data download, a deletion, their new links."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is not None and kind in ACCOUNT_EMAILS:
        ACCOUNT_EMAILS[kind](subscriber)
