"""Mirrors: other URLs serving the same copy, so one takedown round covers all of them.

Two copies are mirrors when their latest content has the same SHA-256, or when they exposed
exactly the same records of the dataset (a re-encoded or re-formatted copy of the same excerpt).
Found on demand from the store (``matches_with_content``, ``exposure``), so the link holds
whichever copy is found first.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..index import Match, MatchStore


@dataclass
class Mirror:
    match_id: str
    url: str
    status: str
    reason: str  # "same content" or "same records"

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def mirrors_of(store: MatchStore, match: Match) -> list[Mirror]:
    """Every other copy with the same content hash or the same exposed records."""
    found: dict[str, Mirror] = {}
    for other in store.matches_with_content(match.content_sha256):
        if other.id != match.id:
            found[other.id] = Mirror(other.id, other.url, other.status, "same content")
    records = set(match.matched_records)
    # Every copy with the same records also exposed the first of them: one indexed lookup.
    for other in store.exposure(match.matched_records[0]) if match.matched_records else []:
        if other.id != match.id and other.id not in found and set(other.matched_records) == records:
            found[other.id] = Mirror(other.id, other.url, other.status, "same records")
    return list(found.values())
