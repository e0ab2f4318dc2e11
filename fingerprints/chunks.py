"""The keys of every distinct document chunk seen so far, in flat arrays.

A *chunk* is a whitespace-separated piece of ``normalize.token_bytes`` output. Each distinct
chunk is tokenized and keyed-hashed once (the scanner's memo, kept across documents); after
that, the lines of a document become arrays of chunk ids, and their keys are gathered with
numpy instead of one Python object per chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import params
from .arrays import expand_ranges, offsets_of
from .keys import KeyedHasher
from .normalize import MONTHS, chunk_tokens, digit_date_readings, id_number

ID_HIT = 2  # prefilter strength of an id number: enough on its own to look at a line


@dataclass
class _Column:
    """A growing per-chunk list of keys: flat values + counts, numpy view on demand."""

    values: list[int]
    counts: list[int]
    _flat: np.ndarray | None = None
    _offsets: np.ndarray | None = None
    _counts: np.ndarray | None = None

    def add(self, keys: list[int]) -> None:
        self.values.extend(keys)
        self.counts.append(len(keys))
        self._flat = None

    def gather(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keys of the given chunks, concatenated, and how many each chunk has."""
        if self._flat is None:
            self._flat = np.array(self.values, dtype=np.uint64)
            self._counts = np.array(self.counts, dtype=np.int64)
            self._offsets = offsets_of(self._counts)
        counts = self._counts[chunk_ids]
        return self._flat[expand_ranges(self._offsets[chunk_ids], counts)], counts


class ChunkTable:
    """Chunk -> id, and per id: tokens, token keys, id-number and date keys, prefilter hit."""

    def __init__(self, hasher: KeyedHasher, prefilter_keys: set[int]):
        self.hasher = hasher
        self.prefilter = prefilter_keys
        self.clear()

    def clear(self) -> None:
        self.ids: dict[bytes, int] = {}
        self.tokens: list[tuple[str, ...]] = []
        self.hits: list[int] = []
        self.months: list[bool] = []
        self.numbers: list[bool] = []  # holds an id-like number that is not a date
        self._flag_arrays: dict[str, np.ndarray] = {}
        self.token_keys = _Column([], [])
        self.special_keys = _Column([], [])  # id numbers and every reading of a date

    def learn(self, chunks: set[bytes]) -> None:
        """Make sure every chunk has an id (dropping the table first when it grew too big;
        ids handed out before stay valid until the next ``learn``)."""
        if len(self.ids) + len(chunks) > params.CHUNK_MEMO_LIMIT:
            self.clear()
        for chunk in chunks:
            if chunk not in self.ids:
                self._add(chunk)

    def _add(self, chunk: bytes) -> None:
        self.ids[chunk] = len(self.tokens)
        tokens = chunk_tokens(chunk)
        token_keys = [self.hasher.token(t) for t in tokens]
        ids = [self.hasher.id_number(t) for t in tokens if id_number(t)]
        dates = [self.hasher.date(d) for t in tokens for d in digit_date_readings(t)]
        if any(k in self.prefilter for k in ids):
            hit = ID_HIT
        else:
            hit = int(any(k in self.prefilter for k in token_keys + dates))
        self.tokens.append(tokens)
        self.hits.append(hit)
        self.months.append(any(t in MONTHS for t in tokens))
        self.numbers.append(any(id_number(t) and not digit_date_readings(t) for t in tokens))
        self._flag_arrays.clear()
        self.token_keys.add(token_keys)
        self.special_keys.add(ids + dates)

    def hit(self, chunk: bytes) -> int:
        return self.hits[self.ids[chunk]]

    def with_month_name(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Which of the chunks hold an English month name (a date may span chunks)."""
        return self._flags("months")[chunk_ids]

    def with_id_number(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Which of the chunks hold an id-like number that is not a date."""
        return self._flags("numbers")[chunk_ids]

    def _flags(self, name: str) -> np.ndarray:
        if name not in self._flag_arrays:
            self._flag_arrays[name] = np.array(getattr(self, name), dtype=bool)
        return self._flag_arrays[name]
