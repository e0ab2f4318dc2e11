"""Build a FingerprintSet from a dataset: learn column kinds, key every value, weigh it.

Work is done once per *distinct* value of a column (a facility shared by 10,000 records is
analysed once), then spread to the records with numpy, so that a million records build in
well under a minute.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np

from .. import home
from ..errors import DatasetError
from . import params
from .arrays import KeyBitset, expand_ranges, group_sizes, offsets_of, sorted_unique
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
)
from .keys import KeyedHasher, bag_key, combine_keys, load_or_create_key
from .minhash import lsh_tables, record_signatures
from .normalize import (
    MONTHS,
    digit_date_readings,
    fold_text,
    folded_tokens,
    id_number,
    one_digit_deletions,
    textual_dates,
    transliterated_tokens,
)

log = logging.getLogger(__name__)
_COLUMN_SALT = np.uint64(0x9E3779B97F4A7C15)


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
    variants = [native] if folded.isascii() else [native] + transliterated_tokens(raw, native)
    ids = [t for t in native if id_number(t)]
    dates = {d for t in native if t.isdigit() for d in digit_date_readings(t)}
    if any(t in MONTHS for t in native):
        dates.update(textual_dates(native))
    return ValueAnalysis(variants, ids, sorted(dates))


def profile_column(name: str, analyses: list[ValueAnalysis], rows_per_value: np.ndarray) -> ColumnProfile:
    """Learn a column's kind from its distinct values and how many rows hold each."""
    rows_of: dict[tuple[str, ...], int] = {}
    for a, rows in zip(analyses, rows_per_value.tolist()):
        if a.variants:
            identity = tuple(a.variants[0])
            rows_of[identity] = rows_of.get(identity, 0) + rows
    present = sum(rows_of.values())
    if not present:
        return ColumnProfile(name, KIND_COMMON, 0.0, 0.0)
    unique_share = sum(1 for rows in rows_of.values() if rows == 1) / present
    shares = np.array(list(rows_of.values()), dtype=np.float64) / present
    bits = float(-(shares * np.log2(shares)).sum())  # entropy of the column's values
    with_dates = sum(r for a, r in zip(analyses, rows_per_value.tolist()) if a.dates)
    with_ids = sum(r for a, r in zip(analyses, rows_per_value.tolist()) if a.id_numbers)
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
    """Turns analysed values into evidence entries (key -> flags, base weight) and shingles."""

    def __init__(self, hasher: KeyedHasher):
        self.hasher = hasher

    def entries(self, kind: str, a: ValueAnalysis) -> dict[int, tuple[int, float]]:
        if kind == KIND_ID and a.id_numbers:
            return {self.hasher.id_number(d): (FLAG_PREFILTER, params.WEIGHT_ID) for d in a.id_numbers}
        if kind == KIND_DATE and a.dates:
            return {self.hasher.date(d): (FLAG_PREFILTER, params.WEIGHT_DATE) for d in a.dates}
        entries: dict[int, tuple[int, float]] = {}
        for tokens in a.variants:
            keys = [self.hasher.token(t) for t in tokens]
            entries[combine_keys(keys[: params.MAX_VALUE_TOKENS])] = (0, params.WEIGHT_TEXT)
            if kind != KIND_COMMON:
                share = params.WEIGHT_TEXT * params.TOKEN_PARTIAL_FACTOR / len(keys)
                for t, k in zip(tokens, keys):
                    if k not in entries or entries[k][1] < share:
                        prefilter = len(t.encode()) >= params.PREFILTER_MIN_TOKEN_BYTES
                        entries[k] = (FLAG_TOKEN | (FLAG_PREFILTER if prefilter else 0), share)
                self.add_name_forms(entries, tokens, keys)
        return entries

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
        if not 2 <= len(keys) <= params.NAME_FORM_MAX_TOKENS:
            return
        entries.setdefault(bag_key(keys), (FLAG_BAG, params.WEIGHT_TEXT))
        if not all(len(t) > 1 and t[0].isalpha() for t in tokens):
            return  # a one-letter token is an initial already; CJK names are one token
        initials = [self.hasher.token(t[0]) for t in tokens]
        for k in range(1, len(keys)):
            for form in (initials[:k] + keys[k:], keys[:-k] + initials[-k:]):
                entries.setdefault(
                    bag_key(form), (FLAG_BAG | FLAG_ABBREVIATED, params.WEIGHT_ABBREVIATED_NAME)
                )
        for initial in initials:
            entries.setdefault(initial, (FLAG_INITIAL, 0.0))

    def id_variants(self, kind: str, a: ValueAnalysis) -> set[int]:
        """Keyed hashes of an id column's numbers and their one-digit deletions."""
        if kind != KIND_ID:
            return set()
        return {self.hasher.id_variant(v) for d in a.id_numbers for v in one_digit_deletions(d)}

    def shingles(self, kind: str, a: ValueAnalysis) -> set[int]:
        """MinHash shingles: letter tokens, id numbers, dates. Common fields have none:
        sharing a facility and a status must not make two people look alike."""
        if kind == KIND_COMMON:
            return set()
        if kind == KIND_ID and a.id_numbers:  # not the "a" of every A-number
            return {self.hasher.id_number(d) for d in a.id_numbers}
        if kind == KIND_DATE and a.dates:
            return {self.hasher.date(d) for d in a.dates}
        keys = {self.hasher.token(t) for tokens in a.variants for t in tokens if not t.isdigit()}
        keys.update(self.hasher.id_number(d) for d in a.id_numbers)
        keys.update(self.hasher.date(d) for d in a.dates)
        return keys


