"""The email provider's bounce and complaint webhook: only the configured provider's endpoint is mounted.

django-anymail's URLconf mounts every provider it knows; those not configured answer a 500 (a missing
signing key or package) to anyone who posts to them, so Paperboy takes only the one it is set up for.
"""

from anymail.urls import urlpatterns as anymail_urlpatterns
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern


def webhook_urls(provider: str) -> list[URLPattern]:
    """Anymail's tracking webhook URL for `provider` (e.g. "postmark" -> /anymail/postmark/tracking/)."""
    found = [p for p in anymail_urlpatterns if p.name == f"{provider}_tracking_webhook"]
    if not found:
        known = sorted(p.name.removesuffix("_tracking_webhook") for p in anymail_urlpatterns if "tracking" in p.name)
        raise ImproperlyConfigured(f"ANYMAIL_WEBHOOK_PROVIDER={provider!r}: use one of {', '.join(known)}")
    return found
