"""Well-known platforms (paste sites, code hosts, file hosts, archives) and their removal
channels, from the table shipped beside this module (``platforms.toml``).

Each entry says where its channel was checked (``source``, the platform's own page) and when
(``checked``); the contact it gives carries both, so a notice records which version of the
table chose its recipient.

A listed platform is written to through its own channel and overrides the lookups: its
network and its registrar are the platform itself. A host that is not listed gets no contact
from here; nothing is guessed (an ``abuse@`` made up from the host name can be wrong, as for
``example.co.uk``, or reach the uploader on a domain the uploader runs).
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from ..index.base import utcnow
from . import settings
from .contacts import Contact

TABLE_SOURCE = "leaktrack platform table"
KINDS = ("paste site", "code host", "file host", "archive")
REQUIRED_FIELDS = ("name", "kind", "checked", "source")
FIELDS = (*REQUIRED_FIELDS, "url", "email", "note", "read_at")


@lru_cache(maxsize=1)
def _table() -> dict[str, dict]:
    path = Path(__file__).with_name(settings.PLATFORMS_FILE)
    return tomllib.loads(path.read_text(encoding="utf-8"))


def table_problems(table: dict[str, dict] | None = None) -> list[str]:
    """What is wrong with the table's entries (missing or unknown fields, a channel that is
    neither a URL nor an address, a check date that is not a date): one line each."""
    problems = []
    for key, entry in (_table() if table is None else table).items():
        missing = [name for name in REQUIRED_FIELDS if not entry.get(name)]
        unknown = sorted(set(entry) - set(FIELDS))
        if missing or unknown:
            problems.append(f"{key}: missing {missing or '-'}, unknown {unknown or '-'}")
            continue
        if entry["kind"] not in KINDS:
            problems.append(f"{key}: kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
        if not isinstance(entry["checked"], date) or isinstance(entry["checked"], datetime):
            problems.append(f"{key}: checked must be a TOML date (YYYY-MM-DD), not {entry['checked']!r}")
        if not str(entry["source"]).startswith("https://"):
            problems.append(f"{key}: source must be the https:// page that was checked")
        if not (entry.get("url") or entry.get("email")):
            problems.append(f"{key}: neither url nor email: no channel to write to")
        if entry.get("url") and not entry["url"].startswith("https://"):
            problems.append(f"{key}: url must be https://")
        if entry.get("email") and entry["email"].count("@") != 1:
            problems.append(f"{key}: email {entry['email']!r} is not one address")
    return problems


def platform_key(host: str) -> str | None:
    """The table key that covers ``host`` (itself or its closest listed parent domain)."""
    labels = host.lower().strip(".").split(".")
    for start in range(len(labels) - 1):
        key = ".".join(labels[start:])
        if key in _table():
            return key
    return None


def platform_contact(host: str, found_at: datetime | None = None) -> Contact | None:
    """The listed platform's channel for ``host``; None if the host is not a listed platform."""
    key = platform_key(host)
    if key is None:
        return None
    entry = _table()[key]
    note = " ".join(part for part in (entry.get("kind"), entry.get("note")) if part) or None
    return Contact(
        role="platform",
        name=entry["name"],
        email=entry.get("email"),
        url=entry.get("url"),
        note=note,
        source=f"{TABLE_SOURCE} ({key}; checked {entry['checked']} at {entry['source']})",
        found_at=found_at or utcnow(),
    )
