"""What the SQLite backend adds: WAL, migrations, concurrent use, crash safety, bad files."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import stat
import threading

import pytest
from fixtures_store import found_copy

from leaktrack.errors import StoreError
from leaktrack.index import open_store
from leaktrack.index import settings as store_settings
from leaktrack.index.sqlite import MIGRATIONS, SCHEMA_VERSION, SQLiteStore


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "matches.db"


def raw(path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def consistent(path) -> bool:
    """Integrity check passes and every match's count equals its stored record rows."""
    db = raw(path)
    try:
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            return False
        mismatched = db.execute(
            "SELECT COUNT(*) FROM matches m WHERE m.matched_count !="
            " (SELECT COUNT(*) FROM match_records r WHERE r.match_id = m.id)"
        ).fetchone()[0]
        return mismatched == 0
    finally:
        db.close()


def test_open_store_opens_an_sqlite_url(db_path):
    with open_store(f"sqlite:///{db_path}") as store:
        assert isinstance(store, SQLiteStore)
    assert db_path.exists()


def test_the_store_file_is_created_owner_only(db_path):
    SQLiteStore(db_path).close()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_the_store_uses_the_wal_journal(db_path):
    SQLiteStore(db_path).close()
    assert raw(db_path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_new_store_is_at_the_current_schema_version(db_path):
    SQLiteStore(db_path).close()
    assert raw(db_path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_store_of_schema_1_is_migrated_and_its_old_matches_become_searchable(db_path):
    old = raw(db_path)
    for statement in MIGRATIONS[0][1]:
        old.execute(statement)
    old.execute("PRAGMA user_version = 1")
    old.execute(
        "INSERT INTO matches (id, source, url, host, title, content_sha256, matched_count, containment, status,"
        " first_seen, last_seen) VALUES ('abc', 'pastes', 'https://paste.example/x', 'paste.example',"
        " 'roster copy', 'ff', 1, 0.5, 'new', '2026-01-01T00:00:00.000000+00:00', '2026-01-01T00:00:00.000000+00:00')"
    )
    old.execute("INSERT INTO match_records VALUES ('abc', 'r1')")
    old.close()
    with SQLiteStore(db_path) as store:
        assert [m.id for m in store.search("roster")] == ["abc"]
        assert [m.id for m in store.exposure("r1")] == ["abc"]
    assert raw(db_path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_store_from_a_newer_leaktrack_is_refused(db_path):
    SQLiteStore(db_path).close()
    raw(db_path).execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer"):
        SQLiteStore(db_path)


def test_an_sqlite_file_of_another_program_is_refused_and_left_alone(db_path):
    other = raw(db_path)
    other.execute("CREATE TABLE contacts (name TEXT)")
    other.close()
    with pytest.raises(StoreError, match="not a leaktrack match store"):
        SQLiteStore(db_path)
    tables = raw(db_path).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("contacts",)]


def test_a_file_that_is_not_sqlite_raises_store_error(db_path):
    db_path.write_bytes(os.urandom(8192))
    with pytest.raises(StoreError):
        SQLiteStore(db_path)


def test_a_store_with_damaged_pages_raises_store_error_when_read(db_path):
    with SQLiteStore(db_path) as store:
        store.upsert_copies(found_copy(f"https://m.example/{n}", [f"r{n}"]) for n in range(3_000))
    raw(db_path).execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = db_path.stat().st_size
    with open(db_path, "r+b") as damaged:  # keep page 1 (the schema), garble every other page
        damaged.seek(4096)
        damaged.write(b"\xff" * (size - 4096))
    with pytest.raises(StoreError):
        with SQLiteStore(db_path) as store:
            list(store.iter_matches())


def test_the_queue_and_exposure_queries_are_answered_from_indexes(db_path):
    SQLiteStore(db_path).close()
    db = raw(db_path)
    queue_plan = " ".join(
        row[-1]
        for row in db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM matches WHERE matched_count >= 0 AND status = 'new'"
            " ORDER BY matched_count DESC, last_seen DESC LIMIT 50"
        )
    )
    exposure_plan = " ".join(
        row[-1]
        for row in db.execute("EXPLAIN QUERY PLAN SELECT match_id FROM match_records WHERE record_id = 'r1'")
    )
    assert "matches_queue_by_status" in queue_plan and "TEMP B-TREE" not in queue_plan
    assert "match_records_by_record" in exposure_plan


def test_a_failed_history_write_leaves_the_status_unchanged(db_path):
    with SQLiteStore(db_path) as store:
        (match,) = store.upsert_copies([found_copy("https://p.example/1", ["r1"])])
        raw(db_path).execute(
            "CREATE TRIGGER refuse_history BEFORE INSERT ON history BEGIN SELECT RAISE(ABORT, 'no room'); END"
        )
        with pytest.raises(sqlite3.DatabaseError, match="no room"):
            store.change_status(match.id, "confirmed", by="alice")
        assert store.get(match.id).status == "new"


def test_a_sweep_that_fails_mid_way_keeps_whole_batches_only(db_path, monkeypatch):
    monkeypatch.setattr(store_settings, "UPSERT_BATCH_SIZE", 10)

    def copies_then_failure():
        for n in range(25):
            yield found_copy(f"https://m.example/{n}", [f"r{n}", "shared"])
        raise RuntimeError("spider crashed")

    with SQLiteStore(db_path) as store:
        with pytest.raises(RuntimeError):
            store.upsert_copies(copies_then_failure())
        assert len(store.list_matches(limit=None)) == 20
    assert consistent(db_path)


def test_a_reader_is_not_blocked_by_a_writer_and_sees_only_committed_matches(db_path):
    with SQLiteStore(db_path) as store:
        store.upsert_copies([found_copy("https://p.example/committed", ["r1"])])
        writer = raw(db_path)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO matches (id, source, url, host, content_sha256, matched_count, containment, status,"
            " first_seen, last_seen) VALUES ('x', 's', 'u', 'h', 'ff', 0, 0, 'new', 't', 't')"
        )
        assert [m.url for m in store.list_matches()] == ["https://p.example/committed"]
        writer.execute("ROLLBACK")


def test_a_writer_waits_for_another_writer_instead_of_failing(db_path):
    with SQLiteStore(db_path) as store:
        (match,) = store.upsert_copies([found_copy("https://p.example/1", ["r1"])])
        holder = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        store_begins_writing = threading.Event()
        # The store's own connection says when its write transaction starts (it then finds the
        # lock held and waits): only then does the other writer commit.
        store._db.set_trace_callback(lambda sql: sql.startswith("BEGIN") and store_begins_writing.set())

        def commit_once_the_store_writes():
            if store_begins_writing.wait(timeout=120):
                holder.execute("COMMIT")

        thread = threading.Thread(target=commit_once_the_store_writes)
        thread.start()
        assert store.change_status(match.id, "confirmed", by="alice").status == "confirmed"
        thread.join()
        store._db.set_trace_callback(None)


def _sweep_in_process(path: str, prefix: str, count: int) -> None:
    with SQLiteStore(path) as store:
        for n in range(count):
            store.upsert_copies([found_copy(f"https://{prefix}.example/{n}", [f"{prefix}-{n}", "shared"])])


def _review_in_process(path: str, ids: list[str]) -> None:
    with SQLiteStore(path) as store:
        for match_id in ids:
            store.change_status(match_id, "confirmed", by="reviewer")


def test_two_sweeps_and_a_review_in_separate_processes_lose_nothing(db_path):
    with SQLiteStore(db_path) as store:
        seeded = store.upsert_copies(found_copy(f"https://seed.example/{n}", [f"s{n}"]) for n in range(100))
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_sweep_in_process, args=(str(db_path), "a", 150)),
        context.Process(target=_sweep_in_process, args=(str(db_path), "b", 150)),
        context.Process(target=_review_in_process, args=(str(db_path), [m.id for m in seeded])),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    with SQLiteStore(db_path) as store:
        assert store.stats().by_status == {"new": 300, "confirmed": 100}
        assert len(store.exposure("shared")) == 300
    assert consistent(db_path)


