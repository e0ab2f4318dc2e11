"""Benchmark of the review desk's pages at scale (default 1M synthetic matches in SQLite).

Measures, in one run, the server time of each page (the ASGI app called in process through
Starlette's TestClient, logged in as a reviewer; no network, no browser), median and p95
wall-clock and median CPU time over ``--runs`` requests:

  * queue: first page (most records first), filtered (status + host), sorted by first seen,
    and a deep page (the 200th, reached by its keyset cursor);
  * copy: one copy's page (history, audit, evidence report);
  * exposure: a person's exposure (a record id exposed by ~--matches/--records of the copies),
    its first page and its last page (keyset paged by copy id, like the queue);
  * dashboard: the page, served from the figures the desk computes in the background
    (web/dashboard.py); that computation itself is the "store.dashboard" line;

beside two references measured in the same run: the login page (the desk's fixed cost:
session, template, no store) and the store calls alone (``queue_page``, ``exposure_page``,
``exposure`` -- the full list the terminal's ``exposure`` prints --, ``dashboard``) without the
web layer. Target: < 100 ms server time per page.

Synthetic data only (bench/store.py's generator): made-up hosts, record ids ``rec-00001``..,
1-5 records per match; 0.3% of the copies are moved along the workflow (confirmed, notice
sent, removed) through the store API so the dashboard has something to draw.

    .venv/bin/python bench/webapp.py                    # 1M matches (builds the store: minutes)
    .venv/bin/python bench/webapp.py --matches 100000
    .venv/bin/python bench/webapp.py --db /tmp/desk-1m.db   # reuse a store built by an earlier run
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from store import synthetic_copies, upsert_all

from leaktrack.index.desk import QueueFilter
from leaktrack.index.sqlite import SQLiteStore
from leaktrack.web import settings as web_settings
from leaktrack.web.app import DeskConfig, create_app
from leaktrack.web.auth import add_user

PASSWORD = "bench-password-123"


def build_store(path: Path, matches: int, records: int) -> None:
    """Upsert the synthetic matches (resuming a build that was stopped), then some workflow."""
    with SQLiteStore(path) as store:
        have = sum(store.stats().by_status.values())
        if have < matches:
            took = upsert_all(store, synthetic_copies(matches - have, records, seed=1, start=have))
            print(f"built {matches - have:,} matches in {took:.0f} s")
        if store.list_users():
            return
        page = store.queue_page(QueueFilter(), sort="first_seen", limit=max(matches // 333, 3))
        for i, match in enumerate(page.matches):
            steps = ("confirmed", "takedown_sent", "removed")[: 1 + i % 3]
            for step in steps:
                store.change_status(match.id, step, by="bench")
        add_user(store, "bench", "reviewer", PASSWORD, by="bench")


def measure(call, runs: int) -> tuple[float, float, float]:
    """(median ms, p95 ms, median CPU ms) of ``call`` over ``runs`` runs, after one warm-up."""
    call()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    walls.sort()
    return (
        statistics.median(walls),
        walls[min(len(walls) - 1, int(len(walls) * 0.95))],
        statistics.median(cpus),
    )


def page_getter(client, path: str):
    def get():
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)

    return get


def deep_cursor(store: SQLiteStore, pages: int) -> tuple:
    after = None
    for _ in range(pages):
        after = store.queue_page(QueueFilter(), after=after, limit=web_settings.QUEUE_PAGE_SIZE).next_after
    return after


def last_exposure_page(store: SQLiteStore, record: str) -> str:
    """The address of the exposure's last page (its first, if it has only one)."""
    from leaktrack.web.queries import encode_after

    path, after = f"/exposure?record={record}", None
    while True:
        page = store.exposure_page(record, after=after, limit=web_settings.EXPOSURE_PAGE_SIZE)
        if page.next_after is None:
            return path if after is None else f"{path}&after={encode_after((after,))}"
        after = page.next_after


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--matches", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=6_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--db", type=Path, help="store file to build (if absent) and reuse")
    parser.add_argument(
        "--dashboard-runs", type=int, default=3, help="runs of store.dashboard (minutes at 1M; 0: skip)"
    )
    args = parser.parse_args()
    from starlette.testclient import TestClient

    from leaktrack.web.queries import encode_after

    path = args.db or Path(tempfile.mkdtemp()) / "desk-bench.db"
    build_store(path, args.matches, args.records)
    store = SQLiteStore(path)
    total = store.stats()
    some = store.queue_page(QueueFilter(), limit=1).matches[0]
    record = some.matched_records[0]
    cursor = deep_cursor(store, 200)
    exposure_total = store.exposure_page(record, limit=1).total
    last_exposure = last_exposure_page(store, record)

    app = create_app(
        DeskConfig(open_store=lambda: SQLiteStore(path), secret=b"b" * 64, evidence_dir=path.parent)
    )
    rows: list[tuple[str, tuple[float, float, float]]] = []
    with TestClient(app) as client:
        rows.append(("reference: login page (no store)", measure(page_getter(client, "/login"), args.runs)))
        token = client.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"name": "bench", "password": PASSWORD, "csrf": token})
        for label, url in [
            ("queue, first page", "/queue"),
            ("queue, status + host filter", f"/queue?status=new&host={some.host}"),
            ("queue, by first seen", "/queue?sort=first_seen"),
            ("queue, 200th page (keyset)", f"/queue?after={encode_after(cursor)}"),
            ("copy", f"/copy/{some.id}"),
            (f"exposure, first page ({exposure_total} copies)", f"/exposure?record={record}"),
            (
                "exposure, last page (keyset)",
                last_exposure,
            ),
            ("dashboard", "/dashboard"),
        ]:
            rows.append((label, measure(page_getter(client, url), args.runs)))
    rows.append(("reference: store.queue_page", measure(lambda: store.queue_page(QueueFilter()), args.runs)))
    rows.append(("reference: store.exposure_page", measure(lambda: store.exposure_page(record), args.runs)))
    rows.append(("reference: store.exposure (full list)", measure(lambda: store.exposure(record), args.runs)))
    if args.dashboard_runs:
        rows.append(
            ("store.dashboard (background, not a page)", measure(store.dashboard, args.dashboard_runs))
        )

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"review desk pages, {sum(total.by_status.values()):,} matches in SQLite, {args.runs} runs each; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit or '?'}, load {os.getloadavg()[0]:.2f}, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'page':44} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8}  target < 100 ms")
    for label, (median, p95, cpu) in rows:
        flag = "" if label.startswith(("reference", "store.")) else ("ok" if median < 100 else "OVER")
        print(f"{label:44} {median:10.1f} {p95:8.1f} {cpu:8.1f}  {flag}")


if __name__ == "__main__":
    main()
