"""Crawl state kept across sweeps: which URLs were seen, their content hash and HTTP validators.

An SQLite file (``Workspace.crawl_state``: ``crawl-state.db`` in the home folder). It makes
sweeps incremental: pastes already seen are not downloaded again, known files are fetched with
conditional requests (ETag / Last-Modified) and re-scanned only when their content hash
changed, as long as the fingerprints are the ones the state was written with
(``adopt_dataset``: rebuilt fingerprints start it afresh). It holds URLs and hashes only, never
document text; images and PDFs whose scan found nothing are remembered by a keyed hash of their
bytes (``clean_contents``), so the same screenshot at another URL, in this sweep or a later
one, is not OCR'd again. Each write is its own transaction, so a sweep stopped at any point
leaves the state consistent (at worst a document is fetched again next time).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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
-- Images and PDFs whose scan found nothing, by keyed content hash (scanning.DocumentScanner.
-- content_key): what the scan concluded, no text, no URL.
CREATE TABLE IF NOT EXISTS clean_contents (
    content_key TEXT PRIMARY KEY,
    records_in_document INTEGER NOT NULL,
    bytes_scanned INTEGER NOT NULL,
    last_seen TEXT NOT NULL
);
-- Incremental cursors of sources that page by time (feed: the newest entry date taken).
CREATE TABLE IF NOT EXISTS cursors (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- Facts about the state itself: the dataset id of the fingerprints its URLs were scanned with
-- (``adopt_dataset``).
CREATE TABLE IF NOT EXISTS state_facts (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
# Columns added after the first release, with their definitions: added to older files on open.
ADDED_COLUMNS = {
    # The URL a document's content was fetched from (a paste's raw endpoint) and how its text was
    # taken (items.EXTRACTIONS): recheck fetches and reads exactly that again.
    "content_url": "TEXT",
    "extraction": "TEXT",
    # 1 when the sweep fetched it without robots.txt (an API named the URL, or the source does
    # not obey robots.txt): recheck fetches it the same way. NULL (older files): with robots.txt.
    "robots_exempt": "INTEGER",
}


@dataclass
class SeenUrl:
    url: str
    source: str
    content_sha256: str
    etag: str | None
    last_modified: str | None
    was_leak: bool
    content_url: str | None = None
    extraction: str | None = None
    robots_exempt: bool = False


@dataclass
class CleanContent:
    """What the scan of a remembered clean content counted (``ScanResult``'s numbers)."""

    records_in_document: int
    bytes_scanned: int


class CrawlState:
    """Seen URLs of past sweeps. One connection per component; WAL lets them share the file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        create_owner_only(self.path)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # No fsync per remembered URL (it held up the crawl's thread for milliseconds a document):
        # with WAL, NORMAL loses no write to a crashed or killed process, only the last ones to a
        # power cut, and then those documents are fetched and scanned again next time.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        present = {row[1] for row in self._db.execute("PRAGMA table_info(seen_urls)")}
        for name, definition in ADDED_COLUMNS.items():
            if name not in present:
                try:
                    self._db.execute(f"ALTER TABLE seen_urls ADD COLUMN {name} {definition}")
                except sqlite3.OperationalError as error:  # another process added it meanwhile
                    if "duplicate column" not in str(error):
                        raise

    def get(self, url: str) -> SeenUrl | None:
        row = self._db.execute(
            "SELECT url, source, content_sha256, etag, last_modified, was_leak, content_url, extraction,"
            " robots_exempt FROM seen_urls WHERE url = ?",
            (url,),
        ).fetchone()
        if row is None:
            return None
        url, source, content_sha256, etag, last_modified, was_leak, content_url, extraction, exempt = row
        return SeenUrl(
            url,
            source,
            content_sha256,
            etag,
            last_modified,
            bool(was_leak),
            content_url,
            extraction,
            bool(exempt),
        )

    def has_seen(self, url: str) -> bool:
        return self._db.execute("SELECT 1 FROM seen_urls WHERE url = ?", (url,)).fetchone() is not None

    def remember(self, seen: SeenUrl) -> None:
        now = datetime.now(UTC).isoformat()
        self._db.execute(
            """INSERT INTO seen_urls (url, source, content_sha256, etag, last_modified, was_leak,
                   content_url, extraction, robots_exempt, first_seen, last_seen)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(url) DO UPDATE SET source = excluded.source,
                   content_sha256 = excluded.content_sha256, etag = excluded.etag,
                   last_modified = excluded.last_modified, was_leak = excluded.was_leak,
                   content_url = excluded.content_url, extraction = excluded.extraction,
                   robots_exempt = excluded.robots_exempt, last_seen = excluded.last_seen""",
            (
                seen.url,
                seen.source,
                seen.content_sha256,
                seen.etag,
                seen.last_modified,
                int(seen.was_leak),
                seen.content_url,
                seen.extraction,
                int(seen.robots_exempt),
                now,
                now,
            ),
        )

    def adopt_dataset(self, dataset_id: str) -> int:
        """Tie the state to the fingerprints a sweep scans with (their ``dataset_id``); how many
        seen URLs it forgot (0 when it was already theirs).

        "Unchanged since the last sweep, not scanned again" is only true of a document scanned
        with these fingerprints. Rebuilt fingerprints (a new dataset id, even of the same file),
        or a state written by sweeps that did not scan or by a leaktrack before this check,
        would otherwise leave every URL seen before unscanned by them for good: a copy of a
        record the old ones lacked never found. So a state of another dataset starts afresh:
        seen URLs, cursors and clean contents are forgotten, and every URL is fetched and
        scanned again. A URL that was a leak keeps what recheck needs of it (where its content
        was read and how), its content hash and validators cleared, so it is scanned again too.
        """
        self._db.execute("BEGIN IMMEDIATE")  # (the connection runs in autocommit)
        with self._db:  # commits the transaction, or rolls it back on an error
            row = self._db.execute("SELECT value FROM state_facts WHERE name = 'dataset_id'").fetchone()
            if row is not None and row[0] == dataset_id:
                return 0
            forgotten = self._db.execute("DELETE FROM seen_urls WHERE was_leak = 0").rowcount
            forgotten += self._db.execute(
                "UPDATE seen_urls SET content_sha256 = '', etag = NULL, last_modified = NULL"
            ).rowcount
            self._db.execute("DELETE FROM cursors")
            self._db.execute("DELETE FROM clean_contents")
            self._db.execute(
                "INSERT INTO state_facts (name, value) VALUES ('dataset_id', ?)"
                " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (dataset_id,),
            )
            return forgotten

    def clean_content(self, content_key: str) -> CleanContent | None:
        """The remembered clean scan of a content (``content_key``), now seen again; else None."""
        row = self._db.execute(
            "SELECT records_in_document, bytes_scanned FROM clean_contents WHERE content_key = ?",
            (content_key,),
        ).fetchone()
        if row is None:
            return None
        self._db.execute(
            "UPDATE clean_contents SET last_seen = ? WHERE content_key = ?",
            (datetime.now(UTC).isoformat(), content_key),
        )
        return CleanContent(*row)

    def remember_clean(self, content_key: str, clean: CleanContent) -> None:
        self._db.execute(
            """INSERT INTO clean_contents (content_key, records_in_document, bytes_scanned, last_seen)
               VALUES (?, ?, ?, ?)
               ON CONFLICT(content_key) DO UPDATE SET last_seen = excluded.last_seen""",
            (content_key, clean.records_in_document, clean.bytes_scanned, datetime.now(UTC).isoformat()),
        )

    def cursor(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM cursors WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_cursor(self, name: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO cursors (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    def forget(self, url: str) -> None:
        self._db.execute("DELETE FROM seen_urls WHERE url = ?", (url,))

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM seen_urls").fetchone()[0]

    def forget_last_seen_before(self, cut: datetime, dry_run: bool = False) -> int:
        """Forget URLs (and remembered clean contents) last seen before ``cut`` (retention
        purge); how many URLs (would) go."""
        where = "FROM seen_urls WHERE last_seen < ?"
        if dry_run:
            return self._db.execute(f"SELECT COUNT(*) {where}", (cut.isoformat(),)).fetchone()[0]
        self._db.execute("DELETE FROM clean_contents WHERE last_seen < ?", (cut.isoformat(),))
        return self._db.execute(f"DELETE {where}", (cut.isoformat(),)).rowcount

    def close(self) -> None:
        self._db.close()


def create_owner_only(path: Path) -> None:
    """Create ``path`` readable by its owner only (0600), as every file leaktrack keeps;
    an existing file is narrowed to 0600 too. SQLite gives its -wal and -shm files the
    database file's permissions."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)
