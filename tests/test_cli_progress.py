"""Long commands show progress on stderr for a person at a terminal, and nothing otherwise."""

from __future__ import annotations

import json

import pytest
from fixtures_sites import fast_settings_args
from fixtures_store import found_copy
from test_cli_sweep import recheck_args, sweep_and_send_takedowns
from typer.testing import CliRunner

from leaktrack.cli import common
from leaktrack.cli.app import app
from leaktrack.index.sqlite import SQLiteStore

PASTE = "https://paste.example.org/raw/aaaa"
MIRROR = "https://files.example.net/dump.csv"


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def store_url(tmp_path):
    path = tmp_path / "progress.db"
    with SQLiteStore(path) as store:
        store.upsert_copies(
            [found_copy(PASTE, ["case-0001"]), found_copy(MIRROR, ["case-0001", "case-0002"])]
        )
    return f"sqlite:///{path}"


@pytest.fixture
def stderr_is_a_terminal(monkeypatch):
    """As for a person at a terminal: rich draws live displays on a terminal that is not "dumb"."""
    monkeypatch.setattr(common.err_console, "_force_terminal", True)
    monkeypatch.setattr(common.err_console, "is_interactive", True)
    monkeypatch.setenv("TERM", "xterm-256color")


def test_queue_export_to_a_file_shows_progress_on_a_terminal(store_url, tmp_path, stderr_is_a_terminal):
    result = run("queue", "export", "--out", tmp_path / "all.jsonl", "--store", store_url)
    assert result.exit_code == 0, result.output
    assert "Exporting matches" in result.stderr
    assert len((tmp_path / "all.jsonl").read_text().splitlines()) == 2


def test_queue_export_shows_no_progress_when_stderr_is_no_terminal(store_url, tmp_path):
    result = run("queue", "export", "--out", tmp_path / "all.jsonl", "--store", store_url)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Exported 2 matches to {tmp_path / 'all.jsonl'}.\n"


def test_queue_export_with_quiet_shows_no_progress_even_on_a_terminal(
    store_url, tmp_path, stderr_is_a_terminal
):
    result = run("queue", "export", "-q", "--out", tmp_path / "all.jsonl", "--store", store_url)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_exposure_all_shows_progress_on_a_terminal_and_writes_every_record(store_url, stderr_is_a_terminal):
    result = run("exposure", "--all", "--format", "jsonl", "--store", store_url)
    assert result.exit_code == 0, result.output
    assert "Collecting exposed records" in result.stderr
    assert sorted(json.loads(line)["record_id"] for line in result.stdout.splitlines()) == [
        "case-0001",
        "case-0002",
    ]


def test_exposure_all_shows_no_progress_when_stderr_is_no_terminal(store_url):
    result = run("exposure", "--all", "--format", "jsonl", "--store", store_url)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_recheck_shows_progress_on_a_terminal_but_not_with_json(
    local_site, leak_fingerprints, tmp_path, stderr_is_a_terminal
):
    sweep_and_send_takedowns(local_site, leak_fingerprints, tmp_path)

    shown = run(*recheck_args(leak_fingerprints, *fast_settings_args()))
    assert shown.exit_code == 0, shown.output
    assert "Rechecking" in shown.stderr

    machine = run(*recheck_args(leak_fingerprints, *fast_settings_args(), "--json"))
    assert machine.exit_code == 0, machine.output
    assert "Rechecking" not in machine.stderr
