"""``TakedownRecords`` in the SQLite store: three tables (lookups, notices, tracks) added by
``TAKEDOWN_MIGRATION`` (appended to ``sqlite.MIGRATIONS``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from ..errors import NotFoundError
from . import settings
from .base import Match, batches, time_from_text, time_text
from .takedown_records import (
    METRIC_GROUPS,
    TIME_FIELDS,
    Notice,
    TakedownMetric,
    TakedownRecords,
    TakedownTrack,
    hours_to_notice,
    hours_to_removal,
)

# Hours from first seen to notice and from notice to removal, stored with each track so the
# per-host and per-source metrics add up numbers read from one covering index (bench/store.py:
# computing them from the ISO timestamps with julianday() cost ~3 ms per 1,000 tracks).
TAKEDOWN_HOURS_MIGRATION: tuple[str, list[str]] = (
    "takedown: hours to notice and to removal stored per track, for fast per-host/per-source metrics",
    [
        "ALTER TABLE takedown_tracks ADD COLUMN hours_to_notice REAL",
        "ALTER TABLE takedown_tracks ADD COLUMN hours_to_removal REAL",
        "UPDATE takedown_tracks SET hours_to_notice = (julianday(first_notice_at) - julianday(first_seen)) * 24,"
        " hours_to_removal = (julianday(removed_at) - julianday(first_notice_at)) * 24",
        "DROP INDEX takedown_tracks_by_host",
        "DROP INDEX takedown_tracks_by_source",
        "CREATE INDEX takedown_tracks_by_host ON takedown_tracks (host, hours_to_notice, hours_to_removal)",
        "CREATE INDEX takedown_tracks_by_source ON takedown_tracks (source, hours_to_notice, hours_to_removal)",
    ],
)

TAKEDOWN_MIGRATION: tuple[str, list[str]] = (
    "takedown: cached contact lookups, notices sent, the escalation and monitoring schedule; mirrors by content hash",
    [
        """CREATE TABLE takedown_lookups (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )""",
        """CREATE TABLE takedown_notices (
            id TEXT PRIMARY KEY,
            match_id TEXT NOT NULL REFERENCES matches (id),
            sent_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            role TEXT NOT NULL,
            recipient TEXT NOT NULL,
            contact_source TEXT NOT NULL,
            template TEXT NOT NULL,
            by TEXT NOT NULL,
            message_id TEXT
        )""",
        "CREATE INDEX takedown_notices_by_match ON takedown_notices (match_id, sent_at)",
        """CREATE TABLE takedown_tracks (
            match_id TEXT PRIMARY KEY REFERENCES matches (id),
            host TEXT NOT NULL,
            source TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            step TEXT NOT NULL,
            step_since TEXT NOT NULL,
            role TEXT NOT NULL,
            first_notice_at TEXT NOT NULL,
            notices INTEGER NOT NULL,
            removed_at TEXT,
            gone_since TEXT,
            resolved_at TEXT,
            reappeared_at TEXT
        )""",
        # `takedown due`: one range scan per step.
        "CREATE INDEX takedown_tracks_due ON takedown_tracks (step, step_since)",
        # Per-host metrics read only this index (covering), not the table.
        "CREATE INDEX takedown_tracks_by_host ON takedown_tracks (host, first_seen, first_notice_at, removed_at)",
        "CREATE INDEX takedown_tracks_by_source ON takedown_tracks (source, first_seen, first_notice_at, removed_at)",
        # Mirrors: other URLs serving the same bytes.
        "CREATE INDEX matches_by_content ON matches (content_sha256)",
    ],
)

_NOTICE_COLUMNS = (
    "id",
    "match_id",
    "sent_at",
    "kind",
    "role",
    "recipient",
    "contact_source",
    "template",
    "by",
    "message_id",
)
_TRACK_COLUMNS = (
    "match_id",
    "host",
    "source",
    "first_seen",
    "step",
    "step_since",
    "role",
    "first_notice_at",
    "notices",
    "removed_at",
    "gone_since",
    "resolved_at",
    "reappeared_at",
)


def _row_of(record: Notice | TakedownTrack, columns: tuple[str, ...]) -> tuple:
    return tuple(time_text(getattr(record, c)) if c in TIME_FIELDS else getattr(record, c) for c in columns)


def _fields_of(row: sqlite3.Row, columns: tuple[str, ...]) -> dict:
    return {c: time_from_text(row[c]) if c in TIME_FIELDS else row[c] for c in columns}


class SQLiteTakedownRecords(TakedownRecords):
    """Mixed into ``SQLiteStore``: uses its ``_write``/``_read``/``_load``."""

    if TYPE_CHECKING:  # provided by SQLiteStore
        _match_columns: str

        def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _read(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]: ...
        def _load(self, match_ids: Iterable[str]) -> dict[str, Match]: ...
        def _matches_from_rows(self, rows: list[sqlite3.Row]) -> list[Match]: ...
        def get(self, match_id: str) -> Match: ...

    def save_lookup(self, key: str, value: dict, expires_at: datetime) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO takedown_lookups (key, value, expires_at) VALUES (?, ?, ?)",
                (key, json.dumps(value), time_text(expires_at)),
            )

    def load_lookup(self, key: str, now: datetime) -> dict | None:
        rows = self._read(
            "SELECT value FROM takedown_lookups WHERE key = ? AND expires_at > ?", [key, time_text(now)]
        )
        return json.loads(rows[0]["value"]) if rows else None

    def add_notice(self, notice: Notice) -> None:
        self.get(notice.match_id)  # NotFoundError for an unknown match
        with self._write() as db:
            db.execute(
                f"INSERT INTO takedown_notices ({', '.join(_NOTICE_COLUMNS)})"
                f" VALUES ({', '.join('?' * len(_NOTICE_COLUMNS))})",
                _row_of(notice, _NOTICE_COLUMNS),
            )

    def list_notices(self, match_id: str | None = None) -> list[Notice]:
        where, params = ("WHERE match_id = ?", [match_id]) if match_id else ("", [])
        rows = self._read(
            f"SELECT {', '.join(_NOTICE_COLUMNS)} FROM takedown_notices {where} ORDER BY sent_at, id", params
        )
        return [Notice(**_fields_of(row, _NOTICE_COLUMNS)) for row in rows]

    def save_track(self, track: TakedownTrack) -> None:
        if not self._load([track.match_id]):
            raise NotFoundError(f"no match with id {track.match_id!r}")
        columns = (*_TRACK_COLUMNS, "hours_to_notice", "hours_to_removal")
        with self._write() as db:
            db.execute(
                f"INSERT OR REPLACE INTO takedown_tracks ({', '.join(columns)})"
                f" VALUES ({', '.join('?' * len(columns))})",
                (*_row_of(track, _TRACK_COLUMNS), hours_to_notice(track), hours_to_removal(track)),
            )

    def get_track(self, match_id: str) -> TakedownTrack | None:
        return self.tracks_of([match_id]).get(match_id)

    def tracks_of(self, match_ids: list[str]) -> dict[str, TakedownTrack]:
        found: dict[str, TakedownTrack] = {}
        for batch in batches(match_ids, settings.ITER_PAGE_SIZE):
            rows = self._read(
                f"SELECT {', '.join(_TRACK_COLUMNS)} FROM takedown_tracks"
                f" WHERE match_id IN ({','.join('?' * len(batch))})",
                batch,
            )
            found.update((row["match_id"], TakedownTrack(**_fields_of(row, _TRACK_COLUMNS))) for row in rows)
        return found

    def match_states(self, match_ids: list[str]) -> dict[str, tuple[str, datetime | None]]:
        found: dict[str, tuple[str, datetime | None]] = {}
        for batch in batches(match_ids, settings.ITER_PAGE_SIZE):
            rows = self._read(
                f"SELECT id, status, status_changed_at FROM matches WHERE id IN ({','.join('?' * len(batch))})",
                batch,
            )
            found.update(
                (row["id"], (row["status"], time_from_text(row["status_changed_at"]))) for row in rows
            )
        return found

    def tracks_due(self, step: str, entered_by: datetime, limit: int | None = None) -> list[TakedownTrack]:
        sql = (
            f"SELECT {', '.join(_TRACK_COLUMNS)} FROM takedown_tracks"
            " WHERE step = ? AND step_since <= ? ORDER BY step_since, match_id"
        )
        params: list = [step, time_text(entered_by)]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(min(limit, settings.LARGEST_COUNT))
        return [TakedownTrack(**_fields_of(row, _TRACK_COLUMNS)) for row in self._read(sql, params)]

    def iter_tracks(self) -> Iterator[TakedownTrack]:
        last = ""
        while True:
            rows = self._read(
                f"SELECT {', '.join(_TRACK_COLUMNS)} FROM takedown_tracks WHERE match_id > ?"
                " ORDER BY match_id LIMIT ?",
                [last, settings.ITER_PAGE_SIZE],
            )
            if not rows:
                return
            yield from (TakedownTrack(**_fields_of(row, _TRACK_COLUMNS)) for row in rows)
            last = rows[-1]["match_id"]

    def takedown_metrics(self, group_by: str = "host") -> list[TakedownMetric]:
        if group_by not in METRIC_GROUPS:
            raise ValueError(f"group_by must be host or source, not {group_by!r}")
        rows = self._read(
            f"SELECT {group_by} AS key, COUNT(*) AS notified, COUNT(hours_to_removal) AS removed,"
            " AVG(hours_to_notice) AS notice_mean, MAX(hours_to_notice) AS notice_max,"
            " AVG(hours_to_removal) AS removal_mean, MAX(hours_to_removal) AS removal_max"
            f" FROM takedown_tracks GROUP BY {group_by} ORDER BY notified DESC, key"
        )
        return [
            TakedownMetric(
                key=row["key"],
                notified=row["notified"],
                removed=row["removed"],
                hours_to_notice_mean=row["notice_mean"],
                hours_to_notice_max=row["notice_max"],
                hours_to_removal_mean=row["removal_mean"],
                hours_to_removal_max=row["removal_max"],
            )
            for row in rows
        ]

    def delete_matches(self, match_ids: list[str]) -> int:
        deleted = 0
        for batch in batches(match_ids, settings.ITER_PAGE_SIZE):
            marks = ",".join("?" * len(batch))
            with self._write() as db:
                for table in ("match_records", "history", "takedown_notices", "takedown_tracks"):
                    db.execute(f"DELETE FROM {table} WHERE match_id IN ({marks})", batch)
                deleted += db.execute(f"DELETE FROM matches WHERE id IN ({marks})", batch).rowcount
        return deleted

    def matches_with_content(self, content_sha256: str) -> list[Match]:
        rows = self._read(
            f"SELECT {self._match_columns} FROM matches WHERE content_sha256 = ? ORDER BY last_seen DESC",
            [content_sha256],
        )
        return self._matches_from_rows(rows)
