"""Reading works from a read-only home (a mounted backup, a locked-down machine); writing is one line.

The home is made really read-only: as root (CI) with a read-only bind mount in a private mount
namespace (``unshare -m``: root writes through file modes); otherwise by taking the write bits off.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures_store import found_copy

from leaktrack.index import match_id_for_url
from leaktrack.index.sqlite import SQLiteStore

URL = "https://paste.example.org/ro"


def run_read_only(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """``leaktrack ARGS`` in a child process that cannot write anything under ``folder``."""
    command = [sys.executable, "-m", "leaktrack.cli.app", *args]
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in [folder, *folder.rglob("*")]}
        for path, mode in modes.items():
            path.chmod(stat.S_IMODE(mode) & ~0o222)
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=120)
        finally:
            for path, mode in modes.items():
                path.chmod(stat.S_IMODE(mode))
    if not shutil.which("unshare"):
        pytest.skip("root, and no unshare(1) to mount the home read-only")
    mount_then_run = (
        f"mount --bind -o ro {shlex.quote(str(folder))} {shlex.quote(str(folder))} && exec "
        + shlex.join(command)
    )
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", mount_then_run], capture_output=True, text=True, timeout=120
    )
    if "mount:" in result.stderr or "unshare:" in result.stderr:
        pytest.skip(f"cannot mount the home read-only here: {result.stderr.strip()}")
    return result


@pytest.fixture
def home_with_matches(leaktrack_home):
    with SQLiteStore(leaktrack_home / "matches.db") as store:
        store.upsert_copies([found_copy(URL, ["r1", "r2"], title="roster")])
    return leaktrack_home


@pytest.mark.parametrize(
    "command",
    [["queue", "list", "--json"], ["stats"], ["exposure", "r1"], ["queue", "show", match_id_for_url(URL)]],
    ids=["queue-list", "stats", "exposure", "queue-show"],
)
def test_read_commands_work_from_a_read_only_home(home_with_matches, command):
    result = run_read_only(home_with_matches, *command)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_the_queue_read_from_a_read_only_home_is_the_stored_one(home_with_matches):
    result = run_read_only(home_with_matches, "queue", "list", "--json")
    assert [m["url"] for m in json.loads(result.stdout)] == [URL]


def test_a_change_in_a_read_only_home_is_one_line_and_changes_nothing(home_with_matches):
    result = run_read_only(home_with_matches, "queue", "confirm", match_id_for_url(URL))
    assert result.returncode != 0
    assert "read-only" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    with SQLiteStore(home_with_matches / "matches.db") as store:
        assert store.get(match_id_for_url(URL)).status == "new"
