"""Build a fingerprint file from a dataset: streaming, external, on every core, in bounded memory.

The dataset is read in chunks of rows, twice, and never held whole:

1. *Column kinds*: for each chunk (in worker processes), each distinct value of a column is
   analysed once (tokens, id numbers, dates) and each row gets a 64-bit hash of its value's
   identity; the hashes spill to one file per column. After the pass, each column's hashes are
   sorted and counted (8 bytes a row, one column at a time): unique share and entropy give the
   column's kind (``profile_from_counts``).
2. *Entries*: for each chunk (in worker processes), every record's evidence entries (keyed
   hash, column, flags, base weight), MinHash signature and id-number variants, in record
   order, appended to files. Each (key, column) also goes to a key-partitioned spill file.
3. *Frequencies*: each spill part is sorted and counted alone (``spill.PartitionedSpill``):
   how many records share each keyed value (its document frequency, df); the counts go back
   to the entries in entry order through a second spill (``_Build._entry_frequencies``).
4. *Weights and lookup tables*: the entries are read again in blocks; each gets its weight
   from its df, and the keys rare enough to propose candidates, the prefilter's keys, the
   known keys, the (date, word) pairs of each record (for a dataset of fewer than two text
   columns) and the LSH band keys go to spill parts, sorted per part.
5. The arrays are copied into one fingerprint file (``fingerprint_set.ArrayFileWriter``).

Memory is bounded by ``memory_bytes`` (default: a quarter of RAM): it sets the rows per chunk
and the number of spill parts; what grows with the records is on disk, in a temporary folder
beside the output. What is held whole grows by ~45 bytes a record: the entry and id-variant
offsets and the known keys' bitset (``docs/scale.md``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import hashlib
import logging
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np
from anyascii import anyascii

from ..errors import DatasetError, FingerprintFileError
from . import params
from .arrays import (
    BucketCounter,
    KeyBitset,
    expand_ranges,
    group_starts,
    offsets_of,
    sorted_contains,
    sorted_unique,
)
from .fingerprint_set import (
    FLAG_ABBREVIATED,
    FLAG_BAG,
    FLAG_INITIAL,
    FLAG_PREFILTER,
    FLAG_TOKEN,
    KIND_COMMON,
    KIND_DATE,
    KIND_ID,
    KIND_TEXT,
    ColumnProfile,
    FingerprintSet,
    new_dataset_id,
    numbers_needed,
    write_fingerprint_file,
)
from .keys import (
    KeyedHasher,
    bag_key_of_sum,
    bag_keys,
    combine_keys,
    combined_keys,
    date_word_keys,
    load_or_create_key,
    repeated_token_keys,
    word_pair_keys,
)

try:  # the scanner's compiled first pass also keys an id number's one-digit deletions
    from . import _firstpass
except ImportError:  # no C compiler at install: the same keys in Python
    _firstpass = None
from .minhash import band_keys, record_signatures
from .normalize import (
    _CAMEL_RE,
    MONTHS,
    digit_date_readings,
    fold_text,
    folded_tokens,
    id_number,
    one_digit_deletions,
    textual_dates,
    transliterated_tokens,
    value_tokens,
)
from .spill import ArrayFile, PartitionedSpill, default_workers, ordered_map

log = logging.getLogger(__name__)
_COLUMN_SALT = np.uint64(0x9E3779B97F4A7C15)
_RECORD_SALT = np.uint64(0xD1B54A32D192ED03)  # odd: a key per (keyed value, record)
_TOKEN_PREFILTER = FLAG_TOKEN | FLAG_PREFILTER
_SORTED_IDENTITY_BYTES = 32  # a column's identity hashes of a record while sorted (8 x 3, rounded up)
# progress(stage, done, total): records done of a pass (total None while unknown)
Progress = Callable[[str, int, int | None], None]


@dataclass
class ValueAnalysis:
    """What one distinct raw value of a column offers as evidence, before weighting."""

    variants: list[list[str]]  # token sequences: native first, then transliterations
    id_numbers: list[str]
    dates: list[str]


_EMPTY = ValueAnalysis([], [], [])


def analyse_value(raw: str) -> ValueAnalysis:
    """Tokens (native and transliterated), id numbers and dates of one dataset value."""
    folded = fold_text(raw)
    native = folded_tokens(folded)
    if not native:
        return _EMPTY
    # Latin with diacritics folds to ASCII: only other scripts need a transliteration.
    return _analysis_of([native] if folded.isascii() else [native] + transliterated_tokens(raw, native))


@dataclass
class _WordAnalysis:
    """``analyse_value``'s pieces of one space-separated word of a value."""

    native: list[str]  # its tokens
    plain: bool  # no digits, no month name: no id number nor date of the value is in it
    folds_to_ascii: bool
    transliterated: bool  # anyascii changes it
    has_syllables: bool  # a Latin word of it has several capitalised syllables (CJK)
    latin: list[str]  # the three transliterated token sequences (``transliterated_tokens``)
    syllables: list[str]
    first_syllable_apart: list[str]


def _analyse_word(word: str) -> _WordAnalysis:
    folded = fold_text(word)
    native = folded_tokens(folded)
    latin = anyascii(unicodedata.normalize("NFKC", word))
    syllables = [parts for parts in (_CAMEL_RE.findall(w) for w in latin.split()) if parts]
    return _WordAnalysis(
        native,
        not any(t.isdecimal() or t in MONTHS for t in native),
        folded.isascii(),
        latin != word,
        any(len(parts) > 1 for parts in syllables),
        value_tokens(latin),
        value_tokens(" ".join(" ".join(parts) for parts in syllables)),
        value_tokens(" ".join(parts[0] + " " + "".join(parts[1:]) for parts in syllables)),
    )


class _WordMemo:
    """``analyse_value`` of many-word values from their words' analyses, memoized: names are
    recombined from far fewer words than there are names (10,000 words in 100,000 names).

    Exact: folding, tokens and anyascii work character by character, and the values are cut
    at ASCII spaces only, which every step keeps as a separator."""

    def __init__(self):
        self.words: dict[str, _WordAnalysis] = {}

    def analyse(self, raw: str) -> ValueAnalysis:
        if len(self.words) >= params.BUILD_MEMO_VALUES:
            self.words.clear()
        words = []
        for word in raw.split(" "):
            if word:
                analysis = self.words.get(word)
                if analysis is None:
                    analysis = self.words[word] = _analyse_word(word)
                words.append(analysis)
        native = [t for w in words for t in w.native]
        if not native:
            return _EMPTY
        variants = [native]
        if not all(w.folds_to_ascii for w in words) and any(w.transliterated for w in words):
            transliterations = [[t for w in words for t in w.latin]]
            if any(w.has_syllables for w in words):
                transliterations.append([t for w in words for t in w.syllables])
                transliterations.append([t for w in words for t in w.first_syllable_apart])
            for variant in transliterations:
                if variant and variant not in variants:
                    variants.append(variant)
        if all(w.plain for w in words):
            return ValueAnalysis(variants, [], [])
        return _analysis_of(variants)


def _analysis_of(variants: list[list[str]]) -> ValueAnalysis:
    """A value's analysis from its token sequences (native first)."""
    native = variants[0]
    ids = [t for t in native if id_number(t)]
    dates = {d for t in native if t.isdecimal() for d in digit_date_readings(t)}
    if any(t in MONTHS for t in native):
        dates.update(textual_dates(native))
    return ValueAnalysis(variants, ids, sorted(dates))


def value_facts(raw: str) -> tuple[str, bool, bool]:
    """What the first pass learns of a value, without transliterating it (``analyse_value``'s
    native tokens, and whether it offers dates and id numbers): its identity (the native
    tokens joined; "" for a value without any), holds a date, holds an id number."""
    native = folded_tokens(fold_text(raw))
    if not native:
        return "", False, False
    has_id = any(id_number(t) for t in native)
    has_date = any(digit_date_readings(t) for t in native if t.isdecimal())
    if not has_date and any(t in MONTHS for t in native):
        has_date = bool(textual_dates(native))
    return "\x1f".join(native), has_date, has_id


def identity_hashes(hasher: KeyedHasher, identities: list[str]) -> np.ndarray:
    """64-bit hashes of value identities (0 for a value without tokens); they never leave the
    build's temporary files."""
    hashes = hasher.many("i", identities) | np.uint64(1)
    hashes[[i for i, identity in enumerate(identities) if not identity]] = 0
    return hashes


