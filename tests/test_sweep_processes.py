"""A sweep's processes and signals: no record lost to a badly timed signal, no crawl outliving
its sweep, the sweep lock held while any process of the sweep runs, owner-only files.

Hostile faults of issue 8 (``kill -9`` of the sweep and of its crawl child) are here too; each
test checks that nothing stored was lost.
"""

import os
import select
import signal
import stat
import subprocess
import sys
import threading

import pytest
from fixtures_sites import home_store, home_workspace, sources_for, sweep_with, text_of, urls_source
from test_cli_sweep import sweep_args, write_sources

from leaktrack.spiders import sweep as sweep_module
from leaktrack.spiders.sites import add_pastes
from leaktrack.spiders.state import CrawlState
from leaktrack.spiders.sweep import SweepInterrupted, SweepLockedError, sweep_lock


def wait_for_exit(pid: int, timeout: float = 120) -> bool:
    """Block until process ``pid`` (any process, not only our child) has exited."""
    try:
        descriptor = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([descriptor], [], [], timeout)
        return bool(readable)
    finally:
        os.close(descriptor)


def children_of(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(child) for child in children.read().split()]


def test_sigterm_arriving_while_the_crawl_process_is_spawned_still_records_an_interrupted_sweep(
    local_site, leak_fingerprints, crawl_settings, monkeypatch
):
    """The race of issue 7: the signal lands inside subprocess.Popen. Sent from inside it here,
    so the test hits that moment every time instead of by luck."""
    real_popen = subprocess.Popen

    def popen_then_sigterm(*args, **kwargs):
        child = real_popen(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # before run_crawl_process holds the child's handle
        return child

    monkeypatch.setattr(sweep_module.subprocess, "Popen", popen_then_sigterm)
    local_site.put("/files/a.csv", "a note")
    previous = signal.getsignal(signal.SIGTERM)

    with pytest.raises(SweepInterrupted):
        sweep_with(sources_for(urls_source(local_site, ["/files/a.csv"])), leak_fingerprints, crawl_settings)

    with home_store() as store:
        (record,) = store.list_sweeps()
    assert any("interrupted" in error for error in record.errors)
    assert signal.getsignal(signal.SIGTERM) is previous  # our handler is gone again
    with sweep_lock(home_workspace().sweep_lock):  # released
        pass


def test_kill_9_of_a_sweep_stops_its_crawl_child_and_keeps_the_lock_until_it_is_gone(
    local_site, leak_fingerprints, tmp_path, leaktrack_home
):
    sources = write_sources(tmp_path, local_site)
    add_pastes(local_site, {"leak0": text_of(leak_fingerprints.copies["excerpt_10_rows"])})
    local_site.put("/files/leak.csv", "nothing here")
    # A first sweep stores a match: it must survive what follows.
    first = subprocess.run(
        [sys.executable, "-m", "leaktrack.cli.app", *sweep_args(sources, leak_fingerprints)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert first.returncode == 0, first.stderr
    with home_store() as store:
        stored = [match.id for match in store.list_matches(limit=None)]
    assert stored
    # The second sweep finds a new paste whose download the server holds open.
    release = threading.Event()
    add_pastes(local_site, {"held": "a note"})
    local_site.put("/raw/held", "a note", "text/plain", hold=release)
    sweeper = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leaktrack.cli.app",
            *sweep_args(sources, leak_fingerprints),
            "-s",
            "DOWNLOAD_TIMEOUT=300",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert local_site.wait_for_request("/raw/held"), "the sweep never reached the held paste"
        (crawler,) = children_of(sweeper.pid)
        os.kill(crawler, signal.SIGSTOP)  # it cannot finish (and let the lock go) before we look
        sweeper.kill()
        sweeper.wait(timeout=60)

        with pytest.raises(SweepLockedError):  # the crawl child still holds the lock
            with sweep_lock(home_workspace().sweep_lock):
                pass
        os.kill(crawler, signal.SIGCONT)  # it now gets the SIGTERM its parent's death sent
        release.set()
        assert wait_for_exit(crawler), "the crawl child outlived its sweep"
    finally:
        release.set()
        sweeper.kill()
        sweeper.wait(timeout=60)

    with sweep_lock(home_workspace().sweep_lock):  # free once every process of the sweep is gone
        pass
    with home_store() as store:
        assert [match.id for match in store.list_matches(limit=None)] == stored
    state = CrawlState(leaktrack_home / "crawl-state.db")
    assert state.has_seen(local_site.url("/p/leak0"))
    state.close()


def test_kill_9_of_the_crawl_child_is_a_one_line_error_and_loses_nothing(
    local_site, leak_fingerprints, tmp_path
):
    sources = write_sources(tmp_path, local_site)
    release = threading.Event()
    add_pastes(local_site, {"held": "a note"})
    local_site.put("/raw/held", "a note", "text/plain", hold=release)
    local_site.put("/files/leak.csv", leak_fingerprints.copies["uppercase"].data)
    sweeper = subprocess.Popen(
        [sys.executable, "-m", "leaktrack.cli.app", *sweep_args(sources, leak_fingerprints)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert local_site.wait_for_request("/raw/held")
        (crawler,) = children_of(sweeper.pid)
        os.kill(crawler, signal.SIGKILL)
        _, stderr = sweeper.communicate(timeout=120)
    finally:
        release.set()
        sweeper.kill()

    assert sweeper.returncode != 0
    assert "Traceback" not in stderr
    assert "without a result" in stderr
    with sweep_lock(home_workspace().sweep_lock):
        pass
    with home_store() as store:  # the store opens and reads; whatever was stored is whole
        store.list_matches(limit=None)


def test_sweep_lock_and_crawl_state_are_owner_only(
    local_site, leak_fingerprints, crawl_settings, leaktrack_home
):
    local_site.put("/files/a.csv", "a note")
    leaktrack_home.mkdir(parents=True, exist_ok=True)
    (leaktrack_home / "sweep.lock").touch(mode=0o644)  # left by an older version
    os.chmod(leaktrack_home / "sweep.lock", 0o644)
    previous = os.umask(0o022)  # the usual umask, which would give 0644
    try:
        sweep_with(sources_for(urls_source(local_site, ["/files/a.csv"])), leak_fingerprints, crawl_settings)
    finally:
        os.umask(previous)

    for name in ("sweep.lock", "crawl-state.db"):
        assert stat.S_IMODE((leaktrack_home / name).stat().st_mode) == 0o600, name
