"""The scanner's first pass, compiled: which lines of a document are worth a closer look.

One pass over the document's text (``_firstpass.c``, built by pip with the machine's C
compiler) folds as ``normalize.fold_text`` and ``token_bytes`` do, cuts chunks,
keyed-hashes their tokens (the keyed BLAKE2b of ``keys.KeyedHasher``, implemented in C) and
looks them up among the dataset's prefilter keys. Each distinct chunk's strength is kept in a
bounded memo, so a common word costs one table probe (in the processor's cache) and a million
distinct chunks cost the same memory as ten. The text is read as the str holds it (no UTF-8
copy of the document). Non-ASCII characters are folded in C from what ``fold_character`` says of
each (asked once per character); a chunk with a character that does not fold alone is folded
here, in Python, whole: folding is local between ASCII separators, so a chunk folded alone
reads as it does in the folded document.

It gives the same candidate lines as the pure-Python ``scan._Scanner.candidate_lines`` (the
fallback when the module is not built; ``tests/test_first_pass.py`` compares the two): both
find per line its strength and whether it holds a number, ``candidate_rows`` chooses, and
``DateWordTest`` drops the lines whose only numbers are dates no record holds beside one of
their words. The compiled pass drops first the lines whose dates, in digits or spelled, no
record holds at all (``LINE_NO_DATASET_DATE``): most such lines of ordinary text, which then
cost no Python.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import params
from .arrays import KeyBitset, expand_ranges, group_starts, sorted_contains, sorted_unique
from .chunks import (
    ID_HIT,
    LINE_NUMBERED,
    LINE_ONLY_DATES,
    chunk_prefilter_info,
    month_token_keys,
    tokens_of_line,
)
from .fingerprint_set import FLAG_INITIAL, FingerprintSet
from .keys import KeyedHasher, date_word_keys, token_run_keys, word_pair_keys
from .line_keys import LINE_SALT as _LINE_SALT
from .line_keys import KeySet
from .normalize import (
    DATE_FILLER_WORDS,
    MONTHS,
    chunk_tokens,
    digit_date_readings,
    fold_text,
    ocr_readings,
    textual_dates,
    token_bytes,
)

try:
    from . import _firstpass
except ImportError:  # not built (no C compiler at install): scan.py's pure-Python pass
    _firstpass = None

AVAILABLE = _firstpass is not None
_FOLD_MEMO_LIMIT = 100_000  # folded non-ASCII chunks remembered (dropped whole when full)
# Words and dates whose keys the date-word test remembers, of each kind (~100 bytes each, ~5 MB):
_KEY_MEMO_LIMIT = 50_000
# Records whose entries the date-word test reads at once (~17 entries a record at 10M records:
# a few MB of temporaries, whatever the number of date lines in a document).
_RECORDS_AT_ONCE = 1 << 16
# A character's class in ``normalize.chunk_tokens`` (its regex: runs of letters, runs of
# digits, anything else dropped); the C pass's TOKEN_ classes.
TOKEN_LETTER, TOKEN_DIGIT, TOKEN_OTHER = 0, 1, 2
_LETTER, _DIGIT = re.compile(r"[^\W\d_]"), re.compile(r"\d")
# A number flag of the compiled pass's rows beside ``chunks.line_number_flags``' two: the
# line's only numbers are dates (LINE_ONLY_DATES), and none of the dates ``DateWordTest``
# reads in it (``digit_date_readings`` of its tokens, ``textual_dates``) is a prefilter key.
# Every date of the dataset is one, however common, so no record holds a date of the line,
# and ``DateWordTest.held`` holds it for none: the line is dropped before the test (most
# lines of ordinary text that name a person beside a date, a changelog's signature lines).
LINE_NO_DATASET_DATE = 4


def fold_character(code_point: int) -> tuple[bytes | None, int]:
    """What the compiled pass needs to know of a non-ASCII character: its folded bytes,
    ``token_bytes(fold_text(character))``, when a chunk holding it folds as the concatenation
    of its characters folded alone (else None: such a chunk is folded whole, in Python), and
    its class in ``chunk_tokens`` (TOKEN_LETTER, TOKEN_DIGIT or TOKEN_OTHER).

    ``fold_text`` is NFKD, case folding and the removal of combining marks, each character by
    character, except NFKD's canonical reordering: it moves characters of a nonzero combining
    class among themselves. A character folds alone when every such character of its
    decomposition folds to nothing (a mark removed), so reordering changes nothing. Also left
    to Python: lone surrogates, and characters whose folded bytes hold a non-ASCII digit (the
    compiled pass reads ids and dates from ASCII digits only)."""
    character = chr(code_point)
    token_class = (
        TOKEN_LETTER if _LETTER.match(character) else TOKEN_DIGIT if _DIGIT.match(character) else TOKEN_OTHER
    )
    if 0xD800 <= code_point <= 0xDFFF:
        return None, token_class
    decomposed = unicodedata.normalize("NFKD", character)
    if any(unicodedata.combining(part) and fold_text(part) for part in decomposed):
        return None, token_class
    folded = fold_text(character)
    if any(not part.isascii() and _DIGIT.match(part) for part in folded):
        return None, token_class
    return token_bytes(folded), token_class


def candidate_rows(
    lines: np.ndarray,
    strengths: np.ndarray,
    number_flags: np.ndarray,
    distinct_hits: int,
    numbers_needed: bool,
) -> np.ndarray:
    """Which lines with a prefilter hit are worth the matcher's look, given (sorted) their line
    numbers, strengths and whether they hold what the matcher may read as an id number or a
    date (``chunks.line_number_flags``), and the document's distinct hits.

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
    if distinct_hits > params.PREFILTER_FIND_MAX_CHUNKS:  # (see none_chosen)
        window = params.PREFILTER_DENSE_WINDOW_LINES
        neighbours = (
            np.searchsorted(lines, lines + window, side="right")
            - np.searchsorted(lines, lines - window, side="left")
            - 1
        )
        candidate |= neighbours >= params.PREFILTER_DENSE_MIN_LINES
    if numbers_needed:
        candidate &= (number_flags & LINE_NUMBERED) > 0
    return candidate


