"""The fingerprint of a leaked dataset: keyed hashes and MinHashes, no plaintext.

Per record, *evidence entries*: (keyed hash, column, flags, weight), one per keyed value a
copy may show: a name or facility as a whole (native and transliterated), each of a name's
tokens, an id number, every reading of a date. Plus a MinHash per record, and the keyed
hashes of its id numbers and their one-digit deletions (to tell a typo'd id from another
person's). ``build.py`` makes them; this module holds them and reads and writes the file.

File format (version 2), little-endian::

    prefix: b"LTFP" | u16 version | u64 header offset | u32 header length | 16-byte digest
    arrays: each at a 64-byte aligned offset from byte 64 on
    header: UTF-8 JSON, after the arrays

The header holds the dataset id (random, made at build), the column names and kinds, a key
check digest, and each array's dtype, shape, offset and BLAKE2b digest; the prefix holds the
BLAKE2b digest of the header. So every byte of the file is covered: the header by the prefix's
digest, each array by its digest in the header. Loading maps the file (``mmap``): arrays are
views of the page cache, shared by every process that scans with the file, and loading costs
the same for 6,000 records as for 100 million. The header and the record ids are checked on
every load; the other arrays when the file is small enough for it to be quick
(``params.FILE_VERIFY_ON_LOAD_MAX_BYTES``), else by ``verify``.

Record ids are row numbers (an int64 array) or, with an explicit ``--id-column``, UTF-8 bytes
with offsets: the ids of an explicit ``--id-column`` are the only values of a record stored.
Version 1 files (JSON header first, checksum over the arrays only) are refused with a
one-line message to rebuild.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import mmap
import os
import secrets
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..errors import FingerprintFileError
from . import params
from .keys import KeyedHasher, read_key

log = logging.getLogger(__name__)
KIND_TEXT, KIND_ID, KIND_DATE, KIND_COMMON = "text", "id", "date", "common"
FLAG_TOKEN = 1  # one token of a multi-token value (partial evidence, summed per column)
FLAG_PREFILTER = 2  # a token, id number or date the document prefilter looks for
# Name forms (build.name_form_entries): the order-free key of a name's tokens, the same with
# some given names as initials, and the initial letters those forms are made of.
FLAG_BAG = 4
FLAG_ABBREVIATED = 8
FLAG_INITIAL = 16
_PREFIX = struct.Struct("<4sHQI16s")  # magic, version, header offset, header length, header digest
_ALIGN = 64
_COPY_BLOCK_BYTES = 16 * 2**20
_ARRAYS = (
    "entry_offsets",
    "entry_keys",
    "entry_columns",
    "entry_flags",
    "entry_weights",
    "candidate_keys",
    "candidate_records",
    "candidate_is_token",
    "prefilter_keys",
    "minhashes",
    "shingle_counts",
    "id_variant_offsets",
    "id_variant_keys",
    "known_keys",
    "known_bits",
    "lsh_keys",
    "lsh_records",
)
_RECORD_ID_ARRAYS = ("row_numbers", "record_id_offsets", "record_id_bytes")
# Arrays added since version 2 files were first written: a file without them loads, with
# them empty (it scans as it did when it was built).
_LATER_ARRAYS = {
    "paired_keys": np.uint64,
    "paired_records": np.int32,
    "known_buckets": np.int64,
    "candidate_buckets": np.int64,
    "date_word_keys": np.uint64,
    "date_word_bits": np.uint8,
    "date_word_reach": np.float32,
    "date_name_keys": np.uint64,
    "date_name_bits": np.uint8,
}


def new_dataset_id() -> str:
    """A random id for one build of a dataset's fingerprints (ties matches to it)."""
    return secrets.token_hex(params.DATASET_ID_BYTES)


def _digest(data: Any) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass
class ColumnProfile:
    name: str
    kind: str  # text, id, date or common
    unique_share: float  # share of rows whose value no other row holds
    bits: float = 0.0  # entropy of the column's values


def numbers_needed(columns: Sequence[ColumnProfile]) -> bool:
    """A dataset of fewer than two text columns: a line is matched only when it holds a
    number, and a line whose only numbers are dates only when a record holds one of them
    beside one of its words (``first_pass.candidate_rows``, ``first_pass.DateWordTest``)."""
    return sum(c.kind == KIND_TEXT for c in columns) < 2


