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


# Sorted arrays of at most this many 64-bit keys (512 kB) fit in a core's L2 cache.
CACHED_HAYSTACK = 1 << 16


def sorted_contains(sorted_unique_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Membership of each of ``values`` in a sorted array.

    The needles are sorted first: binary searches for increasing needles walk the haystack
    in order and stay in cache, ~5x faster on millions of random 64-bit keys."""
    if len(sorted_unique_values) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    if len(sorted_unique_values) <= CACHED_HAYSTACK:
        # A small haystack stays in cache whatever order the needles come in: sorting them
        # would cost more than it saves (the date-word test at 10M records: a million entry
        # keys looked up among a few hundred line words).
        idx = np.minimum(np.searchsorted(sorted_unique_values, values), len(sorted_unique_values) - 1)
        return sorted_unique_values[idx] == values
    order = np.argsort(values)
    ordered = values[order]
    idx = np.minimum(np.searchsorted(sorted_unique_values, ordered), len(sorted_unique_values) - 1)
    found = np.empty(len(values), dtype=bool)
    found[order] = sorted_unique_values[idx] == ordered
    return found


def group_starts(*sorted_columns: np.ndarray) -> np.ndarray:
    """Per row of columns sorted together (as by ``np.lexsort``), whether it starts a group of
    equal rows: True for the first row and wherever one of the columns changes."""
    first = np.ones(len(sorted_columns[0]), dtype=bool)
    changed = sorted_columns[0][1:] != sorted_columns[0][:-1]
    for column in sorted_columns[1:]:
        changed |= column[1:] != column[:-1]
    first[1:] = changed
    return first


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


class KeyBitset:
    """A one-hash Bloom filter of 64-bit keys (their low bits index a bitset): rules out
    most unknown keys with one random byte read each, before an exact sorted lookup.

    The bits are built once (``bits_of``, at fingerprint build) and stored in the file."""

    BITS_PER_KEY = 16  # ~6% of the bits set: ~94% of unknown keys ruled out

    def __init__(self, bits: np.ndarray):
        self.bytes = bits
        self.mask = np.uint64(len(bits) * 8 - 1)

    @classmethod
    def nothing(cls) -> KeyBitset:
        """A bitset that holds no key."""
        return cls(cls.empty_bits(0))

    @classmethod
    def bits_of(cls, keys: np.ndarray) -> np.ndarray:
        bits = cls.empty_bits(len(keys))
        cls.set_bits(bits, keys)
        return bits

    @classmethod
    def empty_bits(cls, key_count: int) -> np.ndarray:
        """A zeroed bitset sized for ``key_count`` keys (a power of two of bits)."""
        return np.zeros((1 << max(16, int(key_count * cls.BITS_PER_KEY).bit_length())) // 8, dtype=np.uint8)

    @staticmethod
    def set_bits(bits: np.ndarray, keys: np.ndarray) -> None:
        index = keys & np.uint64(len(bits) * 8 - 1)
        np.bitwise_or.at(
            bits,
            (index >> np.uint64(3)).astype(np.int64),
            (np.uint8(1) << (index & np.uint64(7)).astype(np.uint8)),
        )

    def may_contain(self, keys: np.ndarray) -> np.ndarray:
        index = keys & self.mask
        byte = self.bytes[(index >> np.uint64(3)).astype(np.int64)]
        return (byte >> (index & np.uint64(7)).astype(np.uint8)) & np.uint8(1) > 0


# The bucket index of a sorted key array (``bucket_offsets``): about this many keys a bucket,
# at most 2**MAX_BUCKET_BITS buckets (8 MB of offsets).
KEYS_PER_BUCKET, MAX_BUCKET_BITS = 4, 20


def bucket_bits_for(key_count: int) -> int:
    """How many top bits of a key choose its bucket among ``key_count`` sorted keys."""
    return int(np.clip((key_count // KEYS_PER_BUCKET).bit_length(), 1, MAX_BUCKET_BITS))


def bucket_offsets(sorted_keys: np.ndarray, bits: int) -> np.ndarray:
    """Where the keys whose top ``bits`` bits are b start in the sorted keys, for each b, then
    the end: a lookup searches one bucket of a few keys instead of the whole array."""
    firsts = np.arange(1 << bits, dtype=np.uint64) << np.uint64(64 - bits)
    return np.append(np.searchsorted(sorted_keys, firsts), len(sorted_keys)).astype(np.int64)


class BucketCounter:
    """``bucket_offsets`` of a sorted key array that streams by in blocks (the build writes
    its key arrays so): the keys of each bucket counted, block by block."""

    def __init__(self, key_count: int):
        self.bits = bucket_bits_for(key_count)
        self.counts = np.zeros(1 << self.bits, dtype=np.int64)

    def add(self, keys: np.ndarray) -> None:
        top = (np.asarray(keys, dtype=np.uint64) >> np.uint64(64 - self.bits)).astype(np.int64)
        self.counts += np.bincount(top, minlength=len(self.counts))

    def offsets(self) -> np.ndarray:
        return offsets_of(self.counts)


def stored_bucket_offsets(sorted_keys: np.ndarray, stored: np.ndarray) -> tuple[np.ndarray, int]:
    """The bucket offsets of the keys and their bits: those stored beside them (a fingerprint
    file's, made at build) when they fit the keys, else made here (an older file: a
    ``searchsorted`` over the keys, paging much of them in, in every scanning process)."""
    bits = len(stored).bit_length() - 1
    if bits >= 1 and len(stored) == (1 << bits) + 1 and stored[0] == 0 and stored[-1] == len(sorted_keys):
        return np.ascontiguousarray(stored, dtype=np.int64), bits
    bits = bucket_bits_for(len(sorted_keys))
    return bucket_offsets(sorted_keys, bits), bits
