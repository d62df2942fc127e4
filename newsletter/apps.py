from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Digests"

    def ready(self):
        from newsletter import checks  # noqa: F401  registers the system checks (apps must be loaded first)