class RecordIds(Sequence[str]):
    """Record ids without a Python object per record: row numbers, or UTF-8 ids + offsets."""

    def __init__(
        self,
        row_numbers: np.ndarray | None = None,
        offsets: np.ndarray | None = None,
        blob: np.ndarray | None = None,
    ):
        self.row_numbers, self.offsets, self.blob = row_numbers, offsets, blob

    @classmethod
    def of(cls, ids: Sequence[str], numbered: bool) -> RecordIds:
        if isinstance(ids, RecordIds):
            return ids
        if numbered and all(i.isdigit() for i in ids):
            return cls(row_numbers=np.array([int(i) for i in ids], dtype=np.int64))
        encoded = [i.encode("utf-8", "surrogatepass") for i in ids]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return cls(offsets=offsets, blob=np.frombuffer(b"".join(encoded), dtype=np.uint8))

    def arrays(self) -> dict[str, np.ndarray]:
        if self.row_numbers is not None:
            return {"row_numbers": self.row_numbers}
        offsets, blob = self._id_bytes()
        return {"record_id_offsets": offsets, "record_id_bytes": blob}

    def _id_bytes(self) -> tuple[np.ndarray, np.ndarray]:
        """The offsets and bytes of ids that are not row numbers (one form or the other is set)."""
        if self.offsets is None or self.blob is None:
            raise ValueError("record ids hold neither row numbers nor id bytes")
        return self.offsets, self.blob

    def __len__(self) -> int:
        if self.row_numbers is not None:
            return len(self.row_numbers)
        return len(self._id_bytes()[0]) - 1

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if self.row_numbers is not None:
            return str(int(self.row_numbers[index]))
        if index < 0:
            index += len(self)
        start, end = int(self.offsets[index]), int(self.offsets[index + 1])
        return self.blob[start:end].tobytes().decode("utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        return (self[i] for i in range(len(self)))

    def take(self, indexes: np.ndarray) -> list[str]:
        """``[self[i] for i in indexes]`` in a few array operations (a leak's matches name
        thousands of records: one call each cost more than matching them)."""
        indexes = np.asarray(indexes, dtype=np.int64)
        indexes = np.where(indexes < 0, indexes + len(self), indexes)
        if self.row_numbers is not None:
            return list(map(str, self.row_numbers[indexes].tolist()))
        offsets, blob = self._id_bytes()
        data = memoryview(blob.data)  # (mapped: no copy of the file's ids)
        starts, ends = offsets[indexes].tolist(), offsets[indexes + 1].tolist()
        return [str(data[s:e], "utf-8", "surrogatepass") for s, e in zip(starts, ends)]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]


def record_ids_of(record_ids: Sequence[str], indexes: np.ndarray) -> list[str]:
    """The ids of the records at ``indexes`` (``RecordIds.take``, or one by one for a list)."""
    if isinstance(record_ids, RecordIds):
        return record_ids.take(indexes)
    return [record_ids[i] for i in np.asarray(indexes).tolist()]


