"""System checks of the running configuration."""

import os

from django.conf import settings
from django.core.checks import Warning, register

from newsletter.local import read_secret_key


@register()
def local_secret_key(app_configs, **kwargs) -> list[Warning]:
    """Before `bootstrap`, a laptop run signs links with a key of each process: a worker's links would fail."""
    if os.environ.get("SECRET_KEY") or settings.HTTPS or read_secret_key(settings.VAR_DIR):
        return []
    hint = "Run `manage.py bootstrap` (make run does) to make the local key, or set SECRET_KEY."
    return [
        Warning(
            f"No secret key in {settings.VAR_DIR}: each process signs links with its own.",
            hint=hint,
            id="newsletter.W001",
        )
    ]
