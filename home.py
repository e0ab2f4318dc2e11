"""The leaktrack home folder: one place for every file leaktrack keeps.

``./.leaktrack/`` unless ``LEAKTRACK_HOME`` names another folder. Every command's file
options default to a path in here, so a responder can move or wipe one folder.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "LEAKTRACK_HOME"
STORE_ENV = "LEAKTRACK_STORE"

FINGERPRINTS_FILE = "fingerprints.ltfp"
KEY_FILE = "fingerprint.key"
STORE_FILE = "matches.db"
CRAWL_STATE_FILE = "crawl-state.db"
EVIDENCE_DIR = "evidence"
SWEEP_LOCK_FILE = "sweep.lock"


def home_dir() -> Path:
    """The home folder (not created: see ``ensure_home``)."""
    return Path(os.environ.get(HOME_ENV) or ".leaktrack")


def ensure_home() -> Path:
    """Create the home folder, owner-only, since it holds keys and evidence."""
    path = home_dir()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:  # e.g. LEAKTRACK_HOME names a file
        from .errors import LeaktrackError

        raise LeaktrackError(f"cannot create the home folder {path}: {error.strerror or error}") from None
    return path


def home_path(name: str) -> Path:
    """Path of a file kept in the home folder."""
    return home_dir() / name


def default_store_url() -> str:
    """``LEAKTRACK_STORE`` if set, else an SQLite file in the home folder."""
    return os.environ.get(STORE_ENV) or f"sqlite:///{home_path(STORE_FILE)}"