@dataclass
class FingerprintSet:
    """Everything the scanner needs, as numpy arrays; ``load`` attaches the key."""

    columns: list[ColumnProfile]
    record_ids: Sequence[str]
    id_column: str | None
    key_check: str
    entry_offsets: np.ndarray  # int64, records + 1: record i's entries are [o[i], o[i+1])
    entry_keys: np.ndarray  # uint64 keyed hashes
    entry_columns: np.ndarray  # uint16 column index
    entry_flags: np.ndarray  # uint8 FLAG_* bits
    entry_weights: np.ndarray  # float32 evidence weight
    candidate_keys: np.ndarray  # uint64, sorted: keys rare enough to propose candidates
    candidate_records: np.ndarray  # int32, aligned with candidate_keys
    candidate_is_token: np.ndarray  # uint8, 1 when the key is one token of a longer value
    prefilter_keys: np.ndarray  # uint64, sorted unique
    minhashes: np.ndarray  # uint32 (records x MINHASH_NUM_PERM)
    shingle_counts: np.ndarray  # uint16: distinct shingles per record (for containment)
    # Keyed hashes of each record's id numbers and their one-digit deletions (a typo'd
    # A-number is the record's, not another person's): record i's are [o[i], o[i+1]).
    id_variant_offsets: np.ndarray  # int64, records + 1
    id_variant_keys: np.ndarray  # uint64
    # Lookup tables the scanner would otherwise build in every process (``build.lookup_tables``):
    known_keys: np.ndarray  # uint64, sorted unique entry_keys
    known_bits: np.ndarray  # uint8 bitset of known_keys' low bits (arrays.KeyBitset)
    lsh_keys: np.ndarray  # uint64, sorted: every LSH band key of every record (minhash.py)
    lsh_records: np.ndarray  # int32, aligned with lsh_keys
    # Values too common to propose candidates alone (params.PAIRED_MAX_DF), with each record
    # holding them: sorted by key; a line's two such values propose the records they share.
    paired_keys: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    paired_records: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    # Bucket indexes of known_keys and candidate_keys (``arrays.bucket_offsets``): made at
    # build, so that no scanning process makes them (at 10 million records a search of a
    # million bucket starts over 600 MB of mapped keys). Empty in an older file: the scanner
    # makes them then (``arrays.stored_bucket_offsets``).
    known_buckets: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    candidate_buckets: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    # For a dataset with fewer than two text columns (``numbers_needed``): the keys
    # (``keys.date_word_keys``) of every (date, word) pair some record holds, a date listed in
    # the postings above and a word in a distinctive field, not an initial (sorted unique), and
    # their ``arrays.KeyBitset``. ``first_pass.DateWordTest`` asks them whether a line's date
    # and word belong to one record in a few lookups, whatever the records sharing the date.
    # Empty in an older file (the test reads the date's records' entries then) and in a file
    # of a dataset with two text columns or more (no such test).
    date_word_keys: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    date_word_bits: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint8))
    # With one date column, what the test needs to know of the matcher's rules
    # (``build.date_name_facts``): per (date, word) pair, aligned with date_word_keys, the
    # most a record holding it can score from that word and date (infinite when the word is
    # one of its whole values); and the keys of (date, two words) of one record that its
    # whole values and name forms need (sorted unique), with their ``arrays.KeyBitset``. A
    # line held only by pairs that reach too little and by no such anchor is dropped. Empty
    # in an older file (the test then holds every line with a pair).
    date_word_reach: np.ndarray = field(default_factory=lambda: np.empty(0, np.float32))
    date_name_keys: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    date_name_bits: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint8))
    minhash_seed: int = params.MINHASH_SEED
    dataset_id: str = field(default_factory=new_dataset_id)  # random, made at build
    key: bytes | None = field(default=None, repr=False)  # never saved
    # Features of params.FILE_FEATURES a loaded file was built without (older leaktrack).
    missing_features: tuple[str, ...] = ()
    _scanner: Any = field(default=None, repr=False, compare=False)  # scan.py's per-set state
    _mapping: Any = field(default=None, repr=False, compare=False)  # the mmap arrays view

    def __len__(self) -> int:
        return len(self.record_ids)

    @property
    def numbers_needed(self) -> bool:
        """``numbers_needed`` of the file's columns."""
        return numbers_needed(self.columns)

    @property
    def common_columns(self) -> np.ndarray:
        return np.array([c.kind == KIND_COMMON for c in self.columns], dtype=bool)

    # -- file ----------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the file owner-only, atomically (a crash never leaves half a file)."""
        arrays: dict[str, Any] = {name: getattr(self, name) for name in (*_ARRAYS, *_LATER_ARRAYS)}
        arrays.update(RecordIds.of(self.record_ids, numbered=self.id_column is None).arrays())
        header = {
            "dataset_id": self.dataset_id,
            "columns": [vars(c) for c in self.columns],
            "id_column": self.id_column,
            "key_check": self.key_check,
            "minhash_seed": self.minhash_seed,
        }
        return write_fingerprint_file(path, arrays, header)

    @classmethod
    def open(cls, path: str | Path) -> FingerprintSet:
        """Map a fingerprint file, without a key (``load`` attaches and checks one)."""
        path = Path(path)
        mapping = _map_file(path)
        return cls._from_parts(path, _read_header(path, mapping), mapping)

    @classmethod
    def load(cls, path: str | Path, key_file: str | Path) -> FingerprintSet:
        """Map a fingerprint file and read the key it was built with."""
        fingerprints = cls.open(path)
        key = read_key(key_file)
        if KeyedHasher(key).key_check() != fingerprints.key_check:
            raise FingerprintFileError(f"fingerprint file {path} was built with another key than {key_file}")
        fingerprints.key = key
        return fingerprints

    def verify(self) -> None:
        """Check every array of a loaded file against its digest (load checks the large
        arrays of a large file only when asked, through this)."""
        if self._mapping is not None:
            path, header, mapping = self._mapping
            _check_arrays(path, header, mapping, lambda a: True)

    @classmethod
    def _from_parts(cls, path: Path, header: dict, mapping: mmap.mmap) -> FingerprintSet:
        try:
            small = params.FILE_VERIFY_ON_LOAD_MAX_BYTES
            verify_all = len(mapping) <= small
            _check_arrays(
                path,
                header,
                mapping,
                lambda a: verify_all or a["name"] in _RECORD_ID_ARRAYS or a["bytes"] <= small // 16,
            )
            arrays = {a["name"]: _array_view(mapping, a) for a in header["arrays"]}
            if "row_numbers" in arrays:
                record_ids = RecordIds(row_numbers=arrays.pop("row_numbers"))
            else:
                record_ids = RecordIds(
                    offsets=arrays.pop("record_id_offsets"), blob=arrays.pop("record_id_bytes")
                )
            # (by name: the arrays the file holds, those added later empty when an older file lacks them)
            array_fields: dict[str, Any] = {name: arrays[name] for name in _ARRAYS}
            array_fields |= {
                name: arrays.get(name, np.empty(0, dtype)) for name, dtype in _LATER_ARRAYS.items()
            }
            fingerprints = cls(
                columns=[ColumnProfile(**c) for c in header["columns"]],
                record_ids=record_ids,
                id_column=header["id_column"],
                key_check=header["key_check"],
                minhash_seed=header["minhash_seed"],
                dataset_id=str(header["dataset_id"]),
                **array_fields,
            )
        except (KeyError, TypeError, ValueError):
            raise FingerprintFileError(f"fingerprint file is corrupt: {path}") from None
        fingerprints._mapping = (path, header, mapping)
        fingerprints.missing_features = _missing_features(path, header)
        return fingerprints