def profile_from_counts(
    name: str, rows_per_identity: np.ndarray, with_dates: int, with_ids: int
) -> ColumnProfile:
    """Learn a column's kind from how many rows hold each distinct value (identity), and how
    many rows hold a date or an id number."""
    present = int(rows_per_identity.sum())
    if not present:
        return ColumnProfile(name, KIND_COMMON, 0.0, 0.0)
    unique_share = int(np.count_nonzero(rows_per_identity == 1)) / present
    shares = rows_per_identity.astype(np.float64) / present
    bits = float(-(shares * np.log2(shares)).sum())  # entropy of the column's values
    if unique_share < params.DISTINCTIVE_MIN_UNIQUE_SHARE and bits < params.DISTINCTIVE_MIN_BITS:
        kind = KIND_COMMON
    elif with_dates >= params.KIND_MIN_SHARE * present:
        kind = KIND_DATE
    elif with_ids >= params.KIND_MIN_SHARE * present:
        kind = KIND_ID
    else:
        kind = KIND_TEXT
    return ColumnProfile(name, kind, round(unique_share, 4), round(bits, 2))


class EntryBuilder:
    """Turns analysed values into evidence entries (key -> flags, base weight) and shingles.

    ``entries`` and ``shingles`` state the rules one value at a time; the build applies them
    to a chunk's column at once in numpy (``_value_entries``, ``_value_shingles``: a test
    holds the two equal)."""

    def __init__(self, hasher: KeyedHasher):
        self.hasher = hasher

    def entries(self, kind: str, a: ValueAnalysis) -> dict[int, tuple[int, float]]:
        if kind == KIND_ID and a.id_numbers:
            return {self.hasher.id_number(d): (FLAG_PREFILTER, params.WEIGHT_ID) for d in a.id_numbers}
        if kind == KIND_DATE and a.dates:
            return {self.hasher.date(d): (FLAG_PREFILTER, params.WEIGHT_DATE) for d in a.dates}
        entries: dict[int, tuple[int, float]] = {}
        for tokens in a.variants:
            keys = self.token_keys(tokens)
            entries[combine_keys(keys[: params.MAX_VALUE_TOKENS])] = (0, params.WEIGHT_TEXT)
            if kind != KIND_COMMON:
                share = params.WEIGHT_TEXT * params.TOKEN_PARTIAL_FACTOR / len(keys)
                for t, k in zip(tokens, keys):
                    held = entries.get(k)
                    if held is None or held[1] < share:
                        prefilter = len(t.encode()) >= params.PREFILTER_MIN_TOKEN_BYTES
                        entries[k] = (_TOKEN_PREFILTER if prefilter else FLAG_TOKEN, share)
                self.add_name_forms(entries, tokens, keys)
        return entries

    def token_keys(self, tokens: list[str]) -> list[int]:
        """Keyed hashes of tokens: memo lookups once ``prime`` has keyed them."""
        memo = self.hasher.memo("t")
        return [memo[t] if t in memo else self.hasher.token(t) for t in tokens]

    def add_name_forms(
        self, entries: dict[int, tuple[int, float]], tokens: list[str], keys: list[int]
    ) -> None:
        """Entries of the forms a name takes beyond its written order (the scanner meets them
        by summing the keys of the tokens it found in a line, ``scan._Scanner._name_forms``):

        - the order-free key of all its tokens (``FLAG_BAG``): ``GARCIA, Juan``, ``Surname:
          Garcia | Given name: Juan``, double surnames in either order;
        - the same with the first or last tokens as initials (``FLAG_BAG | FLAG_ABBREVIATED``):
          ``J. Garcia``, ``Garcia J.``, ``M. J. García López``;
        - the initial letters those are made of (``FLAG_INITIAL``, no weight of their own)."""
        n = len(keys)
        if not 2 <= n <= params.NAME_FORM_MAX_TOKENS:
            return
        total = sum(keys)
        entries.setdefault(bag_key_of_sum(total, n), (FLAG_BAG, params.WEIGHT_TEXT))
        if not all(len(t) > 1 and t[0].isalpha() for t in tokens):
            return  # a one-letter token is an initial already; CJK names are one token
        initials = self.token_keys([t[0] for t in tokens])
        # A form's key is the bag key of its keys: the name's sum with the first (last) k
        # keys swapped for their initials'.
        swapped = [i - k for i, k in zip(initials, keys)]
        abbreviated = (FLAG_BAG | FLAG_ABBREVIATED, params.WEIGHT_ABBREVIATED_NAME)
        head = tail = total
        for k in range(1, n):
            head += swapped[k - 1]
            tail += swapped[n - k]
            entries.setdefault(bag_key_of_sum(head, n), abbreviated)
            entries.setdefault(bag_key_of_sum(tail, n), abbreviated)
        for initial in initials:
            entries.setdefault(initial, (FLAG_INITIAL, 0.0))

    def id_variants(self, kind: str, a: ValueAnalysis) -> set[int]:
        """Keyed hashes of an id column's numbers and their one-digit deletions."""
        return set(self.id_variant_keys(kind, [a])[1].tolist())

    def id_variant_keys(self, kind: str, analyses: list[ValueAnalysis]) -> tuple[np.ndarray, np.ndarray]:
        """``id_variants`` of many values at once: how many each has, and all of them, value by
        value (~10 a value, all distinct: keyed in one call, not memoized)."""
        if kind != KIND_ID:
            return np.zeros(len(analyses), dtype=np.int64), np.empty(0, dtype=np.uint64)
        flat = [d for a in analyses for d in a.id_numbers]
        numbers = " ".join(flat).encode()
        if _firstpass is None or not numbers.isascii():
            variants = [{v for d in a.id_numbers for v in one_digit_deletions(d)} for a in analyses]
            return _sizes(variants), self.hasher.many("v", list(chain.from_iterable(variants)))
        # The scanner's compiled variants of a line's numbers, with an empty range of years:
        # no number reads as a date, so every id number counts (as ``id_variants``).
        found = _firstpass.id_variant_keys(self.hasher.key, numbers, params.MIN_ID_DIGITS, 1, 0)
        keys = np.frombuffer(found, dtype=np.uint64)
        # a number of n digits has n + 1 variants (itself and n deletions)
        per_number = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat)) + 1
        owners = np.repeat(
            np.repeat(np.arange(len(analyses)), _sizes([a.id_numbers for a in analyses])), per_number
        )
        # A number's deletions repeat where two neighbouring digits are equal: keep one each.
        order = np.lexsort((keys, owners))
        keys, owners = keys[order], owners[order]
        keep = np.ones(len(keys), dtype=bool)
        keep[1:] = (keys[1:] != keys[:-1]) | (owners[1:] != owners[:-1])
        return np.bincount(owners[keep], minlength=len(analyses)), keys[keep]

    def prime(self, kind: str, analyses: list[ValueAnalysis]) -> None:
        """Key the tokens (and their initials) that the values' entries and shingles use in
        one call (``KeyedHasher.prime``), before they are looked up one by one. (Id numbers
        and dates are keyed in one call per column without a memo: ``_ValueNumbers``.)"""
        if kind == KIND_ID:
            analyses = [a for a in analyses if not a.id_numbers]
        elif kind == KIND_DATE:
            analyses = [a for a in analyses if not a.dates]
        tokens = {t for a in analyses for tokens in a.variants for t in tokens}
        tokens.update([t[0] for t in tokens])
        self.hasher.prime("t", tokens)

    def shingles(self, kind: str, a: ValueAnalysis) -> set[int]:
        """MinHash shingles: letter tokens, id numbers, dates. Common fields have none:
        sharing a facility and a status must not make two people look alike."""
        if kind == KIND_COMMON:
            return set()
        if kind == KIND_ID and a.id_numbers:  # not the "a" of every A-number
            return {self.hasher.id_number(d) for d in a.id_numbers}
        if kind == KIND_DATE and a.dates:
            return {self.hasher.date(d) for d in a.dates}
        keys = {k for tokens in a.variants for k in self.token_keys([t for t in tokens if not t.isdecimal()])}
        keys.update(self.hasher.id_number(d) for d in a.id_numbers)
        keys.update(self.hasher.date(d) for d in a.dates)
        return keys


# --- one chunk of rows (in a worker process) ------------------------------------------------


class _AnalysisMemo:
    """Analyses of a column's values seen lately: statuses and facilities repeat across
    chunks; names mostly do not, so the memo is dropped when it grows past its bound (their
    words are memoized instead)."""

    def __init__(self):
        self.values: dict[str, ValueAnalysis] = {}
        self.words = _WordMemo()

    def of(self, raw: str) -> ValueAnalysis:
        analysis = self.values.get(raw)
        if analysis is None:
            if len(self.values) >= params.BUILD_MEMO_VALUES:
                self.values.clear()
            analysis = self.words.analyse(raw) if " " in raw else analyse_value(raw)
            self.values[raw] = analysis
        return analysis