def _sweep_forever(path: str, batches_written) -> None:
    with SQLiteStore(path) as store:
        for n in range(10**9):
            store.upsert_copies(
                found_copy(f"https://k.example/{n}/{i}", [f"r{n}-{i}", f"r{i}"]) for i in range(50)
            )
            if n == 10:
                batches_written.set()


def test_a_sweep_killed_mid_write_leaves_a_consistent_store(db_path):
    SQLiteStore(db_path).close()
    context = multiprocessing.get_context("fork")
    batches_written = context.Event()
    worker = context.Process(target=_sweep_forever, args=(str(db_path), batches_written))
    worker.start()
    try:
        assert batches_written.wait(timeout=120), "the sweep wrote nothing"
    finally:
        os.kill(worker.pid, signal.SIGKILL)  # writing its next batch
        worker.join()
    assert consistent(db_path)
    with SQLiteStore(db_path) as store:
        assert len(store.list_matches(limit=None)) % 50 == 0  # whole batches only


def test_an_empty_file_at_the_store_path_is_refused_and_left_as_it_is(db_path):
    """0 bytes is what a store emptied by a full disk or a bad copy looks like: never a new store."""
    db_path.touch()
    with pytest.raises(StoreError, match="empty file"):
        SQLiteStore(db_path)
    assert db_path.stat().st_size == 0


