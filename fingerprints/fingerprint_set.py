"""The fingerprint of a leaked dataset: keyed hashes and MinHashes, no plaintext.

Per record, *evidence entries*: (keyed hash, column, flags, weight), one per keyed value a
copy may show: a name or facility as a whole (native and transliterated), each of a name's
tokens, an id number, every reading of a date. Column kinds (text / id / date / common) and
every weight are learned from the data (``params`` says how). Plus a MinHash per record.

File format (version 1), little-endian::

    b"LTFP" | u16 version | u32 header length | header (UTF-8 JSON) | arrays

The header holds the column names and kinds, the record ids when the responder chose an id
column (else the row numbers are an array), a key check digest, the BLAKE2b digest of the
array bytes, and each array's dtype, shape and offset. No value of any record is stored,
except the ids of an explicit ``--id-column``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from leaktrack import home
from leaktrack.errors import FingerprintFileError
from leaktrack.fingerprints import params
from leaktrack.fingerprints.keys import KeyedHasher, combine_keys, load_or_create_key, read_key
from leaktrack.fingerprints.minhash import record_signatures
from leaktrack.fingerprints.normalize import (
    digit_date_readings, id_number, textual_dates, transliterated_tokens, value_tokens,
)

log = logging.getLogger(__name__)

KIND_TEXT, KIND_ID, KIND_DATE, KIND_COMMON = "text", "id", "date", "common"
FLAG_TOKEN = 1      # one token of a multi-token value (partial evidence, summed per column)
FLAG_PREFILTER = 2  # a token, id number or date the document prefilter looks for
_HEADER = struct.Struct("<4sHI")
_ARRAYS = ("entry_offsets", "entry_keys", "entry_columns", "entry_flags", "entry_weights",
           "candidate_keys", "candidate_records", "prefilter_keys", "minhashes", "shingle_counts")


@dataclass
class ColumnProfile:
    name: str
    kind: str            # text, id, date or common
    unique_share: float  # share of rows whose value no other row holds


@dataclass
class _ValueAnalysis:
    """What one distinct raw value of a column offers as evidence, before weighting."""

    variants: list[list[str]]  # token sequences: native first, then transliterations
    id_numbers: list[str]
    dates: list[str]


@dataclass
class FingerprintSet:
    columns: list[ColumnProfile]
    record_ids: list[str]
    id_column: str | None
    key_check: str
    entry_offsets: np.ndarray      # int64, records + 1: record i's entries are [o[i], o[i+1])
    entry_keys: np.ndarray         # uint64 keyed hashes
    entry_columns: np.ndarray      # uint8 column index
    entry_flags: np.ndarray        # uint8 FLAG_* bits
    entry_weights: np.ndarray      # float32 evidence weight
    candidate_keys: np.ndarray     # uint64, sorted: keys rare enough to propose candidates
    candidate_records: np.ndarray  # int32, aligned with candidate_keys
    prefilter_keys: np.ndarray     # uint64, sorted unique
    minhashes: np.ndarray          # uint32 (records x MINHASH_NUM_PERM)
    shingle_counts: np.ndarray     # uint16: distinct shingles per record (for containment)
    minhash_seed: int = params.MINHASH_SEED
    key: bytes | None = field(default=None, repr=False)  # never saved
    _scanner: Any = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.record_ids)

    @property
    def common_columns(self) -> np.ndarray:
        return np.array([c.kind == KIND_COMMON for c in self.columns], dtype=bool)

    # -- file ----------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the file owner-only, atomically (a crash never leaves half a file)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header, payload = self._encode()
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(_HEADER.pack(params.FILE_MAGIC, params.FILE_VERSION, len(header)))
            out.write(header)
            out.write(payload)
        os.replace(tmp, path)
        return path

    def _encode(self) -> tuple[bytes, bytes]:
        arrays, offset, parts = [], 0, []
        numbered = self.id_column is None and all(i.isdigit() for i in self.record_ids)
        named = {name: np.ascontiguousarray(getattr(self, name)) for name in _ARRAYS}
        if numbered:
            named["row_numbers"] = np.array([int(i) for i in self.record_ids], dtype=np.int64)
        for name, array in named.items():
            data = array.tobytes()
            arrays.append({"name": name, "dtype": array.dtype.str, "shape": list(array.shape),
                           "offset": offset})
            parts.append(data)
            offset += len(data)
        payload = b"".join(parts)
        header = {
            "format": "leaktrack-fingerprints", "version": params.FILE_VERSION,
            "columns": [vars(c) for c in self.columns],
            "id_column": self.id_column,
            "record_ids": None if numbered else self.record_ids,
            "key_check": self.key_check, "minhash_seed": self.minhash_seed,
            "payload_blake2b": hashlib.blake2b(payload, digest_size=16).hexdigest(),
            "arrays": arrays,
        }
        return json.dumps(header, ensure_ascii=False).encode("utf-8"), payload

    @classmethod
    def load(cls, path: str | Path, key_file: str | Path | None = None) -> "FingerprintSet":
        """Read a fingerprint file and the key it was built with (default: home folder)."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise FingerprintFileError(f"fingerprint file not found: {path}") from None
        except OSError as error:
            raise FingerprintFileError(f"cannot read fingerprint file {path}: {error.strerror}") from None
        header, payload = _split_file(path, data)
        fingerprints = cls._from_parts(path, header, payload)
        key = read_key(key_file)
        if KeyedHasher(key).key_check() != fingerprints.key_check:
            raise FingerprintFileError(
                f"fingerprint file {path} was built with another key than {key_file or 'the default key'}")
        fingerprints.key = key
        return fingerprints

    @classmethod
    def _from_parts(cls, path: Path, header: dict, payload: bytes) -> "FingerprintSet":
        if hashlib.blake2b(payload, digest_size=16).hexdigest() != header.get("payload_blake2b"):
            raise FingerprintFileError(f"fingerprint file is corrupt (checksum mismatch): {path}")
        try:
            arrays = {a["name"]: np.frombuffer(payload, dtype=np.dtype(a["dtype"]),
                                               count=int(np.prod(a["shape"])), offset=a["offset"]
                                               ).reshape(a["shape"])
                      for a in header["arrays"]}
            record_ids = header["record_ids"]
            if record_ids is None:
                record_ids = [str(n) for n in arrays.pop("row_numbers").tolist()]
            return cls(columns=[ColumnProfile(**c) for c in header["columns"]],
                       record_ids=record_ids, id_column=header["id_column"],
                       key_check=header["key_check"], minhash_seed=header["minhash_seed"],
                       **{name: arrays[name] for name in _ARRAYS})
        except (KeyError, TypeError, ValueError):
            raise FingerprintFileError(f"fingerprint file is corrupt: {path}") from None


