"""Well-known platforms (paste sites, code hosts, file hosts, archives) and their removal
channels, from the table shipped beside this module (``platforms.toml``).

A listed platform is written to through its own channel and overrides the lookups: its
network and its registrar are the platform itself. A host that is not listed gets no contact
from here; nothing is guessed (an ``abuse@`` made up from the host name can be wrong, as for
``example.co.uk``, or reach the uploader on a domain the uploader runs).
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from ..index.base import utcnow
from . import settings
from .contacts import Contact

TABLE_SOURCE = "leaktrack platform table"


@lru_cache(maxsize=1)
def _table() -> dict[str, dict]:
    path = Path(__file__).with_name(settings.PLATFORMS_FILE)
    return tomllib.loads(path.read_text(encoding="utf-8"))


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
        source=f"{TABLE_SOURCE} ({key})",
        found_at=found_at or utcnow(),
    )
