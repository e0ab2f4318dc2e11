"""MinHash signatures of records, computed for all records at once, as datasketch would.

A record's shingles are the keyed hashes of its tokens, id numbers and dates; a signature
is datasketch's legacy-scheme MinHash of them with ``hashfunc`` = low 32 bits of the keyed
hash (already uniform, so no second hash is needed). Computing it with numpy over all
records gives exactly what ``datasketch.MinHash.update_batch`` gives one record at a time,
~100x faster; the scanner then uses datasketch's MinHash for the lines it checks.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from datasketch import MinHash

from . import params

_MERSENNE_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)
_BLOCK_SHINGLES = 400_000  # rows of the (shingles x permutations) matrix held at once


def low32(value: int) -> int:
    return value & 0xFFFFFFFF


@lru_cache(maxsize=4)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="legacy").permutations
    return a.astype(np.uint64), b.astype(np.uint64)


def record_signatures(
    shingles: np.ndarray,
    record_offsets: np.ndarray,
    num_perm: int = params.MINHASH_NUM_PERM,
    seed: int = params.MINHASH_SEED,
) -> np.ndarray:
    """(records x num_perm) uint32 signatures; shingles of record i are
    ``shingles[record_offsets[i]:record_offsets[i + 1]]``. A record without shingles gets
    the empty signature (all 2**32 - 1)."""
    a, b = _permutations(num_perm, seed)
    n_records = len(record_offsets) - 1
    out = np.full((n_records, num_perm), int(_MAX_HASH), dtype=np.uint32)
    start_rec = 0
    while start_rec < n_records:
        end_rec = (
            int(np.searchsorted(record_offsets, record_offsets[start_rec] + _BLOCK_SHINGLES, side="right"))
            - 1
        )
        end_rec = min(max(end_rec, start_rec + 1), n_records)
        lo, hi = int(record_offsets[start_rec]), int(record_offsets[end_rec])
        if hi > lo:
            hv = (shingles[lo:hi] & _MAX_HASH).reshape(-1, 1)
            phv = ((hv * a + b) % _MERSENNE_PRIME) & _MAX_HASH
            starts = record_offsets[start_rec:end_rec] - lo
            nonempty = record_offsets[start_rec + 1 : end_rec + 1] > record_offsets[start_rec:end_rec]
            mins = np.minimum.reduceat(phv, starts[nonempty], axis=0)
            out[start_rec:end_rec][nonempty] = mins.astype(np.uint32)
        start_rec = end_rec
    return out


def minhash_of(
    shingles: list[int], num_perm: int = params.MINHASH_NUM_PERM, seed: int = params.MINHASH_SEED
) -> MinHash:
    """datasketch MinHash of one line's shingles (same scheme as ``record_signatures``)."""
    minhash = MinHash(
        num_perm=num_perm,
        seed=seed,
        hashfunc=low32,
        scheme="legacy",
        permutations=_permutations(num_perm, seed),
    )
    minhash.update_batch(shingles)
    return minhash


def minhash_from_signature(signature: np.ndarray, seed: int = params.MINHASH_SEED) -> MinHash:
    return MinHash(
        num_perm=len(signature),
        seed=seed,
        hashvalues=signature.astype(np.uint64),
        scheme="legacy",
        permutations=_permutations(len(signature), seed),
    )
