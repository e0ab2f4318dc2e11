"""What is worth an alert: copies first seen, or reappeared, since a moment (a sweep's start)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..index import MatchStore
from ..index.base import Match, time_text
from ..index.desk import QueueFilter

NEW, REAPPEARED = "new", "reappeared"
_PAGE = 500


@dataclass(frozen=True)
class AlertEvent:
    kind: str  # NEW or REAPPEARED
    match_id: str
    url: str
    source: str
    host: str
    records_exposed: int
    at: datetime

    @property
    def key(self) -> str:
        """What the store remembers: one "new" per copy, one "reappeared" per reappearance."""
        return NEW if self.kind == NEW else f"{REAPPEARED}@{time_text(self.at)}"

    def payload(self, review_url: str | None) -> dict:
        """The alert's content: no record ids, no title (a title can quote the leak)."""
        return {
            "event": self.kind,
            "match_id": self.match_id,
            "url": self.url,
            "source": self.source,
            "host": self.host,
            "records_exposed": self.records_exposed,
            "at": self.at.isoformat(),
            "review_url": f"{review_url.rstrip('/')}/copy/{self.match_id}" if review_url else None,
        }

    @classmethod
    def of(cls, kind: str, match: Match, at: datetime) -> AlertEvent:
        return cls(kind, match.id, match.url, match.source, match.host, match.matched_count, at)


def _all(store: MatchStore, where: QueueFilter) -> list[Match]:
    matches, after = [], None
    while True:
        page = store.queue_page(where, sort="first_seen", after=after, limit=_PAGE)
        matches.extend(page.matches)
        if page.next_after is None:
            return matches
        after = page.next_after


def events_since(store: MatchStore, since: datetime) -> list[AlertEvent]:
    """Copies first seen at or after ``since`` (new) and copies that reappeared since then."""
    new = [AlertEvent.of(NEW, m, m.first_seen) for m in _all(store, QueueFilter(first_seen_from=since))]
    back = [
        AlertEvent.of(REAPPEARED, m, m.status_changed_at)
        for m in _all(store, QueueFilter(status="reappeared"))
        if m.status_changed_at and m.status_changed_at >= since
    ]
    return sorted(new + back, key=lambda event: (event.at, event.match_id))