def test_a_new_store_leaves_no_temporary_file_beside_it(db_path):
    SQLiteStore(db_path).close()
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["matches.db"]


def test_a_hand_damaged_date_is_a_store_error_naming_the_match(db_path):
    with SQLiteStore(db_path) as store:
        (match,) = store.upsert_copies([found_copy("https://m.example/1", ["r1"])])
    raw(db_path).execute("UPDATE matches SET last_seen = '2026-13-45 25:99' WHERE id = ?", (match.id,))
    with SQLiteStore(db_path) as store:
        with pytest.raises(StoreError, match=f"match '{match.id}' is damaged: damaged timestamp"):
            store.list_matches()


def test_a_hand_edited_date_without_a_time_zone_is_read_as_utc(db_path):
    with SQLiteStore(db_path) as store:
        (match,) = store.upsert_copies([found_copy("https://m.example/1", ["r1"])])
    raw(db_path).execute("UPDATE matches SET last_seen = '2026-03-02 10:00' WHERE id = ?", (match.id,))
    with SQLiteStore(db_path) as store:
        assert store.get(match.id).last_seen.isoformat() == "2026-03-02T10:00:00+00:00"
        assert store.list_matches()[0].last_seen > match.first_seen  # comparable with stored times


def test_matches_stored_before_dataset_ids_are_kept_without_one(db_path):
    """A store of the schema before dataset ids: its matches stay, and take any dataset's copies."""
    before = raw(db_path)
    for statement in (s for _, statements in MIGRATIONS[:-1] for s in statements):
        before.execute(statement)
    before.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    before.execute(
        "INSERT INTO matches (id, source, url, host, title, content_sha256, matched_count, containment, status,"
        " first_seen, last_seen) VALUES ('abc', 'pastes', 'https://paste.example/x', 'paste.example',"
        " NULL, 'ff', 1, 0.5, 'new', '2026-01-01T00:00:00.000000+00:00', '2026-01-01T00:00:00.000000+00:00')"
    )
    before.close()
    with SQLiteStore(db_path) as store:
        assert store.get("abc").dataset_id is None
        assert store.dataset_ids() == []
        copy = found_copy("https://paste.example/y", ["r1"])
        copy.dataset_id = "d" * 32
        store.upsert_copies([copy])
        assert store.dataset_ids() == ["d" * 32]