def _split_file(path: Path, data: bytes) -> tuple[dict, bytes]:
    if len(data) < _HEADER.size or not data.startswith(params.FILE_MAGIC):
        raise FingerprintFileError(f"not a leaktrack fingerprint file: {path}")
    _, version, header_length = _HEADER.unpack_from(data)
    if version != params.FILE_VERSION:
        raise FingerprintFileError(
            f"fingerprint file {path} has version {version}; this leaktrack reads version "
            f"{params.FILE_VERSION} (rebuild it with `leaktrack fingerprint`)")
    try:
        header = json.loads(data[_HEADER.size:_HEADER.size + header_length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise FingerprintFileError(f"fingerprint file is corrupt (bad header): {path}") from None
    if not isinstance(header, dict):
        raise FingerprintFileError(f"fingerprint file is corrupt (bad header): {path}")
    return header, data[_HEADER.size + header_length:]


# -- building -------------------------------------------------------------------------------

def analyse_value(raw: str) -> _ValueAnalysis:
    """Tokens (native and transliterated), id numbers and dates of one dataset value."""
    native = value_tokens(raw)
    variants = [native] + transliterated_tokens(raw) if native else []
    ids = [t for t in native if id_number(t)]
    dates = sorted({d for t in native for d in digit_date_readings(t)} | set(textual_dates(native)))
    return _ValueAnalysis(variants, ids, dates)


def profile_column(name: str, analyses: list[_ValueAnalysis | None]) -> ColumnProfile:
    """Learn a column's kind from its values: how often they repeat, what they look like."""
    present = [a for a in analyses if a is not None and a.variants]
    if not present:
        return ColumnProfile(name, KIND_COMMON, 0.0)
    counts: dict[tuple[str, ...], int] = {}
    for a in present:
        counts[tuple(a.variants[0])] = counts.get(tuple(a.variants[0]), 0) + 1
    unique_share = sum(1 for a in present if counts[tuple(a.variants[0])] == 1) / len(present)
    if unique_share < params.DISTINCTIVE_MIN_UNIQUE_SHARE:
        kind = KIND_COMMON
    elif sum(1 for a in present if a.dates) >= params.KIND_MIN_SHARE * len(present):
        kind = KIND_DATE
    elif sum(1 for a in present if a.id_numbers) >= params.KIND_MIN_SHARE * len(present):
        kind = KIND_ID
    else:
        kind = KIND_TEXT
    return ColumnProfile(name, kind, round(unique_share, 4))


class _EntryBuilder:
    """Turns analysed values into evidence entries (key, flags, base weight) and shingles."""

    def __init__(self, hasher: KeyedHasher):
        self.hasher = hasher

    def entries(self, kind: str, a: _ValueAnalysis) -> dict[int, tuple[int, float]]:
        if kind == KIND_ID and a.id_numbers:
            return {self.hasher.id_number(d): (FLAG_PREFILTER, params.WEIGHT_ID) for d in a.id_numbers}
        if kind == KIND_DATE and a.dates:
            return {self.hasher.date(d): (FLAG_PREFILTER, params.WEIGHT_DATE) for d in a.dates}
        entries: dict[int, tuple[int, float]] = {}
        for tokens in a.variants:
            keys = [self.hasher.token(t) for t in tokens]
            entries[combine_keys(keys[:params.MAX_VALUE_TOKENS])] = (0, params.WEIGHT_TEXT)
            if kind != KIND_COMMON:
                share = params.WEIGHT_TEXT * params.TOKEN_PARTIAL_FACTOR / len(keys)
                for k in keys:
                    if k not in entries or entries[k][1] < share:
                        entries[k] = (FLAG_TOKEN | FLAG_PREFILTER, share)
        return entries

    def shingles(self, kind: str, a: _ValueAnalysis) -> set[int]:
        if kind == KIND_ID and a.id_numbers:  # not the "a" of every A-number
            return {self.hasher.id_number(d) for d in a.id_numbers}
        if kind == KIND_DATE and a.dates:
            return {self.hasher.date(d) for d in a.dates}
        keys = {self.hasher.token(t) for tokens in a.variants for t in tokens if not t.isdigit()}
        keys.update(self.hasher.id_number(d) for d in a.id_numbers)
        keys.update(self.hasher.date(d) for d in a.dates)
        return keys


def build_fingerprint_set(columns: list[str], rows: list[list[str]], record_ids: list[str],
                          key: bytes, id_column: str | None = None) -> FingerprintSet:
    """Fingerprint records (raw string cells aligned with ``columns``)."""
    hasher = KeyedHasher(key)
    builder = _EntryBuilder(hasher)
    n = len(rows)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("rec", "key", "col", "flag", "base")}
    shingle_rec, shingle_key = [], []
    profiles = []
    for c, name in enumerate(columns):
        raw_values = [row[c] if c < len(row) else "" for row in rows]
        analysis_of = {raw: analyse_value(raw) for raw in set(raw_values) if raw.strip()}
        profile = profile_column(name, [analysis_of.get(raw) for raw in raw_values])
        profiles.append(profile)
        entries_of = {raw: builder.entries(profile.kind, a) for raw, a in analysis_of.items()}
        # Only distinctive fields: sharing a facility and a status must not look alike.
        shingles_of = {} if profile.kind == KIND_COMMON else \
            {raw: builder.shingles(profile.kind, a) for raw, a in analysis_of.items()}
        _append_column_entries(parts, c, raw_values, entries_of)
        for i, raw in enumerate(raw_values):
            for s in shingles_of.get(raw, ()):
                shingle_rec.append(i)
                shingle_key.append(s)
    arrays = _weighted_entries(parts, profiles, n)
    arrays["minhashes"], arrays["shingle_counts"] = _signatures(shingle_rec, shingle_key, n)
    log.info("fingerprinted %d records, %d evidence entries", n, len(arrays["entry_keys"]))
    return FingerprintSet(columns=profiles, record_ids=list(record_ids), id_column=id_column,
                          key_check=hasher.key_check(), key=key, **arrays)


def _append_column_entries(parts: dict[str, list[np.ndarray]], column: int, raw_values: list[str],
                           entries_of: dict[str, dict[int, tuple[int, float]]]) -> None:
    keys, flags, bases, counts = [], [], [], np.zeros(len(raw_values), dtype=np.int64)
    empty: dict[int, tuple[int, float]] = {}
    for i, raw in enumerate(raw_values):
        entries = entries_of.get(raw, empty)
        counts[i] = len(entries)
        keys.extend(entries)
        for flag, base in entries.values():
            flags.append(flag)
            bases.append(base)
    parts["rec"].append(np.repeat(np.arange(len(raw_values), dtype=np.int32), counts))
    parts["key"].append(np.array(keys, dtype=np.uint64))
    parts["col"].append(np.full(len(keys), column, dtype=np.uint8))
    parts["flag"].append(np.array(flags, dtype=np.uint8))
    parts["base"].append(np.array(bases, dtype=np.float32))


def _weighted_entries(parts: dict[str, list[np.ndarray]], profiles: list[ColumnProfile],
                      n: int) -> dict[str, np.ndarray]:
    """Weigh every entry by how many records share its value; index by record and by key."""
    rec, key, col, flag, base = (np.concatenate(parts[k]) if parts[k] else np.empty(0)
                                 for k in ("rec", "key", "col", "flag", "base"))
    key, col, flag = key.astype(np.uint64), col.astype(np.uint8), flag.astype(np.uint8)
    salted = key ^ (col.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    _, inverse, counts = np.unique(salted, return_inverse=True, return_counts=True)
    df = counts[inverse].astype(np.float64)
    common = np.array([p.kind == KIND_COMMON for p in profiles], dtype=bool)[col] if len(col) else np.zeros(0, bool)
    weight = np.where(common,
                      params.COMMON_WEIGHT_PER_BIT * np.log2(max(n, 1) / df),
                      base * df ** -params.RARITY_EXPONENT).astype(np.float32)
    order = np.argsort(rec, kind="stable")
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rec.astype(np.int64), minlength=n), out=offsets[1:])
    proposes = (~common) & (df <= params.CANDIDATE_MAX_DF)
    by_key = np.argsort(key[proposes], kind="stable")
    return {
        "entry_offsets": offsets, "entry_keys": key[order], "entry_columns": col[order],
        "entry_flags": flag[order], "entry_weights": weight[order],
        "candidate_keys": key[proposes][by_key],
        "candidate_records": rec[proposes][by_key].astype(np.int32),
        "prefilter_keys": np.unique(key[proposes & ((flag & FLAG_PREFILTER) > 0)]),
    }


