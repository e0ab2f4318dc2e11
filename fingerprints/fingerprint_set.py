"""The fingerprint of a leaked dataset: keyed hashes and MinHashes, no plaintext.

Per record, *evidence entries*: (keyed hash, column, flags, weight), one per keyed value a
copy may show: a name or facility as a whole (native and transliterated), each of a name's
tokens, an id number, every reading of a date. Plus a MinHash per record, and the keyed
hashes of its id numbers and their one-digit deletions (to tell a typo'd id from another
person's). ``build.py`` makes them; this module holds them and reads and writes the file.

File format (version 1), little-endian::

    b"LTFP" | u16 version | u32 header length | header (UTF-8 JSON) | arrays

The header holds the column names and kinds, the record ids when the responder chose an id
column (else the row numbers are an array), a key check digest, the BLAKE2b digest of the
array bytes, and each array's dtype, shape and offset. A file written before the id-number
variants existed lacks their arrays and loads without them (no typo'd-id matching). No value
of any record is stored, except the ids of an explicit ``--id-column``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FingerprintFileError
from . import params
from .keys import KeyedHasher, read_key

KIND_TEXT, KIND_ID, KIND_DATE, KIND_COMMON = "text", "id", "date", "common"
FLAG_TOKEN = 1  # one token of a multi-token value (partial evidence, summed per column)
FLAG_PREFILTER = 2  # a token, id number or date the document prefilter looks for
_HEADER = struct.Struct("<4sHI")
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
)
# Arrays a file written before they existed lacks: it loads without them (no typo matching).
_OPTIONAL_ARRAYS = ("id_variant_offsets", "id_variant_keys")


@dataclass
class ColumnProfile:
    name: str
    kind: str  # text, id, date or common
    unique_share: float  # share of rows whose value no other row holds
    bits: float = 0.0  # entropy of the column's values


@dataclass
class FingerprintSet:
    """Everything the scanner needs, as numpy arrays; ``load`` attaches the key."""

    columns: list[ColumnProfile]
    record_ids: list[str]
    id_column: str | None
    key_check: str
    entry_offsets: np.ndarray  # int64, records + 1: record i's entries are [o[i], o[i+1])
    entry_keys: np.ndarray  # uint64 keyed hashes
    entry_columns: np.ndarray  # uint8 column index
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
    minhash_seed: int = params.MINHASH_SEED
    key: bytes | None = field(default=None, repr=False)  # never saved
    _scanner: Any = field(default=None, repr=False, compare=False)  # scan.py's per-set state

    def __len__(self) -> int:
        return len(self.record_ids)

    @property
    def common_columns(self) -> np.ndarray:
        return np.array([c.kind == KIND_COMMON for c in self.columns], dtype=bool)

    # -- file ----------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the file owner-only, atomically (a crash never leaves half a file)."""
        path = Path(path)
        header, payload = self._encode()
        tmp = path.with_name(path.name + ".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(_HEADER.pack(params.FILE_MAGIC, params.FILE_VERSION, len(header)))
                out.write(header)
                out.write(payload)
            os.replace(tmp, path)
        except OSError as error:  # a folder in the way, a full disk: the user's to fix
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise FingerprintFileError(
                f"cannot write fingerprint file {path}: {error.strerror or error}"
            ) from None
        return path

    def _encode(self) -> tuple[bytes, bytes]:
        arrays, offset, parts = [], 0, []
        numbered = self.id_column is None and all(i.isdigit() for i in self.record_ids)
        named = {name: np.ascontiguousarray(getattr(self, name)) for name in _ARRAYS}
        if numbered:
            named["row_numbers"] = np.array([int(i) for i in self.record_ids], dtype=np.int64)
        for name, array in named.items():
            data = array.tobytes()
            arrays.append(
                {"name": name, "dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
            )
            parts.append(data)
            offset += len(data)
        payload = b"".join(parts)
        header = {
            "format": "leaktrack-fingerprints",
            "version": params.FILE_VERSION,
            "columns": [vars(c) for c in self.columns],
            "id_column": self.id_column,
            "record_ids": None if numbered else self.record_ids,
            "key_check": self.key_check,
            "minhash_seed": self.minhash_seed,
            "payload_blake2b": hashlib.blake2b(payload, digest_size=16).hexdigest(),
            "arrays": arrays,
        }
        return json.dumps(header, ensure_ascii=False).encode("utf-8"), payload

    @classmethod
    def load(cls, path: str | Path, key_file: str | Path | None = None) -> FingerprintSet:
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
                f"fingerprint file {path} was built with another key than {key_file or 'the default key'}"
            )
        fingerprints.key = key
        return fingerprints

    @classmethod
    def _from_parts(cls, path: Path, header: dict, payload: bytes) -> FingerprintSet:
        if hashlib.blake2b(payload, digest_size=16).hexdigest() != header.get("payload_blake2b"):
            raise FingerprintFileError(f"fingerprint file is corrupt (checksum mismatch): {path}")
        try:
            arrays = {
                a["name"]: np.frombuffer(
                    payload, dtype=np.dtype(a["dtype"]), count=int(np.prod(a["shape"])), offset=a["offset"]
                ).reshape(a["shape"])
                for a in header["arrays"]
            }
            record_ids = header["record_ids"]
            if record_ids is None:
                record_ids = [str(n) for n in arrays.pop("row_numbers").tolist()]
            if any(name not in arrays for name in _OPTIONAL_ARRAYS):
                arrays["id_variant_offsets"] = np.zeros(len(record_ids) + 1, dtype=np.int64)
                arrays["id_variant_keys"] = np.empty(0, dtype=np.uint64)
            return cls(
                columns=[ColumnProfile(**c) for c in header["columns"]],
                record_ids=record_ids,
                id_column=header["id_column"],
                key_check=header["key_check"],
                minhash_seed=header["minhash_seed"],
                **{name: arrays[name] for name in _ARRAYS},
            )
        except (KeyError, TypeError, ValueError):
            raise FingerprintFileError(f"fingerprint file is corrupt: {path}") from None


def _split_file(path: Path, data: bytes) -> tuple[dict, bytes]:
    if len(data) < _HEADER.size or not data.startswith(params.FILE_MAGIC):
        raise FingerprintFileError(f"not a leaktrack fingerprint file: {path}")
    _, version, header_length = _HEADER.unpack_from(data)
    if version != params.FILE_VERSION:
        raise FingerprintFileError(
            f"fingerprint file {path} has version {version}; this leaktrack reads version "
            f"{params.FILE_VERSION} (rebuild it with `leaktrack fingerprint`)"
        )
    try:
        header = json.loads(data[_HEADER.size : _HEADER.size + header_length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise FingerprintFileError(f"fingerprint file is corrupt (bad header): {path}") from None
    if not isinstance(header, dict):
        raise FingerprintFileError(f"fingerprint file is corrupt (bad header): {path}")
    return header, data[_HEADER.size + header_length :]
