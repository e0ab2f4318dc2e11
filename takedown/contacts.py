"""A contact to write to about a copy, and where it came from.

Every contact is published by someone: a platform's form in leaktrack's table, a site's
security.txt, an RDAP server's abuse entity. None is guessed. Each keeps its ``source`` (the
table, or the URL that was asked) and ``found_at`` (when), so a notice can say why it went there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..index.base import time_from_text, time_text
from . import settings


@dataclass(frozen=True)
class Contact:
    role: str  # one of settings.CONTACT_LADDER
    name: str
    source: str  # e.g. "platform table", "rdap https://rdap.example/ip/192.0.2.1"
    found_at: datetime
    email: str | None = None
    url: str | None = None  # a web form (platforms, some security.txt files)
    note: str | None = None

    @property
    def address(self) -> str:
        """Where a notice goes: the address, else the form."""
        return self.email or self.url or ""

    def as_dict(self) -> dict:
        return {
            "role": self.role,
            "name": self.name,
            "email": self.email,
            "url": self.url,
            "note": self.note,
            "source": self.source,
            "found_at": time_text(self.found_at),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Contact:
        return cls(**(data | {"found_at": time_from_text(data["found_at"])}))


@dataclass
class ContactReport:
    """Who to write to about one copy, in escalation order, and why a step found nobody."""

    url: str
    host: str
    registered_domain: str | None
    addresses: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # role -> why no contact was found

    def ladder(self) -> list[Contact]:
        """The contacts in escalation order (platform, host, hosting network, registrar)."""
        rank = {role: number for number, role in enumerate(settings.CONTACT_LADDER)}
        return sorted(self.contacts, key=lambda contact: rank.get(contact.role, len(rank)))

    def first(self, after_role: str | None = None) -> Contact | None:
        """The first contact in line, or the first one of a role after ``after_role``."""
        ladder = self.ladder()
        if after_role is None:
            return ladder[0] if ladder else None
        order = settings.CONTACT_LADDER
        later = order[order.index(after_role) + 1 :] if after_role in order else ()
        return next((contact for contact in ladder if contact.role in later), None)

    def as_dict(self) -> dict:
        return {
            "url": self.url,
            "host": self.host,
            "registered_domain": self.registered_domain,
            "addresses": list(self.addresses),
            "contacts": [contact.as_dict() for contact in self.ladder()],
            "problems": dict(self.problems),
        }
