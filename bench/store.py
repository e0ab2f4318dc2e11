"""Benchmark of the SQLite match store at scale (default 1M synthetic matches).

Measures, in one run:
  * bulk upsert rate of new matches through ``SQLiteStore.upsert_copies`` (indexes, FTS,
    record table, one transaction per batch), beside a baseline: a plain ``executemany``
    INSERT of the same rows into a table with no index, no FTS and no record table;
  * re-sweep rate (upserting copies that are already known);
  * ``queue list`` (top 50, without and with a status filter) and ``exposure`` latency,
    median and p95, through the store API, beside the same SQL forced to ignore the
    indexes (``NOT INDEXED``), i.e. what the queries cost without them;
  * ``takedown due`` (``schedule.due_actions``, 100 of each action) and the per-host and
    per-source takedown metrics over ``--notified`` copies with a takedown track, beside the
    same queries without their indexes and (metrics) beside computing them in Python over every
    track, as the Elasticsearch backend does.

Synthetic data only: URLs on made-up hosts, record ids ``rec-00001`` .. of a dataset of
``--records`` rows (6,000 like the leak this tool was written for), 1-5 records per match.

    .venv/bin/python bench/store.py                 # 1M matches
    .venv/bin/python bench/store.py --matches 100000
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from leaktrack.index import FoundCopy
from leaktrack.index.base import host_of_url, match_id_for_url, time_text
from leaktrack.index.sqlite import SQLiteStore
from leaktrack.index.takedown_records import metrics_from_tracks
from leaktrack.takedown.schedule import SchedulePolicy, due_actions

SOURCES = ("pastebin", "gists", "mirrors", "forums", "archives")
HOSTS = ("pastebin.com", "gist.github.com", "files.example.net", "board.example.org", "archive.example.com")
CHUNK = 10_000  # copies handed to upsert_copies per call, as a sweep's pipeline would
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def synthetic_copies(count: int, records: int, seed: int, start: int = 0) -> Iterator[FoundCopy]:
    rng = random.Random(seed)
    for n in range(start, start + count):
        source = rng.randrange(len(SOURCES))
        url = f"https://{HOSTS[source]}/{n:08d}"
        ids = {f"rec-{rng.randrange(records):05d}" for _ in range(rng.randint(1, 5))}
        yield FoundCopy(
            source=SOURCES[source],
            url=url,
            content_sha256=hashlib.sha256(url.encode()).hexdigest(),
            matched_records=sorted(ids),
            containment=rng.random(),
            seen_at=T0 + timedelta(seconds=n),
            title=f"paste {n} {rng.choice(('list', 'dump', 'notes', 'export'))}",
        )


def chunks(copies: Iterator[FoundCopy]) -> Iterator[list[FoundCopy]]:
    chunk: list[FoundCopy] = []
    for copy in copies:
        chunk.append(copy)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def upsert_all(store: SQLiteStore, copies: Iterator[FoundCopy]) -> float:
    started = time.perf_counter()
    for chunk in chunks(copies):
        store.upsert_copies(chunk)
    return time.perf_counter() - started


def baseline_insert(path: Path, copies: Iterator[FoundCopy]) -> float:
    """Same rows, plain INSERT: no index, no FTS, no record table, no read-before-write."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(
        "CREATE TABLE matches (id TEXT, source TEXT, url TEXT, title TEXT, sha TEXT, records TEXT,"
        " containment REAL, seen TEXT)"
    )
    started = time.perf_counter()
    for chunk in chunks(copies):
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO matches VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    c.url[-8:],
                    c.source,
                    c.url,
                    c.title,
                    c.content_sha256,
                    ",".join(c.matched_records),
                    c.containment,
                    c.seen_at.isoformat(),
                )
                for c in chunk
            ],
        )
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def latencies_ms(query: Callable[[int], object], runs: int) -> tuple[float, float, float, float]:
    """Median and p95 of each call's wall-clock time, then of its CPU time (this process), in ms.

    On a shared machine the wall clock counts the time other jobs held the CPU; the CPU time is
    what the query itself costs. Both are printed."""
    walls, cpus = [], []
    for run in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        query(run)
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return (*_median_p95(walls), *_median_p95(cpus))


def _median_p95(timings: list[float]) -> tuple[float, float]:
    timings = sorted(timings)
    return statistics.median(timings), timings[min(len(timings) - 1, int(len(timings) * 0.95))]


def run_context() -> str:
    """Date, commit and load of this run, for the figures' header."""
    import os
    import subprocess

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit or '?'}, load average {load} (1/5/15 min), {os.cpu_count()} CPUs"


