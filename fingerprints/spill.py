"""Out-of-core helpers of the build: arrays appended to files, key-partitioned spill files,
and an ordered map over worker processes that fails loudly when a worker dies.

External sorting here is a *distribution* sort: 64-bit keyed hashes are uniform, so routing
each key to one of P files by its top bits gives P parts of about equal size, each sorted
alone in memory; written one after the other they are one sorted array. Memory is one part,
whatever the number of records.
"""

from __future__ import annotations

import collections
import concurrent.futures
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DatasetError, LeaktrackError
from .arrays import offsets_of


class ArrayFile:
    """A 1-d (or fixed-width 2-d) array of one dtype, appended to a file in pieces."""

    def __init__(self, path: Path, dtype: Any, width: int | None = None):
        self.path, self.dtype, self.width = path, np.dtype(dtype), width
        self.length = 0
        self._file = open(path, "wb")  # noqa: SIM115 (closed by close())

    def append(self, values: np.ndarray) -> None:
        values = np.ascontiguousarray(values, dtype=self.dtype)
        self._file.write(values.data.cast("B") if values.size else b"")
        self.length += len(values)

    def close(self) -> None:
        self._file.close()

    @property
    def shape(self) -> list[int]:
        return [self.length] if self.width is None else [self.length, self.width]

    def read_range(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` read into memory (no mapping: a pass over a file of gigabytes
        in blocks leaves none of its pages in this process's resident memory)."""
        self.close()
        stop = min(stop, self.length)
        row = self.dtype.itemsize * (self.width or 1)
        values = np.fromfile(
            self.path, dtype=self.dtype, count=max(stop - start, 0) * (self.width or 1), offset=start * row
        )
        return values if self.width is None else values.reshape(-1, self.width)

    def read(self) -> np.ndarray:
        """The whole array, mapped read-only (pages in on use, shared, not held)."""
        self.close()
        if self.length == 0:
            return np.empty(self.shape, dtype=self.dtype)
        return np.memmap(self.path, dtype=self.dtype, mode="r", shape=tuple(self.shape))


class PartitionedSpill:
    """Rows of aligned columns, routed by the top bits of a uint64 key column to part files."""

    def __init__(self, folder: Path, name: str, dtypes: dict[str, Any], parts: int, threads: int = 1):
        self.threads = max(1, threads)  # parts read and sorted at once (``sorted_parts``)
        self.bits = min(max(1, int(parts - 1).bit_length()), 16)
        self.parts = 1 << self.bits
        self.dtypes = dtypes
        self.files = [
            {column: ArrayFile(folder / f"{name}.{p}.{column}", dtype) for column, dtype in dtypes.items()}
            for p in range(self.parts)
        ]

    def append(self, key: np.ndarray, **columns: np.ndarray) -> None:
        # part numbers in 8 or 16 bits: numpy's stable sort of them is a radix sort (~10x)
        part = (key >> np.uint64(64 - self.bits)).astype(np.uint8 if self.bits <= 8 else np.uint16)
        order = np.argsort(part, kind="stable")
        bounds = offsets_of(np.bincount(part, minlength=self.parts))
        values = {"key": key, **columns}
        for p in np.flatnonzero(np.diff(bounds)).tolist():
            rows = order[bounds[p] : bounds[p + 1]]
            for column, file in self.files[p].items():
                file.append(values[column][rows])

    def sorted_parts(self) -> Iterator[dict[str, np.ndarray]]:
        """Each part's columns in memory, sorted by key (stable: ties keep append order).

        The next ``threads`` parts are read and sorted in threads while the caller works on
        one (numpy's reads, sorts and gathers release the GIL): every core is busy in the
        build's merges. At most ``threads + 1`` parts are in memory at once."""
        with concurrent.futures.ThreadPoolExecutor(self.threads) as pool:
            pending: collections.deque = collections.deque()
            try:
                for p in range(self.parts):
                    pending.append(pool.submit(self._sorted_part, p))
                    if len(pending) > self.threads:
                        yield self._done(pending.popleft())
                while pending:
                    yield self._done(pending.popleft())
            finally:
                for future in pending:
                    future.cancel()

    def _sorted_part(self, p: int) -> tuple[int, dict[str, np.ndarray]]:
        part = {column: np.array(file.read()) for column, file in self.files[p].items()}
        order = np.argsort(part["key"], kind="stable")
        return p, {column: values[order] for column, values in part.items()}

    def _done(self, future: concurrent.futures.Future) -> dict[str, np.ndarray]:
        """A sorted part, its files removed (the part is in memory)."""
        p, ordered = future.result()
        for file in self.files[p].values():
            file.path.unlink(missing_ok=True)
        return ordered


def default_workers() -> int:
    """Every core this process may run on (the build's and the scan's worker processes)."""
    return len(os.sched_getaffinity(0))


def ordered_map(
    function: Callable[[Any], Any],
    jobs: Iterable[Any],
    workers: int,
    initializer=None,
    initargs=(),
    died: LeaktrackError | None = None,
) -> Iterator[Any]:
    """``map(function, jobs)`` in ``workers`` processes, results in job order, with at most
    2 x workers jobs in flight (the jobs iterator is read lazily: memory stays bounded).
    A worker that dies (killed, out of memory) fails the build with a one-line error instead
    of hanging it (``died``, by default the build's error). ``workers`` <= 1, or a single
    job, runs in this process."""
    jobs = iter(jobs)
    first = list(itertools.islice(jobs, 2))
    if workers <= 1 or len(first) < 2:  # one chunk: a process pool would only cost its start
        if initializer:
            initializer(*initargs)
        yield from map(function, itertools.chain(first, jobs))
        return
    jobs = itertools.chain(first, jobs)
    # imported here: most commands scan one document and never start a process
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=initializer, initargs=initargs) as pool:
        pending: collections.deque = collections.deque()
        try:
            for job in jobs:
                pending.append(pool.submit(function, job))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool:
            raise died or DatasetError(
                "a fingerprinting worker process died (killed, or out of memory?); nothing was "
                "written: try again with a smaller --memory budget or fewer --workers"
            ) from None
        finally:
            for future in pending:
                future.cancel()