class _ChunkWorker:
    """The per-process state of the chunk jobs: the keyed hasher and the analysis memos."""

    def __init__(self, key: bytes, n_columns: int, profiles: list[ColumnProfile] | None):
        self.key = key
        self.builder = EntryBuilder(KeyedHasher(key))
        self.memos = [_AnalysisMemo() for _ in range(n_columns)]
        self.facts: list[dict[str, tuple[str, bool, bool]]] = [{} for _ in range(n_columns)]
        self.profiles = profiles

    def distinct_values(self, column: int, rows: list[list[str]]) -> tuple[list[str], np.ndarray]:
        """The column's distinct raw values in the chunk, and each row's value code."""
        index: dict[str, int] = {}
        codes = np.fromiter(
            (index.setdefault(row[column], len(index)) for row in rows), dtype=np.int64, count=len(rows)
        )
        return list(index), codes

    def distinct(self, column: int, rows: list[list[str]]) -> tuple[list[ValueAnalysis], np.ndarray]:
        """Analyses of the column's distinct values in the chunk, and each row's value code."""
        values, codes = self.distinct_values(column, rows)
        memo = self.memos[column]
        return [memo.of(raw) for raw in values], codes

    def distinct_facts(
        self, column: int, rows: list[list[str]]
    ) -> tuple[list[tuple[str, bool, bool]], np.ndarray]:
        """``value_facts`` of the column's distinct values in the chunk, and each row's value code."""
        values, codes = self.distinct_values(column, rows)
        memo = self.facts[column]
        if len(memo) >= params.BUILD_MEMO_VALUES:
            memo.clear()
        facts = []
        for raw in values:
            fact = memo.get(raw)
            if fact is None:
                fact = memo[raw] = value_facts(raw)
            facts.append(fact)
        return facts, codes


_worker: _ChunkWorker | None = None  # this process's, set by _start_worker


def _start_worker(key: bytes, n_columns: int, profiles: list[ColumnProfile] | None) -> None:
    """Set up this process's chunk worker; the second pass in the same process keeps the
    first pass's keyed hashes, and drops its facts."""
    global _worker
    if _worker is not None and _worker.key == key and len(_worker.memos) == n_columns and profiles:
        _worker.profiles = profiles
        _worker.facts = [{} for _ in range(n_columns)]
        return
    _worker = _ChunkWorker(key, n_columns, profiles)


# A chunk of rows on its way to a worker: one string (cells ended by U+001F, rows by U+001E),
# or the row lists themselves when a cell holds either character (``packed_rows``).
PackedRows = str | list[list[str]]
_CELL_END, _ROW_END = "\x1f", "\x1e"


def packed_rows(rows: list[list[str]]) -> PackedRows:
    """Rows packed for the trip to a worker: pickling one string costs the
    build's main process a fifth of pickling the rows' lists (~1.6 us a row). A cell holding
    a separator (a dataset is untrusted) shows in the separators' count: those rows go as
    they are."""
    text = _ROW_END.join([_CELL_END.join(row) for row in rows])
    cells = sum(map(len, rows))
    if text.count(_CELL_END) == cells - len(rows) and text.count(_ROW_END) == len(rows) - 1:
        return text
    return rows


def unpacked_rows(chunk: PackedRows) -> list[list[str]]:
    if isinstance(chunk, str):
        return [row.split(_CELL_END) for row in chunk.split(_ROW_END)]
    return chunk


def _kinds_job(chunk: PackedRows) -> list[tuple[np.ndarray, int, int]]:
    """Pass 1 over one chunk: per column, each row's identity hash, and how many of the rows
    hold a date, an id number."""
    assert _worker is not None
    rows = unpacked_rows(chunk)
    out = []
    for column in range(len(_worker.memos)):
        facts, codes = _worker.distinct_facts(column, rows)
        identities = identity_hashes(_worker.builder.hasher, [identity for identity, _, _ in facts])
        rows_per_value = np.bincount(codes, minlength=len(facts))
        dates = np.array([has_date for _, has_date, _ in facts], dtype=bool)
        ids = np.array([has_id for _, _, has_id in facts], dtype=bool)
        out.append((identities[codes], int(rows_per_value[dates].sum()), int(rows_per_value[ids].sum())))
    return out


@dataclass
class _ChunkEntries:
    """Pass 2's output for one chunk, every array in record order."""

    entry_counts: np.ndarray  # int64 per record
    keys: np.ndarray  # uint64
    columns: np.ndarray  # uint16
    flags: np.ndarray  # uint8
    bases: np.ndarray  # float32 weight before rarity
    signatures: np.ndarray  # uint32 (records x MINHASH_NUM_PERM)
    shingle_counts: np.ndarray  # uint16 per record
    variant_counts: np.ndarray  # int64 per record
    variant_keys: np.ndarray  # uint64


def _entries_job(chunk: PackedRows) -> _ChunkEntries:
    """Pass 2 over one chunk: every record's entries, signature and id-number variants."""
    assert _worker is not None and _worker.profiles is not None
    rows = unpacked_rows(chunk)
    parts = [
        _column_entries(_worker.builder, profile.kind, *_worker.distinct(column, rows))
        for column, profile in enumerate(_worker.profiles)
    ]
    n = len(rows)
    rec = np.concatenate([p.records for p in parts])
    col = np.concatenate([np.full(len(p.keys), c, dtype=np.uint16) for c, p in enumerate(parts)])
    order = np.argsort(rec, kind="stable")
    signatures, shingle_counts = _signatures(parts, n)
    variant_rec = np.concatenate([p.variant_records for p in parts])
    variant_order = np.argsort(variant_rec, kind="stable")
    return _ChunkEntries(
        entry_counts=np.bincount(rec, minlength=n),
        keys=np.concatenate([p.keys for p in parts])[order],
        columns=col[order],
        flags=np.concatenate([p.flags for p in parts])[order],
        bases=np.concatenate([p.bases for p in parts])[order],
        signatures=signatures,
        shingle_counts=shingle_counts,
        variant_counts=np.bincount(variant_rec, minlength=n),
        variant_keys=np.concatenate([p.variants for p in parts])[variant_order],
    )


@dataclass
class _ColumnEntries:
    """Per-record arrays of one column of a chunk, in record order."""

    records: np.ndarray
    keys: np.ndarray
    flags: np.ndarray
    bases: np.ndarray
    shingle_records: np.ndarray
    shingles: np.ndarray
    variant_records: np.ndarray
    variants: np.ndarray


def _column_entries(
    builder: EntryBuilder, kind: str, analyses: list[ValueAnalysis], codes: np.ndarray
) -> _ColumnEntries:
    """Entries of each distinct value once, spread to the records holding it."""
    builder.prime(kind, analyses)
    numbers = _ValueNumbers(builder.hasher, analyses)
    by_tokens = np.flatnonzero(~numbers.keyed_whole(kind))
    table = _TokenTable(builder, [analyses[i] for i in by_tokens.tolist()], by_tokens)
    entry_counts, keys, flags, bases = _value_entries(kind, numbers, table)
    shingle_counts, shingle_keys = _value_shingles(kind, numbers, table)
    variant_counts, variant_keys = builder.id_variant_keys(kind, analyses)
    entry_rows, entry_pos = _spread(codes, entry_counts)
    shingle_rows, shingle_pos = _spread(codes, shingle_counts)
    variant_rows, variant_pos = _spread(codes, variant_counts)
    return _ColumnEntries(
        entry_rows,
        keys[entry_pos],
        flags[entry_pos],
        bases[entry_pos],
        shingle_rows,
        shingle_keys[shingle_pos],
        variant_rows,
        variant_keys[variant_pos],
    )


class _ValueNumbers:
    """The id numbers and dates of many values as flat arrays (the value of each, its keyed
    hash), keyed in one call per kind without a memo (id numbers are mostly distinct)."""

    def __init__(self, hasher: KeyedHasher, analyses: list[ValueAnalysis]):
        self.count = len(analyses)
        number_counts = _sizes([a.id_numbers for a in analyses])
        date_counts = _sizes([a.dates for a in analyses])
        self.number_values = np.repeat(np.arange(self.count, dtype=np.int64), number_counts)
        self.number_keys = hasher.many("n", [d for a in analyses for d in a.id_numbers])
        self.date_values = np.repeat(np.arange(self.count, dtype=np.int64), date_counts)
        self.date_keys = hasher.many("d", [d for a in analyses for d in a.dates])
        self.has_numbers, self.has_dates = number_counts > 0, date_counts > 0

    def keyed_whole(self, kind: str) -> np.ndarray:
        """Which values are keyed by their id numbers or dates (not their tokens)."""
        if kind == KIND_ID:
            return self.has_numbers
        if kind == KIND_DATE:
            return self.has_dates
        return np.zeros(self.count, dtype=bool)


