"""The settings of a test run: the project's own, with their embedded folder made for the run.

VAR_DIR (the embedded database, broker, cache, outbox and local secret key) is set before the
project's settings read it, to a folder beside pytest's tmp paths that is removed when the run ends,
so that tests leave nothing in the project's `var/`. The worker processes the tests start inherit
VAR_DIR, and so share the folder and its secret key.
"""

import atexit
import getpass
import os
import shutil
import tempfile
from pathlib import Path

if "VAR_DIR" not in os.environ:
    _root = Path(tempfile.gettempdir()) / f"pytest-of-{getpass.getuser()}"
    _root.mkdir(mode=0o700, exist_ok=True)
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="paperboy-var-", dir=_root)
    atexit.register(shutil.rmtree, os.environ["VAR_DIR"], True)

from newsletter.settings import *  # noqa: E402, F403
