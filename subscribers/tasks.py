import smtplib

from celery import shared_task

from subscribers import signup
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
        signup.notify(subscriber)
