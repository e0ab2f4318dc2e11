"""CPU seconds of running processes, read from /proc (Linux): a server the benchmark started
(nginx's master and workers, redis-server) is measured while it runs, beside the workers."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process ``pid`` (all its threads); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def cpu_seconds_of_tree(pid: int) -> float:
    """``cpu_seconds`` of ``pid`` and of its live descendants."""
    return cpu_seconds(pid) + sum(cpu_seconds_of_tree(child) for child in children(pid))
