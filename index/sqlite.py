"""The default match store: one SQLite file, safe for a sweep and a review at the same time.

WAL journal (readers never block the writer), a busy timeout (writers queue up instead of
failing), every write in one ``BEGIN IMMEDIATE`` transaction (a status change and its history
entry, or one batch of a sweep: a crash leaves the store as it was after the last batch), and a
``version`` column bumped on every write (a reviewer's decision on a match that changed since
it was shown fails with ConcurrentUpdateError). The schema is versioned with
``PRAGMA user_version`` and upgraded in place by ``MIGRATIONS``.

No plaintext of leaked records is stored: record ids, URLs, hashes and counts only.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from ..errors import ConcurrentUpdateError, NotFoundError, StoreError
from . import settings
from .base import (
    STILL_UP_STATUSES,
    FoundCopy,
    Match,
    MatchStore,
    StatusChange,
    StoreStats,
    SweepRecord,
    apply_found_copy,
    apply_status_change,
    batches,
    check_transition,
    match_id_for_url,
    required_time_from_text,
    sorted_record_ids,
    time_from_text,
    time_text,
)
from .sqlite_desk import ALERTS_MIGRATION, DESK_MIGRATIONS, SQLiteDeskRecords
from .sqlite_takedown import TAKEDOWN_HOURS_MIGRATION, TAKEDOWN_MIGRATION, SQLiteTakedownRecords

log = logging.getLogger(__name__)

# Each entry brings the schema one version up: entry i turns version i into version i + 1.
# Never edit a shipped entry; append a new one.
MIGRATIONS: list[tuple[str, list[str]]] = [
    (
        "matches, their records, status history and sweeps, with the takedown queue's indexes",
        [
            """CREATE TABLE matches (
                id TEXT PRIMARY KEY,
                source TEXT NOT NULL,
                url TEXT NOT NULL,
                host TEXT NOT NULL,
                title TEXT,
                content_sha256 TEXT NOT NULL,
                matched_count INTEGER NOT NULL,
                containment REAL NOT NULL,
                status TEXT NOT NULL,
                first_seen TEXT NOT NULL,
                last_seen TEXT NOT NULL,
                status_changed_at TEXT,
                takedown_to TEXT,
                takedown_ref TEXT,
                evidence_path TEXT,
                version INTEGER NOT NULL DEFAULT 1
            )""",
            # The queue is "most records first, then newest": one index per filter it offers.
            "CREATE INDEX matches_queue ON matches (matched_count DESC, last_seen DESC)",
            "CREATE INDEX matches_queue_by_status ON matches (status, matched_count DESC, last_seen DESC)",
            "CREATE INDEX matches_queue_by_source ON matches (source, matched_count DESC, last_seen DESC)",
            """CREATE TABLE match_records (
                match_id TEXT NOT NULL REFERENCES matches (id),
                record_id TEXT NOT NULL,
                PRIMARY KEY (match_id, record_id)
            ) WITHOUT ROWID""",
            # exposure(record_id): which copies exposed this person's record.
            "CREATE INDEX match_records_by_record ON match_records (record_id)",
            """CREATE TABLE history (
                id INTEGER PRIMARY KEY,
                match_id TEXT NOT NULL REFERENCES matches (id),
                from_status TEXT,
                to_status TEXT NOT NULL,
                at TEXT NOT NULL,
                by TEXT NOT NULL,
                note TEXT,
                details TEXT NOT NULL DEFAULT '{}'
            )""",
            "CREATE INDEX history_by_match ON history (match_id, id)",
            """CREATE TABLE sweeps (
                id TEXT PRIMARY KEY,
                started_at TEXT NOT NULL,
                finished_at TEXT,
                per_source TEXT NOT NULL,
                errors TEXT NOT NULL
            )""",
        ],
    ),
    (
        "full-text search over titles and URLs (queue search)",
        [
            "CREATE VIRTUAL TABLE matches_fts USING fts5 (title, url, content='matches', content_rowid='rowid')",
            """CREATE TRIGGER matches_fts_insert AFTER INSERT ON matches BEGIN
                INSERT INTO matches_fts (rowid, title, url) VALUES (new.rowid, new.title, new.url);
            END""",
            """CREATE TRIGGER matches_fts_delete AFTER DELETE ON matches BEGIN
                INSERT INTO matches_fts (matches_fts, rowid, title, url) VALUES ('delete', old.rowid, old.title, old.url);
            END""",
            # Only when the text changed: a re-sweep rewrites every match and must stay cheap.
            """CREATE TRIGGER matches_fts_update AFTER UPDATE OF title, url ON matches
                WHEN old.title IS NOT new.title OR old.url IS NOT new.url BEGIN
                INSERT INTO matches_fts (matches_fts, rowid, title, url) VALUES ('delete', old.rowid, old.title, old.url);
                INSERT INTO matches_fts (rowid, title, url) VALUES (new.rowid, new.title, new.url);
            END""",
            "INSERT INTO matches_fts (matches_fts) VALUES ('rebuild')",
        ],
    ),
    *DESK_MIGRATIONS,  # accounts, audit trail, queue paging indexes (sqlite_desk.py)
    TAKEDOWN_MIGRATION,
    TAKEDOWN_HOURS_MIGRATION,
    ALERTS_MIGRATION,  # alerts sent, one per copy and event (sqlite_desk.py)
    (
        "the dataset id on every match: record ids are rows of that dataset, so a store keeps one",
        [
            "ALTER TABLE matches ADD COLUMN dataset_id TEXT",
            "CREATE INDEX matches_by_dataset ON matches (dataset_id)",
        ],
    ),
    (
        "partly read copies: a limit tripped while reading them, so more records may be exposed",
        ["ALTER TABLE matches ADD COLUMN partly_read INTEGER NOT NULL DEFAULT 0"],
    ),
    # New migrations go HERE, at the end (a list spliced in above, e.g. DESK_MIGRATIONS, must not
    # grow any more: an entry added there would renumber every migration after it).
]
SCHEMA_VERSION = len(MIGRATIONS)

# The order of ``_match_row``'s values.
_MATCH_COLUMN_NAMES = (
    "id",
    "source",
    "url",
    "host",
    "title",
    "content_sha256",
    "matched_count",
    "containment",
    "status",
    "first_seen",
    "last_seen",
    "status_changed_at",
    "takedown_to",
    "takedown_ref",
    "evidence_path",
    "version",
    "dataset_id",
    "partly_read",
)
_MATCH_COLUMNS = ", ".join(_MATCH_COLUMN_NAMES)
_MATCH_COLUMNS_OF_M = ", ".join("m." + column for column in _MATCH_COLUMN_NAMES)
# What a re-sweep rewrites: every column but the id, url/host (the id comes from the URL) and
# takedown_to/ref (status changes set them). A match stored before dataset ids gets the one it
# is found again with.
_NOT_SWEEP_UPDATED = {"id", "url", "host", "takedown_to", "takedown_ref"}
_SWEEP_UPDATED_COLUMNS = tuple(column for column in _MATCH_COLUMN_NAMES if column not in _NOT_SWEEP_UPDATED)
# sqlite3 errors caused by the file or the environment (or a hand-edited store), not by our SQL: StoreErrors.
_ENVIRONMENT_ERRORS = (
    "not a database",
    "unable to open",
    "locked",
    "readonly",
    "disk",
    "malformed",
    "no such table",
)


@contextmanager
def _as_store_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.DatabaseError as error:
        if not any(text in str(error).lower() for text in _ENVIRONMENT_ERRORS):
            raise
        raise StoreError(f"match store {path}: {error}") from error
    except OSError as error:  # creating the file or its folder: a dangling link, a read-only place
        raise StoreError(f"match store {path}: {error.strerror}") from error
    except UnicodeEncodeError as error:  # e.g. a shell argument with bytes that are not UTF-8
        raise StoreError(f"match store {path}: {error.object!r} is not valid UTF-8") from error


def _create_store_file(path: Path) -> None:
    """Make a new, empty store at ``path`` whole or not at all, owner-only.

    Built under a temporary name and linked into place, so a store file is never seen half
    made: an empty (0-byte) file at a store's path is refused, not taken for a new store, since
    it is what a store emptied by a full disk or a bad copy looks like. The file is owner-only:
    it lists where the leaked records are exposed.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    os.close(descriptor)  # mkstemp makes it 0o600
    try:
        db = sqlite3.connect(temporary, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode = WAL")
            migrate(db, path)
        finally:
            db.close()
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made the store first: use theirs
    finally:
        for leftover in (temporary, f"{temporary}-wal", f"{temporary}-shm"):
            with suppress(FileNotFoundError):
                os.unlink(leftover)


def _refuse_empty_file(path: Path) -> None:
    if path.is_file() and path.stat().st_size == 0:
        raise StoreError(
            f"match store {path} is an empty file (0 bytes), not a match store: restore it from a "
            "backup, or delete it to start a new store"
        )


def _writable_here(path: Path) -> bool:
    """Can this process write the store file and make its journal files beside it?"""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _read_only_uri(path: Path) -> str:
    """How to open a store we may only read (a read-only home, a backup on a read-only mount).

    ``mode=ro`` needs the WAL's -shm file, or a folder to create it in; without either, the
    file is opened ``immutable`` (no locks, no journal: nobody can be writing to it from here).
    """
    uri = path.resolve().as_uri()
    can_share_wal = os.access(path.parent, os.W_OK) or os.path.exists(f"{path}-shm")
    return f"{uri}?mode=ro" if can_share_wal else f"{uri}?immutable=1"


class SQLiteStore(SQLiteDeskRecords, SQLiteTakedownRecords, MatchStore):
    """``MatchStore`` in one SQLite file (``sqlite:///path.db``).

    Opened read-only when the file or its folder cannot be written (a read-only home): every
    read works, and a write is refused with one line.
    """

    _match_columns = _MATCH_COLUMNS  # for the takedown mixin

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.read_only = False
        with _as_store_errors(self.path):
            if self.path.is_dir():
                raise StoreError(f"match store {self.path}: is a folder, not a file")
            if not self.path.exists():
                _create_store_file(self.path)
            _refuse_empty_file(self.path)
            self.read_only = not _writable_here(self.path)
            if self.read_only:
                log.info("match store %s is not writable here: opened read-only", self.path)
            self._db = sqlite3.connect(
                _read_only_uri(self.path) if self.read_only else self.path,
                timeout=settings.SQLITE_BUSY_TIMEOUT_SECONDS,
                isolation_level=None,
                uri=self.read_only,
            )
            try:
                self._prepare()
            except BaseException:
                self.close()
                raise

    def _prepare(self) -> None:
        self._db.row_factory = sqlite3.Row
        self._db.execute(f"PRAGMA cache_size = -{settings.SQLITE_CACHE_MB * 1024}")
        if self.read_only:
            _check_readable_schema(self._db, self.path)
            return
        self._db.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL never corrupts; a power cut may lose the last commits only.
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute("PRAGMA foreign_keys = ON")
        migrate(self._db, self.path)

    # -- transactions -----------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; takes the write lock up front so reads inside it are fresh."""
        if self.read_only:
            raise StoreError(
                f"match store {self.path} is read-only here (the file or its folder cannot be written): "
                "it can be read, not changed"
            )
        with _as_store_errors(self.path):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]:
        with _as_store_errors(self.path):
            return self._db.execute(sql, tuple(params)).fetchall()

    # -- reading matches ----------------------------------------------------------------

    def _records_of(self, match_ids: list[str]) -> dict[str, list[str]]:
        records: dict[str, list[str]] = {match_id: [] for match_id in match_ids}
        for batch in batches(match_ids, settings.ITER_PAGE_SIZE):
            placeholders = ",".join("?" * len(batch))
            rows = self._read(
                f"SELECT match_id, record_id FROM match_records WHERE match_id IN ({placeholders})"
                " ORDER BY match_id, record_id",
                batch,
            )
            for row in rows:
                records[row["match_id"]].append(row["record_id"])
        return records

    def _matches_from_rows(self, rows: list[sqlite3.Row]) -> list[Match]:
        records = self._records_of([row["id"] for row in rows])
        matches = []
        for row in rows:
            with self._damaged_row(f"match {row['id']!r}"):
                matches.append(_match_from_row(row, records[row["id"]]))
        return matches

    @contextmanager
    def _damaged_row(self, what: str) -> Iterator[None]:
        """A hand-edited value (a date that is no date) names the row, in one line."""
        try:
            yield
        except StoreError as error:
            raise StoreError(
                f"match store {self.path}: {what} is damaged: {error}; repair or delete it"
            ) from None

    def _load(self, match_ids: Iterable[str]) -> dict[str, Match]:
        ids = list(match_ids)
        placeholders = ",".join("?" * len(ids))
        rows = self._read(f"SELECT {_MATCH_COLUMNS} FROM matches WHERE id IN ({placeholders})", ids)
        return {match.id: match for match in self._matches_from_rows(rows)}

    def get(self, match_id: str) -> Match:
        found = self._load([match_id]) if match_id else {}
        if match_id not in found:
            raise NotFoundError(f"no match with id {match_id!r}")
        return found[match_id]

    def list_matches(
        self,
        status: str | None = None,
        source: str | None = None,
        min_records: int = 0,
        limit: int | None = 100,
    ) -> list[Match]:
        where = ["matched_count >= ?"]
        params: list[str | int] = [min(min_records, settings.LARGEST_COUNT)]
        if status:
            where.append("status = ?")
            params.append(status)
        if source:
            where.append("source = ?")
            params.append(source)
        sql = (
            f"SELECT {_MATCH_COLUMNS} FROM matches WHERE {' AND '.join(where)}"
            " ORDER BY matched_count DESC, last_seen DESC"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(min(limit, settings.LARGEST_COUNT))
        return self._matches_from_rows(self._read(sql, params))

    def exposure(self, record_id: str) -> list[Match]:
        rows = self._read(
            f"SELECT {_MATCH_COLUMNS_OF_M}"
            " FROM match_records r JOIN matches m ON m.id = r.match_id"
            " WHERE r.record_id = ? ORDER BY m.last_seen DESC",
            [record_id],
        )
        return self._matches_from_rows(rows)

    def search(self, text: str, limit: int = 50) -> list[Match]:
        query = _fts_query(text)
        if not query:
            return []
        rows = self._read(
            f"SELECT {_MATCH_COLUMNS_OF_M}"
            " FROM matches_fts f JOIN matches m ON m.rowid = f.rowid"
            " WHERE matches_fts MATCH ? ORDER BY f.rank LIMIT ?",
            [query, min(limit, settings.LARGEST_COUNT)],
        )
        return self._matches_from_rows(rows)

    def iter_matches(self) -> Iterator[Match]:
        # Keyset pages by rowid: no read transaction stays open for the whole export, so a
        # concurrent sweep can keep writing and checkpointing.
        last_rowid = 0
        while True:
            rows = self._read(
                f"SELECT rowid, {_MATCH_COLUMNS} FROM matches WHERE rowid > ? ORDER BY rowid LIMIT ?",
                [last_rowid, settings.ITER_PAGE_SIZE],
            )
            if not rows:
                return
            yield from self._matches_from_rows(rows)
            last_rowid = rows[-1]["rowid"]

    def history(self, match_id: str) -> list[StatusChange]:
        self.get(match_id)  # NotFoundError for an unknown id, rather than an empty history
        rows = self._read(
            "SELECT match_id, from_status, to_status, at, by, note, details FROM history"
            " WHERE match_id = ? ORDER BY id",
            [match_id],
        )
        changes = []
        for row in rows:
            with self._damaged_row(f"a history entry of match {match_id!r}"):
                changes.append(
                    StatusChange(
                        match_id=row["match_id"],
                        from_status=row["from_status"],
                        to_status=row["to_status"],
                        at=required_time_from_text(row["at"]),
                        by=row["by"],
                        note=row["note"],
                        details=_json_from_text(row["details"]),
                    )
                )
        return changes

    def stats(self) -> StoreStats:
        by_status = {
            row[0]: row[1] for row in self._read("SELECT status, COUNT(*) FROM matches GROUP BY status")
        }
        by_source = {
            row[0]: row[1] for row in self._read("SELECT source, COUNT(*) FROM matches GROUP BY source")
        }
        exposed = self._read(
            "SELECT COUNT(DISTINCT r.record_id) FROM match_records r JOIN matches m ON m.id = r.match_id"
            " WHERE m.status != 'dismissed'"
        )[0][0]
        still_up = sum(by_status.get(status, 0) for status in STILL_UP_STATUSES)
        return StoreStats(
            by_status=by_status, by_source=by_source, records_exposed=exposed, copies_still_up=still_up
        )

    def list_sweeps(self, limit: int = 20) -> list[SweepRecord]:
        rows = self._read(
            "SELECT id, started_at, finished_at, per_source, errors FROM sweeps ORDER BY started_at DESC LIMIT ?",
            [limit],
        )
        sweeps = []
        for row in rows:
            with self._damaged_row(f"sweep {row['id']!r}"):
                sweeps.append(
                    SweepRecord(
                        id=row["id"],
                        started_at=required_time_from_text(row["started_at"]),
                        finished_at=time_from_text(row["finished_at"]),
                        per_source=_json_from_text(row["per_source"]),
                        errors=_json_from_text(row["errors"]),
                    )
                )
        return sweeps

    # -- writing ------------------------------------------------------------------------

    def dataset_ids(self) -> list[str]:
        rows = self._read("SELECT DISTINCT dataset_id FROM matches WHERE dataset_id IS NOT NULL ORDER BY 1")
        return [row[0] for row in rows]

    def _upsert_batch(self, copies: list[FoundCopy]) -> list[Match]:
        with self._write() as db:
            known = self._load({match_id_for_url(copy.url) for copy in copies})
            known_ids = set(known)
            current = dict(known)
            changes: list[StatusChange] = []
            for copy in copies:
                match, change = apply_found_copy(current.get(match_id_for_url(copy.url)), copy)
                current[match.id] = match
                changes += [change] if change else []
            new = [m for m in current.values() if m.id not in known_ids]
            updated = [m for m in current.values() if m.id in known_ids]
            db.executemany(_INSERT_MATCH, map(_match_row, new))
            db.executemany(_UPDATE_FROM_SWEEP, [_update_params(m) for m in updated])
            # Records only ever add up (see apply_found_copy), so inserting the missing ones is enough.
            db.executemany(
                "INSERT OR IGNORE INTO match_records (match_id, record_id) VALUES (?, ?)",
                [(m.id, record) for m in current.values() for record in m.matched_records],
            )
            for change in changes:
                _insert_history(db, change)
        return [current[match_id_for_url(copy.url)] for copy in copies]

    def change_status(
        self,
        match_id: str,
        to_status: str,
        by: str,
        note: str | None = None,
        details: dict | None = None,
        expected_version: int | None = None,
    ) -> Match:
        details = dict(details or {})
        # Read inside the write transaction: nobody can change the match between check and write.
        with self._write() as db:
            match = self.get(match_id)
            if expected_version is not None and match.version != expected_version:
                raise ConcurrentUpdateError(
                    f"match {match_id} changed since it was shown (now {match.status!r}); look at it again"
                )
            check_transition(match.status, to_status)
            changed, change = apply_status_change(match, to_status, by, note, details)
            db.execute(
                "UPDATE matches SET status = ?, status_changed_at = ?, version = version + 1,"
                " takedown_to = ?, takedown_ref = ? WHERE id = ? AND version = ?",
                (
                    changed.status,
                    time_text(changed.status_changed_at),
                    changed.takedown_to,
                    changed.takedown_ref,
                    match_id,
                    match.version,
                ),
            )
            _insert_history(db, change)
        return self.get(match_id)

    def record_sweep(self, sweep: SweepRecord) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO sweeps (id, started_at, finished_at, per_source, errors) VALUES (?, ?, ?, ?, ?)",
                (
                    sweep.id,
                    time_text(sweep.started_at),
                    time_text(sweep.finished_at),
                    json.dumps(sweep.per_source),
                    json.dumps(sweep.errors),
                ),
            )

    def close(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()
            del self._db  # closed: a second close() finds no connection, as after a failed open


_INSERT_MATCH = f"INSERT INTO matches ({_MATCH_COLUMNS}) VALUES ({', '.join('?' * len(_MATCH_COLUMN_NAMES))})"
_UPDATE_FROM_SWEEP = (
    f"UPDATE matches SET {', '.join(column + ' = ?' for column in _SWEEP_UPDATED_COLUMNS)} WHERE id = ?"
)


def _update_params(match: Match) -> tuple:
    row = dict(zip(_MATCH_COLUMN_NAMES, _match_row(match)))
    return (*(row[column] for column in _SWEEP_UPDATED_COLUMNS), match.id)


def _match_row(match: Match) -> tuple:
    return (
        match.id,
        match.source,
        match.url,
        match.host,
        match.title,
        match.content_sha256,
        match.matched_count,
        match.containment,
        match.status,
        time_text(match.first_seen),
        time_text(match.last_seen),
        time_text(match.status_changed_at),
        match.takedown_to,
        match.takedown_ref,
        match.evidence_path,
        match.version,
        match.dataset_id,
        int(match.partly_read),
    )


def _match_from_row(row: sqlite3.Row, records: list[str]) -> Match:
    return Match(
        id=row["id"],
        source=row["source"],
        url=row["url"],
        host=row["host"],
        content_sha256=row["content_sha256"],
        matched_records=sorted_record_ids(records),
        matched_count=row["matched_count"],
        containment=row["containment"],
        status=row["status"],
        first_seen=required_time_from_text(row["first_seen"]),
        last_seen=required_time_from_text(row["last_seen"]),
        title=row["title"],
        evidence_path=row["evidence_path"],
        status_changed_at=time_from_text(row["status_changed_at"]),
        takedown_to=row["takedown_to"],
        takedown_ref=row["takedown_ref"],
        version=row["version"],
        dataset_id=row["dataset_id"],
        partly_read=bool(row["partly_read"]),
    )


def _insert_history(db: sqlite3.Connection, change: StatusChange) -> None:
    db.execute(
        "INSERT INTO history (match_id, from_status, to_status, at, by, note, details) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            change.match_id,
            change.from_status,
            change.to_status,
            time_text(change.at),
            change.by,
            change.note,
            json.dumps(change.details),
        ),
    )


