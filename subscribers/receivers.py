"""Provider webhooks (django-anymail) feeding the suppression list."""

from anymail.signals import AnymailTrackingEvent

from subscribers.models import Subscriber

# Provider bounce types that may pass (Postmark's names); every other bounce is a hard one.
SOFT_BOUNCES = {"SoftBounce", "Transient", "DnsError"}


def record_tracking_event(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    esp_type = event.esp_event.get("Type") if isinstance(event.esp_event, dict) else None
    Subscriber.objects.by_email(event.recipient or "").record_feedback(event.event_type, soft=esp_type in SOFT_BOUNCES)
