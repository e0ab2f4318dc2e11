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
fallback when the module is not built; ``tests/test_first_pass.py`` compares the two): both
find per line its strength and whether it holds a number, and ``candidate_rows`` chooses.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from . import params
from .chunks import ID_HIT, chunk_prefilter_info, month_token_keys
from .keys import KeyedHasher
from .normalize import fold_text, token_bytes

try:
    from . import _firstpass
except ImportError:  # not built (no C compiler at install): scan.py's pure-Python pass
    _firstpass = None

AVAILABLE = _firstpass is not None
_FOLD_MEMO_LIMIT = 100_000  # folded non-ASCII chunks remembered (dropped whole when full)


def candidate_rows(
    lines: np.ndarray, strengths: np.ndarray, numbered: np.ndarray, distinct_hits: int, numbers_needed: bool
) -> np.ndarray:
    """Which lines with a prefilter hit are worth the matcher's look, given (sorted) their line
    numbers, strengths and whether they hold what the matcher may read as an id number or a
    date (``chunks.line_has_number``), and the document's distinct hits.

    - A line of strength ID_HIT: an id number of the dataset, two chunks of rare dataset
      values, or a date of the dataset beside a word of the dataset.
    - In a document of more than ``PREFILTER_FIND_MAX_CHUNKS`` distinct hits (a leak, a name
      list, or a big page), also a line with one hit where hits are dense around it
      (``params.PREFILTER_DENSE_WINDOW_LINES``): a leak's rows are lines after lines with hits,
      a man page's everyday words that are rare dataset tokens are scattered.
    - ``numbers_needed`` (the dataset has fewer than two text columns): only a line that holds
      a number. Without one, its evidence is of one text column (the name) and common fields,
      which no rule of the matcher takes for a record (``params``: the distinctive score, two
      whole values, initials with a birth date, an OCR'd name with its birth date or id, the
      MinHash rescue all want a second distinctive field; an id or a date is read from digits,
      an OCR misreading of them, or a month name and a year). This is what keeps ordinary text
      that names people of the leak out of the matcher."""
    candidate = strengths >= ID_HIT
    if distinct_hits > params.PREFILTER_FIND_MAX_CHUNKS:
        window = params.PREFILTER_DENSE_WINDOW_LINES
        neighbours = (
            np.searchsorted(lines, lines + window, side="right")
            - np.searchsorted(lines, lines - window, side="left")
            - 1
        )
        candidate |= neighbours >= params.PREFILTER_DENSE_MIN_LINES
    if numbers_needed:
        candidate &= numbered
    return candidate


class CompiledFirstPass:
    """Candidate lines of documents for one fingerprint set and key (``hasher``'s).

    ``prefilter_keys`` (sorted) and ``extra_keys`` are the keys looked for; ``known_keys``
    (sorted) every key some record has, and ``known_bits`` the file's ``arrays.KeyBitset`` of
    them; ``numbers_needed`` as in ``candidate_rows``."""

    def __init__(
        self,
        hasher: KeyedHasher,
        prefilter_keys: np.ndarray,
        extra_keys: np.ndarray,
        known_keys: np.ndarray,
        known_bits: np.ndarray,
        numbers_needed: bool,
        memo_chunks: int = params.FIRST_PASS_MEMO_CHUNKS,
    ):
        if _firstpass is None:
            raise RuntimeError("the compiled first pass is not built (pip install -e . with a C compiler)")
        self.hasher: KeyedHasher = hasher
        self.numbers_needed = numbers_needed
        self._lock: threading.Lock = threading.Lock()  # one document at a time (the desk rechecks in threads)
        self._folded: dict[bytes, list[tuple[bytes, int]]] = {}
        self._pass: Any = _firstpass.FirstPass(  # the C extension (no stubs)
            key=hasher.key,
            prefilter_keys=np.ascontiguousarray(prefilter_keys, dtype=np.uint64),
            extra_keys=np.ascontiguousarray(np.sort(extra_keys), dtype=np.uint64),
            month_keys=month_token_keys(hasher),
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
        """(line number, the line as ``token_bytes(fold_text(line))``) of the lines
        ``candidate_rows`` chooses (as ``scan._Scanner.candidate_lines``)."""
        data = text.encode("utf-8", "surrogatepass")
        with self._lock:
            distinct, strength, dated, rows = self._pass.lines(data)
        if strength < ID_HIT and not dated:
            return []
        found = np.frombuffer(rows, dtype=np.int64).reshape(-1, 5)
        found = found[
            candidate_rows(found[:, 0], found[:, 3], found[:, 4] > 0, distinct, self.numbers_needed)
        ]
        return [
            (line, token_bytes(fold_text(data[start:end].decode("utf-8", "surrogatepass"))))
            for line, start, end in found[:, :3].tolist()
        ]

    def memo_size(self) -> int:
        """Distinct chunks the memo holds."""
        return self._pass.memo_size()

    def _fold_chunk(self, raw: bytes) -> list[tuple[bytes, int]]:
        """The normalized chunks of a raw chunk with non-ASCII bytes that are something to
        the first pass: (chunk, its ``chunks.INFO_`` bits)."""
        hits = self._folded.get(raw)
        if hits is None:
            chunks = token_bytes(fold_text(raw.decode("utf-8", "surrogatepass"))).split()
            is_prefilter_key, is_known_key = self._pass.is_prefilter_key, self._pass.is_known_key
            infos = [chunk_prefilter_info(c, self.hasher, is_prefilter_key, is_known_key) for c in chunks]
            hits = [(c, info) for c, info in zip(chunks, infos) if info]
            if len(self._folded) >= _FOLD_MEMO_LIMIT:
                self._folded.clear()
            self._folded[raw] = hits
        return hits