def none_chosen(strongest: tuple[int, int], distinct_hits: int, numbers_needed: bool) -> bool:
    """``candidate_rows`` chooses no line of a document, given the strength of its strongest
    line and of its strongest line holding a number (``chunks.LINE_NUMBERED``), said without
    building its arrays: when the lines it may choose (with a number, when ``numbers_needed``)
    are all below ID_HIT, in a document whose distinct hits do not call for the density rule
    (most documents with a hit or two); or when there is no such line at all."""
    best = strongest[1] if numbers_needed else strongest[0]
    return best == 0 or (best < ID_HIT and distinct_hits <= params.PREFILTER_FIND_MAX_CHUNKS)


class DateWordTest:
    """For a dataset with fewer than two text columns: a line whose only numbers are dates, in
    digits or spelled (``chunks.LINE_ONLY_DATES``), can be matched only to a record holding one
    of those dates and one of its words (a name token, or an OCR reading of one): a date and common fields
    alone, or a name and another person's date, match no rule of the matcher (see
    ``candidate_rows``). Ordinary text that names a person of the leak beside a date ("... was
    seen on 1988-04-02", a changelog's "-- Colin Watson <...>  Sat, 4 Dec 2004") stays out of
    the matcher. The dates are read as the matcher reads them (``digit_date_readings`` of a
    token, ``textual_dates`` of the line's tokens).

    The records of a date come from the file's sorted postings (``candidate_keys`` for a date
    of at most CANDIDATE_MAX_DF records, ``paired_keys`` up to PAIRED_MAX_DF); a date of the
    dataset in neither (shared by more) keeps its line.

    A file built with the (date, word) pairs its records hold (``date_word_keys``) answers in
    a few lookups a line, whatever the records sharing its date; an older file is answered
    from the postings and the entries of the date's records (hundreds a date at 10 million
    records), with the same verdicts.

    A file that also knows what the matcher needs beyond a date and a word
    (``date_word_reach``, ``date_name_keys``: ``build.date_name_facts``) drops more: a line
    whose pairs are held only by records it could never match, a record born that day that
    shares a common given name with the line (at 10 million records, ~450 people share a
    birth date: most such lines of ordinary text). Kept: a line where one record's name
    could be whole or abbreviated (two of its words, or a word that is a whole value of
    it), or where the words' reaches beside the date add up to what a name found in part
    and a date must bring (``params.MIN_PARTIAL_NAME_AND_DATE``). Not for lines read by OCR,
    where one misread letter is still the name (``scan._Scanner._ocr_repaired_names``)."""

    def __init__(self, fingerprints: FingerprintSet, hasher: KeyedHasher):
        self.fp = fingerprints
        self.hasher = hasher
        self.common_columns = fingerprints.common_columns
        bits = fingerprints.date_word_bits
        self.date_word_bits: KeyBitset | None = KeyBitset(bits) if len(bits) else None
        # Keys remembered across documents (``_remembered_keys``, ``_digit_date_keys``):
        self._memos: dict[str, dict[str, int]] = {"t": {}, "d": {}}
        self._digit_dates: dict[str, list[int]] = {}
        anchor_bits = fingerprints.date_name_bits
        self.knows_rules = 0 < len(fingerprints.date_word_reach) == len(fingerprints.date_word_keys)
        self.knows_rules &= len(anchor_bits) > 0
        self.date_name_bits = KeyBitset(anchor_bits) if self.knows_rules else KeyBitset.nothing()

    def keep(
        self,
        lines: list[tuple[int, bytes]],
        number_flags: np.ndarray,
        ocr_line_ranges: Sequence[tuple[int, int]] = (),
    ) -> list[tuple[int, bytes]]:
        """The (line number, token bytes) lines without those whose only numbers are dates
        that no record holds beside one of the line's words (``number_flags`` per line), nor,
        when the file knows the matcher's rules, beside what the matcher needs of it (lines
        of the text read by OCR aside: ``ocr_line_ranges``, (first, end) line numbers)."""
        only_dates = np.flatnonzero(number_flags & LINE_ONLY_DATES)
        if len(only_dates) == 0:
            return lines
        strict = None
        if self.knows_rules:
            numbers = np.array([lines[i][0] for i in only_dates.tolist()], dtype=np.int64)
            strict = np.ones(len(numbers), dtype=bool)
            for first, end in ocr_line_ranges:
                strict &= (numbers < first) | (numbers >= end)
        held = self.held([lines[i][1] for i in only_dates.tolist()], strict)
        dropped = set(only_dates[~held].tolist())
        return [line for i, line in enumerate(lines) if i not in dropped]

    def held(self, lines: list[bytes], strict: np.ndarray | None = None) -> np.ndarray:
        """Per line (token bytes): does some record hold one of its dates and one of its
        tokens in a distinctive field (not as an initial), or is one of its dates a date of the
        dataset too common to be listed? The dates first: most such lines (a changelog's
        dates, a name beside another person's date) hold no date any record has, and their
        words are never looked at. ``strict`` (per line, only when the file ``knows_rules``):
        also, is it what the matcher could take for such a record (see the class)?"""
        tokens_of = [tokens_of_line(line) for line in lines]
        dates: list[int] = []  # keys of the digit dates, then of the spelled ones
        date_lines: list[int] = []
        spelled: list[str] = []
        spelled_lines: list[int] = []
        for i, tokens in enumerate(tokens_of):
            # (digit tokens of any script: "١٩٩٠٠٣٠٧" reads as a date too)
            for t in tokens:
                if t.isdigit() and 6 <= len(t) <= 8 and (read := self._digit_date_keys(t)):
                    dates += read
                    date_lines += [i] * len(read)
            if not MONTHS.keys().isdisjoint(tokens):
                read_spelled = textual_dates(tokens)
                spelled += read_spelled
                spelled_lines += [i] * len(read_spelled)
        held = np.zeros(len(lines), dtype=bool)
        if not dates and not spelled:
            return held
        dates_array = np.concatenate((np.array(dates, dtype=np.uint64), self._remembered_keys("d", spelled)))
        date_lines_array = np.array(date_lines + spelled_lines, dtype=np.int64)
        if self.date_word_bits is not None:
            return self._held_by_pairs(
                self.date_word_bits, lines, tokens_of, dates_array, date_lines_array, strict
            )
        date_of, record = self._listed_records(dates_array)
        listed = np.bincount(date_of, minlength=len(dates_array)) > 0
        too_common = ~listed & sorted_contains(self.fp.prefilter_keys, dates_array)
        held[date_lines_array[too_common]] = True
        if not listed.any():  # most date-only lines: no record has their dates
            return held
        record_line = date_lines_array[date_of]
        # The words' side first: a record that the postings list under a value of the line
        # holds one of its words (most lines that name a person of the leak beside their own
        # birth date); the entries of the date's records (hundreds a date at 10 million
        # records) are read only for the lines left.
        held[self._lines_with_a_listed_value_of(tokens_of, record, record_line)] = True
        left = ~held[record_line]
        if left.any():
            held[self._lines_with_a_word_of(lines, tokens_of, record[left], record_line[left])] = True
        return held

    def _held_by_pairs(
        self,
        pair_bits: KeyBitset,
        lines: list[bytes],
        tokens_of: list[list[str]],
        dates: np.ndarray,
        date_lines: np.ndarray,
        strict: np.ndarray | None,
    ) -> np.ndarray:
        """``held`` from the file's (date, word) pairs: a line is held when one of its dates
        beside one of its words is a pair of some record (a ``strict`` line: and what the
        matcher needs, ``_matchable``), or when one of its dates is a date of the dataset
        that the postings do not list (too common)."""
        held = np.zeros(len(lines), dtype=bool)
        # Every date of the dataset, however common, is a prefilter key: a date not among
        # them is no record's (most dates of ordinary text at small sizes).
        of_dataset = sorted_contains(self.fp.prefilter_keys, dates)
        dates, date_lines = dates[of_dataset], date_lines[of_dataset]
        if len(dates) == 0:
            return held
        words, word_lines = self._words_of(lines, tokens_of, np.unique(date_lines))
        first = np.searchsorted(word_lines, date_lines, side="left")
        counts = np.searchsorted(word_lines, date_lines, side="right") - first
        # Each pair: the index of its date (in ``dates``) and of its word (in ``words``).
        pair_dates, pair_words = np.repeat(np.arange(len(dates)), counts), expand_ranges(first, counts)
        pairs = date_word_keys(dates[pair_dates], words[pair_words])
        maybe = np.flatnonzero(pair_bits.may_contain(pairs))  # one byte read a pair rules out most
        listed = self.fp.date_word_keys
        at = np.minimum(np.searchsorted(listed, pairs[maybe]), len(listed) - 1)
        hit = listed[at] == pairs[maybe]
        found, at = maybe[hit], at[hit]
        if strict is None:
            held[date_lines[pair_dates[found]]] = True
        else:
            loose = ~strict[date_lines[pair_dates[found]]]
            held[date_lines[pair_dates[found[loose]]]] = True
            matchable = self._matchable(
                dates, words, first, counts, pair_dates[found[~loose]], pair_words[found[~loose]], at[~loose]
            )
            held[date_lines[matchable]] = True
        left = ~held[date_lines]
        if left.any():
            too_common = ~self._listed(dates[left])
            held[date_lines[left][too_common]] = True
        return held

    def _matchable(
        self,
        dates: np.ndarray,
        words: np.ndarray,
        first: np.ndarray,
        counts: np.ndarray,
        pair_dates: np.ndarray,
        pair_words: np.ndarray,
        listed_at: np.ndarray,
    ) -> np.ndarray:
        """The dates (indexes into ``dates``; each date's line's words are ``words[first:
        first + counts]``) where the (date, word) pairs some record holds (indexes
        ``pair_dates``, ``pair_words``, at ``listed_at`` in ``date_word_keys``) could make a
        match: their words' reaches add up (each distinct word once), or one of the words and
        another word of the line are an anchor of a record born that day (a name whole or
        abbreviated; a word that is a whole value reaches infinitely)."""
        order = np.lexsort((words[pair_words], pair_dates))
        once = order[group_starts(pair_dates[order], words[pair_words][order])]
        reach = np.bincount(
            pair_dates[once], weights=self.fp.date_word_reach[listed_at[once]], minlength=len(dates)
        )
        reaching = np.flatnonzero(reach >= params.MIN_PARTIAL_NAME_AND_DATE)
        # Anchors: each word of a pair with every other word of its line, beside the date.
        with_words, starts = counts[pair_dates[once]], first[pair_dates[once]]
        mine = np.repeat(words[pair_words[once]], with_words)
        other = words[expand_ranges(starts, with_words)]
        apart = mine != other
        anchor_dates = np.repeat(pair_dates[once], with_words)[apart]
        anchors = date_word_keys(dates[anchor_dates], word_pair_keys(mine[apart], other[apart]))
        maybe = self.date_name_bits.may_contain(anchors)
        anchored = anchor_dates[maybe][sorted_contains(self.fp.date_name_keys, anchors[maybe])]
        return np.union1d(reaching, anchored)

    def _listed(self, keys: np.ndarray) -> np.ndarray:
        """Per key: do the file's postings (``candidate_keys``, ``paired_keys``) list it?"""
        return sorted_contains(self.fp.candidate_keys, keys) | sorted_contains(self.fp.paired_keys, keys)

    def _lines_with_a_listed_value_of(
        self, tokens_of: list[list[str]], record: np.ndarray, record_line: np.ndarray
    ) -> np.ndarray:
        """Lines (of ``record_line``) whose record (``record``) the file's postings
        (``candidate_keys``, ``paired_keys``) list under one of the line's tokens or runs of
        tokens. Every line found holds a token of its record in a distinctive field, not as an
        initial, as ``_lines_with_a_word_of`` asks: the postings list only such entries
        (``build``: no common column, no initial, no name form), and a record listed under a
        run of tokens holds that run as a whole value, whose tokens it holds one by one
        (``build.EntryBuilder.entries``). A line not found here may still hold one (a
        token too common to be listed): it is asked of the record's entries."""
        line_numbers = np.unique(record_line)
        words = [tokens_of[i] for i in line_numbers.tolist()]
        token_keys = self._keys("t", [w for line in words for w in line])
        token_lines = np.repeat(line_numbers, [len(line) for line in words])
        run_keys, run_lines = token_run_keys(token_keys, token_lines, params.MAX_VALUE_TOKENS)
        keys = np.concatenate((token_keys, run_keys))
        key_lines = np.concatenate((token_lines, run_lines))
        # Only keys some record has can be listed: the file's bitset of them rules out most
        # (a line's everyday words and runs), and the searches go in key order (each starts
        # where the last ended: fewer cache misses in arrays of hundreds of MB).
        maybe = KeyBitset(self.fp.known_bits).may_contain(keys)
        order = np.argsort(keys[maybe])
        keys, key_lines = keys[maybe][order], key_lines[maybe][order]
        key_of, found = self._listed_records(keys)
        listed = sorted_unique((key_lines[key_of] << 32) | found)
        return record_line[sorted_contains(listed, (record_line << 32) | record)]

    def _listed_records(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into ``keys``, record) of every record the file's sorted postings list under
        one of the keys: ``candidate_keys``, then ``paired_keys``."""
        key_of, records = [], []
        for listed_keys, listed_records in (
            (self.fp.candidate_keys, self.fp.candidate_records),
            (self.fp.paired_keys, self.fp.paired_records),
        ):
            lo = np.searchsorted(listed_keys, keys, side="left")
            counts = np.searchsorted(listed_keys, keys, side="right") - lo
            key_of.append(np.repeat(np.arange(len(keys)), counts))
            records.append(np.asarray(listed_records)[expand_ranges(lo, counts)].astype(np.int64))
        return np.concatenate(key_of), np.concatenate(records)

    def _lines_with_a_word_of(
        self, lines: list[bytes], tokens_of: list[list[str]], record: np.ndarray, record_line: np.ndarray
    ) -> np.ndarray:
        """The lines (of ``record_line``) holding a token of their record (``record``) in a
        distinctive field, not as an initial."""
        keys, word_line_numbers = self._words_of(lines, tokens_of, np.unique(record_line))
        # A line left without a word some record may hold is held by none (most words of a
        # line of text; at 10M records a date's ~450 records have ~8,000 entries).
        with_words = sorted_contains(sorted_unique(word_line_numbers), record_line)
        record, record_line = record[with_words], record_line[with_words]
        line_words = KeySet(keys ^ (word_line_numbers.astype(np.uint64) * _LINE_SALT))
        found = [
            self._held_in(line_words, record[i : i + _RECORDS_AT_ONCE], record_line[i : i + _RECORDS_AT_ONCE])
            for i in range(0, len(record), _RECORDS_AT_ONCE)
        ]
        return np.concatenate(found) if found else np.empty(0, dtype=np.int64)

    def _words_of(
        self, lines: list[bytes], tokens_of: list[list[str]], line_numbers: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The keys of the words of the lines ``line_numbers`` (sorted) that some record may
        hold, and the line of each (non-decreasing): their tokens, and the words OCR
        look-alikes read ("j0se": a name as the matcher finds it, only in a chunk mixing
        letters and digits)."""
        words, word_lines = [], []
        for i in line_numbers.tolist():
            tokens = tokens_of[i] + [
                w
                for chunk in lines[i].split()
                if not (chunk.isalpha() or chunk.isdigit())
                for w in ocr_readings("".join(chunk_tokens(chunk)))[0]
            ]
            words += tokens
            word_lines += [i] * len(tokens)
        keys = self._remembered_keys("t", words)
        # A record's entry keys are known keys: a word the file's bitset rules out is no
        # record's.
        known = KeyBitset(self.fp.known_bits).may_contain(keys)
        return keys[known], np.array(word_lines, dtype=np.int64)[known]

    def _held_in(self, line_words: KeySet, record: np.ndarray, record_line: np.ndarray) -> np.ndarray:
        """The lines (of ``record_line``) where an entry of their record (``record``) is one of
        ``line_words`` (keys salted with their line) in a distinctive field, not as an initial."""
        starts = self.fp.entry_offsets[record]
        counts = self.fp.entry_offsets[record + 1] - starts
        entries = expand_ranges(starts, counts)
        entry_lines = np.repeat(record_line, counts)
        found = np.flatnonzero(
            line_words.contains(self.fp.entry_keys[entries] ^ (entry_lines.astype(np.uint64) * _LINE_SALT))
        )
        # Not a facility's words, nor a name's initials: a name found with initials has one of
        # its tokens whole too (``build.EntryBuilder.add_name_forms``). (Asked of the few
        # entries that are words of their line, not of every entry read.)
        entries = entries[found]
        distinctive = ~self.common_columns[self.fp.entry_columns[entries]]
        distinctive &= (self.fp.entry_flags[entries] & FLAG_INITIAL) == 0
        return entry_lines[found[distinctive]]

    def _digit_date_keys(self, token: str) -> list[int]:
        """The keys of the dates a digit token reads as (``digit_date_readings``), remembered
        (``_KEY_MEMO_LIMIT``): dates come from a calendar, and a token is keyed once."""
        keys = self._digit_dates.get(token)
        if keys is None:
            if len(self._digit_dates) >= _KEY_MEMO_LIMIT:
                self._digit_dates.clear()
            readings = digit_date_readings(token)
            keys = self._keys("d", list(readings)).tolist() if readings else []
            self._digit_dates[token] = keys
        return keys

    def _remembered_keys(self, prefix: str, values: list[str]) -> np.ndarray:
        """``_keys`` of the values, each value keyed once while it is remembered
        (``_KEY_MEMO_LIMIT`` values of a kind: a line's everyday words, names and dates repeat
        across the documents of a sweep)."""
        memo = self._memos[prefix]  # (read with get only: another thread may clear it)
        keys = list(map(memo.get, values))
        missing = list({v for v, k in zip(values, keys) if k is None}) if None in keys else []
        if missing:
            made = dict(zip(missing, self._keys(prefix, missing).tolist()))
            if len(memo) + len(made) > _KEY_MEMO_LIMIT:
                memo.clear()
            memo.update(made)
            keys = [made[v] if k is None else k for v, k in zip(values, keys)]
        return np.array(keys, dtype=np.uint64)

    def _keys(self, prefix: str, values: list[str]) -> np.ndarray:
        """uint64 keys of values of one kind (``KeyedHasher``'s prefixes), in one C call when
        the compiled module is built."""
        if _firstpass is not None:
            return self.hasher.many(prefix, values)
        keyed = {"t": self.hasher.token, "d": self.hasher.date}[prefix]
        return np.array([keyed(v) for v in values], dtype=np.uint64)


