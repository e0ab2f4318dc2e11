"""The match store interface: what every backend (SQLite, Elasticsearch) provides.

A *copy* is one document on the web that exposes leaked records; the store keeps one
*match* per URL (its id is derived from the URL, so a re-sweep updates, never duplicates),
with the takedown status and a history of every status change.
"""

from __future__ import annotations

import abc
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Iterator

# The takedown workflow. Every change is stored with who/when/note in the history.
STATUSES = ("new", "confirmed", "dismissed", "takedown_sent", "removed", "reappeared")
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"confirmed", "dismissed"}),
    "confirmed": frozenset({"takedown_sent", "dismissed"}),
    "dismissed": frozenset({"confirmed"}),
    "takedown_sent": frozenset({"removed"}),
    "removed": frozenset({"reappeared"}),
    "reappeared": frozenset({"confirmed", "takedown_sent", "dismissed"}),
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def match_id_for_url(url: str) -> str:
    """Deterministic match id: the same URL always maps to the same match."""
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:16]


@dataclass
class FoundCopy:
    """What a sweep or a scan reports about one document with a leak verdict."""

    source: str
    url: str
    content_sha256: str
    matched_records: list[str]
    containment: float
    seen_at: datetime = field(default_factory=utcnow)
    title: str | None = None
    evidence_path: str | None = None

    @property
    def matched_count(self) -> int:
        return len(self.matched_records)


@dataclass
class StatusChange:
    match_id: str
    from_status: str | None
    to_status: str
    at: datetime
    by: str
    note: str | None = None
    details: dict = field(default_factory=dict)  # e.g. {"to": "abuse@host", "ref": "T-1"}


@dataclass
class Match:
    id: str
    source: str
    url: str
    host: str
    content_sha256: str
    matched_records: list[str]
    matched_count: int
    containment: float
    status: str
    first_seen: datetime
    last_seen: datetime
    title: str | None = None
    evidence_path: str | None = None
    status_changed_at: datetime | None = None
    takedown_to: str | None = None
    takedown_ref: str | None = None
    version: int = 1  # bumped on every write; optimistic concurrency for status changes

    def export_dict(self) -> dict:
        """The JSON form used by ``queue export`` and ``--json`` listings."""
        return {
            "id": self.id,
            "url": self.url,
            "source": self.source,
            "host": self.host,
            "title": self.title,
            "status": self.status,
            "matched_records": list(self.matched_records),
            "matched_count": self.matched_count,
            "containment": round(self.containment, 4),
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "content_sha256": self.content_sha256,
            "status_changed_at": self.status_changed_at.isoformat() if self.status_changed_at else None,
            "takedown_to": self.takedown_to,
            "takedown_ref": self.takedown_ref,
        }


@dataclass
class SweepRecord:
    """Summary of one sweep, stored so responders can see what was looked at and when."""

    id: str
    started_at: datetime
    finished_at: datetime | None
    per_source: dict[str, dict[str, int]]  # source -> {"pages": n, "documents": n, "matches": n, "errors": n}
    errors: list[str] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for counts in self.per_source.values():
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
        return totals


@dataclass
class StoreStats:
    by_status: dict[str, int]
    by_source: dict[str, int]
    records_exposed: int  # distinct record ids exposed by at least one non-dismissed copy
    copies_still_up: int  # new, confirmed, takedown_sent or reappeared


class MatchStore(abc.ABC):
    """One interface, several backends; chosen by URL in ``open_store``."""

    @abc.abstractmethod
    def upsert_copies(self, copies: Iterable[FoundCopy]) -> list[Match]:
        """Insert new matches (status ``new``) or update known ones (last_seen, records, hash).

        A known match in status ``removed`` that is found again moves to ``reappeared``
        (with a history entry by ``sweep``).
        """

    @abc.abstractmethod
    def get(self, match_id: str) -> Match:
        """The match, or NotFoundError."""

    @abc.abstractmethod
    def list_matches(
        self,
        status: str | None = None,
        source: str | None = None,
        min_records: int = 0,
        limit: int | None = 100,
    ) -> list[Match]:
        """The takedown queue: most records exposed first, then newest first."""

    @abc.abstractmethod
    def change_status(
        self, match_id: str, to_status: str, by: str, note: str | None = None, details: dict | None = None
    ) -> Match:
        """Move a match along the workflow (InvalidTransitionError if not allowed).

        The change and its history entry are written together, or not at all.
        """

    @abc.abstractmethod
    def history(self, match_id: str) -> list[StatusChange]:
        """Every status change of a match, oldest first."""

    @abc.abstractmethod
    def exposure(self, record_id: str) -> list[Match]:
        """Every copy that exposed the record, newest first."""

    @abc.abstractmethod
    def iter_matches(self) -> Iterator[Match]:
        """All matches, for export; streams, so it works at millions of matches."""

    @abc.abstractmethod
    def stats(self) -> StoreStats:
        ...

    @abc.abstractmethod
    def record_sweep(self, sweep: SweepRecord) -> None:
        ...

    @abc.abstractmethod
    def list_sweeps(self, limit: int = 20) -> list[SweepRecord]:
        """Most recent first."""

    def close(self) -> None:
        """Release connections."""

    def __enter__(self) -> "MatchStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
