"""MinHash signatures of records and lines, and the LSH index of the records' signatures.

A record's shingles are the keyed hashes of its tokens, id numbers and dates; a signature is
datasketch's legacy-scheme MinHash of them: for each of ``num_perm`` permutations
``h -> (a h + b) mod (2**61 - 1)``, keep the low 32 bits' minimum over the shingles, where
``h`` is the low 32 bits of the keyed hash (already uniform, so no second hash is needed). The
permutations are drawn as datasketch draws them (``numpy.random.RandomState(seed)``), so the
signatures equal ``datasketch.MinHash(scheme="legacy").update_batch`` (a test checks it), but
numpy computes them for all records at once, and scanning never imports datasketch (which
imports scipy: most of a second of start-up).

LSH: the signature is cut into ``LSH_BANDS`` bands of ``LSH_ROWS`` values; two signatures
that agree on a whole band are candidates (probability ``1 - (1 - J**r)**b`` for Jaccard J).
Each record's band keys (a 64-bit mix of the band's values and its number) are one flat
sorted array in the fingerprint file: a lookup is a binary search, at any number of records.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import params

_MERSENNE_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)
_BLOCK_SHINGLES = 8192  # rows of the (shingles x permutations) matrix held at once (~2 MB)
_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)
_BAND_PRIME = np.uint64(0x100000001B3)


def low32(value: int) -> int:
    return value & 0xFFFFFFFF


@lru_cache(maxsize=4)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) of each permutation, drawn as datasketch's legacy scheme draws them."""
    gen = np.random.RandomState(seed)
    drawn = np.array(
        [
            (
                gen.randint(1, _MERSENNE_PRIME, dtype=np.uint64),
                gen.randint(0, _MERSENNE_PRIME, dtype=np.uint64),
            )
            for _ in range(num_perm)
        ],
        dtype=np.uint64,
    ).T
    return drawn[0], drawn[1]


def record_signatures(
    shingles: np.ndarray,
    record_offsets: np.ndarray,
    num_perm: int = params.MINHASH_NUM_PERM,
    seed: int = params.MINHASH_SEED,
) -> np.ndarray:
    """(records x num_perm) uint32 signatures; shingles of record i are
    ``shingles[record_offsets[i]:record_offsets[i + 1]]``. A record without shingles gets
    the empty signature (all 2**32 - 1).

    Computed over blocks of ~``_BLOCK_SHINGLES`` shingles (a (shingles x permutations)
    matrix that stays in cache), with the modulo of the Mersenne prime by shifts and adds
    (exact; numpy's uint64 ``%`` is a division per element)."""
    a, b = permutations(num_perm, seed)
    out = np.full((len(record_offsets) - 1, num_perm), int(_MAX_HASH), dtype=np.uint32)
    nonempty = np.flatnonzero(record_offsets[1:] > record_offsets[:-1])
    ends = record_offsets[nonempty + 1]
    first = 0
    while first < len(nonempty):
        start = int(record_offsets[nonempty[first]])
        last = max(int(np.searchsorted(ends, start + _BLOCK_SHINGLES, side="right")), first + 1)
        records = nonempty[first:last]
        values = _permuted(shingles[start : int(ends[last - 1])], a, b)
        out[records] = np.minimum.reduceat(values, record_offsets[records] - start, axis=0)
        first = last
    return out


def _permuted(shingles: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(shingles x permutations) uint32: the low 32 bits of ``(a h + b) mod (2**61 - 1)`` of
    each shingle's low 32 bits h (``a h + b`` wraps modulo 2**64, as datasketch's does)."""
    x = (shingles & _MAX_HASH).reshape(-1, 1) * a
    x += b
    # x mod p for p = 2**61 - 1: x = hi * 2**61 + lo is hi + lo (mod p), and hi + lo <= p + 7
    mod = x & _MERSENNE_PRIME
    x >>= np.uint64(61)
    mod += x
    mod[mod >= _MERSENNE_PRIME] -= _MERSENNE_PRIME
    return mod.astype(np.uint32)  # the low 32 bits


def signature_of(
    shingles: list[int] | np.ndarray, num_perm: int = params.MINHASH_NUM_PERM, seed: int = params.MINHASH_SEED
) -> np.ndarray:
    """The signature of one set of shingles (a line's), as ``record_signatures`` makes them."""
    values = np.asarray(shingles, dtype=np.uint64)
    return record_signatures(values, np.array([0, len(values)], dtype=np.int64), num_perm, seed)[0]


def jaccard(signature: np.ndarray, other: np.ndarray) -> float:
    """Estimated Jaccard similarity of two sets: the share of equal signature values."""
    return float(np.count_nonzero(signature == other)) / len(signature)


def band_keys(signatures: np.ndarray, rows: int = params.LSH_ROWS) -> np.ndarray:
    """(signatures x bands) uint64: a key per band, equal for equal bands (and band numbers)."""
    count, num_perm = signatures.shape
    bands = num_perm // rows
    values = signatures[:, : bands * rows].astype(np.uint64).reshape(count, bands, rows)
    h = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64) * _BAND_MIX, (count, bands)).copy()
    for r in range(rows):
        h = (h ^ values[:, :, r]) * _BAND_PRIME
        h ^= h >> np.uint64(29)
    return h


def lsh_tables(signatures: np.ndarray, shingle_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every band key of every record with shingles, sorted, and the record of each."""
    records = np.flatnonzero(shingle_counts).astype(np.int32)
    keys = band_keys(signatures[records]).reshape(-1)
    owners = np.repeat(records, signatures.shape[1] // params.LSH_ROWS)
    order = np.argsort(keys, kind="stable")
    return keys[order], owners[order]


def lsh_query(lsh_keys: np.ndarray, lsh_records: np.ndarray, signature: np.ndarray) -> np.ndarray:
    """Records whose signature agrees with ``signature`` on at least one whole band."""
    keys = band_keys(signature.reshape(1, -1))[0]
    lo = np.searchsorted(lsh_keys, keys, side="left")
    hi = np.searchsorted(lsh_keys, keys, side="right")
    if not (hi > lo).any():
        return np.empty(0, dtype=np.int64)
    return np.unique(np.concatenate([lsh_records[a:b] for a, b in zip(lo, hi)]).astype(np.int64))
