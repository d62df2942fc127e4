from django.apps import AppConfig
from django.urls import register_converter

from newsletter.converters import RowIdConverter


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Digests"

    def ready(self):
        # Before any URLconf is read: `<id:pk>` in newsletter's and the dashboard's URLs.
        register_converter(RowIdConverter, "id")
        from newsletter import (
            checks,  # noqa: F401  registers the system checks (apps must be loaded first)
            lookups,  # noqa: F401  registers `__any` on every field
        )