class CompiledFirstPass:
    """Candidate lines of documents for one fingerprint set and key (``hasher``'s).

    ``prefilter_keys`` (sorted) and ``extra_keys`` are the keys looked for; ``known_keys``
    (sorted) every key some record has, and ``known_bits`` the file's ``arrays.KeyBitset`` of
    them; ``date_words``, for a dataset with fewer than two text columns, its ``DateWordTest``
    (then the ``numbers_needed`` rule of ``candidate_rows`` applies too)."""

    def __init__(
        self,
        hasher: KeyedHasher,
        prefilter_keys: np.ndarray,
        extra_keys: np.ndarray,
        known_keys: np.ndarray,
        known_bits: np.ndarray,
        date_words: DateWordTest | None,
        memo_chunks: int = params.FIRST_PASS_MEMO_CHUNKS,
    ):
        if _firstpass is None:
            raise RuntimeError("the compiled first pass is not built (pip install -e . with a C compiler)")
        self.hasher: KeyedHasher = hasher
        self.date_words: DateWordTest | None = date_words
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
            fold_char=fold_character,
            id_hit=ID_HIT,
            min_id_digits=params.MIN_ID_DIGITS,
            min_word_bytes=params.PREFILTER_MIN_TOKEN_BYTES,
            date_min_year=params.DATE_MIN_YEAR,
            date_max_year=params.DATE_MAX_YEAR,
            month_names=[(name.encode(), number) for name, number in MONTHS.items()],
            date_fillers=[word.encode() for word in sorted(DATE_FILLER_WORDS)],
            memo_chunks=memo_chunks,
        )

    def candidate_lines(
        self, text: str, ocr_line_ranges: Sequence[tuple[int, int]] = ()
    ) -> list[tuple[int, bytes]]:
        """(line number, the line as ``token_bytes(fold_text(line))``) of the lines
        ``candidate_rows`` chooses (as ``scan._Scanner.candidate_lines``); ``ocr_line_ranges``
        for ``DateWordTest.keep``."""
        with self._lock:
            distinct, strength, dated, rows, (strongest, numbered, dated_numbered) = self._pass.lines(text)
        numbers_needed = self.date_words is not None
        # With the date-word test, a line of LINE_NO_DATASET_DATE is as good as none: the
        # strongest line it may keep is the strongest numbered line without that flag.
        strongest_kept = (strongest, dated_numbered if numbers_needed else numbered)
        if (strength < ID_HIT and not dated) or none_chosen(strongest_kept, distinct, numbers_needed):
            return []
        found = np.frombuffer(rows, dtype=np.int64).reshape(-1, 5)
        chosen = candidate_rows(found[:, 0], found[:, 3], found[:, 4], distinct, numbers_needed)
        if numbers_needed:
            chosen &= (found[:, 4] & LINE_NO_DATASET_DATE) == 0
        found = found[chosen]
        lines, unfolded = self._pass.line_bytes(text, found)
        for i in unfolded:  # a character that does not fold alone: the line is folded here
            line, start, end = found[i, :3].tolist()
            lines[i] = (line, token_bytes(fold_text(text[start:end])))
        return lines if self.date_words is None else self.date_words.keep(lines, found[:, 4], ocr_line_ranges)

    def memo_size(self) -> int:
        """Distinct chunks the memo holds."""
        return self._pass.memo_size()

    def spelled_dates(self, line: bytes) -> list[str]:
        """``normalize.textual_dates(tokens_of_line(line))`` of a line of ``token_bytes``, in
        its order: read in C when the line is ASCII (then only a-z, 0-9 and spaces: what the C
        reading takes, ``tests/test_first_pass.py`` compares the two), else in Python."""
        if not line.isascii():
            return textual_dates(tokens_of_line(line))
        return [
            f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" for d in self._pass.spelled_dates(line)
        ]

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
