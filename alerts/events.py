"""What is worth an alert: copies first seen, or reappeared, since a moment (a sweep's start),
and sources that went dark in a sweep (its stored per-source counts, judged by source health)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

from ..index import MatchStore
from ..index.base import Match, time_text
from ..index.desk import QueueFilter

NEW, REAPPEARED, SOURCE_DARK = "new", "reappeared", "source_dark"
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
    def subject(self) -> str:
        """What the alert is about, for the store's memory of alerts sent: the copy."""
        return self.match_id

    @property
    def key(self) -> str:
        """What the store remembers: one "new" per copy, one "reappeared" per reappearance."""
        return NEW if self.kind == NEW else f"{REAPPEARED}@{time_text(self.at)}"

    @property
    def title(self) -> str:
        return f"leaktrack: {self.kind} copy on {self.host} ({self.records_exposed} records)"

    def shown(self, withhold_url: Callable[[str], str] | None) -> AlertEvent:
        """The event as it leaves for a channel: URL parts quoting the leak withheld."""
        return replace(self, url=withhold_url(self.url)) if withhold_url else self

    @staticmethod
    def line(payload: dict) -> str:
        return (
            f"{payload['event']}: {payload['url']} (source {payload['source']}, {payload['records_exposed']} records)"
            + (f" review: {payload['review_url']}" if payload["review_url"] else "")
        )

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


@dataclass(frozen=True)
class DarkSourceEvent:
    """A source that looked dark in a sweep (``spiders/health.py`` says why).

    One alert per dark spell: the store remembers ``source:<name>`` / ``dark`` until a sweep
    sees the source alive again (``alive_again`` releases it), so a source dark for ten sweeps
    alerts once, and alerts again if it goes dark after coming back. The reasons are counts
    and HTTP statuses, never URLs or text of the source.
    """

    source: str
    sweep_id: str
    reasons: tuple[str, ...]
    at: datetime
    kind: ClassVar[str] = SOURCE_DARK
    key: ClassVar[str] = "dark"

    @property
    def subject(self) -> str:
        return source_subject(self.source)

    @property
    def title(self) -> str:
        return f"leaktrack: source {self.source} looks dark"

    def shown(self, withhold_url: Callable[[str], str] | None) -> DarkSourceEvent:
        return self

    def payload(self, review_url: str | None) -> dict:
        return {
            "event": SOURCE_DARK,
            "source": self.source,
            "sweep": self.sweep_id,
            "reasons": list(self.reasons),
            "at": self.at.isoformat(),
            "review_url": None,
        }

    @staticmethod
    def line(payload: dict) -> str:
        return f"source {payload['source']} looks dark in sweep {payload['sweep']}: {'; '.join(payload['reasons'])}"


def source_subject(source: str) -> str:
    """The store's alert memory names a source apart from copies (whose ids are hex digests)."""
    return f"source:{source}"


def dark_source_events(
    health: dict[str, list[str]], sweep_id: str, at: datetime
) -> tuple[list[DarkSourceEvent], list[str]]:
    """A sweep's sources (name -> why it looked dark, [] when alive): the dark ones' events, and
    the names of those alive (their dark spell, if any, is over)."""
    dark = [
        DarkSourceEvent(name, sweep_id, tuple(reasons), at)
        for name, reasons in sorted(health.items())
        if reasons
    ]
    alive = sorted(name for name, reasons in health.items() if not reasons)
    return dark, alive
