"""Crawl state kept across sweeps: which URLs were seen, their content hash and HTTP validators.

An SQLite file (``crawl-state.db`` in the home folder). It makes sweeps incremental: pastes
already seen are not downloaded again, known files are fetched with conditional requests
(ETag / Last-Modified) and re-scanned only when their content hash changed. It holds URLs and
hashes only, never document text. Each write is its own transaction, so a sweep stopped at any
point leaves the state consistent (at worst a document is fetched again next time).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..home import CRAWL_STATE_FILE, ensure_home

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_urls (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    was_leak INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
"""


@dataclass
class SeenUrl:
    url: str
    source: str
    content_sha256: str
    etag: str | None
    last_modified: str | None
    was_leak: bool


def default_state_path() -> Path:
    return ensure_home() / CRAWL_STATE_FILE


class CrawlState:
    """Seen URLs of past sweeps. One connection per component; WAL lets them share the file."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_state_path()
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def get(self, url: str) -> SeenUrl | None:
        row = self._db.execute(
            "SELECT url, source, content_sha256, etag, last_modified, was_leak FROM seen_urls WHERE url = ?",
            (url,),
        ).fetchone()
        return SeenUrl(*row[:5], was_leak=bool(row[5])) if row else None

    def has_seen(self, url: str) -> bool:
        return self._db.execute("SELECT 1 FROM seen_urls WHERE url = ?", (url,)).fetchone() is not None

    def remember(self, seen: SeenUrl) -> None:
        now = datetime.now(UTC).isoformat()
        self._db.execute(
            """INSERT INTO seen_urls (url, source, content_sha256, etag, last_modified, was_leak, first_seen, last_seen)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(url) DO UPDATE SET source = excluded.source,
                   content_sha256 = excluded.content_sha256, etag = excluded.etag,
                   last_modified = excluded.last_modified, was_leak = excluded.was_leak,
                   last_seen = excluded.last_seen""",
            (
                seen.url,
                seen.source,
                seen.content_sha256,
                seen.etag,
                seen.last_modified,
                int(seen.was_leak),
                now,
                now,
            ),
        )

    def forget(self, url: str) -> None:
        self._db.execute("DELETE FROM seen_urls WHERE url = ?", (url,))

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM seen_urls").fetchone()[0]

    def close(self) -> None:
        self._db.close()
