"""Scheduled sweeps: run a sweep every N seconds until stopped.

Each tick is an ordinary incremental sweep (with the sweep lock, so a cron job and a watcher
never overlap). A failing sweep is logged and tried again next tick. SIGINT and SIGTERM stop
the watcher cleanly: a sweep in progress finishes its documents in flight and records itself
(see ``run_sweep``), and no further sweep starts.
"""

from __future__ import annotations

import logging
import re
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from .sweep import SweepSummary

logger = logging.getLogger(__name__)

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Longer intervals are typos, and time.sleep() overflows on huge ones.
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


@contextmanager
def sigterm_stops() -> Iterator[None]:
    """Treat SIGTERM (systemd, docker, kill) like Ctrl-C for the duration."""

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def watch(
    sweep_once: Callable[[], SweepSummary],
    every_seconds: float,
    max_sweeps: int | None = None,
    on_summary: Callable[[SweepSummary], None] | None = None,
    on_failure: Callable[[Exception], None] | None = None,
) -> int:
    """Sweep every ``every_seconds`` (measured start to start) until stopped; returns sweeps run."""
    sweeps = 0
    with sigterm_stops():
        try:
            while max_sweeps is None or sweeps < max_sweeps:
                started = time.monotonic()
                summary = _one_tick(sweep_once, on_failure)
                sweeps += 1  # before reporting: whoever sees the report may stop us at once
                if summary is not None and on_summary:
                    on_summary(summary)
                if max_sweeps is not None and sweeps >= max_sweeps:
                    break
                time.sleep(max(0.0, started + every_seconds - time.monotonic()))
        except KeyboardInterrupt:
            logger.warning("watch stopped after %d sweep(s)", sweeps)
    return sweeps


def _one_tick(sweep_once, on_failure) -> SweepSummary | None:
    try:
        return sweep_once()
    except Exception as error:  # noqa: BLE001 - any failure waits for the next tick, by design
        if on_failure:  # the caller reports it (the CLI on stderr): once is enough
            on_failure(error)
        else:
            logger.error("sweep failed, trying again next tick: %s", error)
        return None