def _missing_features(path: Path, header: dict) -> tuple[str, ...]:
    """The features (``params.FILE_FEATURES``) the file was built without, each said in a
    one-line warning: matching goes on without them."""
    features = header.get("features")
    built_with = set(features) if isinstance(features, list) else set()
    missing = tuple(sorted(set(params.FILE_FEATURES) - built_with))
    if missing:
        log.warning(
            "fingerprint file %s was built by an older leaktrack: it cannot find %s; "
            "rebuild it with `leaktrack fingerprint`",
            path,
            ", nor ".join(params.FILE_FEATURES[name] for name in missing),
        )
    return missing


def write_fingerprint_file(path: str | Path, arrays: dict[str, Any], header: dict) -> Path:
    """Write arrays (numpy arrays, or ``spill.ArrayFile`` s streamed from disk) and the header
    as a fingerprint file, owner-only and atomically (a crash never leaves half a file)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            writer = ArrayFileWriter(out)
            for name, array in arrays.items():
                if isinstance(array, np.ndarray):
                    writer.add(name, array)
                else:
                    array.close()  # flushed to its file before the copy
                    writer.add_file(name, array.dtype, array.shape, array.path)
            writer.finish(
                {
                    "format": "leaktrack-fingerprints",
                    "version": params.FILE_VERSION,
                    "features": sorted(params.FILE_FEATURES),
                    **header,
                }
            )
        os.replace(tmp, path)
    except OSError as error:  # a folder in the way, a full disk: the user's to fix
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise FingerprintFileError(
            f"cannot write fingerprint file {path}: {error.strerror or error}"
        ) from None
    return path


class ArrayFileWriter:
    """Writes arrays one after the other (64-byte aligned), then the header and the prefix.

    The header comes last so that a builder can stream arrays of any size to the file."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.arrays: list[dict] = []
        self.offset = _ALIGN
        out.write(b"\0" * _ALIGN)

    def add(self, name: str, array: np.ndarray) -> None:
        array = np.ascontiguousarray(array)
        data = array.data.cast("B") if array.size else b""
        self._add(name, array.dtype, list(array.shape), [data])

    def add_file(self, name: str, dtype: Any, shape: list[int], source: Path) -> None:
        """An array whose bytes are in the file ``source`` (copied in blocks)."""

        def blocks():
            with open(source, "rb") as file:
                while block := file.read(_COPY_BLOCK_BYTES):
                    yield block

        self._add(name, np.dtype(dtype), list(shape), blocks())

    def _add(self, name: str, dtype: np.dtype, shape: list[int], blocks) -> None:
        digest, size = hashlib.blake2b(digest_size=16), 0
        for block in blocks:
            digest.update(block)
            self.out.write(block)
            size += len(block)
        if size != int(np.prod(shape)) * dtype.itemsize:
            raise ValueError(f"array {name}: {size} bytes for shape {shape} of {dtype}")
        self.arrays.append(
            {
                "name": name,
                "dtype": dtype.str,
                "shape": shape,
                "offset": self.offset,
                "bytes": size,
                "blake2b": digest.hexdigest(),
            }
        )
        self.offset += size
        padding = -self.offset % _ALIGN
        self.out.write(b"\0" * padding)
        self.offset += padding

    def finish(self, header: dict) -> None:
        encoded = json.dumps({**header, "arrays": self.arrays}, ensure_ascii=False).encode("utf-8")
        self.out.write(encoded)
        self.out.seek(0)
        digest = hashlib.blake2b(encoded, digest_size=16).digest()
        self.out.write(
            _PREFIX.pack(params.FILE_MAGIC, params.FILE_VERSION, self.offset, len(encoded), digest)
        )


