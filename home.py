"""The leaktrack home folder: one place for every file leaktrack keeps.

``./.leaktrack/`` unless ``LEAKTRACK_HOME`` names another folder. Every command's file
options default to a path in here, so a responder can move or wipe one folder.

Cases: several leaks in one home. With a case (``--case NAME`` or ``LEAKTRACK_CASE``) the
folder of every file is ``<home>/cases/NAME/``: each case has its own fingerprints, key,
store, crawl state and evidence, so the matches, queue and exposure of two leaks never mix.
Without a case, the home folder itself is the (unnamed) case, as before cases existed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

HOME_ENV = "LEAKTRACK_HOME"
STORE_ENV = "LEAKTRACK_STORE"
CASE_ENV = "LEAKTRACK_CASE"

CASES_DIR = "cases"
# Lower case, digits, - and _: a folder name everywhere and part of Elasticsearch index names.
CASE_NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,47}")

FINGERPRINTS_FILE = "fingerprints.ltfp"
KEY_FILE = "fingerprint.key"
STORE_FILE = "matches.db"
CRAWL_STATE_FILE = "crawl-state.db"
EVIDENCE_DIR = "evidence"
SWEEP_LOCK_FILE = "sweep.lock"


def base_home_dir() -> Path:
    """The home folder that holds every case (not created: see ``ensure_home``)."""
    return Path(os.environ.get(HOME_ENV) or ".leaktrack")


def check_case_name(name: str) -> str:
    """``name`` if it can name a case, else a one-line LeaktrackError."""
    if not CASE_NAME_PATTERN.fullmatch(name):
        from .errors import LeaktrackError

        raise LeaktrackError(
            f"{name!r} cannot name a case: use 1-48 lower-case letters, digits, - or _, starting with a letter or digit"
        )
    return name


def case_name() -> str | None:
    """The case chosen by ``LEAKTRACK_CASE`` (``--case`` sets it), or None for the home's own."""
    name = os.environ.get(CASE_ENV)
    return check_case_name(name) if name else None


def home_dir() -> Path:
    """The folder of the current case's files (not created: see ``ensure_home``)."""
    case = case_name()
    return base_home_dir() / CASES_DIR / case if case else base_home_dir()


def list_cases() -> list[str]:
    """The named cases of the home folder, sorted."""
    return list_cases_in(base_home_dir())


def list_cases_in(base_home: Path) -> list[str]:
    folder = base_home / CASES_DIR
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and CASE_NAME_PATTERN.fullmatch(p.name))


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