@dataclass
class _ColumnEntries:
    """Per-record arrays of one column, in record order."""

    records: np.ndarray
    keys: np.ndarray
    flags: np.ndarray
    bases: np.ndarray
    shingle_records: np.ndarray
    shingles: np.ndarray
    variant_records: np.ndarray
    variants: np.ndarray


def build_fingerprint_set(
    columns: list[str], rows: list[list[str]], record_ids: list[str], key: bytes, id_column: str | None = None
) -> FingerprintSet:
    """Fingerprint records (raw string cells aligned with ``columns``)."""
    hasher = KeyedHasher(key)
    jobs = [(key, name, [row[c] if c < len(row) else "" for row in rows]) for c, name in enumerate(columns)]
    workers = min(params.BUILD_WORKERS, os.cpu_count() or 1, len(jobs))
    if len(rows) >= params.BUILD_PARALLEL_MIN_RECORDS and workers > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_column_job, jobs, chunksize=1)
    else:
        results = [_column_job(job) for job in jobs]
    profiles = [profile for profile, _ in results]
    parts = [entries for _, entries in results]
    arrays = _weighted_entries(parts, profiles, len(rows))
    arrays["minhashes"], arrays["shingle_counts"] = _signatures(parts, len(rows))
    arrays["id_variant_offsets"], arrays["id_variant_keys"] = _id_variants(parts, len(rows))
    arrays.update(lookup_tables(arrays))
    log.info("fingerprinted %d records, %d evidence entries", len(rows), len(arrays["entry_keys"]))
    return FingerprintSet(
        columns=profiles,
        record_ids=list(record_ids),
        id_column=id_column,
        key_check=hasher.key_check(),
        key=key,
        **arrays,
    )


def _column_job(job: tuple[bytes, str, list[str]]) -> tuple[ColumnProfile, _ColumnEntries]:
    """One column's profile and entries (a top-level function: it runs in a worker process)."""
    key, name, raw_values = job
    return _column_entries(EntryBuilder(KeyedHasher(key)), name, raw_values)


def _column_entries(
    builder: EntryBuilder, name: str, raw_values: list[str]
) -> tuple[ColumnProfile, _ColumnEntries]:
    """Analyse each distinct value once, then spread its entries to the records holding it."""
    index: dict[str, int] = {}
    codes = np.fromiter(
        (index.setdefault(v, len(index)) for v in raw_values), dtype=np.int64, count=len(raw_values)
    )
    analyses = [analyse_value(raw) for raw in index]
    profile = profile_column(name, analyses, np.bincount(codes, minlength=len(index)))
    entries = [builder.entries(profile.kind, a) for a in analyses]
    shingles = [builder.shingles(profile.kind, a) for a in analyses]
    variants = [builder.id_variants(profile.kind, a) for a in analyses]
    entry_rows, entry_pos = _spread(codes, _sizes(entries))
    shingle_rows, shingle_pos = _spread(codes, _sizes(shingles))
    variant_rows, variant_pos = _spread(codes, _sizes(variants))
    keys, flags, bases = _entry_arrays(entries)
    shingle_keys = np.fromiter(chain.from_iterable(shingles), dtype=np.uint64)
    variant_keys = np.fromiter(chain.from_iterable(variants), dtype=np.uint64)
    return profile, _ColumnEntries(
        entry_rows,
        keys[entry_pos],
        flags[entry_pos],
        bases[entry_pos],
        shingle_rows,
        shingle_keys[shingle_pos],
        variant_rows,
        variant_keys[variant_pos],
    )


def _sizes(collections: list) -> np.ndarray:
    return np.fromiter(map(len, collections), dtype=np.int64, count=len(collections))


