"""The keys of every distinct document chunk seen so far, in flat arrays.

A *chunk* is a whitespace-separated piece of ``normalize.token_bytes`` output. Each distinct
chunk is tokenized and keyed-hashed once (the scanner's memo, kept across documents); after
that, the lines of a document become arrays of chunk ids, and their keys are gathered with
numpy instead of one Python object per chunk.

The memo's arrays grow by doubling (``_Growing``), and the chunks a document brings are
learnt in one batch (one vectorized prefilter test): a document costs the same whether the
memo holds ten chunks or a million (it used to rebuild every array per document).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import compress

import numpy as np

from . import params
from .arrays import expand_ranges, offsets_of, sorted_contains, sorted_unique
from .keys import KeyedHasher
from .normalize import MONTHS, chunk_tokens, digit_date_readings, id_number, ocr_readings, one_digit_deletions

try:
    from . import _firstpass
except ImportError:  # not built: every chunk is learnt in Python (same arrays)
    _firstpass = None

ID_HIT = 2  # prefilter strength of an id number: enough on its own to look at a line

# What the first pass knows of a chunk, as bits beside its strength (0, 1 or ID_HIT: the
# low two bits); ``_firstpass.c`` uses the same bits. DATE: it holds a date the prefilter
# looks for; WORD: it is one word some record holds, rare or not. NUMBER, MONTH and YEAR: what
# the matcher may read as an id number or a date (see ``line_number_flags``); OTHER_NUMBER:
# some of that is more than a digit date (an id of the dataset, a number that reads as no
# date, an OCR reading).
INFO_STRENGTH, INFO_DATE, INFO_WORD, INFO_NUMBER, INFO_MONTH, INFO_YEAR = 3, 4, 8, 16, 32, 64
INFO_OTHER_NUMBER = 128
# Per line (``line_number_flags``): it holds what the matcher may read as an id number or a
# date; it does, but only as dates (in digits, or spelled).
LINE_NUMBERED, LINE_ONLY_DATES = 1, 2


def chunk_prefilter_info(
    chunk: bytes,
    hasher: KeyedHasher,
    is_prefilter_key: Callable[[int], bool],
    is_known_key: Callable[[int], bool],
) -> int:
    """What ``ChunkTable`` finds of one chunk (it does many at once), as INFO_ bits: its
    prefilter strength (ID_HIT when one of its id numbers is a prefilter key, 1 when a token
    or a date is, else 0), whether a date is, whether it is one word of the dataset, rare or
    not, and what in it the matcher may read as a number (``number_traits``)."""
    tokens = chunk_tokens(chunk)
    if any(is_prefilter_key(hasher.id_number(t)) for t in tokens if id_number(t)):
        return ID_HIT | INFO_NUMBER | INFO_OTHER_NUMBER  # the line is a candidate whatever else it holds
    date = any(is_prefilter_key(hasher.date(d)) for t in tokens for d in digit_date_readings(t))
    token = any(is_prefilter_key(hasher.token(t)) for t in tokens)
    word = (
        len(tokens) == 1
        and len(chunk) >= params.PREFILTER_MIN_TOKEN_BYTES
        and not chunk.isdigit()
        and is_known_key(hasher.token(tokens[0]))
    )
    return (
        int(date or token) | number_traits(tokens) | (INFO_DATE if date else 0) | (INFO_WORD if word else 0)
    )


def number_traits(tokens: tuple[str, ...] | list[str]) -> int:
    """INFO_NUMBER when a chunk's tokens hold an id-like number (``normalize.id_number``: every
    digit date is one) or letters and digits that OCR look-alikes read as a number
    (``normalize.ocr_readings``), INFO_OTHER_NUMBER too unless they are digit dates only;
    INFO_MONTH for a month name, INFO_YEAR for a 4-digit number. (An OCR reading as a word is
    text: a name, not a number.)"""
    ocr = len(tokens) >= 2 and bool(ocr_readings("".join(tokens))[1])
    number = ocr or any(map(id_number, tokens))
    other = ocr or any(id_number(t) and not digit_date_readings(t) for t in tokens)
    month = any(t in MONTHS for t in tokens)
    year = any(t.isdecimal() and len(t) == 4 for t in tokens)
    return (
        (INFO_NUMBER if number else 0)
        | (INFO_OTHER_NUMBER if other else 0)
        | (INFO_MONTH if month else 0)
        | (INFO_YEAR if year else 0)
    )


def line_number_flags(
    number: np.ndarray, other: np.ndarray, month: np.ndarray, year: np.ndarray
) -> np.ndarray:
    """Per line, LINE_NUMBERED when it holds what the matcher may read as an id number or a
    date (a number, an OCR reading of one, or a month name beside a 4-digit year: "7 March
    1990"), and LINE_ONLY_DATES when that is dates only (digit dates, spelled dates); given per
    line whether some chunk has INFO_NUMBER, INFO_OTHER_NUMBER, INFO_MONTH, INFO_YEAR. A line
    without a number gives evidence of text columns only, one with dates only of a date and
    text columns (``first_pass.candidate_rows``, ``first_pass.DateWordTest``)."""
    numbered = number | (month & year)
    return numbered * LINE_NUMBERED | (numbered & ~other) * LINE_ONLY_DATES


def month_token_keys(hasher: KeyedHasher) -> np.ndarray:
    """Sorted keys of every month name (``normalize.MONTHS``) as a token."""
    return np.sort(np.array([hasher.token(m) for m in MONTHS], dtype=np.uint64))


class _Growing:
    """A numpy array appended to in batches, with room kept at the end (amortized O(1))."""

    def __init__(self, dtype: type):
        self._data: np.ndarray = np.empty(1024, dtype=dtype)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        end = self.size + len(values)
        if end > len(self._data):
            grown = np.empty(max(end, 2 * len(self._data)), dtype=self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : end] = values
        self.size = end

    @property
    def array(self) -> np.ndarray:
        return self._data[: self.size]


class _KeyColumn:
    """Per chunk, a list of keys: flat keys + per-chunk offsets, both growing."""

    def __init__(self):
        self.keys = _Growing(np.uint64)
        self.ends = _Growing(np.int64)  # end offset of each chunk's keys

    def extend(self, keys: np.ndarray, counts: np.ndarray) -> None:
        self.keys.extend(keys)
        base = self.ends.array[-1] if self.ends.size else 0
        self.ends.extend(base + np.cumsum(counts))

    def gather(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keys of the given chunks, concatenated, and how many each chunk has."""
        positions, counts = self.positions(chunk_ids)
        return self.keys.array[positions], counts

    def positions(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the given chunks' keys are in the flat keys, and how many each has."""
        ends = self.ends.array[chunk_ids]
        starts = np.where(chunk_ids > 0, self.ends.array[np.maximum(chunk_ids - 1, 0)], 0)
        counts = ends - starts
        return expand_ranges(starts, counts), counts


_ASCII_LINE_TOKENS = re.compile(r"[a-z]+|[0-9]+")


def tokens_of_line(line: bytes) -> list[str]:
    """The tokens of a line of ``normalize.token_bytes`` (an ASCII line in one regex pass)."""
    if line.isascii():
        return _ASCII_LINE_TOKENS.findall(line.decode("ascii"))
    return [t for chunk in line.split() for t in chunk_tokens(chunk)]


@dataclass
class _Learnt:
    """What a batch of chunks brings, as arrays (see ``ChunkTable``)."""

    token_keys: np.ndarray  # uint64, every token of every chunk
    token_counts: np.ndarray  # int64 per chunk
    token_is_digits: np.ndarray  # bool per token
    special_keys: np.ndarray  # uint64: each chunk's id numbers, then its date readings
    special_counts: np.ndarray  # int64 per chunk
    id_counts: np.ndarray  # int64 per chunk
    months: np.ndarray  # bool per chunk: holds a month name
    numbers: np.ndarray  # bool per chunk: holds an id-like number that is not a date
    ocr_readable: (
        np.ndarray
    )  # bool per chunk: mixes letters and digits that OCR look-alikes read as something
    with_year: np.ndarray  # bool per chunk: holds a 4-digit number (a year of a spelled date)
    ocr_numbers: np.ndarray  # bool per chunk: ... read as a number (INFO_NUMBER)


class ChunkTable:
    """Chunk -> id, and per id: tokens, token keys, id-number and date keys, prefilter hit.

    ASCII chunks are learnt by the compiled ``_firstpass.chunk_keys`` when it is built (and
    ``compiled`` is not False), the others in Python: the same arrays either way."""

    def __init__(
        self,
        hasher: KeyedHasher,
        prefilter_keys: np.ndarray,
        known_keys: np.ndarray | None = None,
        compiled: bool | None = None,
        extra_keys: np.ndarray | None = None,
    ):
        self.hasher = hasher
        self.compiled = _firstpass is not None and compiled is not False
        self._month_token_keys = month_token_keys(hasher)
        self.prefilter = prefilter_keys  # sorted unique uint64 (the file's, mapped)
        # Keys looked for besides the file's (the scanner's month names), sorted: searched
        # apart, so that the file's keys are used as mapped, not copied into one sorted array
        # (a copy that grew with the records and paged in the whole array at set-up).
        self.extra = np.empty(0, dtype=np.uint64) if extra_keys is None else sorted_unique(extra_keys)
        # Every key some record has (the file's, mapped): tells words of the dataset however
        # common they are in it (a surname shared by dozens of records).
        self.known = np.empty(0, dtype=np.uint64) if known_keys is None else known_keys
        self.clear()

    def clear(self) -> None:
        self.ids: dict[bytes, int] = {}
        self.chunks_by_id: list[bytes] = []
        self._hits = _Growing(np.int8)
        self._dates = _Growing(np.bool_)  # holds a date some records have (a prefilter hit)
        self._words = _Growing(np.bool_)  # holds a word of the dataset, rare or not
        self._months = _Growing(np.bool_)
        self._numbers = _Growing(np.bool_)  # holds an id-like number that is not a date
        self._number_readings = _Growing(np.bool_)  # holds an id-like number or an OCR reading of one
        self._ocr_numbers = _Growing(np.bool_)  # OCR look-alikes read as a number
        self._ocr_readable = _Growing(np.bool_)
        self._with_year = _Growing(np.bool_)
        self.token_keys = _KeyColumn()
        self.token_is_digits = _Growing(np.bool_)  # aligned with token_keys.keys
        self.special_keys = _KeyColumn()  # id numbers and every reading of a date
        self._id_counts = _Growing(np.int64)  # how many of a chunk's special keys are id numbers (the first)
        # Each chunk's id_variant_bytes keys, made the first time it is asked for (id_variants_of):
        # at _variant_keys[start:start + count] (start -1: not made yet).
        self._variant_starts = _Growing(np.int64)
        self._variant_counts = _Growing(np.int64)
        self._variant_keys = _Growing(np.uint64)

    def learn(self, chunks: set[bytes]) -> None:
        """Make sure every chunk has an id (dropping the table first when it grew too big;
        ids handed out before stay valid until the next ``learn``)."""
        new = [c for c in chunks if c not in self.ids]
        if not new:
            return
        if len(self.ids) + len(new) > params.CHUNK_MEMO_LIMIT:
            self.clear()
            new = list(chunks)
        self._add(new)

    def tokens_of(self, chunk_id: int) -> tuple[str, ...]:
        """The tokens of a chunk (made again when asked: no Python object per chunk kept)."""
        return chunk_tokens(self.chunks_by_id[chunk_id])

    def _add(self, chunks: list[bytes]) -> None:
        if self.compiled:
            if b"".join(chunks).isascii():  # the common case, in one C call
                ascii_chunks, chunks = chunks, []
            else:
                is_ascii = list(map(bytes.isascii, chunks))
                ascii_chunks = list(compress(chunks, is_ascii))
                chunks = list(compress(chunks, map(operator.not_, is_ascii)))
            if ascii_chunks:
                self._extend(ascii_chunks, self._learn_compiled(ascii_chunks))
        if chunks:
            self._extend(chunks, self._learn_in_python(chunks))

    def _learn_in_python(self, chunks: list[bytes]) -> _Learnt:
        token_keys, token_counts, special_keys, special_counts, months, numbers = [], [], [], [], [], []
        id_counts, digits, readable, years, ocr_numbers = [], [], [], [], []
        tokens_of = [chunk_tokens(chunk) for chunk in chunks]
        # The tokens not keyed before, keyed in one call (a fresh scanner meets a leak's names
        # that are not ASCII here, thousands of them; one at a time they were most of its cost):
        token_keys_of = self.hasher.prime("t", [t for tokens in tokens_of for t in tokens])
        for tokens in tokens_of:
            readings = ocr_readings("".join(tokens)) if len(tokens) >= 2 else ((), ())
            readable.append(any(readings))
            ocr_numbers.append(bool(readings[1]))
            years.append(any(t.isdecimal() and len(t) == 4 for t in tokens))
            keys = [token_keys_of[t] for t in tokens]
            ids = [self.hasher.id_number(t) for t in tokens if id_number(t)]
            dates = [self.hasher.date(d) for t in tokens for d in digit_date_readings(t)]
            token_keys += keys
            token_counts.append(len(keys))
            digits += [t.isdecimal() for t in tokens]  # (a run of digits: see normalize.id_number)
            special_keys += ids + dates
            special_counts.append(len(ids) + len(dates))
            id_counts.append(len(ids))
            months.append(any(t in MONTHS for t in tokens))
            numbers.append(any(id_number(t) and not digit_date_readings(t) for t in tokens))
        return _Learnt(
            np.array(token_keys, dtype=np.uint64),
            np.array(token_counts, dtype=np.int64),
            np.array(digits, dtype=bool),
            np.array(special_keys, dtype=np.uint64),
            np.array(special_counts, dtype=np.int64),
            np.array(id_counts, dtype=np.int64),
            np.array(months, dtype=bool),
            np.array(numbers, dtype=bool),
            np.array(readable, dtype=bool),
            np.array(years, dtype=bool),
            np.array(ocr_numbers, dtype=bool),
        )

    def _learn_compiled(self, chunks: list[bytes]) -> _Learnt:
        """The same arrays for normalized ASCII chunks, in C (a million distinct chunks cost
        about a second instead of forty)."""
        assert _firstpass is not None
        parts = _firstpass.chunk_keys(
            self.hasher.key, chunks, params.MIN_ID_DIGITS, params.DATE_MIN_YEAR, params.DATE_MAX_YEAR
        )
        token_keys, token_counts, digits, special_keys, special_counts, id_counts, numbers, traits = (
            np.frombuffer(part, dtype=dtype)
            for part, dtype in zip(
                parts, (np.uint64, np.int64, np.uint8, np.uint64, np.int64, np.int64, np.uint8, np.uint8)
            )
        )
        # A month name is a token whose key is a month name's (MONTHS, keyed like any token).
        month_tokens = sorted_contains(self._month_token_keys, token_keys)
        months = np.bincount(
            np.repeat(np.arange(len(chunks)), token_counts), weights=month_tokens, minlength=len(chunks)
        )
        return _Learnt(
            token_keys,
            token_counts,
            digits.astype(bool),
            special_keys,
            special_counts,
            id_counts,
            months > 0,
            numbers.astype(bool),
            (traits & 1) > 0,
            (traits & 2) > 0,
            (traits & 4) > 0,
        )

    def _extend(self, chunks: list[bytes], learnt: _Learnt) -> None:
        first = len(self.chunks_by_id)
        self.ids.update(zip(chunks, range(first, first + len(chunks))))
        self.chunks_by_id += chunks
        self.token_keys.extend(learnt.token_keys, learnt.token_counts)
        self.token_is_digits.extend(learnt.token_is_digits)
        self.special_keys.extend(learnt.special_keys, learnt.special_counts)
        self._id_counts.extend(learnt.id_counts)
        hits, date_hits = self._prefilter_hits(learnt)
        self._hits.extend(hits)
        self._dates.extend(date_hits)
        self._words.extend(self._dataset_words(chunks, learnt.token_keys, learnt.token_counts))
        self._months.extend(learnt.months)
        self._numbers.extend(learnt.numbers)
        self._number_readings.extend((learnt.id_counts > 0) | learnt.ocr_numbers)
        self._ocr_numbers.extend(learnt.ocr_numbers)
        self._ocr_readable.extend(learnt.ocr_readable)
        self._with_year.extend(learnt.with_year)
        self._variant_starts.extend(np.full(len(chunks), -1, dtype=np.int64))
        self._variant_counts.extend(np.zeros(len(chunks), dtype=np.int64))

    def _prefilter_hits(self, learnt: _Learnt) -> tuple[np.ndarray, np.ndarray]:
        """Per chunk: ID_HIT when one of its id numbers is a prefilter key, 1 when a token or
        a date is, else 0; and whether a date is (one vectorized lookup for the whole batch)."""
        token_counts, special_counts, id_counts = learnt.token_counts, learnt.special_counts, learnt.id_counts
        special_keys = learnt.special_keys
        n = len(token_counts)
        token_found = self._looked_for(learnt.token_keys)
        special_found = self._looked_for(special_keys)
        owner_of_token = np.repeat(np.arange(n), token_counts)
        owner_of_special = np.repeat(np.arange(n), special_counts)
        # The first id_counts[i] special keys of chunk i are id numbers, the rest dates.
        special_starts = np.repeat(np.cumsum(special_counts) - special_counts, special_counts)
        is_id = (np.arange(len(special_keys)) - special_starts) < np.repeat(id_counts, special_counts)
        hits = np.zeros(n, dtype=np.int8)
        hits[owner_of_token[token_found]] = 1
        hits[owner_of_special[special_found & ~is_id]] = 1
        hits[owner_of_special[special_found & is_id]] = ID_HIT
        dates = np.zeros(n, dtype=bool)
        dates[owner_of_special[special_found & ~is_id]] = True
        return hits, dates

    def _looked_for(self, keys: np.ndarray) -> np.ndarray:
        """Which of the keys the prefilter looks for (the file's or the extra keys)."""
        found = sorted_contains(self.prefilter, keys)
        if len(self.extra):
            found |= sorted_contains(self.extra, keys)
        return found

    def _dataset_words(
        self, chunks: list[bytes], token_keys: np.ndarray, token_counts: np.ndarray
    ) -> np.ndarray:
        """Per chunk: whether it is one word (letters, at least PREFILTER_MIN_TOKEN_BYTES) that
        some record holds, however many records do."""
        n = len(token_counts)
        single = np.array(token_counts, dtype=np.int64) == 1
        starts = np.cumsum(token_counts) - np.array(token_counts, dtype=np.int64)
        words = np.zeros(n, dtype=bool)
        candidates = np.flatnonzero(single)
        if len(candidates) == 0 or len(self.known) == 0:
            return words
        found = sorted_contains(self.known, token_keys[starts[candidates]])
        for i in candidates[found].tolist():
            chunk = chunks[i]
            words[i] = len(chunk) >= params.PREFILTER_MIN_TOKEN_BYTES and not chunk.isdigit()
        return words

    def hit(self, chunk: bytes) -> int:
        return int(self._hits.array[self.ids[chunk]])

    def hits_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        return self._hits.array[chunk_ids]

    def dates_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Which of the chunks hold a date of the dataset the prefilter looks for."""
        return self._dates.array[chunk_ids]

    def dataset_words_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Which of the chunks are a word some record holds (rare or not)."""
        return self._words.array[chunk_ids]

    def id_counts_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """How many of each chunk's special keys are id numbers (they come first, then dates)."""
        return self._id_counts.array[chunk_ids]

    def with_month_name(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Which of the chunks hold an English month name (a date may span chunks)."""
        return self._months.array[chunk_ids]

    def id_variant_keys(self, line: bytes) -> np.ndarray:
        """Sorted keyed hashes of a line's id-like numbers (not dates) and of their one-digit
        deletions, to meet a record's (``FingerprintSet.id_variant_keys``)."""
        if self.compiled and line.isascii():
            assert _firstpass is not None
            found = _firstpass.id_variant_keys(
                self.hasher.key, line, params.MIN_ID_DIGITS, params.DATE_MIN_YEAR, params.DATE_MAX_YEAR
            )
            return sorted_unique(np.frombuffer(found, dtype=np.uint64))
        numbers = {t for t in tokens_of_line(line) if id_number(t) and not digit_date_readings(t)}
        keys = [self.hasher.id_variant(v) for n in numbers for v in one_digit_deletions(n)]
        return sorted_unique(np.array(keys, dtype=np.uint64))

    def id_variant_bytes(self, chunk: bytes) -> bytes:
        """``id_variant_keys`` of one chunk as uint64 bytes, neither sorted nor deduplicated:
        for a caller that sorts the keys of many chunks at once (a numpy sort per chunk cost
        more than making its keys: a one-line CSV of 867,762 distinct id-like cells spent 6 of
        its 11 s there)."""
        if self.compiled and chunk.isascii():
            assert _firstpass is not None
            return _firstpass.id_variant_keys(
                self.hasher.key, chunk, params.MIN_ID_DIGITS, params.DATE_MIN_YEAR, params.DATE_MAX_YEAR
            )
        return self.id_variant_keys(chunk).tobytes()

    def id_variants_of(self, chunk_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(keys, starts, counts): chunk ``chunk_ids[i]``'s ``id_variant_bytes`` keys are
        ``keys[starts[i]:starts[i] + counts[i]]``. Each chunk's are made once, the first time it
        is asked for, and kept with the chunk (a leak's id numbers recur in its copies): then a
        batch's are gathered at once, where asking a memo chunk by chunk cost a Python call
        each."""
        new = np.unique(chunk_ids[self._variant_starts.array[chunk_ids] < 0])
        if len(new):
            made = [self.id_variant_bytes(self.chunks_by_id[c]) for c in new.tolist()]
            counts = np.fromiter(map(len, made), dtype=np.int64, count=len(made)) // 8
            self._variant_starts.array[new] = self._variant_keys.size + offsets_of(counts)[:-1]
            self._variant_counts.array[new] = counts
            self._variant_keys.extend(np.frombuffer(b"".join(made), dtype=np.uint64))
        return (
            self._variant_keys.array,
            self._variant_starts.array[chunk_ids],
            self._variant_counts.array[chunk_ids],
        )

    def ocr_readable(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Which of the chunks mix letters and digits that OCR's look-alikes read as a word
        or a number (``normalize.ocr_readings`` finds something)."""
        return self._ocr_readable.array[chunk_ids]

    def with_year(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Which of the chunks hold a 4-digit number (a spelled date's year)."""
        return self._with_year.array[chunk_ids]

    def with_number_reading(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Which of the chunks hold an id-like number (a digit date too), or letters and digits
        that OCR look-alikes read as a number: INFO_NUMBER (``number_traits``)."""
        return self._number_readings.array[chunk_ids]

    def with_other_number(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Which of the chunks hold more than digit dates that the matcher reads as a number:
        an id of the dataset, an id-like number that reads as no date, an OCR reading as a
        number (INFO_OTHER_NUMBER)."""
        return (
            self._numbers.array[chunk_ids]
            | self._ocr_numbers.array[chunk_ids]
            | (self._hits.array[chunk_ids] == ID_HIT)
        )

    def with_id_number(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Which of the chunks hold an id-like number that is not a date."""
        return self._numbers.array[chunk_ids]
