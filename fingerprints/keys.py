"""The secret key and keyed hashing: the only way a plaintext value becomes a fingerprint.

Every token, id number and date is hashed with keyed BLAKE2b (64-bit digests). Without the
key file, the fingerprint file cannot be checked against a guessed list of names. Values of
several tokens are keyed as a chain of their tokens' keyed hashes (``combine_keys``), which
numpy can compute for every run of tokens of a document at once (``token_run_keys``).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..errors import FingerprintFileError
from . import params

try:  # the compiled first pass hashes many values in one call (firstpass's _firstpass.c)
    from . import _firstpass
except ImportError:  # no C compiler at install: hashlib, one value at a time (same keys)
    _firstpass = None

_MASK64 = (1 << 64) - 1
_CHAIN_OFFSET = 0xCBF29CE484222325  # FNV-1a's 64-bit offset basis and prime, over 64-bit words
_CHAIN_PRIME = 0x100000001B3
_KEY_CHECK_MESSAGE = b"leaktrack key check v1"
_BAG_GOLDEN = 0x9E3779B97F4A7C15
_PAIR_ODD = 0xD6E8FEB86659FD93  # odd: multiplying by it is a bijection of 64-bit keys


def load_or_create_key(path: str | Path) -> bytes:
    """The key in ``path``, created owner-only when absent."""
    path = Path(path)
    if not path.exists():
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:  # e.g. a file where the folder should be
            raise FingerprintFileError(f"cannot create key file {path}: {error.strerror or error}") from None
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it meanwhile: use theirs
            return read_key(path)
        except OSError as error:
            raise FingerprintFileError(f"cannot create key file {path}: {error.strerror or error}") from None
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(params.KEY_BYTES) + "\n")
    return read_key(path)


def read_key(path: str | Path) -> bytes:
    """The key in ``path``; a missing or malformed key file is a FingerprintFileError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except FileNotFoundError:
        raise FingerprintFileError(
            f"key file not found: {path} (scanning needs the key the fingerprints were built with)"
        ) from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise FingerprintFileError(f"key file is not a leaktrack key: {path}") from None
    if not 16 <= len(key) <= 64:
        raise FingerprintFileError(f"key file is not a leaktrack key: {path}")
    return key


def combine_keys(keys: Sequence[int]) -> int:
    """The key of a run of tokens, from its tokens' keys (same result as token_run_keys)."""
    h = _CHAIN_OFFSET
    for k in keys:
        h = ((h ^ k) * _CHAIN_PRIME) & _MASK64
    return h