def _entry_arrays(entries: list[dict[int, tuple[int, float]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys, flags and base weights of every value's entries, concatenated."""
    keys = np.fromiter(chain.from_iterable(entries), dtype=np.uint64)
    info = list(chain.from_iterable(e.values() for e in entries))
    flags = np.fromiter((f for f, _ in info), dtype=np.uint8, count=len(info))
    bases = np.fromiter((b for _, b in info), dtype=np.float32, count=len(info))
    return keys, flags, bases


def _spread(codes: np.ndarray, per_value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Records and positions (into the per-value arrays) of every record's items."""
    per_row = per_value[codes]
    rows = np.repeat(np.arange(len(codes), dtype=np.int64), per_row)
    return rows, expand_ranges(offsets_of(per_value)[:-1][codes], per_row)


def _weighted_entries(
    parts: list[_ColumnEntries], profiles: list[ColumnProfile], n: int
) -> dict[str, np.ndarray]:
    """Weigh every entry by how many records share its value; index by record and by key."""
    rec = np.concatenate([p.records for p in parts])
    key = np.concatenate([p.keys for p in parts])
    flag = np.concatenate([p.flags for p in parts])
    base = np.concatenate([p.bases for p in parts])
    col = np.concatenate([np.full(len(p.keys), c, dtype=np.uint16) for c, p in enumerate(parts)])
    df = group_sizes(key ^ (col.astype(np.uint64) * _COLUMN_SALT)).astype(np.float64)
    common = np.array([p.kind == KIND_COMMON for p in profiles], dtype=bool)[col]
    weight = np.where(
        common, params.COMMON_WEIGHT_PER_BIT * np.log2(max(n, 1) / df), base * df**-params.RARITY_EXPONENT
    ).astype(np.float32)
    order = np.argsort(rec, kind="stable")
    rare_limit = params.RARE_MAX_SHARE * n
    # An initial letter is no rare value, however few records have it (a "q" in any line).
    # ...nor are the keys of name forms, which no line holds as such.
    proposes = (
        (~common)
        & (df <= max(params.CANDIDATE_MAX_DF, rare_limit))
        & ((flag & (FLAG_INITIAL | FLAG_BAG)) == 0)
    )
    by_key = np.argsort(key[proposes], kind="stable")
    return {
        "entry_offsets": offsets_of(np.bincount(rec, minlength=n)),
        "entry_keys": key[order],
        "entry_columns": col[order],
        "entry_flags": flag[order],
        "entry_weights": weight[order],
        "candidate_keys": key[proposes][by_key],
        "candidate_records": rec[proposes][by_key].astype(np.int32),
        "candidate_is_token": ((flag[proposes][by_key] & FLAG_TOKEN) > 0).astype(np.uint8),
        "prefilter_keys": sorted_unique(
            key[(~common) & (df <= max(params.PREFILTER_MAX_DF, rare_limit)) & ((flag & FLAG_PREFILTER) > 0)]
        ),
    }


def lookup_tables(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The scanner's lookup tables, built once here rather than in every scanning process."""
    known_keys = sorted_unique(arrays["entry_keys"])
    lsh_keys, lsh_records = lsh_tables(arrays["minhashes"], arrays["shingle_counts"])
    return {
        "known_keys": known_keys,
        "known_bits": KeyBitset.bits_of(known_keys),
        "lsh_keys": lsh_keys,
        "lsh_records": lsh_records,
    }


def _signatures(parts: list[_ColumnEntries], n: int) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures and distinct shingle counts per record."""
    rec = np.concatenate([p.shingle_records for p in parts]).astype(np.uint64)
    low = np.concatenate([p.shingles for p in parts]) & np.uint64(0xFFFFFFFF)
    pairs = sorted_unique((rec << np.uint64(32)) | low)
    counts = np.bincount((pairs >> np.uint64(32)).astype(np.int64), minlength=n)
    signatures = record_signatures(pairs & np.uint64(0xFFFFFFFF), offsets_of(counts))
    return signatures, np.minimum(counts, np.iinfo(np.uint16).max).astype(np.uint16)


def _id_variants(parts: list[_ColumnEntries], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-record id-number variant keys, grouped by record (offsets, keys)."""
    rec = np.concatenate([p.variant_records for p in parts])
    keys = np.concatenate([p.variants for p in parts])
    order = np.argsort(rec, kind="stable")
    return offsets_of(np.bincount(rec, minlength=n)), keys[order]


def fingerprint_dataset_file(
    dataset_path: str | Path,
    out: str | Path | None = None,
    key_file: str | Path | None = None,
    id_column: str | None = None,
    columns: list[str] | None = None,
) -> tuple[FingerprintSet, Path]:
    """Read a dataset, fingerprint it with the key (created if absent) and save the file."""
    from .readers import read_dataset  # the readers pull in openpyxl

    dataset = read_dataset(dataset_path, id_column=id_column, columns=columns)
    if len(dataset.columns) < params.MIN_EVIDENCE_FIELDS:
        raise DatasetError(
            f"{dataset_path} has {len(dataset.columns)} column(s) to fingerprint; a copy is only "
            f"told from a coincidence by {params.MIN_EVIDENCE_FIELDS} fields of a record together"
        )
    key = load_or_create_key(key_file)
    fingerprints = build_fingerprint_set(dataset.columns, dataset.rows, dataset.ids, key, id_column=id_column)
    if out is None:
        home.ensure_home()
        out = home.home_path(home.FINGERPRINTS_FILE)
    return fingerprints, fingerprints.save(out)