def _signatures(shingle_rec: list[int], shingle_key: list[int], n: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures and distinct shingle counts per record."""
    pairs = np.unique(np.array(shingle_rec, dtype=np.uint64) << np.uint64(32)
                      | (np.array(shingle_key, dtype=np.uint64) & np.uint64(0xFFFFFFFF)))
    rec = (pairs >> np.uint64(32)).astype(np.int64)
    counts = np.bincount(rec, minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    signatures = record_signatures(pairs & np.uint64(0xFFFFFFFF), offsets)
    return signatures, np.minimum(counts, np.iinfo(np.uint16).max).astype(np.uint16)


def fingerprint_dataset_file(dataset_path: str | Path, out: str | Path | None = None,
                             key_file: str | Path | None = None, id_column: str | None = None,
                             columns: list[str] | None = None) -> tuple[FingerprintSet, Path]:
    """Read a dataset, fingerprint it with the key (created if absent) and save the file."""
    from leaktrack.fingerprints.readers import read_dataset  # the readers pull in openpyxl

    dataset = read_dataset(dataset_path, id_column=id_column, columns=columns)
    key = load_or_create_key(key_file)
    fingerprints = build_fingerprint_set(dataset.columns, dataset.rows, dataset.ids, key,
                                         id_column=id_column)
    if out is None:
        home.ensure_home()
        out = home.home_path(home.FINGERPRINTS_FILE)
    return fingerprints, fingerprints.save(out)
