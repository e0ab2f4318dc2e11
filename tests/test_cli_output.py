"""Output options and standard output: never over a kept file, whole or not at all, quiet pipes."""

from __future__ import annotations

import importlib.abc
import json
import os
import stat
import subprocess
import sys
from contextlib import suppress

import pytest
from fixtures_store import found_copy
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.errors import ExitCode
from leaktrack.index import match_id_for_url
from leaktrack.index.sqlite import SQLiteStore

URLS = [f"https://paste.example.org/{n}" for n in range(3)]
OUTPUT_COMMANDS = {"export": ["queue", "export"], "draft": ["takedown", "draft", match_id_for_url(URLS[0])]}


@pytest.fixture
def store_url(workspace):
    """The home folder's store, with three copies (as after a sweep)."""
    workspace.ensure_home()
    with SQLiteStore(workspace.store_path) as store:
        store.upsert_copies([found_copy(url, ["case-0001"]) for url in URLS])
    return workspace.store_url


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *words):
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0]


@pytest.mark.parametrize("command", OUTPUT_COMMANDS)
@pytest.mark.parametrize("kept", ["key_file", "fingerprints", "crawl_state", "config_path"])
def test_output_never_writes_over_a_file_leaktrack_keeps(store_url, workspace, command, kept):
    path = getattr(workspace, kept)
    path.write_bytes(b"# kept bytes\n")

    result = run(*OUTPUT_COMMANDS[command], "--out", path, "--force")

    assert_one_line_error(result, "will not write over", str(path))
    assert path.read_bytes() == b"# kept bytes\n"


def test_the_secret_key_is_refused_through_a_symlink_and_a_hard_link(store_url, workspace, tmp_path):
    workspace.key_file.write_text("ab" * 32 + "\n")
    (tmp_path / "soft").symlink_to(workspace.key_file)
    os.link(workspace.key_file, tmp_path / "hard")
    for alias in ("soft", "hard"):
        assert_one_line_error(run("queue", "export", "--out", tmp_path / alias, "--force"), "secret key")
    assert workspace.key_file.read_text() == "ab" * 32 + "\n"


def test_output_never_goes_into_the_evidence_folder(store_url, workspace):
    workspace.evidence_dir.mkdir()
    result = run("queue", "export", "--out", workspace.evidence_dir / "x.jsonl")
    assert_one_line_error(result, "evidence")
    assert list(workspace.evidence_dir.iterdir()) == []


def test_an_existing_file_is_replaced_only_with_force(store_url, tmp_path):
    out = tmp_path / "report.jsonl"
    out.write_text("last week's report\n")

    assert_one_line_error(run("queue", "export", "--out", out), "exists", "--force")
    assert out.read_text() == "last week's report\n"

    assert run("queue", "export", "--out", out, "--force").exit_code == 0
    assert sorted(json.loads(line)["url"] for line in out.read_text().splitlines()) == URLS
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


LAST_REPORT = "last week's report".ljust(4095) + "\n"  # a whole page: appending needs a new one


@pytest.fixture
def full_disk(tmp_path):
    """A real, full file system: a 64 kB tmpfs filled to the last byte (needs root to mount)."""
    mount_point = tmp_path / "full"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    try:
        (mount_point / "report.jsonl").write_text(LAST_REPORT)
        with open(mount_point / "filler", "wb", buffering=0) as filler, suppress(OSError):
            while True:
                filler.write(b"\0" * 4096)
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_leaves_neither_half_a_file_nor_a_temporary_one(store_url, full_disk):
    out = full_disk / "report.jsonl"

    result = run("queue", "export", "--out", out, "--force")

    assert_one_line_error(result, "No space left on device")
    assert out.read_text() == LAST_REPORT
    assert sorted(path.name for path in full_disk.iterdir()) == ["filler", "report.jsonl"]


def test_stdout_appended_to_a_file_on_a_full_disk_is_cut_back(store_url, full_disk):
    """`leaktrack queue export >> report`: the file keeps what it held, with no half line."""
    out = full_disk / "report.jsonl"
    with open(out, "a") as handle:
        process = leaktrack("queue", "export", stdout=handle, stderr=subprocess.PIPE)
        _, errors = process.communicate(timeout=120)
    assert process.returncode == 1
    assert errors.decode().splitlines() == ["Error: cannot write the output: No space left on device"]
    assert out.read_text() == LAST_REPORT


def leaktrack(*args, **popen):
    return subprocess.Popen([sys.executable, "-m", "leaktrack.cli.app", *map(str, args)], **popen)


def test_a_full_disk_on_stdout_is_one_line_and_exit_1(store_url):
    with open("/dev/full", "w") as full:
        process = leaktrack("queue", "export", stdout=full, stderr=subprocess.PIPE)
        _, errors = process.communicate(timeout=120)
    assert process.returncode == 1
    assert errors.decode().splitlines() == ["Error: cannot write the output: No space left on device"]


@pytest.mark.parametrize("args", [["queue", "export"], ["queue", "list"], ["stats"]])
def test_a_reader_that_goes_away_ends_the_command_quietly_with_exit_0(store_url, args):
    """`leaktrack ... | head`: the pipe is closed before leaktrack writes."""
    process = leaktrack(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    errors = process.stderr.read()
    assert process.wait(timeout=120) == 0
    assert errors == b""


def test_scan_piped_into_head_exits_0_quietly(tmp_path, small_leak_csv):
    assert run("fingerprint", small_leak_csv).exit_code == 0
    documents = tmp_path / "docs"
    documents.mkdir()
    for n in range(40):
        (documents / f"{n}.txt").write_text(f"nothing here {n}\n")
    process = leaktrack("scan", documents, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # head has read all it wants
    errors = process.stderr.read()
    assert process.wait(timeout=300) == 0
    assert errors == b""


class _InterruptImport(importlib.abc.MetaPathFinder):
    """Ctrl-C arriving while the commands are imported (the slow part of start-up)."""

    def find_spec(self, name, path=None, target=None):
        if name == "leaktrack.cli.app":
            raise KeyboardInterrupt
        return None


def test_ctrl_c_during_start_up_is_one_line_and_exit_130(monkeypatch, capsys):
    from leaktrack.cli import entry

    monkeypatch.delitem(sys.modules, "leaktrack.cli.app", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_InterruptImport(), *sys.meta_path])
    with pytest.raises(SystemExit) as stopped:
        entry.main()
    assert stopped.value.code == ExitCode.INTERRUPTED
    assert capsys.readouterr().err == "Interrupted.\n"


def test_json_lines_come_whole_and_in_order_however_many_writes_they_take(capsys):
    from leaktrack.cli.common import JSON_LINES_A_WRITE, print_json_lines

    documents = [
        {"input": f"file {n}.txt", "verdict": "clean", "n": n} for n in range(2 * JSON_LINES_A_WRITE + 3)
    ]
    print_json_lines(iter(documents))
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == documents
    print_json_lines([])
    assert capsys.readouterr().out == ""