def _json_from_text(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        raise StoreError(f"damaged JSON {str(text)[:60]!r}") from None


def _fts_query(text: str) -> str:
    """Every word of the user's text must occur (as a prefix); quoted, so no FTS syntax leaks in."""
    words = text.split()
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def _check_readable_schema(db: sqlite3.Connection, path: Path) -> None:
    """A store opened read-only cannot be migrated: it must already be at this schema."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version == 0:
        raise StoreError(f"{path} is not a leaktrack match store")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"match store {path} has schema version {version}, newer than this leaktrack ({SCHEMA_VERSION}): upgrade leaktrack"
        )
    raise StoreError(
        f"match store {path} has schema version {version} and is read-only here: open it once where it "
        f"can be written to upgrade it to version {SCHEMA_VERSION}"
    )


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to ``SCHEMA_VERSION``, one migration per transaction."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"match store {path} has schema version {version}, newer than this leaktrack ({SCHEMA_VERSION}): upgrade leaktrack"
        )
    if version == 0 and db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
        raise StoreError(f"{path} is an SQLite database but not a leaktrack match store")
    for number, (why, statements) in enumerate(MIGRATIONS[version:], start=version + 1):
        log.info("migrating match store %s to schema version %d: %s", path, number, why)
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            if db.execute("PRAGMA user_version").fetchone()[0] >= number:
                db.execute("ROLLBACK")
                continue
            for statement in statements:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
