"""The scanner's first pass, compiled: which lines of a document are worth a closer look.

One pass over the document's UTF-8 bytes (``_firstpass.c``, built by pip with the machine's C
compiler) folds ASCII as ``normalize.fold_text`` and ``token_bytes`` do, cuts chunks,
keyed-hashes their tokens (the keyed BLAKE2b of ``keys.KeyedHasher``, implemented in C) and
looks them up among the dataset's prefilter keys. Each distinct chunk's strength is kept in a
bounded memo, so a common word costs one table probe and a million distinct chunks cost the
same memory as ten. Chunks with non-ASCII bytes are folded here, in Python, one by one:
folding is local between ASCII separators, so a chunk folded alone reads as it does in the
folded document.

It gives the same candidate lines as the pure-Python ``scan._Scanner.candidate_lines`` (the
fallback when the module is not built; ``tests/test_first_pass.py`` compares the two).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from . import params
from .chunks import ID_HIT, chunk_prefilter_info
from .keys import KeyedHasher
from .normalize import fold_text, token_bytes

try:
    from . import _firstpass
except ImportError:  # not built (no C compiler at install): scan.py's pure-Python pass
    _firstpass = None

AVAILABLE = _firstpass is not None
_FOLD_MEMO_LIMIT = 100_000  # folded non-ASCII chunks remembered (dropped whole when full)


class CompiledFirstPass:
    """Candidate lines of documents for one fingerprint set and key (``hasher``'s).

    ``prefilter_keys`` (sorted) and ``extra_keys`` are the keys looked for; ``known_keys``
    (sorted) every key some record has, and ``known_bits`` the file's ``arrays.KeyBitset`` of
    them."""

    def __init__(
        self,
        hasher: KeyedHasher,
        prefilter_keys: np.ndarray,
        extra_keys: np.ndarray,
        known_keys: np.ndarray,
        known_bits: np.ndarray,
        memo_chunks: int = params.FIRST_PASS_MEMO_CHUNKS,
    ):
        if _firstpass is None:
            raise RuntimeError("the compiled first pass is not built (pip install -e . with a C compiler)")
        self.hasher: KeyedHasher = hasher
        self._lock: threading.Lock = threading.Lock()  # one document at a time (the desk rechecks in threads)
        self._folded: dict[bytes, list[tuple[bytes, int, bool, bool]]] = {}
        self._pass: Any = _firstpass.FirstPass(  # the C extension (no stubs)
            key=hasher.key,
            prefilter_keys=np.ascontiguousarray(prefilter_keys, dtype=np.uint64),
            extra_keys=np.ascontiguousarray(np.sort(extra_keys), dtype=np.uint64),
            known_keys=np.ascontiguousarray(known_keys, dtype=np.uint64),
            bits=np.ascontiguousarray(known_bits, dtype=np.uint8),
            fold=self._fold_chunk,
            id_hit=ID_HIT,
            min_id_digits=params.MIN_ID_DIGITS,
            min_word_bytes=params.PREFILTER_MIN_TOKEN_BYTES,
            date_min_year=params.DATE_MIN_YEAR,
            date_max_year=params.DATE_MAX_YEAR,
            memo_chunks=memo_chunks,
        )

    def candidate_lines(self, text: str) -> list[tuple[int, bytes]]:
        """(line number, the line as ``token_bytes(fold_text(line))``) of the lines holding an
        id number of the dataset, two chunks of rare dataset values, or a date of the dataset
        beside a word of the dataset; every line with a hit when the document holds more than
        ``PREFILTER_FIND_MAX_CHUNKS`` distinct hits (``scan._Scanner.candidate_lines``)."""
        data = text.encode("utf-8", "surrogatepass")
        with self._lock:
            distinct, strength, dated, rows = self._pass.lines(data)
        if strength < ID_HIT and not dated:
            return []
        threshold = 1 if distinct > params.PREFILTER_FIND_MAX_CHUNKS else ID_HIT
        found = np.frombuffer(rows, dtype=np.int64).reshape(-1, 4)
        found = found[found[:, 3] >= threshold]
        return [
            (line, token_bytes(fold_text(data[start:end].decode("utf-8", "surrogatepass"))))
            for line, start, end in found[:, :3].tolist()
        ]

    def memo_size(self) -> int:
        """Distinct chunks the memo holds."""
        return self._pass.memo_size()

    def _fold_chunk(self, raw: bytes) -> list[tuple[bytes, int, bool, bool]]:
        """The normalized chunks of a raw chunk with non-ASCII bytes that are something to
        the prefilter: (chunk, strength, holds a date, is a word of the dataset)."""
        hits = self._folded.get(raw)
        if hits is None:
            chunks = token_bytes(fold_text(raw.decode("utf-8", "surrogatepass"))).split()
            is_prefilter_key, is_known_key = self._pass.is_prefilter_key, self._pass.is_known_key
            infos = [chunk_prefilter_info(c, self.hasher, is_prefilter_key, is_known_key) for c in chunks]
            hits = [(c, *info) for c, info in zip(chunks, infos) if any(info)]
            if len(self._folded) >= _FOLD_MEMO_LIMIT:
                self._folded.clear()
            self._folded[raw] = hits
        return hits
