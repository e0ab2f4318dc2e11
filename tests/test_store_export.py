"""``queue export``'s writers: what a spreadsheet or a script gets from the store."""

from __future__ import annotations

import csv
import io

from fixtures_store import found_copy

from leaktrack.index.export import write_csv
from leaktrack.index.sqlite import SQLiteStore

FORMULA = '=HYPERLINK("http://evil.example","x")'


def test_csv_defuses_every_cell_typed_by_people_that_a_spreadsheet_would_run(tmp_path):
    with SQLiteStore(tmp_path / "m.db") as store:
        (match,) = store.upsert_copies([found_copy("https://p.example/1", ["r1"], title=FORMULA)])
        store.change_status(match.id, "confirmed", by="alice")
        store.record_takedown_sent(match.id, to="+cmd|' /C calc'!A0", by="alice", ref="@SUM(1+1)")
        out = io.StringIO()
        write_csv(store.iter_matches(), out)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["title"] == "'" + FORMULA
    assert row["takedown_to"] == "'+cmd|' /C calc'!A0"
    assert row["takedown_ref"] == "'@SUM(1+1)"


def test_csv_leaves_ordinary_text_as_it_is(tmp_path):
    with SQLiteStore(tmp_path / "m.db") as store:
        (match,) = store.upsert_copies([found_copy("https://p.example/1", ["r1"], title="roster")])
        store.change_status(match.id, "confirmed", by="alice")
        store.record_takedown_sent(match.id, to="abuse@p.example", by="alice", ref="T-1")
        out = io.StringIO()
        write_csv(store.iter_matches(), out)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert (row["title"], row["takedown_to"], row["takedown_ref"]) == ("roster", "abuse@p.example", "T-1")
