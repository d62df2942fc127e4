"""What both peer scripts share: Django set up from the environment bench/peers gives, the workload it wrote
(recipients and real paper texts), and the one result line it reads back."""

import json
import os
import sys
from pathlib import Path

import django


def start() -> tuple[str, dict]:
    """Set Django up; return the phase asked for (setup or run) and the workload."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
    django.setup()
    return sys.argv[1], json.loads(Path(os.environ["PEER_WORKLOAD"]).read_text())


def report(**figures) -> None:
    print("RESULT " + json.dumps(figures), flush=True)