# How the notified copies are spread over the schedule's steps (a plausible mid-campaign mix).
TRACK_STEPS = (
    ("notified", 0.55),
    ("reminded", 0.15),
    ("monitoring", 0.15),
    ("resolved", 0.13),
    ("reappeared", 0.02),
)


def write_tracks(path: Path, store: SQLiteStore, count: int, now: datetime, seed: int) -> None:
    """Give ``count`` matches a takedown track, spread over steps and the last 30 days.

    Set-up only, in one ``executemany`` (as the baseline insert is): the timed queries below go
    through the store API. Statuses follow the steps (``takedown_sent``, ``removed``, ...).
    """
    rng = random.Random(seed)
    status_of = {"notified": "takedown_sent", "reminded": "takedown_sent", "monitoring": "removed"}
    status_of |= {"resolved": "removed", "reappeared": "reappeared"}
    db = sqlite3.connect(path, isolation_level=None)
    rows, statuses = [], []
    for match_id, host, source, first_seen in db.execute(
        "SELECT id, host, source, first_seen FROM matches ORDER BY rowid LIMIT ?", (count,)
    ):
        step = rng.choices([s for s, _ in TRACK_STEPS], [w for _, w in TRACK_STEPS])[0]
        since = now - timedelta(days=rng.uniform(0, 30))
        to_notice = rng.uniform(1, 72)
        first_notice = datetime.fromisoformat(first_seen) + timedelta(hours=to_notice)
        to_removal = rng.uniform(2, 200) if step in ("monitoring", "resolved") else None
        removed = time_text(first_notice + timedelta(hours=to_removal)) if to_removal else None
        since_text, notice_text = time_text(since), time_text(first_notice)
        rows.append(
            (match_id, host, source, first_seen, step, since_text, "hosting", notice_text, 1, removed)
            + (to_notice, to_removal)
        )
        statuses.append((status_of[step], time_text(since), match_id))
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO takedown_tracks (match_id, host, source, first_seen, step, step_since, role,"
        " first_notice_at, notices, removed_at, hours_to_notice, hours_to_removal)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.executemany("UPDATE matches SET status = ?, status_changed_at = ? WHERE id = ?", statuses)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def bench_takedown(store: SQLiteStore, path: Path, raw: sqlite3.Connection, args: argparse.Namespace) -> dict:
    """Tracks for ``--notified`` matches, then ``takedown due`` and the metrics, timed."""
    now = datetime.now(UTC)
    write_tracks(path, store, min(args.notified, args.matches), now, args.seed)
    policy = SchedulePolicy()
    due_count = len(due_actions(store, now, policy, limit=100))
    takedown = {
        "takedown due (100 per action)": latencies_ms(
            lambda _: due_actions(store, now, policy, limit=100), args.queries
        ),
        "metrics per host": latencies_ms(lambda _: store.takedown_metrics("host"), args.queries),
        "metrics per source": latencies_ms(lambda _: store.takedown_metrics("source"), args.queries),
    }
    cut = time_text(now - timedelta(days=3))
    metrics_sql = (
        "SELECT {g}, COUNT(*), COUNT(hours_to_removal), AVG(hours_to_notice), MAX(hours_to_notice),"
        " AVG(hours_to_removal), MAX(hours_to_removal) FROM takedown_tracks NOT INDEXED GROUP BY {g}"
    )
    takedown_baseline = {
        "takedown due (100 per action)": latencies_ms(
            lambda _: raw.execute(
                "SELECT * FROM takedown_tracks NOT INDEXED WHERE step = 'notified' AND step_since <= ?"
                " ORDER BY step_since LIMIT 100",
                (cut,),
            ).fetchall(),
            args.baseline_queries,
        ),
        "metrics per host": latencies_ms(
            lambda _: raw.execute(metrics_sql.format(g="host")).fetchall(), args.baseline_queries
        ),
        "metrics per source": latencies_ms(
            lambda _: raw.execute(metrics_sql.format(g="source")).fetchall(), args.baseline_queries
        ),
    }
    in_python = latencies_ms(lambda _: metrics_from_tracks(store.iter_tracks(), "host"), 3)
    return {
        "due_count": due_count,
        "timed": takedown,
        "baseline": takedown_baseline,
        "in_python": in_python,
        "plans": takedown_plans(raw, now),
    }


def takedown_plans(raw: sqlite3.Connection, now: datetime) -> list[str]:
    """SQLite's plan for each takedown query: which index it uses (EXPLAIN QUERY PLAN)."""
    cut = time_text(now - timedelta(days=3))
    queries = {
        "due (per step)": (
            "SELECT * FROM takedown_tracks WHERE step = ? AND step_since <= ? ORDER BY step_since LIMIT 100",
            ("notified", cut),
        ),
        "metrics per host": (
            "SELECT host, COUNT(*), COUNT(hours_to_removal), AVG(hours_to_notice), MAX(hours_to_notice),"
            " AVG(hours_to_removal), MAX(hours_to_removal) FROM takedown_tracks GROUP BY host",
            (),
        ),
    }
    return [
        f"plan, {name}: " + "; ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        for name, (sql, params) in queries.items()
    ]


def print_takedown(results: dict, args: argparse.Namespace) -> None:
    print(
        f"takedown: {min(args.notified, args.matches):,} tracked copies, {results['due_count']} actions due now;"
        " no-index column: the same SQL without its index (for due: the 'remind' scan alone)"
    )
    print(
        f"{'query':34} {'wall median':>11} {'p95':>7} {'CPU median':>11} {'p95':>7}"
        f"   {'no-index wall median':>20} {'CPU median':>10}  (ms)"
    )
    for name, (median, p95, cpu_median, cpu_p95) in results["timed"].items():
        base_median, _, base_cpu, _ = results["baseline"][name]
        print(
            f"{name:34} {median:>11.2f} {p95:>7.2f} {cpu_median:>11.2f} {cpu_p95:>7.2f}"
            f"   {base_median:>20.1f} {base_cpu:>10.1f}"
        )
    in_python = results["in_python"]
    print(
        f"{'metrics per host, in Python (ES way)':34} {in_python[0]:>11.1f} {in_python[1]:>7.1f}"
        f" {in_python[2]:>11.1f} {in_python[3]:>7.1f}"
    )
    for line in results["plans"]:
        print(line)


def fill_store_fast(path: Path, copies: Iterator[FoundCopy], with_records: bool = True) -> float:
    """--takedown-only set-up: matches and their records written with plain executemany into the
    store's own schema (no read-before-write), so a 1M-match store is ready in minutes on a loaded
    machine. Only the takedown queries are timed on it."""
    db = sqlite3.connect(path, isolation_level=None)
    started = time.perf_counter()
    for chunk in chunks(copies):
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO matches (id, source, url, host, title, content_sha256, matched_count, containment,"
            " status, first_seen, last_seen, status_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?)",
            [
                (
                    match_id_for_url(c.url),
                    c.source,
                    c.url,
                    host_of_url(c.url),
                    c.title,
                    c.content_sha256,
                    len(c.matched_records),
                    c.containment,
                    time_text(c.seen_at),
                    time_text(c.seen_at),
                    time_text(c.seen_at),
                )
                for c in chunk
            ],
        )
        if with_records:
            db.executemany(
                "INSERT INTO match_records (match_id, record_id) VALUES (?, ?)",
                [(match_id_for_url(c.url), record) for c in chunk for record in c.matched_records],
            )
        db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    return time.perf_counter() - started


def takedown_only(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="leaktrack-bench-") as folder:
        path = Path(folder) / "matches.db"
        SQLiteStore(path).close()  # the schema, by the store's own migrations
        copies = synthetic_copies(args.matches, args.records, args.seed)
        fill_s = fill_store_fast(path, copies, with_records=not args.skip_records)
        store, raw = SQLiteStore(path), sqlite3.connect(path)
        results = bench_takedown(store, path, raw, args)
        count = raw.execute("SELECT COUNT(*) FROM matches").fetchone()[0]
        store.close()
        raw.close()
    print(
        f"SQLite match store (takedown only), {count:,} synthetic matches (set up by plain INSERT in "
        f"{fill_s:.0f} s{', without their record rows' if args.skip_records else ''}); {run_context()}"
    )
    print_takedown(results, args)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--matches", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=6_000, help="rows of the leaked dataset")
    parser.add_argument("--queries", type=int, default=100, help="timed queries per kind (store API)")
    parser.add_argument(
        "--baseline-queries", type=int, default=10, help="timed queries per kind without indexes"
    )
    parser.add_argument("--resweep", type=int, default=100_000, help="known copies upserted again")
    parser.add_argument("--notified", type=int, default=50_000, help="matches with a takedown track")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--takedown-only",
        action="store_true",
        help="only the takedown queries, on a store filled by plain INSERT",
    )
    parser.add_argument(
        "--skip-records",
        action="store_true",
        help="--takedown-only: do not write the matches' record rows (no takedown query reads them; "
        "halves the set-up on a loaded machine)",
    )
    args = parser.parse_args()
    if args.takedown_only:
        takedown_only(args)
        return

    with tempfile.TemporaryDirectory(prefix="leaktrack-bench-") as folder:
        baseline_s = baseline_insert(
            Path(folder) / "baseline.db", synthetic_copies(args.matches, args.records, args.seed)
        )
        store = SQLiteStore(Path(folder) / "matches.db")
        upsert_s = upsert_all(store, synthetic_copies(args.matches, args.records, args.seed))
        resweep = min(args.resweep, args.matches)
        resweep_s = upsert_all(store, synthetic_copies(resweep, args.records, args.seed + 1))
        rng = random.Random(args.seed)
        sample_ids = [m.id for m in store.list_matches(limit=2_000)]
        # A realistic queue: most matches new, some confirmed by reviewers.
        for match_id in rng.sample(sample_ids, min(500, len(sample_ids))):
            store.change_status(match_id, "confirmed", by="bench")
        records = [
            f"rec-{rng.randrange(args.records):05d}" for _ in range(max(args.queries, args.baseline_queries))
        ]
        raw = sqlite3.connect(Path(folder) / "matches.db")

        indexed = {
            "queue list, top 50": latencies_ms(lambda _: store.list_matches(limit=50), args.queries),
            "queue list --status confirmed": latencies_ms(
                lambda _: store.list_matches(status="confirmed", limit=50), args.queries
            ),
            "queue list --status new": latencies_ms(
                lambda _: store.list_matches(status="new", limit=50), args.queries
            ),
            "exposure RECORD_ID": latencies_ms(lambda run: store.exposure(records[run]), args.queries),
        }
        unindexed_sql = {
            "queue list, top 50": (
                "SELECT * FROM matches NOT INDEXED WHERE matched_count >= 0 ORDER BY matched_count DESC, last_seen DESC LIMIT 50",
                None,
            ),
            "queue list --status confirmed": (
                "SELECT * FROM matches NOT INDEXED WHERE status = 'confirmed' ORDER BY matched_count DESC, last_seen DESC LIMIT 50",
                None,
            ),
            "queue list --status new": (
                "SELECT * FROM matches NOT INDEXED WHERE status = 'new' ORDER BY matched_count DESC, last_seen DESC LIMIT 50",
                None,
            ),
            "exposure RECORD_ID": (
                "SELECT m.* FROM match_records r JOIN matches m ON m.id = r.match_id WHERE +r.record_id = ? ORDER BY m.last_seen DESC",
                records,
            ),
        }
        baseline = {
            name: latencies_ms(
                lambda run, sql=sql, params=params: raw.execute(
                    sql, (params[run],) if params else ()
                ).fetchall(),
                args.baseline_queries,
            )
            for name, (sql, params) in unindexed_sql.items()
        }
        takedown = bench_takedown(store, Path(folder) / "matches.db", raw, args)
        stats = store.stats()
        size_mb = sum(p.stat().st_size for p in Path(folder).glob("matches.db*")) / 1e6
        store.close()
        raw.close()

    print(
        f"SQLite match store, {args.matches:,} synthetic matches, {args.records:,}-record dataset "
        f"({stats.records_exposed:,} records exposed), store {size_mb:,.0f} MB; {run_context()}"
    )
    print(
        f"{'bulk upsert (new matches)':34} {args.matches / upsert_s:>10,.0f} matches/s ({upsert_s:.1f} s)"
        f"   baseline plain INSERT, no indexes: {args.matches / baseline_s:>10,.0f} rows/s ({baseline_s:.1f} s)"
    )
    print(
        f"{'re-sweep upsert (known matches)':34} {resweep / resweep_s:>10,.0f} matches/s ({resweep:,} in {resweep_s:.1f} s)"
    )
    print(f"{'query':34} {'median ms':>10} {'p95 ms':>8}   {'no-index median ms':>18} {'p95 ms':>8}")
    for name, (median, p95, _, _) in indexed.items():
        base_median, base_p95, _, _ = baseline[name]
        print(f"{name:34} {median:>10.2f} {p95:>8.2f}   {base_median:>18.1f} {base_p95:>8.1f}")
    print(
        f"(store API: {args.queries} queries per kind, Match objects built; baseline: raw SQL, "
        f"{args.baseline_queries} queries per kind)"
    )
    print_takedown(takedown, args)


if __name__ == "__main__":
    main()
