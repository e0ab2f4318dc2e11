"""A store damaged by hand or by the machine: one line that names what is wrong, never a traceback."""

from __future__ import annotations

import sqlite3

import pytest
from es_backends import shared_standin, unique_prefix
from fixtures_store import found_copy
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.errors import StoreError
from leaktrack.index.elastic import ElasticsearchStore
from leaktrack.index.sqlite import SQLiteStore

URL = "https://paste.example.org/d"


def one_line_error(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    return result.stderr


@pytest.mark.parametrize("command", [["queue", "list"], ["exposure", "r1"], ["queue", "export"]])
def test_a_hand_damaged_date_is_a_one_line_error_naming_the_match(tmp_path, command):
    path = tmp_path / "m.db"
    with SQLiteStore(path) as store:
        (match,) = store.upsert_copies([found_copy(URL, ["r1"])])
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("UPDATE matches SET first_seen = 'last tuesday' WHERE id = ?", (match.id,))
    db.close()
    error = one_line_error(*command, "--store", f"sqlite:///{path}")
    assert match.id in error
    assert "last tuesday" in error


def test_a_hand_damaged_history_date_in_elasticsearch_is_a_store_error():
    """Dates of matches are mapped as dates (Elasticsearch refuses a damaged one); history is not."""
    store = ElasticsearchStore(shared_standin().url, index_prefix=unique_prefix(), refresh=True)
    with store:
        (match,) = store.upsert_copies([found_copy(URL, ["r1"])])
        store.change_status(match.id, "confirmed", by="alice")
        (hit,) = store.client.search(index=store.names.matches_alias, query={"ids": {"values": [match.id]}})[
            "hits"
        ]["hits"]
        document = hit["_source"] | {"history": [hit["_source"]["history"][0] | {"at": "someday"}]}
        store.client.index(
            index=store.names.first_matches_index, id=match.id, document=document, refresh=True
        )
        with pytest.raises(StoreError, match="damaged timestamp 'someday'"):
            store.history(match.id)
