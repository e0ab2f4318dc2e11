"""The takedown commands through the CLI (contacts, send, due, monitoring)."""

from __future__ import annotations

import json

import pytest
from fixtures_store import found_copy
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.index import match_id_for_url
from leaktrack.index.sqlite import SQLiteStore

PASTE = "https://pastebin.com/Xy12Ab"
LOCAL = "http://127.0.0.1:9/dump.csv"
ID_PASTE, ID_LOCAL = (match_id_for_url(url) for url in (PASTE, LOCAL))


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


@pytest.fixture
def store_url(tmp_path):
    path = tmp_path / "takedown.db"
    with SQLiteStore(path) as store:
        store.upsert_copies([found_copy(PASTE, ["case-0001"]), found_copy(LOCAL, ["case-0001", "case-0002"])])
    return f"sqlite:///{path}"


def test_takedown_contacts_lists_the_platform_with_its_source(store_url):
    result = run("takedown", "contacts", ID_PASTE, "--json", "--store", store_url)
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    assert report["contacts"][0]["role"] == "platform"
    assert report["contacts"][0]["url"] == "https://pastebin.com/contact"
    assert "platform table" in report["contacts"][0]["source"]


def test_takedown_contacts_of_a_private_address_says_why_none_was_found(store_url):
    result = run("takedown", "contacts", ID_LOCAL, "--store", store_url)
    assert result.exit_code == 0, result.output
    assert "no contact found" in result.stdout
    assert "127.0.0.1 is not a public address: no hosting network to look up" in result.stdout
    assert "abuse@" not in result.stdout
