"""Operational faults during sweeps (issue 8, "Faults"): each is one line, never a traceback,
and nothing stored is lost.

The disk-full and read-only cases need a small file system of their own (a tmpfs mounted for
the test); where mounting is not allowed (no root, no CAP_SYS_ADMIN) they are skipped, saying so.
"""

import errno
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fixtures_sites import fast_settings_args, sweep_args, text_of
from test_cli_sweep import write_sources

from leaktrack.index import open_store
from leaktrack.spiders.crawl import unknown_settings
from leaktrack.spiders.sites import add_pastes

# A home this small holds the store, the crawl state and the lock of a few sweeps.
SMALL_FILESYSTEM = "16m"


@pytest.fixture
def small_filesystem(tmp_path):
    """A tmpfs of SMALL_FILESYSTEM mounted on a folder of tmp_path; unmounted afterwards."""
    mountpoint = tmp_path / "small-fs"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SMALL_FILESYSTEM},mode=0700", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() or 'mount failed'})")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "leaktrack.cli.app", *args]


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cli_command(*args), capture_output=True, text=True, timeout=300, env=home_env(home))


def home_env(home: Path) -> dict[str, str]:
    return {**os.environ, "LEAKTRACK_HOME": str(home)}


def sweep_cli(sources, leak_fingerprints, home: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_cli(*sweep_args(sources, leak_fingerprints, *extra), home=home)


def fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` to the last byte; returns the filler file."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    os.write(descriptor, b"\0" * size)
            except OSError as error:
                assert error.errno == errno.ENOSPC
    finally:
        os.close(descriptor)
    return filler


def empty_journals(home: Path) -> None:
    """Checkpoint and truncate the SQLite write-ahead logs of the home's databases."""
    import sqlite3

    for name in ("matches.db", "crawl-state.db"):
        connection = sqlite3.connect(home / name)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()


def stored_ids(home: Path) -> set[str]:
    with open_store(f"sqlite:///{home / 'matches.db'}") as store:
        return {match.id for match in store.list_matches(limit=None)}


def test_disk_full_during_a_sweep_is_one_line_and_loses_nothing(
    small_filesystem, local_site, leak_fingerprints, tmp_path
):
    home = small_filesystem / "home"
    sources = write_sources(tmp_path, local_site)
    text = text_of(leak_fingerprints.copies["excerpt_10_rows"])
    add_pastes(local_site, {"leak0": text})
    local_site.put("/files/leak.csv", "nothing here")
    first = sweep_cli(sources, leak_fingerprints, home)
    assert first.returncode == 0, first.stderr
    before = stored_ids(home)
    assert len(before) == 1
    # Forty new copies, whose downloads the server holds until the disk is full.
    release = threading.Event()
    add_pastes(local_site, {f"copy{index}": text for index in range(40)})
    for index in range(40):
        local_site.put(f"/raw/copy{index}", text, "text/plain; charset=utf-8", hold=release)
    sweeper = subprocess.Popen(
        cli_command(*sweep_args(sources, leak_fingerprints)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=home_env(home),
    )
    try:
        assert local_site.wait_for_request("/raw/copy"), "the sweep never reached the new copies"
        empty_journals(home)  # so that storing anything needs new space
        filler = fill(small_filesystem)
        release.set()
        _, stderr = sweeper.communicate(timeout=300)
    finally:
        release.set()
        sweeper.kill()

    # Exit 0 with the error in the summary, or 1 when not even the sweep record fitted: one line either way.
    assert "Traceback" not in stderr, stderr
    assert "database or disk is full" in stderr
    assert len(stderr.splitlines()) < 20, stderr  # not one message per document
    filler.unlink()
    again = sweep_cli(sources, leak_fingerprints, home, "--json")
    assert again.returncode == 0, again.stderr
    after = stored_ids(home)
    assert before <= after and len(after) == 41  # every copy stored once there was room


def test_sweep_from_a_read_only_home_is_one_line(small_filesystem, local_site, leak_fingerprints, tmp_path):
    home = small_filesystem / "home"
    sources = write_sources(tmp_path, local_site)
    add_pastes(local_site, {"leak0": text_of(leak_fingerprints.copies["excerpt_10_rows"])})
    local_site.put("/files/leak.csv", "nothing here")
    assert sweep_cli(sources, leak_fingerprints, home).returncode == 0
    before = stored_ids(home)
    subprocess.run(["mount", "-o", "remount,ro", str(small_filesystem)], check=True)

    result = sweep_cli(sources, leak_fingerprints, home)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert "sweep.lock" in line and "Read-only file system" in line
    subprocess.run(["mount", "-o", "remount,rw", str(small_filesystem)], check=True)
    assert stored_ids(home) == before


def test_an_unresolvable_host_is_one_error_line_per_source_without_traceback(local_site, tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[sources]]\nname = "nowhere"\nkind = "urls"\nurls = ["http://no-such-host.invalid/leak.csv"]\n',
        encoding="utf-8",
    )

    result = run_cli(
        "sweep",
        "--sources",
        str(sources),
        "--json",
        *fast_settings_args(),
        "-s",
        "LEAKTRACK_SCAN=false",
        "-s",
        "DOWNLOAD_DELAYY=1",
        home=tmp_path / "home",
    )

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    (error,) = summary["errors"]
    assert error.startswith("nowhere: ") and "no-such-host.invalid" in error
    # the misspelled setting is named, with the setting meant
    assert "unknown setting DOWNLOAD_DELAYY" in result.stderr and "DOWNLOAD_DELAY?" in result.stderr


def test_unknown_settings_are_named_and_known_ones_pass():
    assert unknown_settings({"DOWNLOAD_DELAY": 1, "LEAKTRACK_SCAN": False, "ROBOTSTXT_OBEY": True}) == []
    (warning,) = unknown_settings({"LEAKTRACK_SCAN_WORKER": 0})
    assert "LEAKTRACK_SCAN_WORKER" in warning and "did you mean LEAKTRACK_SCAN_WORKERS?" in warning


def test_a_dropped_document_is_logged_by_its_reason_and_url_not_its_repr():
    import logging

    from scrapy.exceptions import DropItem
    from scrapy.utils.test import get_crawler

    from leaktrack.spiders.items import FetchedDocument
    from leaktrack.spiders.pipelines import OneLineLogFormatter
    from leaktrack.spiders.sources import Source
    from leaktrack.spiders.urls import UrlsSpider

    crawler = get_crawler(UrlsSpider, settings_dict={"LEAKTRACK_SOURCES": None})
    spider = UrlsSpider(source=Source("s", "urls"))
    spider.crawler = crawler
    item = FetchedDocument(source="s", url="https://x.example/a.zip", body=b"", title="a title")
    entry = OneLineLogFormatter().dropped(
        item, DropItem("refused https://x.example/a.zip: zip bomb"), None, spider
    )

    line = entry["msg"] % entry["args"]
    assert line == "Dropped: refused https://x.example/a.zip: zip bomb"
    assert entry["level"] in (logging.WARNING, "WARNING")
