"""Small numpy idioms the builder and the scanner share."""

from __future__ import annotations

import numpy as np


def expand_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, s + c) for each (s, c), without a Python loop."""
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    shifts = np.repeat(np.asarray(starts, dtype=np.int64) - np.cumsum(counts) + counts, counts)
    return shifts + np.arange(total, dtype=np.int64)


def offsets_of(counts: np.ndarray) -> np.ndarray:
    """CSR offsets (len + 1) of consecutive groups of the given sizes."""
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting (numpy's hash-based unique is several times slower on uint64)."""
    values = np.sort(values)
    if len(values) == 0:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def sorted_contains(sorted_unique_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Membership of each of ``values`` in a sorted array."""
    if len(sorted_unique_values) == 0:
        return np.zeros(len(values), dtype=bool)
    idx = np.minimum(np.searchsorted(sorted_unique_values, values), len(sorted_unique_values) - 1)
    return sorted_unique_values[idx] == values


def group_sizes(values: np.ndarray) -> np.ndarray:
    """For each element, how many elements equal it."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    sizes = np.diff(np.append(starts, len(values)))
    out = np.empty(len(values), dtype=np.int64)
    out[order] = np.repeat(sizes, sizes)
    return out