def _map_file(path: Path) -> mmap.mmap:
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size < len(params.FILE_MAGIC) + 2:
                raise FingerprintFileError(f"not a leaktrack fingerprint file: {path}")
            return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    except FileNotFoundError:
        raise FingerprintFileError(f"fingerprint file not found: {path}") from None
    except IsADirectoryError:
        raise FingerprintFileError(f"fingerprint file is a folder: {path}") from None
    except OSError as error:
        raise FingerprintFileError(f"cannot read fingerprint file {path}: {error.strerror}") from None


def _read_header(path: Path, mapping: mmap.mmap) -> dict:
    magic, version = mapping[:4], int.from_bytes(mapping[4:6], "little")
    if magic != params.FILE_MAGIC:
        raise FingerprintFileError(f"not a leaktrack fingerprint file: {path}")
    if version != params.FILE_VERSION:
        raise FingerprintFileError(
            f"fingerprint file {path} has version {version}; this leaktrack reads version "
            f"{params.FILE_VERSION} (rebuild it with `leaktrack fingerprint`)"
        )
    if len(mapping) < _PREFIX.size:
        raise FingerprintFileError(f"fingerprint file is corrupt (truncated): {path}")
    _, _, offset, length, digest = _PREFIX.unpack_from(mapping)
    encoded = mapping[offset : offset + length]
    if len(encoded) != length or hashlib.blake2b(encoded, digest_size=16).digest() != digest:
        raise FingerprintFileError(f"fingerprint file is corrupt (checksum mismatch): {path}")
    try:
        header = json.loads(encoded.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise FingerprintFileError(f"fingerprint file is corrupt (bad header): {path}") from None
    if not isinstance(header, dict) or not isinstance(header.get("arrays"), list):
        raise FingerprintFileError(f"fingerprint file is corrupt (bad header): {path}")
    return header


def _array_view(mapping: mmap.mmap, spec: dict) -> np.ndarray:
    dtype = np.dtype(spec["dtype"])
    count = int(np.prod(spec["shape"]))
    if spec["offset"] + count * dtype.itemsize > len(mapping):
        raise ValueError("array past the end of the file")
    if count == 0:
        return np.empty(spec["shape"], dtype=dtype)
    return np.frombuffer(mapping, dtype=dtype, count=count, offset=spec["offset"]).reshape(spec["shape"])


def _check_arrays(path: Path, header: dict, mapping: mmap.mmap, wanted) -> None:
    """Compare the wanted arrays' bytes with their digests in the (verified) header."""
    view = memoryview(mapping)
    try:
        for spec in header["arrays"]:
            if not wanted(spec):
                continue
            start, size = int(spec["offset"]), int(spec["bytes"])
            if start + size > len(mapping) or _digest(view[start : start + size]) != spec["blake2b"]:
                raise FingerprintFileError(f"fingerprint file is corrupt (checksum mismatch): {path}")
    finally:
        view.release()