def combined_keys(token_keys: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``combine_keys`` of many runs at once: run i is ``token_keys[starts[i]:starts[i] +
    lengths[i]]``."""
    h = np.full(len(starts), _CHAIN_OFFSET, dtype=np.uint64)
    for j in range(int(lengths.max(initial=0))):
        more = lengths > j
        h[more] = (h[more] ^ token_keys[starts[more] + j]) * np.uint64(_CHAIN_PRIME)
    return h


def token_run_keys(
    token_keys: np.ndarray, line_of_token: np.ndarray, max_tokens: int
) -> tuple[np.ndarray, np.ndarray]:
    """Keys of every run of 1..max_tokens consecutive tokens within one line.

    Returns (keys, line of each key). ``line_of_token`` must be non-decreasing.
    """
    count = len(token_keys)
    runs, lines = [], []
    h = np.full(count, _CHAIN_OFFSET, dtype=np.uint64)
    for n in range(1, max_tokens + 1):
        width = count - n + 1
        if width <= 0:
            break
        h = (h[:width] ^ token_keys[n - 1 :]) * np.uint64(_CHAIN_PRIME)
        same_line = line_of_token[:width] == line_of_token[n - 1 :]
        runs.append(h[same_line])
        lines.append(line_of_token[:width][same_line])
    if not runs:
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    return np.concatenate(runs), np.concatenate(lines)


def date_word_keys(date_keys: np.ndarray, word_keys: np.ndarray) -> np.ndarray:
    """The keys of (date, word) pairs, from a date's and a word's keys (aligned arrays): the
    date's key times an odd constant (a bijection modulo 2**64) xor the word's. Two pairs that
    share their date or their word never share a key; other pairs only by chance (2**-64).
    The fingerprint file lists the pairs each record holds (``FingerprintSet.date_word_keys``)."""
    return (np.asarray(date_keys, dtype=np.uint64) * np.uint64(_PAIR_ODD)) ^ np.asarray(
        word_keys, dtype=np.uint64
    )


def repeated_token_keys(token_keys: np.ndarray, times: int) -> np.ndarray:
    """``combine_keys`` of each token repeated ``times`` times: the key of a whole value whose
    tokens are all that one token ("Maria" for ``times`` 1, "Ly Ly" for 2)."""
    h = np.full(len(token_keys), _CHAIN_OFFSET, dtype=np.uint64)
    for _ in range(times):
        h = (h ^ token_keys) * np.uint64(_CHAIN_PRIME)
    return h


def word_pair_keys(first_keys: np.ndarray, second_keys: np.ndarray) -> np.ndarray:
    """Order-free keys of two words (aligned arrays of their keys): ``bag_keys`` of the pair.
    ``first_pass.DateWordTest`` looks them up beside a date (``date_word_keys``)."""
    total = np.asarray(first_keys, dtype=np.uint64) + np.asarray(second_keys, dtype=np.uint64)
    return bag_keys(total, np.full(len(total), 2, dtype=np.uint64))


def bag_keys(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Order-free keys of multisets of token keys, from each multiset's sum of keys (modulo
    2**64) and size: a splitmix64 finalizer of ``sum + size * golden``."""
    h = sums.astype(np.uint64) + counts.astype(np.uint64) * np.uint64(_BAG_GOLDEN)
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def bag_key(keys: Sequence[int]) -> int:
    """The order-free key of some tokens' keys (same result as bag_keys)."""
    return bag_key_of_sum(sum(keys), len(keys))


def bag_key_of_sum(total: int, count: int) -> int:
    """``bag_key`` of ``count`` keys whose sum (any Python int: taken modulo 2**64) is ``total``."""
    # In Python integers (one value at a time, numpy scalars cost ~40 us per call at build).
    h = (total + count * _BAG_GOLDEN) & _MASK64
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & _MASK64
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & _MASK64
    return h ^ (h >> 31)


class KeyedHasher:
    """Keyed 64-bit BLAKE2b of tokens, id numbers and dates, memoized per distinct input.

    The message of a value is its kind's letter, ``:`` and the value: ``t:`` a token, ``n:``
    an id number, ``v:`` an id number's one-digit variant, ``d:`` an ISO date."""

    def __init__(self, key: bytes):
        self.key = key
        self._memos: dict[str, dict[str, int]] = {"t": {}, "n": {}, "v": {}, "d": {}}

    def _hash(self, text: str) -> int:
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8, key=self.key).digest()
        return int.from_bytes(digest, "little")

    def many(self, prefix: str, values: Sequence[str]) -> np.ndarray:
        """uint64 keys of many values of one kind at once (``prefix`` as above), not
        memoized: the build's way to key values that are mostly distinct (id numbers)."""
        encoded = [v.encode("utf-8", "surrogatepass") for v in values]
        if _firstpass is not None:
            return np.frombuffer(_firstpass.keyed_hashes(self.key, prefix, encoded), dtype="<u8").astype(
                np.uint64
            )
        keyed = hashlib.blake2b(digest_size=8, key=self.key)  # the key block, compressed once
        head = prefix.encode() + b":"
        out = np.empty(len(encoded), dtype=np.uint64)
        for i, value in enumerate(encoded):
            h = keyed.copy()
            h.update(head + value)
            out[i] = int.from_bytes(h.digest(), "little")
        return out

    def prime(self, prefix: str, values: Iterable[str]) -> dict[str, int]:
        """Key the values not yet memoized in one call; returns the memo of that kind, which
        then holds every one of them (the build keys a chunk's tokens before its records and
        looks them up in the memo). A memo that would grow past ``CHUNK_MEMO_LIMIT`` is
        dropped first, and then every value is keyed, those it held too."""
        memo = self._memos[prefix]
        wanted = set(values)
        missing = list(wanted.difference(memo))
        if missing:
            if len(memo) + len(missing) > params.CHUNK_MEMO_LIMIT:
                memo.clear()
                missing = list(wanted)
            memo.update(zip(missing, self.many(prefix, missing).tolist()))
        return memo

    def memo(self, prefix: str) -> dict[str, int]:
        """The memo of one kind (value -> key): a lookup without a call, after ``prime``."""
        return self._memos[prefix]

    def memo_size(self) -> int:
        """Values memoized, of every kind."""
        return sum(map(len, self._memos.values()))

    def token(self, token: str) -> int:
        return self._keyed("t", token)

    def id_number(self, digits: str) -> int:
        return self._keyed("n", digits)

    def id_variant(self, digits: str) -> int:
        """An id number or one of its one-digit deletions (typo matching; never evidence)."""
        return self._keyed("v", digits)

    def date(self, iso: str) -> int:
        return self._keyed("d", iso)

    def _keyed(self, prefix: str, text: str) -> int:
        memo = self._memos[prefix]
        value = memo.get(text)
        if value is None:
            if len(memo) > params.CHUNK_MEMO_LIMIT:
                memo.clear()
            value = memo[text] = self._hash(prefix + ":" + text)
        return value

    def key_check(self) -> str:
        """A digest that tells whether a fingerprint file was built with this key."""
        return hashlib.blake2b(_KEY_CHECK_MESSAGE, digest_size=16, key=self.key).hexdigest()
