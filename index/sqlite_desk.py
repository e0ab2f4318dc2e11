"""The review desk's records (``index/desk.py``) in the SQLite store: accounts, audit, queue pages.

A mixin of ``SQLiteStore`` (it uses the store's ``_read``/``_write`` transactions); its tables
and indexes are the store's migrations named "review desk".
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from ..errors import NotFoundError
from . import settings
from .base import STILL_UP_STATUSES, Match, required_time_from_text, time_text, utcnow
from .desk import (
    AuditEntry,
    DashboardFigures,
    DeskRecords,
    ExposurePage,
    QueueFilter,
    QueuePage,
    UserAccount,
    check_role,
    check_sort,
    removal_medians,
)

# Appended to the store's MIGRATIONS (sqlite.py) in this order.
DESK_MIGRATIONS: list[tuple[str, list[str]]] = [
    (
        "review desk: accounts, audit trail, and the queue's host / first-seen / last-seen orders",
        [
            """CREATE TABLE users (
                name TEXT PRIMARY KEY,
                role TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                created_at TEXT NOT NULL,
                disabled INTEGER NOT NULL DEFAULT 0
            )""",
            """CREATE TABLE audit (
                id INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                user TEXT NOT NULL,
                action TEXT NOT NULL,
                target TEXT,
                details TEXT NOT NULL DEFAULT '{}'
            )""",
            "CREATE INDEX audit_by_target ON audit (target, id)",
            "CREATE INDEX audit_by_user ON audit (user, id)",
            # Keyset paging: every order ends with the id, so "after (value, id)" is one index seek.
            "CREATE INDEX matches_page_records ON matches (matched_count DESC, id DESC)",
            "CREATE INDEX matches_page_first_seen ON matches (first_seen DESC, id DESC)",
            "CREATE INDEX matches_page_last_seen ON matches (last_seen DESC, id DESC)",
            "CREATE INDEX matches_page_status ON matches (status, matched_count DESC, id DESC)",
            "CREATE INDEX matches_page_host ON matches (host, matched_count DESC, id DESC)",
            "CREATE INDEX matches_page_source ON matches (source, matched_count DESC, id DESC)",
        ],
    ),
]


# Appended to the store's MIGRATIONS after the takedown records (migration order = list order).
ALERTS_MIGRATION: tuple[str, list[str]] = (
    "review desk: alerts already sent (one per copy and event)",
    [
        """CREATE TABLE alerts_sent (
            match_id TEXT NOT NULL,
            event TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (match_id, event)
        ) WITHOUT ROWID""",
    ],
)


def _user_from_row(row: sqlite3.Row) -> UserAccount:
    return UserAccount(
        name=row["name"],
        role=row["role"],
        password_hash=row["password_hash"],
        created_at=required_time_from_text(row["created_at"]),
        disabled=bool(row["disabled"]),
    )


def _where(where: QueueFilter) -> tuple[list[str], list]:
    clauses = ["matched_count >= ?"]
    params: list[str | int | None] = [min(where.min_records, settings.LARGEST_COUNT)]
    for column in ("status", "source", "host"):
        if getattr(where, column):
            clauses.append(f"{column} = ?")
            params.append(getattr(where, column))
    if where.first_seen_from:
        clauses.append("first_seen >= ?")
        params.append(time_text(where.first_seen_from))
    if where.first_seen_to:
        clauses.append("first_seen < ?")
        params.append(time_text(where.first_seen_to))
    return clauses, params


class SQLiteDeskRecords(DeskRecords):
    if TYPE_CHECKING:  # provided by SQLiteStore, which this is mixed into

        def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _read(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]: ...
        def _matches_from_rows(self, rows: list[sqlite3.Row]) -> list[Match]: ...

    def save_user(self, account: UserAccount) -> None:
        check_role(account.role)
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO users (name, role, password_hash, created_at, disabled) VALUES (?, ?, ?, ?, ?)",
                (
                    account.name,
                    account.role,
                    account.password_hash,
                    time_text(account.created_at),
                    int(account.disabled),
                ),
            )

    def get_user(self, name: str) -> UserAccount:
        rows = self._read("SELECT * FROM users WHERE name = ?", [name])
        if not rows:
            raise NotFoundError(f"no user named {name!r}")
        return _user_from_row(rows[0])

    def list_users(self) -> list[UserAccount]:
        return [_user_from_row(row) for row in self._read("SELECT * FROM users ORDER BY name")]

    def record_audit(self, entry: AuditEntry) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO audit (at, user, action, target, details) VALUES (?, ?, ?, ?, ?)",
                (time_text(entry.at), entry.user, entry.action, entry.target, json.dumps(entry.details)),
            )

    def list_audit(
        self, target: str | None = None, user: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        clauses, params = ["1"], []
        if target is not None:
            clauses.append("target = ?")
            params.append(target)
        if user is not None:
            clauses.append("user = ?")
            params.append(user)
        rows = self._read(
            f"SELECT * FROM audit WHERE {' AND '.join(clauses)} ORDER BY id DESC LIMIT ?",
            [*params, min(limit, settings.LARGEST_COUNT)],
        )
        return [
            AuditEntry(
                user=row["user"],
                action=row["action"],
                target=row["target"],
                details=json.loads(row["details"]),
                at=required_time_from_text(row["at"]),
            )
            for row in rows
        ]

    def claim_alert(self, match_id: str, event: str) -> bool:
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO alerts_sent (match_id, event, at) VALUES (?, ?, ?)",
                (match_id, event, time_text(utcnow())),
            )
        return cursor.rowcount == 1

    def release_alert(self, match_id: str, event: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM alerts_sent WHERE match_id = ? AND event = ?", (match_id, event))

    def queue_page(
        self, where: QueueFilter, sort: str = "records", after: tuple | None = None, limit: int = 50
    ) -> QueuePage:
        column = check_sort(sort)
        clauses, params = _where(where)
        if after is not None:
            clauses.append(f"({column}, id) < (?, ?)")
            params.extend(after)
        from .sqlite import _MATCH_COLUMNS  # the store's own column list (sqlite.py imports this module)

        rows = self._read(
            f"SELECT {_MATCH_COLUMNS} FROM matches WHERE {' AND '.join(clauses)}"
            f" ORDER BY {column} DESC, id DESC LIMIT ?",
            [*params, limit + 1],
        )
        matches = self._matches_from_rows(rows[:limit])
        if len(rows) <= limit:
            return QueuePage(matches, None)
        last = rows[limit - 1]
        return QueuePage(matches, (last[column], last["id"]))

    def exposure_page(self, record_id: str, after: str | None = None, limit: int = 50) -> ExposurePage:
        from .sqlite import _MATCH_COLUMNS_OF_M

        # match_records is WITHOUT ROWID with the key (match_id, record_id), so its index on
        # record_id holds (record_id, match_id) in order: the page is a range read of that index.
        clauses, params = ["r.record_id = ?"], [record_id]
        if after is not None:
            clauses.append("r.match_id < ?")
            params.append(after)
        rows = self._read(
            f"SELECT {_MATCH_COLUMNS_OF_M} FROM match_records r JOIN matches m ON m.id = r.match_id"
            f" WHERE {' AND '.join(clauses)} ORDER BY r.match_id DESC LIMIT ?",
            [*params, limit + 1],
        )
        total = self._read("SELECT COUNT(*) FROM match_records WHERE record_id = ?", [record_id])[0][0]
        matches = self._matches_from_rows(rows[:limit])
        next_after = rows[limit - 1]["id"] if len(rows) > limit else None
        return ExposurePage(matches, next_after, total)

    def dashboard(self) -> DashboardFigures:
        found: dict = {}
        for day, status, count in self._read(
            "SELECT substr(first_seen, 1, 10), status, COUNT(*) FROM matches GROUP BY 1, 2 ORDER BY 1"
        ):
            found.setdefault(required_time_from_text(day).date(), {})[status] = count
        exposed = {
            required_time_from_text(day).date(): count
            for day, count in self._read(
                "SELECT day, COUNT(*) FROM (SELECT MIN(substr(m.first_seen, 1, 10)) AS day"
                " FROM match_records r JOIN matches m ON m.id = r.match_id"
                " WHERE m.status != 'dismissed' GROUP BY r.record_id) GROUP BY day ORDER BY day"
            )
        }
        placeholders = ",".join("?" * len(STILL_UP_STATUSES))
        still_up = self._read(
            f"SELECT COUNT(*) FROM matches WHERE status IN ({placeholders})", STILL_UP_STATUSES
        )[0][0]
        removal_rows = [
            (row[0], row[1], row[2])
            for row in self._read(
                "SELECT host, source, julianday(status_changed_at) - julianday(first_seen)"
                " FROM matches WHERE status = 'removed' AND status_changed_at IS NOT NULL"
            )
        ]
        by_host, by_source = removal_medians(removal_rows)
        return DashboardFigures(found, exposed, still_up, by_host, by_source)
