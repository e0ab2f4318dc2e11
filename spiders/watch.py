"""Scheduled sweeps: run a sweep every N seconds until stopped.

Each tick is an ordinary incremental sweep (with the sweep lock, so a cron job and a watcher
never overlap). A failing sweep is logged and tried again next tick; a tick refused because
another sweep holds the lock is not a sweep run. SIGINT and SIGTERM stop the watcher cleanly:
a sweep in progress finishes its documents in flight and records itself (see ``run_sweep``;
it counts as run), and no further sweep starts. SIGINT works even when the watcher was started
in the background, where the shell has it ignored.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from .sweep import SweepInterrupted, SweepLockedError, SweepStop, SweepSummary

logger = logging.getLogger(__name__)

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Longer intervals are typos, and the wait between sweeps overflows on huge ones.
MAX_INTERVAL_SECONDS = 365 * 86400


def parse_interval(text: str) -> float:
    """``"30m"`` -> 1800.0; units s, m, h, d; a bare number is seconds. ValueError if malformed."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text.lower())
    if not found or float(found.group(1)) <= 0:
        raise ValueError(f"{text!r} is not an interval like 45s, 30m, 2h or 1d")
    seconds = float(found.group(1)) * UNITS[found.group(2) or "s"]
    if seconds > MAX_INTERVAL_SECONDS:
        raise ValueError(f"{text!r} is too long an interval: at most 365d")
    return seconds


def watch(
    sweep_once: Callable[[], SweepSummary],
    every_seconds: float,
    max_sweeps: int | None = None,
    on_summary: Callable[[SweepSummary], None] | None = None,
    on_failure: Callable[[Exception], None] | None = None,
) -> int:
    """Sweep every ``every_seconds`` (measured start to start) until stopped; returns sweeps run
    (finished, failed or interrupted; not the ticks refused because another sweep ran).

    SIGINT and SIGTERM stop it (``SweepStop``: a flag, never an exception raised wherever the
    signal lands): between sweeps the wait ends at once; a sweep in progress stops and records
    itself; a summary being reported (alerts being sent) is finished first.
    """
    tally = {"run": 0, "refused": 0}
    interrupted = False
    with SweepStop() as stop:
        try:
            while not stop.requested and (max_sweeps is None or tally["run"] < max_sweeps):
                started = time.monotonic()
                summary = _one_tick(sweep_once, on_failure, tally)
                if summary is not None and on_summary:
                    on_summary(summary)
                if max_sweeps is not None and tally["run"] >= max_sweeps:
                    break
                stop.wait(max(0.0, started + every_seconds - time.monotonic()))
        except SweepInterrupted:  # the sweep stopped on a signal and recorded itself
            interrupted = True
    if interrupted or stop.requested:
        logger.warning("watch stopped after %d sweep(s)", tally["run"])
    if tally["refused"]:
        logger.warning("%d tick(s) skipped: another sweep held the sweep lock", tally["refused"])
    return tally["run"]


def _one_tick(sweep_once, on_failure, tally: dict[str, int]) -> SweepSummary | None:
    try:
        summary = sweep_once()
    except SweepLockedError as error:
        tally["refused"] += 1
        _report_failure(error, on_failure)
        return None
    except SweepInterrupted:  # the sweep was stopped, and recorded itself as interrupted
        tally["run"] += 1
        raise
    except Exception as error:  # noqa: BLE001 - any failure waits for the next tick, by design
        tally["run"] += 1
        _report_failure(error, on_failure)
        return None
    tally["run"] += 1  # before reporting: whoever sees the report may stop us at once
    return summary


def _report_failure(error: Exception, on_failure) -> None:
    if on_failure:  # the caller reports it (the CLI on stderr): once is enough
        on_failure(error)
    else:
        logger.error("sweep failed, trying again next tick: %s", error)