def _value_entries(
    kind: str, numbers: _ValueNumbers, table: _TokenTable
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``EntryBuilder.entries`` of many values at once: entries per value, then every
    value's keys, flags and base weights (in key order within a value)."""
    parts: list[tuple[np.ndarray, ...]] = []
    if kind == KIND_ID:  # a value with id numbers is keyed by them alone
        parts.append(_part(numbers.number_values, numbers.number_keys, FLAG_PREFILTER, params.WEIGHT_ID))
    elif kind == KIND_DATE:  # a value with dates is keyed by them alone
        parts.append(_part(numbers.date_values, numbers.date_keys, FLAG_PREFILTER, params.WEIGHT_DATE))
    parts += table.entries(common=kind == KIND_COMMON)
    values, keys, flags, bases, ranks = (np.concatenate(column) for column in zip(*parts))
    # One entry per (value, key): the heaviest, and of equal ones the first made (as the
    # dict of ``entries``: a token keeps its largest share, a name form its first writer).
    order = np.lexsort((ranks, -bases, keys, values))
    values, keys = values[order], keys[order]
    first = group_starts(values, keys)
    kept = order[first]
    return (
        np.bincount(values[first], minlength=numbers.count),
        keys[first],
        flags[kept].astype(np.uint8),
        bases[kept].astype(np.float32),
    )


def _value_shingles(kind: str, numbers: _ValueNumbers, table: _TokenTable) -> tuple[np.ndarray, np.ndarray]:
    """``EntryBuilder.shingles`` of many values at once: shingles per value, then all."""
    if kind == KIND_COMMON:
        return np.zeros(numbers.count, dtype=np.int64), np.empty(0, dtype=np.uint64)
    # an id column's numbers or a date column's dates; a text value's numbers and dates
    numbers_kept = ~numbers.has_dates[numbers.number_values] if kind == KIND_DATE else slice(None)
    dates_kept = ~numbers.has_numbers[numbers.date_values] if kind == KIND_ID else slice(None)
    all_values = np.concatenate(
        (
            table.values_of_tokens[table.letters],
            numbers.number_values[numbers_kept],
            numbers.date_values[dates_kept],
        )
    )
    all_keys = np.concatenate(
        (table.keys[table.letters], numbers.number_keys[numbers_kept], numbers.date_keys[dates_kept])
    )
    order = np.lexsort((all_keys, all_values))
    all_values, all_keys = all_values[order], all_keys[order]
    first = group_starts(all_values, all_keys)
    return np.bincount(all_values[first], minlength=numbers.count), all_keys[first]


# Ranks of a variant's entries in the order ``EntryBuilder.entries`` makes them: the whole
# value, its tokens, then its name forms and initials.
_RANKS_PER_VARIANT = 4096
_FORM_RANK = 2048


class _TokenTable:
    """The token sequences (variants) of many values as flat arrays: what their entries are
    made of (``EntryBuilder.entries``' text path, computed for all the values at once)."""

    def __init__(self, builder: EntryBuilder, analyses: list[ValueAnalysis], value_ids: np.ndarray):
        variants = [(i, tokens) for i, a in enumerate(analyses) for tokens in a.variants]
        tokens = [t for _, sequence in variants for t in sequence]
        memo = builder.hasher.memo("t")
        distinct = list(set(tokens))
        position = {t: p for p, t in enumerate(distinct)}
        index = np.fromiter(map(position.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        self.keys = np.fromiter(map(memo.__getitem__, distinct), dtype=np.uint64, count=len(distinct))[index]
        initial_keys = np.fromiter((memo[t[0]] for t in distinct), dtype=np.uint64, count=len(distinct))
        self.initial_keys = initial_keys[index]
        self.letters = np.fromiter((not t.isdecimal() for t in distinct), dtype=bool, count=len(distinct))[
            index
        ]
        self.looked_for = np.fromiter(
            (len(t.encode("utf-8", "surrogatepass")) >= params.PREFILTER_MIN_TOKEN_BYTES for t in distinct),
            dtype=bool,
            count=len(distinct),
        )[index]
        initial_ok = np.fromiter(
            (len(t) > 1 and t[0].isalpha() for t in distinct), dtype=bool, count=len(distinct)
        )
        self.lengths = np.fromiter((len(s) for _, s in variants), dtype=np.int64, count=len(variants))
        self.starts = offsets_of(self.lengths)[:-1]
        self.variant_values = value_ids[
            np.fromiter((i for i, _ in variants), dtype=np.int64, count=len(variants))
        ]
        self.variant_of_token = np.repeat(np.arange(len(variants), dtype=np.int64), self.lengths)
        self.values_of_tokens = self.variant_values[self.variant_of_token]
        self.positions = np.arange(len(tokens), dtype=np.int64) - self.starts[self.variant_of_token]
        # a variant is abbreviated when every token can give an initial
        bad = np.bincount(self.variant_of_token[~initial_ok[index]], minlength=len(variants))
        self.initials_ok = bad == 0

    def entries(self, common: bool) -> list[tuple[np.ndarray, ...]]:
        """(values, keys, flags, bases, ranks) of the entries, in parts; a rank orders the
        entries as ``EntryBuilder.entries`` makes them (variant by variant)."""
        n_variants = len(self.lengths)
        rank0 = np.arange(n_variants, dtype=np.int64) * _RANKS_PER_VARIANT
        whole = combined_keys(self.keys, self.starts, np.minimum(self.lengths, params.MAX_VALUE_TOKENS))
        parts = [_part(self.variant_values, whole, 0, params.WEIGHT_TEXT, rank0)]
        if common or n_variants == 0:
            return parts
        share = params.WEIGHT_TEXT * params.TOKEN_PARTIAL_FACTOR / np.maximum(self.lengths, 1)
        flags = np.where(self.looked_for, _TOKEN_PREFILTER, FLAG_TOKEN)
        token_ranks = rank0[self.variant_of_token] + 1 + np.minimum(self.positions, _FORM_RANK - 2)
        parts.append((self.values_of_tokens, self.keys, flags, share[self.variant_of_token], token_ranks))
        named = (self.lengths >= 2) & (self.lengths <= params.NAME_FORM_MAX_TOKENS)
        # each variant's sum of keys (modulo 2**64: uint64 sums wrap, as bag keys take them)
        running = np.concatenate((np.zeros(1, dtype=np.uint64), np.cumsum(self.keys, dtype=np.uint64)))
        sums = running[self.starts + self.lengths] - running[self.starts]
        v = np.flatnonzero(named)
        parts.append(
            _part(
                self.variant_values[v],
                bag_keys(sums[v], self.lengths[v]),
                FLAG_BAG,
                params.WEIGHT_TEXT,
                rank0[v] + _FORM_RANK,
            )
        )
        abbreviated = np.flatnonzero(named & self.initials_ok)
        swapped = self.initial_keys - self.keys  # wraps modulo 2**64, as the sums do
        head, tail = sums[abbreviated].copy(), sums[abbreviated].copy()
        lengths, starts = self.lengths[abbreviated], self.starts[abbreviated]
        for k in range(1, params.NAME_FORM_MAX_TOKENS):
            more = np.flatnonzero(lengths > k)
            head[more] += swapped[starts[more] + k - 1]
            tail[more] += swapped[starts[more] + lengths[more] - k]
            owners = self.variant_values[abbreviated[more]]
            ranks = rank0[abbreviated[more]] + _FORM_RANK + 2 * k
            form = FLAG_BAG | FLAG_ABBREVIATED
            parts.append(
                _part(
                    owners,
                    bag_keys(head[more], lengths[more]),
                    form,
                    params.WEIGHT_ABBREVIATED_NAME,
                    ranks - 1,
                )
            )
            parts.append(
                _part(
                    owners, bag_keys(tail[more], lengths[more]), form, params.WEIGHT_ABBREVIATED_NAME, ranks
                )
            )
        with_initials = np.isin(self.variant_of_token, abbreviated)
        parts.append(
            _part(
                self.values_of_tokens[with_initials],
                self.initial_keys[with_initials],
                FLAG_INITIAL,
                0.0,
                rank0[self.variant_of_token[with_initials]] + _FORM_RANK + 16 + self.positions[with_initials],
            )
        )
        return parts


def _part(
    values: np.ndarray, keys: np.ndarray, flag: int, base: float, ranks: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """(values, keys, flags, bases, ranks) of entries of one flag and base weight (ranks:
    all 0 when not given)."""
    return (
        values,
        keys,
        np.full(len(keys), flag, dtype=np.uint8),
        np.full(len(keys), base, dtype=np.float64),
        np.zeros(len(keys), dtype=np.int64) if ranks is None else np.asarray(ranks, dtype=np.int64),
    )


def _sizes(collections: list) -> np.ndarray:
    return np.fromiter(map(len, collections), dtype=np.int64, count=len(collections))


def _spread(codes: np.ndarray, per_value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Records and positions (into the per-value arrays) of every record's items."""
    per_row = per_value[codes]
    rows = np.repeat(np.arange(len(codes), dtype=np.int64), per_row)
    return rows, expand_ranges(offsets_of(per_value)[:-1][codes], per_row)


def _signatures(parts: list[_ColumnEntries], n: int) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures and distinct shingle counts per record."""
    rec = np.concatenate([p.shingle_records for p in parts]).astype(np.uint64)
    low = np.concatenate([p.shingles for p in parts]) & np.uint64(0xFFFFFFFF)
    pairs = sorted_unique((rec << np.uint64(32)) | low)
    counts = np.bincount((pairs >> np.uint64(32)).astype(np.int64), minlength=n)
    signatures = record_signatures(pairs & np.uint64(0xFFFFFFFF), offsets_of(counts))
    return signatures, np.minimum(counts, np.iinfo(np.uint16).max).astype(np.uint16)


# --- the passes (in the main process) -----------------------------------------------------


def default_memory_bytes() -> int:
    """A quarter of this machine's RAM."""
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 4


class _Build:
    """One build's temporary files and passes (see the module docstring)."""

    def __init__(self, source, key: bytes, folder: Path, memory_bytes: int, workers: int, progress):
        self.source, self.key, self.folder = source, key, folder
        self.workers = max(1, workers)
        self.memory = max(memory_bytes, params.BUILD_MIN_MEMORY_BYTES)
        self.progress = progress or (lambda stage, done, total: None)
        self.n_columns = len(source.columns)
        # Rows in flight: two chunks per worker queued or running, one being written.
        in_flight = (2 * self.workers + 1) * params.BUILD_BYTES_PER_ROW
        self.chunk_rows = int(min(max(self.memory // in_flight, 1000), params.BUILD_MAX_CHUNK_ROWS))
        self.records = 0

    def file(self, name: str, dtype, width: int | None = None) -> ArrayFile:
        return ArrayFile(self.folder / name, dtype, width)

    def spill(self, name: str, dtypes: dict, entries: int) -> PartitionedSpill:
        """A spill whose parts each fit a share of the memory budget once sorted (one part
        per worker is sorted in a thread while the build works on another), and are at most
        ``params.BUILD_MAX_PART_BYTES``: the budget bounds the build's memory, it is no target."""
        row_bytes = sum(np.dtype(d).itemsize for d in dtypes.values())
        in_memory = self.workers + 1
        parts = max(
            -(-entries * row_bytes * params.BUILD_SORT_OVERHEAD * in_memory // self.memory),
            -(-entries * row_bytes // params.BUILD_MAX_PART_BYTES),
        )
        return PartitionedSpill(
            self.folder,
            name,
            dtypes,
            int(min(max(parts, 1), params.BUILD_MAX_PARTS)),
            threads=self.workers,
        )

    def run_jobs(self, job, stage: str, profiles):
        total = self.records or None
        done = 0
        rows = self._rows(record_ids=profiles is None)
        for result in ordered_map(
            job, rows, self.workers, _start_worker, (self.key, self.n_columns, profiles)
        ):
            yield result
            done += self.chunk_rows
            self.progress(stage, min(done, total) if total else done, total)

    def _rows(self, record_ids: bool) -> Iterator[PackedRows]:
        for ids, rows in self.source.chunks(self.chunk_rows):
            if record_ids:
                self.ids.add(ids)
            yield packed_rows(rows)

    # -- pass 1 --------------------------------------------------------------------------
    def learn_columns(self) -> list[ColumnProfile]:
        self.ids = _RecordIdFiles(self, numbered=self.source.numbered)
        identities = [self.file(f"identity.{c}", np.uint64) for c in range(self.n_columns)]
        with_dates = np.zeros(self.n_columns, dtype=np.int64)
        with_ids = np.zeros(self.n_columns, dtype=np.int64)
        for result in self.run_jobs(_kinds_job, "learning columns", None):
            for c, (hashes, dates, ids) in enumerate(result):
                identities[c].append(hashes)
                with_dates[c] += dates
                with_ids[c] += ids
        self.records = self.ids.count
        if self.records == 0:
            raise DatasetError(f"no records in {self.source.path}")
        self.ids.check_unique(self.source.id_column)

        def profile(c: int) -> ColumnProfile:
            counts = _group_counts(np.array(identities[c].read()))
            identities[c].path.unlink()
            return profile_from_counts(self.source.columns[c], counts, int(with_dates[c]), int(with_ids[c]))

        # Columns sorted in threads (numpy's sort releases the GIL), as many at once as the
        # budget holds: a column's identities, filtered and sorted, are ~24 bytes a record.
        threads = min(self.workers, self.memory // (self.records * _SORTED_IDENTITY_BYTES))
        with concurrent.futures.ThreadPoolExecutor(max(1, threads)) as pool:
            return list(pool.map(profile, range(self.n_columns)))

    # -- pass 2 and 3 --------------------------------------------------------------------
    def fingerprint(self, profiles: list[ColumnProfile]) -> dict[str, ArrayFile | np.ndarray]:
        out: dict[str, ArrayFile | np.ndarray] = {}
        names = {
            "entry_keys": np.uint64,
            "entry_columns": np.uint16,
            "entry_flags": np.uint8,
            "entry_bases": np.float32,
            "entry_counts": np.int64,
            "shingle_counts": np.uint16,
            "variant_counts": np.int64,
            "id_variant_keys": np.uint64,
        }
        files = {name: self.file(name, dtype) for name, dtype in names.items()}
        files["minhashes"] = self.file("minhashes", np.uint32, params.MINHASH_NUM_PERM)
        df_spill = self.spill("df", {"key": np.uint64, "entry": np.int64}, self.records * self.n_columns * 4)
        entries = 0
        for chunk in self.run_jobs(_entries_job, "fingerprinting", profiles):
            for name, values in (
                ("entry_keys", chunk.keys),
                ("entry_columns", chunk.columns),
                ("entry_flags", chunk.flags),
                ("entry_bases", chunk.bases),
                ("entry_counts", chunk.entry_counts),
                ("shingle_counts", chunk.shingle_counts),
                ("variant_counts", chunk.variant_counts),
                ("id_variant_keys", chunk.variant_keys),
                ("minhashes", chunk.signatures),
            ):
                files[name].append(values)
            df_spill.append(
                _salted(chunk.keys, chunk.columns), entry=np.arange(entries, entries + len(chunk.keys))
            )
            entries += len(chunk.keys)
        entry_df = self._entry_frequencies(df_spill, entries)
        entry_offsets = offsets_of(np.array(files["entry_counts"].read()))
        out.update(self._weights_and_tables(files, entry_offsets, profiles, entry_df))
        out["entry_offsets"] = entry_offsets
        out["id_variant_offsets"] = offsets_of(np.array(files["variant_counts"].read()))
        for name in (
            "entry_keys",
            "entry_columns",
            "entry_flags",
            "minhashes",
            "shingle_counts",
            "id_variant_keys",
        ):
            out[name] = files[name]
        out.update(self._lsh_tables(files["minhashes"], files["shingle_counts"]))
        return out

    def _entry_frequencies(self, spill: PartitionedSpill, total: int) -> ArrayFile:
        """Each entry's document frequency (how many entries hold its key in its column), in
        entry order, by an external join: each part of the spill (keys of a range) is sorted
        and counted, and every (entry, df) goes to a second spill routed by entry ranges,
        whose parts sorted by entry are the frequencies in entry order. Memory is one part,
        at any number of records (a table of the distinct keys would be ~90 bytes a record:
        9 GB at 100 million)."""
        shift = np.uint64(64 - max(total - 1, 1).bit_length())  # entry ranges in the top bits
        by_entry = self.spill("df_by_entry", {"key": np.uint64, "df": np.uint32}, total)
        for part in spill.sorted_parts():
            keys = part["key"]
            if len(keys) == 0:
                continue
            starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
            counts = np.diff(np.append(starts, len(keys)))
            by_entry.append(part["entry"].astype(np.uint64) << shift, df=np.repeat(counts, counts))
        frequencies = self.file("entry_df", np.uint32)
        for part in by_entry.sorted_parts():
            frequencies.append(part["df"])
        return frequencies

    def _weights_and_tables(
        self, files, offsets, profiles, entry_df: ArrayFile
    ) -> dict[str, ArrayFile | np.ndarray]:
        keys, cols, flags, bases = (
            files[name] for name in ("entry_keys", "entry_columns", "entry_flags", "entry_bases")
        )
        weights = self.file("entry_weights", np.float32)
        total = keys.length
        candidates = self.spill(
            "candidates", {"key": np.uint64, "record": np.int32, "is_token": np.uint8}, total
        )
        paired = self.spill("paired", {"key": np.uint64, "record": np.int32}, total)
        prefilter = self.spill("prefilter", {"key": np.uint64}, total)
        known = self.spill("known", {"key": np.uint64}, total)
        # (date, word) pairs for the date-word test (``FingerprintSet.date_word_keys``): only a
        # dataset of fewer than two text columns has that test. Their reach and the (date, two
        # words) anchors (``date_name_facts``) only with one date column: a record's two dates
        # could match a line without a word of it.
        date_words = (
            self.spill("date_words", {"key": np.uint64, "reach": np.float32}, total)
            if numbers_needed(profiles)
            else None
        )
        common = np.array([p.kind == KIND_COMMON for p in profiles], dtype=bool)
        date_column = np.array([p.kind == KIND_DATE for p in profiles], dtype=bool)
        date_names = (
            self.spill("date_names", {"key": np.uint64}, total)
            if date_words is not None and date_column.sum() == 1
            else None
        )
        n = self.records
        for r0, r1 in _record_blocks(offsets, params.BUILD_BLOCK_ENTRIES):
            e0, e1 = int(offsets[r0]), int(offsets[r1])
            key, col, flag = keys.read_range(e0, e1), cols.read_range(e0, e1), flags.read_range(e0, e1)
            rec = np.repeat(np.arange(r0, r1, dtype=np.int32), np.diff(offsets[r0 : r1 + 1]))
            d = entry_df.read_range(e0, e1).astype(np.float64)
            is_common = common[col]
            block_weights = np.where(
                is_common,
                params.COMMON_WEIGHT_PER_BIT * np.log2(max(n, 1) / d),
                bases.read_range(e0, e1) * d**-params.RARITY_EXPONENT,
            )
            weights.append(block_weights)
            # An initial letter is no rare value, however few records have it (a "q" in any
            # line), nor are the keys of name forms, which no line holds as such.
            evidence = ~is_common & ((flag & (FLAG_INITIAL | FLAG_BAG)) == 0)
            proposes = evidence & (d <= params.CANDIDATE_MAX_DF)
            candidates.append(
                key[proposes],
                record=rec[proposes],
                is_token=((flag[proposes] & FLAG_TOKEN) > 0).astype(np.uint8),
            )
            # Whole values (names, dates, ids) too common to propose alone propose in pairs;
            # the tokens of a name do not (the whole name or a date is in any line they help).
            in_pairs = evidence & (d > params.CANDIDATE_MAX_DF) & (d <= params.PAIRED_MAX_DF)
            in_pairs &= (flag & FLAG_TOKEN) == 0
            paired.append(key[in_pairs], record=rec[in_pairs])
            if date_words is not None:
                listed_dates = (proposes | in_pairs) & date_column[col]
                facts = date_name_facts(
                    key, col, flag, block_weights.astype(np.float32), rec, listed_dates, is_common
                )
                date_words.append(facts.pair_keys, reach=facts.pair_reach.astype(np.float32))
                if date_names is not None:
                    date_names.append(sorted_unique(facts.anchor_keys))
            # Id numbers and dates at any frequency, name tokens when rare (params).
            looked_for = ~is_common & ((flag & FLAG_PREFILTER) > 0)
            looked_for &= ((flag & FLAG_TOKEN) == 0) | (d <= params.PREFILTER_MAX_DF)
            prefilter.append(sorted_unique(key[looked_for]))
            known.append(sorted_unique(key))
            self.progress("weighing", r1, n)
        out: dict[str, ArrayFile | np.ndarray] = {"entry_weights": weights}
        candidate_files = self._parts_to_files(
            "candidate", candidates, {"key": "keys", "record": "records", "is_token": "is_token"}
        )
        out.update(candidate_files)
        out["candidate_buckets"] = _bucket_offsets_of_file(candidate_files["candidate_keys"])
        out.update(self._parts_to_files("paired", paired, {"key": "keys", "record": "records"}))
        out["prefilter_keys"] = self._unique_parts_to_file("prefilter_keys", prefilter)
        known_keys = self._unique_parts_to_file("known_keys", known)
        out["known_keys"] = known_keys
        out["known_bits"] = self._bits_of_file("known_bits", known_keys)
        out["known_buckets"] = _bucket_offsets_of_file(known_keys)
        if date_words is not None:
            pairs, reach = self._highest_by_key_to_files("date_word", date_words, "reach")
            out["date_word_keys"] = pairs
            out["date_word_bits"] = self._bits_of_file("date_word_bits", pairs)
            if date_names is not None:
                out["date_word_reach"] = reach
                anchors = self._unique_parts_to_file("date_name_keys", date_names)
                out["date_name_keys"] = anchors
                out["date_name_bits"] = self._bits_of_file("date_name_bits", anchors)
        return out

    def _highest_by_key_to_files(
        self, prefix: str, spill: PartitionedSpill, column: str
    ) -> tuple[ArrayFile, ArrayFile]:
        """The spill's distinct keys (sorted) and, aligned, the highest ``column`` of each."""
        keys, highest = (
            self.file(f"{prefix}_keys", np.uint64),
            self.file(f"{prefix}_{column}", spill.dtypes[column]),
        )
        for part in spill.sorted_parts():
            if len(part["key"]) == 0:
                continue
            starts = np.flatnonzero(group_starts(part["key"]))
            keys.append(part["key"][starts])
            highest.append(np.maximum.reduceat(part[column], starts))
        return keys, highest

    def _bits_of_file(self, name: str, keys: ArrayFile) -> ArrayFile:
        """The keys' bitset (``arrays.KeyBitset``), set block by block, then written to a file
        of its own: one bitset in memory at a time (~2 bytes a key, a GiB at 100M records)."""
        bits = KeyBitset.empty_bits(keys.length)
        for start in range(0, keys.length, params.BUILD_BLOCK_ENTRIES):
            KeyBitset.set_bits(bits, keys.read_range(start, start + params.BUILD_BLOCK_ENTRIES))
        file = self.file(name, np.uint8)
        file.append(bits)
        return file

    def _parts_to_files(
        self, prefix: str, spill: PartitionedSpill, names: dict[str, str]
    ) -> dict[str, ArrayFile]:
        files = {
            column: self.file(f"{prefix}_{name}", spill.dtypes[column]) for column, name in names.items()
        }
        for part in spill.sorted_parts():
            for column, file in files.items():
                file.append(part[column])
        return {f"{prefix}_{names[column]}": file for column, file in files.items()}

    def _unique_parts_to_file(self, name: str, spill: PartitionedSpill) -> ArrayFile:
        file = self.file(name, np.uint64)
        for part in spill.sorted_parts():
            file.append(sorted_unique(part["key"]))
        return file

    def _lsh_tables(self, minhashes: ArrayFile, shingle_counts: ArrayFile) -> dict[str, ArrayFile]:
        bands = params.MINHASH_NUM_PERM // params.LSH_ROWS
        spill = self.spill("lsh", {"key": np.uint64, "record": np.int32}, self.records * bands)
        step = max(1, params.BUILD_BLOCK_ENTRIES // params.MINHASH_NUM_PERM)
        for r0 in range(0, self.records, step):
            with_shingles = np.flatnonzero(shingle_counts.read_range(r0, r0 + step))
            if len(with_shingles):
                keys = band_keys(minhashes.read_range(r0, r0 + step)[with_shingles])
                records = (r0 + with_shingles).astype(np.int32)
                spill.append(keys.reshape(-1), record=np.repeat(records, bands))
        files = self._parts_to_files("lsh", spill, {"key": "keys", "record": "records"})
        return files


class _RecordIdFiles:
    """Record ids as they stream by: row numbers, or UTF-8 ids with lengths (and hashes, to
    find a repeated id without holding the ids)."""

    def __init__(self, build: _Build, numbered: bool):
        self.numbered = numbered
        self.count = 0
        if numbered:
            self.numbers = build.file("row_numbers", np.int64)
        else:
            self.blob = build.file("record_id_bytes", np.uint8)
            self.lengths = build.file("record_id_lengths", np.int64)
            self.hashes = build.file("record_id_hashes", np.uint64)

    def add(self, ids: list[str]) -> None:
        self.count += len(ids)
        if self.numbered:
            self.numbers.append(np.array([int(i) for i in ids], dtype=np.int64))
            return
        encoded = [i.encode("utf-8", "surrogatepass") for i in ids]
        self.blob.append(np.frombuffer(b"".join(encoded), dtype=np.uint8))
        self.lengths.append(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
        self.hashes.append(
            np.array(
                [int.from_bytes(hashlib.blake2b(e, digest_size=8).digest(), "little") for e in encoded],
                dtype=np.uint64,
            )
        )

    def check_unique(self, id_column: str | None) -> None:
        if self.numbered:
            return
        hashes = np.array(self.hashes.read())
        order = np.argsort(hashes, kind="stable")
        repeats = np.flatnonzero(hashes[order][1:] == hashes[order][:-1])
        if len(repeats):
            offsets = offsets_of(np.array(self.lengths.read()))
            first = int(order[repeats[0] + 1])
            blob = self.blob.read()
            repeated = bytes(blob[offsets[first] : offsets[first + 1]]).decode("utf-8", "surrogatepass")
            raise DatasetError(f"duplicate id {repeated!r} in column {id_column!r}; ids must be unique")

    def arrays(self) -> dict[str, ArrayFile | np.ndarray]:
        if self.numbered:
            return {"row_numbers": self.numbers}
        return {"record_id_offsets": offsets_of(np.array(self.lengths.read())), "record_id_bytes": self.blob}


def word_entries(flags: np.ndarray, is_common: np.ndarray) -> np.ndarray:
    """Which entries may be a word a line shows, in a distinctive field and not as an
    initial (what ``first_pass.DateWordTest`` asks of a record): the tokens of values
    (``FLAG_TOKEN``; an initial is flagged ``FLAG_INITIAL`` alone) not of a common column.
    Other entries are never a word's key: a whole value's key is a chain of its tokens' keys
    (``keys.combine_keys``, even of one token), a name form's a bag key, id numbers and dates
    are keyed with their own prefixes."""
    return ~is_common & ((flags & FLAG_TOKEN) > 0)


@dataclass
class DateNameFacts:
    """What ``first_pass.DateWordTest`` asks of the records of a block beyond their (date,
    word) pairs, so as to drop a line whose only numbers are dates when no rule of the matcher
    could take it for a record born on one of them (see ``date_name_facts``)."""

    pair_keys: np.ndarray  # uint64 ``date_word_keys`` of (listed date, word) of one record
    pair_reach: np.ndarray  # float64, aligned: the most that word and that date bring it
    anchor_keys: np.ndarray  # uint64 ``date_word_keys`` of (listed date, ``word_pair_keys``)


def date_name_facts(
    keys: np.ndarray,
    columns: np.ndarray,
    flags: np.ndarray,
    weights: np.ndarray,
    records: np.ndarray,
    listed_dates: np.ndarray,
    is_common: np.ndarray,
) -> DateNameFacts:
    """For entries in record order (``keys``, ``columns``, ``flags``, their float32
    ``weights`` as the file holds them, their ``records``; ``listed_dates`` marks a date
    the postings list, ``is_common`` an entry of a common column), per record R and listed
    date d of R:

    - each (d, word) pair, word a token of R in a distinctive field (``word_entries``), with
      its *reach*: the sum of R's token entries of that key and d's weight, or infinity when
      the word alone is one of R's whole values ("Maria", "Ly Ly"). A line whose only
      numbers are dates brings R no other evidence than its whole values, its names' forms and
      the summed tokens (and common fields): if R's name is found only in part, its score
      needs ``params.MIN_PARTIAL_NAME_AND_DATE`` from the tokens and the date, which the
      reaches of the line's words beside d add up to at least; a record born that day
      sharing only a common given name with the line reaches ~0.02 at 10 million records.
    - anchors (d, two words): a whole value or name form of R is found only when two of its
      words are, so each pair of R's distinct tokens of one column; an abbreviated form
      ("J. Garcia") only with one of its tokens and one of its initials, so each (token,
      initial) pair of that column, when the forms of R could count: a form shared by at
      most ``INITIALS_WITH_DATE_MAX_DF`` records (``params.MIN_INITIALS_WEIGHT``), or one
      that with d reaches ``MIN_PARTIAL_NAME_AND_DATE``.

    The records' entries are read as the file holds them, so a file built without these
    arrays can be given them afterwards with the same result."""
    dates_at = np.flatnonzero(listed_dates)
    word_keys, word_records, reach = _distinct_words_reach(keys, flags, weights, records, is_common)
    pair_at, date_of_pair = _same_record(word_records, records[dates_at])
    pair_keys = date_word_keys(keys[dates_at][date_of_pair], word_keys[pair_at])
    pair_reach = reach[pair_at] + weights[dates_at][date_of_pair].astype(np.float64)
    anchor_records, anchors = _name_anchors(keys, columns, flags, weights, records, dates_at, is_common)
    anchor_at, date_of_anchor = _same_record(anchor_records, records[dates_at])
    anchor_keys = date_word_keys(keys[dates_at][date_of_anchor], anchors[anchor_at])
    return DateNameFacts(pair_keys, pair_reach, anchor_keys)


def _distinct_words_reach(
    keys: np.ndarray, flags: np.ndarray, weights: np.ndarray, records: np.ndarray, is_common: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each record's distinct words (``word_entries``; entries as ``date_name_facts`` takes
    them): their keys, records (sorted) and reach without a date: the sum of the record's
    token entries of that key (a token twice, in two fields), or infinity when the word
    alone is one of its whole values."""
    at = np.flatnonzero(word_entries(flags, is_common))
    at = at[np.lexsort((keys[at], records[at]))]
    starts = np.flatnonzero(group_starts(records[at], keys[at]))
    word_keys, word_records = keys[at][starts], records[at][starts]
    word_sums = np.add.reduceat(weights[at].astype(np.float64), starts) if len(at) else np.zeros(0)
    whole = ~is_common & ((flags & (FLAG_TOKEN | FLAG_BAG | FLAG_INITIAL)) == 0)
    whole_salted = sorted_unique(keys[whole] ^ records[whole].astype(np.uint64) * _RECORD_SALT)
    word_salt = word_records.astype(np.uint64) * _RECORD_SALT
    alone = np.zeros(len(word_keys), dtype=bool)
    for times in range(1, params.MAX_VALUE_TOKENS + 1):
        alone |= sorted_contains(whole_salted, repeated_token_keys(word_keys, times) ^ word_salt)
    return word_keys, word_records, np.where(alone, np.inf, word_sums)


def _name_anchors(
    keys: np.ndarray,
    columns: np.ndarray,
    flags: np.ndarray,
    weights: np.ndarray,
    records: np.ndarray,
    dates_at: np.ndarray,
    is_common: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The records (sorted) and ``word_pair_keys`` of their anchors (entries as
    ``date_name_facts`` takes them; ``dates_at``, the listed dates' entries): each pair of a
    record's distinct tokens of one column, and each (token, initial) pair of a column where
    the record's abbreviated forms could count."""
    record_column = (
        records.astype(np.int64) * params.MAX_DATASET_COLUMNS + columns
    )  # (record, column) in order
    distinctive = ~is_common
    tokens = np.flatnonzero(word_entries(flags, is_common))
    tokens = tokens[np.lexsort((keys[tokens], record_column[tokens]))]
    tokens = tokens[group_starts(record_column[tokens], keys[tokens])]
    first, second = _pairs_in_groups(record_column[tokens])
    anchor_first, anchor_second = keys[tokens[first]], keys[tokens[second]]
    anchor_records = records[tokens[first]]
    abbreviated = distinctive & ((flags & (FLAG_BAG | FLAG_ABBREVIATED)) == (FLAG_BAG | FLAG_ABBREVIATED))
    initials = np.flatnonzero(distinctive & ((flags & FLAG_INITIAL) > 0))
    if len(initials) and abbreviated.any():
        strongest = np.zeros(int(records[-1]) + 1 - int(records[0]))
        np.maximum.at(strongest, records[abbreviated] - records[0], weights[abbreviated].astype(np.float64))
        date_weight = np.zeros_like(strongest)
        np.maximum.at(date_weight, records[dates_at] - records[0], weights[dates_at].astype(np.float64))
        counts = (strongest >= params.MIN_INITIALS_WEIGHT) | (
            strongest + date_weight >= params.MIN_PARTIAL_NAME_AND_DATE
        )
        initials = initials[counts[records[initials] - records[0]]]
        initials = initials[np.argsort(record_column[initials], kind="stable")]
        initial_at, token_at = _same_record(record_column[initials], record_column[tokens])
        anchor_first = np.concatenate((anchor_first, keys[tokens[token_at]]))
        anchor_second = np.concatenate((anchor_second, keys[initials[initial_at]]))
        anchor_records = np.concatenate((anchor_records, records[tokens[token_at]]))
    order = np.argsort(anchor_records, kind="stable")
    return anchor_records[order], word_pair_keys(anchor_first, anchor_second)[order]


def date_name_arrays(fingerprints: FingerprintSet) -> dict[str, np.ndarray]:
    """``date_word_reach``, ``date_name_keys`` and ``date_name_bits`` of a file built before
    them, from its entries and postings, record block by record block: what the build writes
    (``date_name_facts``; a date's entry is listed when the postings list its key). None for
    a file without the (date, word) pairs or with other than one date column. Memory: the
    pairs and anchors, sorted (~25 million pairs and as many anchors at 10 million records)."""
    fp = fingerprints
    date_column = np.array([c.kind == KIND_DATE for c in fp.columns], dtype=bool)
    if len(fp.date_word_keys) == 0 or date_column.sum() != 1:
        return {}
    common = fp.common_columns
    pair_keys, pair_reach, anchors = [], [], []
    for r0, r1 in _record_blocks(fp.entry_offsets, params.BUILD_BLOCK_ENTRIES):
        e0, e1 = int(fp.entry_offsets[r0]), int(fp.entry_offsets[r1])
        key, col = np.asarray(fp.entry_keys[e0:e1]), np.asarray(fp.entry_columns[e0:e1])
        rec = np.repeat(np.arange(r0, r1, dtype=np.int32), np.diff(fp.entry_offsets[r0 : r1 + 1]))
        listed = date_column[col]
        listed[listed] = sorted_contains(fp.candidate_keys, key[listed]) | sorted_contains(
            fp.paired_keys, key[listed]
        )
        facts = date_name_facts(
            key,
            col,
            np.asarray(fp.entry_flags[e0:e1]),
            np.asarray(fp.entry_weights[e0:e1]),
            rec,
            listed,
            common[col],
        )
        pair_keys.append(facts.pair_keys)
        pair_reach.append(facts.pair_reach.astype(np.float32))
        anchors.append(sorted_unique(facts.anchor_keys))
    keys, reach = np.concatenate(pair_keys), np.concatenate(pair_reach)
    order = np.argsort(keys, kind="stable")
    keys, reach = keys[order], reach[order]
    starts = np.flatnonzero(group_starts(keys))
    if not np.array_equal(keys[starts], fp.date_word_keys):
        raise FingerprintFileError("fingerprint file's (date, word) pairs are not its records'")
    anchor_keys = sorted_unique(np.concatenate(anchors))
    return {
        "date_word_reach": np.maximum.reduceat(reach, starts) if len(keys) else reach,
        "date_name_keys": anchor_keys,
        "date_name_bits": KeyBitset.bits_of(anchor_keys),
    }


def _same_record(sorted_owners: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (i, j) with ``sorted_owners[i] == owners[j]`` (``sorted_owners`` sorted), as two
    aligned index arrays, j non-decreasing."""
    first = np.searchsorted(sorted_owners, owners, side="left")
    counts = np.searchsorted(sorted_owners, owners, side="right") - first
    return expand_ranges(first, counts), np.repeat(np.arange(len(owners)), counts)


def _pairs_in_groups(sorted_groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (i, j), i < j, of positions in the same group (``sorted_groups`` sorted)."""
    ends = np.searchsorted(sorted_groups, sorted_groups, side="right")
    counts = ends - np.arange(len(sorted_groups)) - 1
    return np.repeat(np.arange(len(sorted_groups)), counts), expand_ranges(
        np.arange(len(sorted_groups)) + 1, counts
    )


def _salted(keys: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """A key per (keyed value, column): the same name in two columns counts apart."""
    return keys ^ (columns.astype(np.uint64) * _COLUMN_SALT)


def _group_counts(values: np.ndarray) -> np.ndarray:
    """How many times each distinct non-zero value occurs."""
    values = np.sort(values[values != 0])
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    return np.diff(np.append(starts, len(values)))


def _record_blocks(offsets: np.ndarray, entries: int) -> Iterator[tuple[int, int]]:
    """Consecutive record ranges holding about ``entries`` entries each."""
    n = len(offsets) - 1
    r0 = 0
    while r0 < n:
        r1 = int(np.searchsorted(offsets, offsets[r0] + entries, side="right")) - 1
        r1 = min(max(r1, r0 + 1), n)
        yield r0, r1
        r0 = r1


def _bucket_offsets_of_file(keys: ArrayFile) -> np.ndarray:
    """The sorted keys' bucket index (``arrays.bucket_offsets``), counted block by block."""
    counter = BucketCounter(keys.length)
    for start in range(0, keys.length, params.BUILD_BLOCK_ENTRIES):
        counter.add(keys.read_range(start, start + params.BUILD_BLOCK_ENTRIES))
    return counter.offsets()


# --- public ----------------------------------------------------------------------------------


class RowsSource:
    """Rows already in memory, as a dataset source (``readers.DatasetSource``'s interface)."""

    def __init__(self, columns: list[str], rows: list[list[str]], record_ids, id_column: str | None):
        self.columns, self.rows, self.record_ids, self.id_column = list(columns), rows, record_ids, id_column
        self.path = Path("<rows>")
        self.numbered = id_column is None and all(str(i).isdigit() for i in record_ids)

    def chunks(self, size: int) -> Iterator[tuple[list[str], list[list[str]]]]:
        width = len(self.columns)
        for start in range(0, len(self.rows), size):
            rows = [
                row[:width] if len(row) >= width else row + [""] * (width - len(row))
                for row in self.rows[start : start + size]
            ]
            yield [str(i) for i in self.record_ids[start : start + size]], rows


def build_fingerprint_file(
    source,
    key: bytes,
    out: str | Path,
    memory_bytes: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Path:
    """Fingerprint a dataset source (``readers.open_dataset`` or ``RowsSource``) into a file,
    in bounded memory; temporary files live in a folder beside ``out`` and are removed."""
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=".leaktrack-build-", dir=out.parent))
    except OSError as error:
        raise FingerprintFileError(
            f"cannot write fingerprint file {out}: {error.strerror or error}"
        ) from None
    try:
        with _collector_paused():
            _build_into(out, folder, source, key, memory_bytes, workers, progress)
    except OSError as error:  # a full disk while spilling: the user's to fix
        raise FingerprintFileError(
            f"cannot build fingerprint file {out}: {error.strerror or error}"
        ) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        _drop_worker()
    return out


def _build_into(
    out: Path,
    folder: Path,
    source,
    key: bytes,
    memory_bytes: int | None,
    workers: int | None,
    progress: Progress | None,
) -> None:
    """The build's passes, temporary files in ``folder``, the fingerprint file at ``out``."""
    build = _Build(
        source,
        key,
        folder,
        memory_bytes or default_memory_bytes(),
        workers or default_workers(),
        progress,
    )
    profiles = build.learn_columns()
    arrays = build.fingerprint(profiles)
    arrays.update(build.ids.arrays())
    header = {
        "dataset_id": new_dataset_id(),
        "columns": [vars(c) for c in profiles],
        "id_column": source.id_column,
        "key_check": KeyedHasher(key).key_check(),
        "minhash_seed": params.MINHASH_SEED,
    }
    write_fingerprint_file(out, arrays, header)
    entry_keys = arrays["entry_keys"]
    entries = entry_keys.length if isinstance(entry_keys, ArrayFile) else len(entry_keys)
    log.info("fingerprinted %d records, %d evidence entries", build.records, entries)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the build (and in its workers, forked while it
    is off). The build makes millions of short-lived containers (rows, analyses, memo entries)
    and no reference cycles, so reference counting frees all of it; with the collector on,
    its passes over the rows in flight and the memos cost ~30% of a worker's CPU."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _drop_worker() -> None:
    """Free this process's analysis memos once a build is over."""
    global _worker
    _worker = None


def build_fingerprint_set(
    columns: list[str],
    rows: list[list[str]],
    record_ids,
    key: bytes,
    id_column: str | None = None,
    workers: int | None = None,
) -> FingerprintSet:
    """Fingerprint records in memory (raw string cells aligned with ``columns``): built
    through a temporary file like any dataset, then mapped."""
    with tempfile.TemporaryDirectory(prefix="leaktrack-build-") as folder:
        path = build_fingerprint_file(
            RowsSource(columns, rows, record_ids, id_column), key, Path(folder) / "fp.ltfp", workers=workers
        )
        fingerprints = FingerprintSet.open(path)  # the mapping outlives the file's name
    fingerprints.key = key
    return fingerprints


def fingerprint_dataset_file(
    dataset_path: str | Path,
    out: str | Path,
    key_file: str | Path,
    id_column: str | None = None,
    columns: list[str] | None = None,
    memory_bytes: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> tuple[FingerprintSet, Path]:
    """Read a dataset, fingerprint it with the key (created if absent) and save the file."""
    from .readers import open_dataset  # the readers pull in openpyxl

    source = open_dataset(dataset_path, id_column=id_column, columns=columns)
    if len(source.columns) < params.MIN_EVIDENCE_FIELDS:
        raise DatasetError(
            f"{dataset_path} has {len(source.columns)} column(s) to fingerprint; a copy is only "
            f"told from a coincidence by {params.MIN_EVIDENCE_FIELDS} fields of a record together"
        )
    key = load_or_create_key(key_file)
    path = build_fingerprint_file(source, key, out, memory_bytes, workers, progress)
    fingerprints = FingerprintSet.open(path)
    fingerprints.key = key
    return fingerprints, path
