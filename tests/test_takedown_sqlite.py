"""SQLite specifics of the takedown records: the schema upgrade of tracks kept before it."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from fixtures_store import T0

from leaktrack.index import sqlite as sqlite_store
from leaktrack.index.sqlite_takedown import TAKEDOWN_HOURS_MIGRATION


def test_tracks_written_before_the_hours_columns_get_their_hours_on_upgrade(tmp_path, monkeypatch):
    path = tmp_path / "m.db"
    # The leaktrack before this migration: every migration up to it (later ones came after it).
    before = sqlite_store.MIGRATIONS[: sqlite_store.MIGRATIONS.index(TAKEDOWN_HOURS_MIGRATION)]
    with monkeypatch.context() as patch:
        patch.setattr(sqlite_store, "MIGRATIONS", before)
        patch.setattr(sqlite_store, "SCHEMA_VERSION", len(before))
        sqlite_store.SQLiteStore(path).close()  # the schema as it was before the hours migration
    match_id = "a" * 16
    raw = sqlite3.connect(path)  # a match and its track as the earlier leaktrack wrote them
    with raw:
        raw.execute(
            "INSERT INTO matches (id, source, url, host, content_sha256, matched_count, containment, status,"
            " first_seen, last_seen) VALUES (?, 'pastes', 'https://h.example/a', 'h.example', ?, 1, 0.5,"
            " 'removed', ?, ?)",
            (match_id, "0" * 64, T0.isoformat(), T0.isoformat()),
        )
        raw.execute(
            "INSERT INTO takedown_tracks (match_id, host, source, first_seen, step, step_since, role,"
            " first_notice_at, notices, removed_at) VALUES (?, 'h.example', 'pastes', ?, 'monitoring', ?,"
            " 'hosting', ?, 1, ?)",
            (
                match_id,
                T0.isoformat(),
                T0.isoformat(),
                (T0 + timedelta(hours=2)).isoformat(),
                (T0 + timedelta(hours=12)).isoformat(),
            ),
        )
    raw.close()
    with sqlite_store.SQLiteStore(path) as upgraded:
        (metric,) = upgraded.takedown_metrics("host")
    assert metric.hours_to_notice_mean == pytest.approx(2.0)
    assert metric.hours_to_removal_mean == pytest.approx(10.0)
