"""The keys of a batch of candidate lines, which the matcher (``scan._EncodedLines``) looks up.

A batch is candidate lines as ``normalize.token_bytes`` makes them, joined by newlines. Its
chunks get the ids of the scanner's chunk memo (``chunks.ChunkTable``: per chunk its token keys
and its id-number and date keys); per line, the keys looked up are its tokens' keys, the chain
key (``keys.combine_keys``) of every run of 1..``params.MAX_VALUE_TOKENS`` tokens (a value of
several words), and its chunks' id and date keys. Only the keys some record has are kept
(``FingerprintSet.known_bits``, then its sorted ``known_keys``): a quarter, in leak-heavy text.

Compiled in ``_linekeys.c`` (built by pip with the machine's C compiler: one walk over the
chunks, no array per family of keys) when it is built and ``compiled`` is not False; else the
numpy code here, which gives the same keys (``tests/test_line_keys.py`` compares the two).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np

from . import params
from .arrays import KeyBitset, expand_ranges, sorted_unique, stored_bucket_offsets
from .chunks import ChunkTable
from .fingerprint_set import FLAG_ABBREVIATED, FLAG_BAG, FLAG_INITIAL, FLAG_TOKEN, FingerprintSet
from .keys import token_run_keys

try:
    from . import _linekeys
except ImportError:  # not built (no C compiler at install): numpy, same keys
    _linekeys = None

AVAILABLE = _linekeys is not None
_NEWLINE, _SPACE = 10, 32
LINE_SALT = np.uint64(0x9E3779B97F4A7C15)  # mixes a line number into a key: (line, key) sets
_BITSET_SLICE = 1 << 16  # keys tested against the bitset at once (bounded temporaries)
# Chunks whose table ids the compiled mirror holds (some 40 bytes each; dropped whole when full).
MIRROR_CHUNKS = 1 << 19


@dataclass
class BatchChunks:
    """A batch's chunks in text order: each one's id in the chunk table and its line."""

    ids: np.ndarray  # int64
    lines: np.ndarray  # int64, non-decreasing
    line_count: int


@dataclass
class KnownKeys:
    """The keys of a batch's lines that some record has, each with its line (in no particular
    order; a key shown twice in a line is there twice), and per line its tokens."""

    keys: np.ndarray  # uint64
    lines: np.ndarray  # int64
    tokens_per_line: np.ndarray  # int64


class LineKeys:
    """The keys of batches of candidate lines, and which records' entries they hold, for one
    scanner's chunk table and fingerprint set; compiled unless ``compiled`` is False or
    ``_linekeys`` is not built."""

    def __init__(self, table: ChunkTable, fingerprints: FingerprintSet, compiled: bool | None = None):
        self.table = table
        self.fp = fingerprints
        known_bits, known_keys = fingerprints.known_bits, fingerprints.known_keys
        self.known_bits = known_bits
        self.known_keys = known_keys
        self.compiled = _linekeys is not None and compiled is not False
        self._ids: Any = None  # the C extension's ChunkIds (no stubs)
        self._bits = np.ascontiguousarray(known_bits, dtype=np.uint8)
        self._known = np.ascontiguousarray(known_keys, dtype=np.uint64)
        self._bucket_bits = 1
        self._buckets = np.empty(0, dtype=np.int64)
        self._candidates = np.ascontiguousarray(fingerprints.candidate_keys, dtype=np.uint64)
        self._candidate_bits = 1
        self._candidate_buckets = np.empty(0, dtype=np.int64)
        if _linekeys is not None and self.compiled:
            self._ids = _linekeys.ChunkIds(MIRROR_CHUNKS)
            # The bucket indexes the build stored in the file (made here for an older file):
            self._buckets, self._bucket_bits = stored_bucket_offsets(self._known, fingerprints.known_buckets)
            self._candidate_buckets, self._candidate_bits = stored_bucket_offsets(
                self._candidates, fingerprints.candidate_buckets
            )

    def batch_chunks(self, text: bytes) -> BatchChunks:
        """The chunks of ``text`` (lines of ``token_bytes`` joined by newlines), learning those the
        table has not seen."""
        if self.compiled:
            found = self._ids.occurrences(self.table, text, self._lookup)
            if found is not None:  # None: the table was cleared meanwhile (ids changed)
                ids, lines, line_count = found
                return BatchChunks(
                    np.frombuffer(ids, dtype=np.int64), np.frombuffer(lines, dtype=np.int64), line_count
                )
        chunks = text.split()
        data = np.frombuffer(text, dtype=np.uint8)
        # token_bytes leaves space and newline as the only bytes up to 32, the bytes split cuts at:
        separator = data <= _SPACE
        starts = np.flatnonzero(~separator & np.concatenate(([True], separator[:-1])))
        del separator
        if len(starts) != len(chunks):
            raise ValueError("match_lines takes lines as normalize.token_bytes makes them")
        newlines = np.flatnonzero(data == _NEWLINE)
        ids = chunk_ids(self.table, chunks)
        return BatchChunks(ids, np.searchsorted(newlines, starts), len(newlines) + 1)

    def _lookup(self, chunks: list[bytes]) -> np.ndarray:
        return chunk_ids(self.table, chunks)

    def known_line_keys(self, chunks: BatchChunks) -> KnownKeys:
        """The token, run and id/date keys of the batch's lines that some record has."""
        table = self.table
        if _linekeys is not None and self.compiled:
            keys, lines, tokens = _linekeys.line_keys(
                chunks.ids,
                chunks.lines,
                chunks.line_count,
                table.token_keys.ends.array,
                table.token_keys.keys.array,
                table.special_keys.ends.array,
                table.special_keys.keys.array,
                self._bits,
                self._known,
                self._buckets,
                self._bucket_bits,
                params.MAX_VALUE_TOKENS,
            )
            return KnownKeys(
                np.frombuffer(keys, dtype=np.uint64),
                np.frombuffer(lines, dtype=np.int64),
                np.frombuffer(tokens, dtype=np.int64),
            )
        token_keys, token_counts = table.token_keys.gather(chunks.ids)
        token_lines = np.repeat(chunks.lines, token_counts)
        special_keys, special_counts = table.special_keys.gather(chunks.ids)
        families = [
            (token_keys, token_lines),
            token_run_keys(token_keys, token_lines, params.MAX_VALUE_TOKENS),
            (special_keys, np.repeat(chunks.lines, special_counts)),
        ]
        keys, lines = self.known_only(families)
        return KnownKeys(keys, lines, np.bincount(token_lines, minlength=chunks.line_count))

    def known_only(self, families: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        """The (key, line)s of the families that some record has (``known``), in order."""
        keys = np.concatenate([keys for keys, _ in families])
        lines = np.concatenate([lines for _, lines in families])
        found = self.known(keys)
        return keys[found], lines[found]

    def known(self, keys: np.ndarray) -> np.ndarray:
        """Which of the keys some record has (the bitset first, in slices; then the sorted keys)."""
        if _linekeys is not None and self.compiled:
            found = _linekeys.known(
                np.ascontiguousarray(keys, dtype=np.uint64),
                self._bits,
                self._known,
                self._buckets,
                self._bucket_bits,
            )
            return np.frombuffer(found, dtype=np.uint8).astype(bool)
        found = _maybe(KeyBitset(self.known_bits), keys)
        maybe = np.flatnonzero(found)
        found[maybe] = _sorted_in(self.known_keys, keys[maybe])
        return found

    def candidate_pairs(self, lines: LineKeySets) -> np.ndarray:
        """Sorted unique (line << 32 | record) of the records the lines' keys propose
        (``FingerprintSet.candidate_keys``) twice, or once by a key that is not one token of a
        longer value (``candidate_is_token``)."""
        fp = self.fp
        if len(fp.candidate_keys) == 0:
            return np.empty(0, dtype=np.int64)
        if _linekeys is not None and self.compiled:
            found = _linekeys.candidate_pairs(
                lines.offsets,
                lines.keys,
                self._candidates,
                self._candidate_buckets,
                np.ascontiguousarray(fp.candidate_records, dtype=np.int32),
                np.ascontiguousarray(fp.candidate_is_token, dtype=np.uint8),
                self._candidate_bits,
            )
            return np.frombuffer(found, dtype=np.int64)
        keys = fp.candidate_keys
        lo = np.searchsorted(keys, lines.keys, side="left")
        found = np.flatnonzero(keys[np.minimum(lo, len(keys) - 1)] == lines.keys)  # few keys propose
        lo = lo[found]
        counts = np.searchsorted(keys, lines.keys[found], side="right") - lo
        positions = expand_ranges(lo, counts)
        proposal_lines = np.repeat(lines.lines[found], counts)
        proposals = (proposal_lines << 32) | fp.candidate_records[positions].astype(np.int64)
        pairs, which, votes = np.unique(proposals, return_inverse=True, return_counts=True)
        strong = np.zeros(len(pairs), dtype=bool)
        strong[which[fp.candidate_is_token[positions] == 0]] = True
        return pairs[strong | (votes >= 2)]

    def held_entries(self, pairs: np.ndarray, lines: LineKeySets) -> HeldEntries:
        """Of each (line << 32 | record) pair, in order, the record's evidence entries whose key
        is one of the line's, and the record's name forms (``FLAG_BAG``), held or not."""
        fp = self.fp
        if _linekeys is not None and self.compiled:
            parts = _linekeys.held_entries(
                pairs,
                np.ascontiguousarray(fp.entry_offsets, dtype=np.int64),
                np.ascontiguousarray(fp.entry_keys, dtype=np.uint64),
                np.ascontiguousarray(fp.entry_flags, dtype=np.uint8),
                lines.offsets,
                lines.keys,
                FLAG_BAG,
            )
            return HeldEntries(*(np.frombuffer(part, dtype=np.int64) for part in parts))
        pair_lines, pair_records = pairs >> 32, pairs & 0xFFFFFFFF
        starts = fp.entry_offsets[pair_records]
        counts = fp.entry_offsets[pair_records + 1] - starts
        entries = expand_ranges(starts, counts)
        entry_pair = np.repeat(np.arange(len(pairs)), counts)
        salted = fp.entry_keys[entries] ^ (pair_lines[entry_pair].astype(np.uint64) * LINE_SALT)
        held = lines.salted.contains(salted)
        forms = np.flatnonzero((fp.entry_flags[entries] & FLAG_BAG) > 0)
        return HeldEntries(entries[held], entry_pair[held], entries[forms], entry_pair[forms])

    def field_weights(self, held: HeldEntries, pair_count: int) -> tuple[np.ndarray, np.ndarray] | None:
        """``scan._Scanner._field_weights`` (per pair and column, flattened: the highest weight of
        a whole value held, the summed weights of the tokens held) in C, or None when not
        compiled."""
        if _linekeys is None or not self.compiled:
            return None
        fp = self.fp
        whole, partial = _linekeys.field_weights(
            held.entries,
            held.pairs,
            pair_count,
            np.ascontiguousarray(fp.entry_columns, dtype=np.uint16),
            np.ascontiguousarray(fp.entry_weights, dtype=np.float32),
            np.ascontiguousarray(fp.entry_flags, dtype=np.uint8),
            len(fp.columns),
            FLAG_TOKEN,
        )
        return np.frombuffer(whole, dtype=np.float64), np.frombuffer(partial, dtype=np.float64)

    def name_forms(self, held: HeldEntries, row_sized: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """``scan._Scanner._name_forms``' weights (whole, abbreviated; per pair and column,
        flattened) in C, or None: not compiled, or a group where two forms of the key found weigh
        differently (then the numpy code there decides, as it always did)."""
        if _linekeys is None or not self.compiled:
            return None
        fp = self.fp
        found = _linekeys.name_forms(
            held.entries,
            held.pairs,
            held.forms,
            held.form_pairs,
            np.ascontiguousarray(row_sized, dtype=np.uint8),
            np.ascontiguousarray(fp.entry_keys, dtype=np.uint64),
            np.ascontiguousarray(fp.entry_flags, dtype=np.uint8),
            np.ascontiguousarray(fp.entry_columns, dtype=np.uint16),
            np.ascontiguousarray(fp.entry_weights, dtype=np.float32),
            len(fp.columns),
            FLAG_TOKEN,
            FLAG_INITIAL,
            FLAG_ABBREVIATED,
        )
        if found is None:
            return None
        return np.frombuffer(found[0], dtype=np.float64), np.frombuffer(found[1], dtype=np.float64)

    def shares_id_variant(
        self, lines: np.ndarray, records: np.ndarray, line_offsets: np.ndarray, line_keys: np.ndarray
    ) -> np.ndarray:
        """Per (line, record): whether one of the line's keys (grouped by line: ``line_offsets``,
        ``line_keys``) is one of the record's id variant keys (``FingerprintSet.id_variant_keys``)."""
        fp = self.fp
        if _linekeys is not None and self.compiled:
            found = _linekeys.shares_id_variant(
                np.ascontiguousarray(lines, dtype=np.int64),
                np.ascontiguousarray(records, dtype=np.int64),
                np.ascontiguousarray(line_offsets, dtype=np.int64),
                np.ascontiguousarray(line_keys, dtype=np.uint64),
                np.ascontiguousarray(fp.id_variant_offsets, dtype=np.int64),
                np.ascontiguousarray(fp.id_variant_keys, dtype=np.uint64),
            )
            return np.frombuffer(found, dtype=np.uint8).astype(bool)
        # Both sides salted with the line and met in one sorted set:
        key_lines = np.repeat(np.arange(len(line_offsets) - 1), np.diff(line_offsets))
        held = sorted_unique(line_keys ^ (key_lines.astype(np.uint64) * LINE_SALT))
        starts = fp.id_variant_offsets[records].astype(np.int64)
        counts = fp.id_variant_offsets[records + 1].astype(np.int64) - starts
        owner = np.repeat(np.arange(len(records)), counts)
        salted = fp.id_variant_keys[expand_ranges(starts, counts)] ^ (
            lines[owner].astype(np.uint64) * LINE_SALT
        )
        shares = np.zeros(len(records), dtype=bool)
        shares[owner[_sorted_in(held, salted)]] = True
        return shares


class LineKeySets:
    """The keys of a batch's lines (each with its line), as the matcher asks about them: grouped
    by line (``offsets``, ``keys``), and as one set of keys salted with their line (``salted``:
    made on first use; ``key ^ line * LINE_SALT``)."""

    def __init__(self, keys: np.ndarray, lines: np.ndarray, line_count: int):
        self._keys, self._lines = keys, lines
        order = np.argsort(lines, kind="stable")
        self.keys = np.ascontiguousarray(keys[order], dtype=np.uint64)
        self.lines = lines[order]
        self.offsets = np.searchsorted(self.lines, np.arange(line_count + 1)).astype(np.int64)
        self._salted: KeySet | None = None

    @property
    def salted(self) -> KeySet:
        if self._salted is None:
            self._salted = KeySet(self._keys ^ (self._lines.astype(np.uint64) * LINE_SALT))
        return self._salted


@dataclass
class HeldEntries:
    """Evidence entries of (line, record) pairs (``LineKeys.held_entries``), in pair order."""

    entries: np.ndarray  # int64 index into the FingerprintSet's entry arrays: held by the line
    pairs: np.ndarray  # int64 index of each one's pair
    forms: np.ndarray  # int64: the records' name forms (FLAG_BAG), held or not
    form_pairs: np.ndarray


class KeySet:
    """A set of 64-bit keys for many membership tests: sorted, behind a bitset
    (``arrays.KeyBitset``) that rules out most absent keys before the binary search."""

    def __init__(self, keys: np.ndarray):
        self.keys = sorted_unique(keys)
        self.bits = KeyBitset(KeyBitset.bits_of(self.keys))

    def contains(self, needles: np.ndarray) -> np.ndarray:
        found = np.zeros(len(needles), dtype=bool)
        if len(self.keys):
            maybe = np.flatnonzero(self.bits.may_contain(needles))
            found[maybe] = _sorted_in(self.keys, needles[maybe])
        return found


def _maybe(bits: KeyBitset, keys: np.ndarray) -> np.ndarray:
    if len(keys) <= _BITSET_SLICE:
        return bits.may_contain(keys)
    return np.concatenate(
        [bits.may_contain(keys[i : i + _BITSET_SLICE]) for i in range(0, len(keys), _BITSET_SLICE)]
    )


def _sorted_in(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """Membership of each needle in a sorted unique array."""
    if len(haystack) == 0:
        return np.zeros(len(needles), dtype=bool)
    at = np.minimum(np.searchsorted(haystack, needles), len(haystack) - 1)
    return haystack[at] == needles


def chunk_ids(table: ChunkTable, chunks: list[bytes]) -> np.ndarray:
    """The chunk table's ids of the chunks, learning those it has not seen (one dict lookup
    per chunk, in C; a second pass only when there were new chunks)."""
    ids = np.fromiter(map(table.ids.get, chunks, repeat(-1)), dtype=np.int64, count=len(chunks))
    new = np.flatnonzero(ids < 0)
    if len(new) == 0:
        return ids
    before = table.ids
    table.learn({chunks[i] for i in new.tolist()})
    if table.ids is not before:  # the table was dropped to make room: the others are new to it too
        table.learn(set(chunks))
    return np.fromiter(map(table.ids.__getitem__, chunks), dtype=np.int64, count=len(chunks))
