"""The home folder and the Workspace: every file leaktrack keeps, resolved once.

A ``Workspace`` names the home folder and every path and setting the library needs (store URL,
fingerprints, key, crawl state, evidence, config file, ...). The CLI resolves it once, in
``cli/workspace.py`` (option > environment variable > config file > default), and passes it
down. Nothing below the CLI reads the environment or picks a home folder on its own:
``Workspace.in_folder(path)`` is the one place the default file names are joined to a folder.

Cases: several leaks in one home. With a case (``--case NAME`` or ``LEAKTRACK_CASE``) the
folder of every file is ``<home>/cases/NAME/``: each case has its own fingerprints, key,
store, crawl state and evidence, so the matches, queue and exposure of two leaks never mix;
an Elasticsearch store names the case in its URL (``?case=NAME``: its own index prefix).
Without a case, the home folder itself is the (unnamed) case. The config file is the home's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .credentials import Secrets
from .errors import LeaktrackError

DEFAULT_HOME = ".leaktrack"
FINGERPRINTS_FILE = "fingerprints.ltfp"
KEY_FILE = "fingerprint.key"
STORE_FILE = "matches.db"
CRAWL_STATE_FILE = "crawl-state.db"
EVIDENCE_DIR = "evidence"
SWEEP_LOCK_FILE = "sweep.lock"
CONFIG_FILE = "config.toml"
SQLITE_PREFIX = "sqlite:///"
CASES_DIR = "cases"
# Lower case, digits, - and _: a folder name everywhere and part of Elasticsearch index names.
CASE_NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,47}")
CASE_URL_PARAMETER = "case"


def check_case_name(name: str) -> str:
    """``name`` if it can name a case, else a one-line LeaktrackError."""
    if not CASE_NAME_PATTERN.fullmatch(name):
        raise LeaktrackError(
            f"{name!r} cannot name a case: use 1-48 lower-case letters, digits, - or _, starting with a letter or digit"
        )
    return name


def list_cases_in(home: Path) -> list[str]:
    """The named cases of a home folder, sorted."""
    folder = home / CASES_DIR
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and CASE_NAME_PATTERN.fullmatch(p.name))


def store_url_of_case(url: str, case: str | None) -> str:
    """A store URL that names the case: SQLite files are per case already; a server URL gets
    ``?case=NAME`` (the store keeps the case's matches apart, e.g. under its own indices)."""
    if case is None or sqlite_path(url) is not None:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed URL: the store that opens it says what is wrong
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != CASE_URL_PARAMETER]
    return urlunsplit(parts._replace(query=urlencode([*query, (CASE_URL_PARAMETER, case)])))


def case_of_store_url(url: str) -> tuple[str, str | None]:
    """The URL without its case, and the case (None when it names none)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed URL: the store that opens it says what is wrong
        return url, None
    pairs = parse_qsl(parts.query)
    case = next((v for k, v in pairs if k == CASE_URL_PARAMETER), None)
    rest = [(k, v) for k, v in pairs if k != CASE_URL_PARAMETER]
    return urlunsplit(parts._replace(query=urlencode(rest))), (check_case_name(case) if case else None)


def sqlite_url(path: Path) -> str:
    """The store URL of an SQLite file, absolute (a crawl child may run in another folder)."""
    return SQLITE_PREFIX + str(Path(path).absolute())


def sqlite_path(store_url: str) -> Path | None:
    """The file of an SQLite store URL; None for another backend."""
    if store_url.startswith(SQLITE_PREFIX) and len(store_url) > len(SQLITE_PREFIX):
        return Path(store_url[len(SQLITE_PREFIX) :])
    return None


@dataclass(frozen=True)
class Workspace:
    """Where leaktrack keeps its files, and the settings a run was given. Paths are absolute."""

    home: Path
    store_url: str
    fingerprints: Path
    key_file: Path
    crawl_state: Path
    evidence_dir: Path
    sweep_lock: Path
    config_path: Path
    sources: Path | None = None  # the sources file, when a config file or option names one
    contact: str | None = None  # the User-Agent contact of sweeps (overrides the sources file's)
    retention_days: int | None = None  # how long removed and dismissed matches are kept
    smtp: dict[str, Any] = field(default_factory=dict)  # [smtp] of the config file (takedown)
    alerts: dict[str, Any] = field(default_factory=dict)  # [alerts] of the config file (desk)
    # [redis] of the config file: url and password of distributed sweeps (spiders/distributed.py)
    redis: dict[str, Any] = field(default_factory=dict)
    case: str | None = None  # the case (one leak) whose files these are; None: the home's own
    # Store credentials and the sources' API tokens, by environment variable name (credentials.py)
    secrets: Secrets = field(default_factory=Secrets)

    @classmethod
    def in_folder(cls, home: str | Path, case: str | None = None, **overrides: Any) -> Workspace:
        """The workspace of a home folder (and case): every file at its default place, unless
        overridden (overrides that are None keep the default)."""
        base = Path(home).absolute()
        folder = base / CASES_DIR / check_case_name(case) if case else base
        if overrides.get("store_url"):
            overrides["store_url"] = store_url_of_case(overrides["store_url"], case)
        defaults: dict[str, Any] = {
            "case": case,
            "home": folder,
            "store_url": sqlite_url(folder / STORE_FILE),
            "fingerprints": folder / FINGERPRINTS_FILE,
            "key_file": folder / KEY_FILE,
            "crawl_state": folder / CRAWL_STATE_FILE,
            "evidence_dir": folder / EVIDENCE_DIR,
            "sweep_lock": folder / SWEEP_LOCK_FILE,
            "config_path": base / CONFIG_FILE,
        }
        return cls(**defaults).with_files(**overrides)

    def with_files(self, **overrides: Any) -> Workspace:
        """A copy with some paths or settings replaced (None keeps the current value)."""
        given = {name: value for name, value in overrides.items() if value is not None}
        for name in ("fingerprints", "key_file", "crawl_state", "evidence_dir", "sweep_lock", "sources"):
            if name in given:
                given[name] = Path(given[name]).absolute()
        if "store_url" in given:
            given["store_url"] = absolute_store_url(given["store_url"])
        return replace(self, **given)

    def ensure_home(self) -> Path:
        """Create the home folder, owner-only, since it holds keys and evidence."""
        try:
            self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:  # e.g. the home folder's name is a file
            raise LeaktrackError(
                f"cannot create the home folder {self.home}: {error.strerror or error}"
            ) from None
        return self.home

    @property
    def store_path(self) -> Path | None:
        """The store's file when it is SQLite."""
        return sqlite_path(self.store_url)

    def kept_files(self) -> dict[Path, str]:
        """Every file leaktrack keeps, with what it is: output options never write over one."""
        files = {
            self.fingerprints: "the fingerprint file",
            self.key_file: "the secret key file",
            self.crawl_state: "the crawl state",
            self.sweep_lock: "the sweep lock",
            self.config_path: "the config file",
        }
        for suffix in ("-wal", "-shm"):
            files[Path(f"{self.crawl_state}{suffix}")] = "the crawl state"
        if self.store_path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                files[Path(f"{self.store_path.absolute()}{suffix}")] = "the match store"
        if self.sources is not None:
            files[self.sources] = "the sources file"
        return files

    def kept_folders(self) -> dict[Path, str]:
        """Folders whose every file leaktrack keeps."""
        return {self.evidence_dir: "evidence"}


def absolute_store_url(url: str) -> str:
    """A relative SQLite path made absolute (the crawl child may run elsewhere); others as given."""
    url = url.strip()
    path = sqlite_path(url)
    return sqlite_url(path) if path is not None else url
