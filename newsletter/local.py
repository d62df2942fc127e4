"""The embedded default's folder (VAR_DIR): made by `bootstrap`, never by importing the settings.

It holds the SQLite database, the filesystem broker's folders, the file cache, the outbox, the
collected static files and the local secret key that every process of a laptop run signs links with.
"""

import secrets
from pathlib import Path

BROKER_FOLDERS = ("queue", "processed", "results", "control")


def secret_key_path(var_dir: Path) -> Path:
    return var_dir / "secret_key"


def read_secret_key(var_dir: Path) -> str:
    """The local secret key if `bootstrap` has made one, else ""."""
    path = secret_key_path(var_dir)
    return path.read_text().strip() if path.exists() else ""


def prepare(var_dir: Path, filesystem_broker: bool) -> list[str]:
    """Make the folders and the secret key an embedded run needs; returns what was made (nothing the 2nd time)."""
    made = []
    for folder in [var_dir, var_dir / "static", *(var_dir / "broker" / f for f in BROKER_FOLDERS if filesystem_broker)]:
        if not folder.is_dir():
            folder.mkdir(parents=True)
            made.append(str(folder))
    key = secret_key_path(var_dir)
    if not key.exists():
        key.write_text(secrets.token_urlsafe(50))
        key.chmod(0o600)
        made.append(str(key))
    return made
