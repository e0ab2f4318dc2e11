"""Who to send a takedown request to: a small table of known hosts, shipped as TOML."""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import settings


@dataclass(frozen=True)
class AbuseContact:
    host: str  # the table key that matched (a suffix of the copy's host)
    name: str
    email: str | None = None
    url: str | None = None
    note: str | None = None
    known: bool = True  # False: only the RFC 2142 abuse@ guess

    def as_dict(self) -> dict:
        return {
            "host": self.host,
            "name": self.name,
            "email": self.email,
            "url": self.url,
            "note": self.note,
            "known": self.known,
        }


@lru_cache(maxsize=1)
def _table() -> dict[str, dict]:
    path = Path(__file__).with_name(settings.PLATFORMS_FILE)
    return tomllib.loads(path.read_text(encoding="utf-8"))


def abuse_contact(host: str) -> AbuseContact | None:
    """The listed contact for ``host`` or its closest listed parent domain; None if unlisted."""
    labels = host.lower().strip(".").split(".")
    for start in range(len(labels) - 1):
        key = ".".join(labels[start:])
        if key in _table():
            return AbuseContact(host=key, **_table()[key])
    return None


def suggested_contact(host: str) -> AbuseContact | None:
    """The listed contact, else the RFC 2142 ``abuse@`` mailbox of the host's domain (a guess)."""
    listed = abuse_contact(host)
    if listed or not host or "." not in host or _is_ip_address(host):
        return listed
    domain = ".".join(host.lower().split(".")[-2:])
    return AbuseContact(
        host=domain,
        name=domain,
        email=f"abuse@{domain}",
        known=False,
        note="not in leaktrack's table: RFC 2142 mailbox, unverified",
    )


def _is_ip_address(host: str) -> bool:
    # A bare address has no domain to take an abuse@ mailbox from (its owner is found through RDAP).
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
