"""Scan a document for records of the fingerprinted dataset and say which ones it exposes.

1. Prefilter (whole document, C-speed string ops): fold the text, cut it into chunks
   (``normalize.token_bytes``), keyed-hash each *distinct* chunk once (``chunks.ChunkTable``,
   kept across documents) and look it up among the rare name tokens, id numbers and dates of
   the dataset. Only lines holding an id number or two such chunks go further; a document
   without one is clean, and most of the web stops here.
2. Encoding: for those lines, the keyed hashes of every run of 1..MAX_VALUE_TOKENS tokens,
   of id numbers and dates, keeping only keys some record has (``line_keys``: compiled, or
   numpy over all lines at once).
3. Candidates: records sharing a rare keyed value with a line (``candidate_keys``); lines
   left without any get the records two of their commoner values share (``paired_keys``),
   then are looked up in the MinHash LSH tables of the fingerprint file.
4. Evidence: which of each candidate record's entries the line holds, weighed per field;
   the decision rules and their thresholds are documented in ``params``.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import DocumentError
from . import normalize, params
from .arrays import (
    expand_ranges,
    group_starts,
    offsets_of,
    sorted_contains,
)
from .chunks import ID_HIT, ChunkTable, line_number_flags, tokens_of_line
from .fingerprint_set import (
    FLAG_ABBREVIATED,
    FLAG_BAG,
    FLAG_INITIAL,
    FLAG_TOKEN,
    KIND_DATE,
    KIND_ID,
    KIND_TEXT,
    FingerprintSet,
    record_ids_of,
)
from .first_pass import AVAILABLE as first_pass_compiled
from .first_pass import CompiledFirstPass, DateWordTest, candidate_rows
from .keys import KeyedHasher, bag_key, bag_keys
from .line_keys import LINE_SALT as _LINE_SALT
from .line_keys import HeldEntries, LineKeys, LineKeySets
from .minhash import band_keys, jaccard, record_signatures, signature_of
from .normalize import (
    MONTHS,
    PREFILTER_MONTHS,
    chunk_tokens,
    digit_date_readings,
    fold_text,
    id_number,
    ocr_readings,
    one_letter_edits,
    textual_dates,
    token_bytes,
)
from .results import ScanResult

if TYPE_CHECKING:
    from .formats.extractor import Extraction

log = logging.getLogger(__name__)
_NEWLINE, _SPACE = 10, 32
# Bytes of candidate lines matched at once: enough for numpy to pay (a few thousand lines),
# few enough that the intermediate arrays (keys of every run of tokens, pairs x columns;
# some 30 bytes a byte of line) stay a few MB, whatever the document's size.
MATCH_BATCH_BYTES = 1 << 17
_TEXT_BLOCK_CHARS = 1 << 18  # a document's text is walked in blocks of lines about this long


@dataclass
class LineMatches:
    """Which record each matching line of a text exposes, with its evidence score."""

    records: np.ndarray  # int64 index into FingerprintSet.record_ids
    lines: np.ndarray  # int64 0-based line of the scanned text
    scores: np.ndarray  # float64 evidence score (see params)

    @classmethod
    def none(cls) -> LineMatches:
        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))

    @classmethod
    def concatenated(cls, parts: Sequence[LineMatches]) -> LineMatches:
        if not parts:
            return cls.none()
        return cls(
            np.concatenate([p.records for p in parts]),
            np.concatenate([p.lines for p in parts]),
            np.concatenate([p.scores for p in parts]),
        )

    @property
    def confidences(self) -> np.ndarray:
        return np.minimum(1.0, self.scores / params.CONFIDENT_SCORE)

    def without_rivals(self, tokens_per_line: np.ndarray) -> LineMatches:
        """A row-sized line is one record: drop records it fits clearly worse than another
        (two records with the same name and birth date; the A-number tells them apart)."""
        if len(self.lines) == 0:
            return self
        best = np.zeros(int(self.lines.max()) + 1)
        np.maximum.at(best, self.lines, self.scores)
        keep = (self.scores >= params.ROW_RIVAL_SCORE_RATIO * best[self.lines]) | (
            tokens_per_line[self.lines] > params.ROW_MAX_TOKENS
        )
        return LineMatches(self.records[keep], self.lines[keep], self.scores[keep])


class _Scanner:
    """Per-FingerprintSet state: known keys, the chunk table (the memo across documents) and
    the compiled first pass (``first_pass.py``) unless ``compiled`` is False or it is not
    built: then the first pass is ``candidate_lines``, in Python, with the same results."""

    def __init__(self, fingerprints: FingerprintSet, compiled: bool | None = None):
        if fingerprints.key is None:
            raise ValueError("FingerprintSet has no key: load it with FingerprintSet.load")
        self.fp = fingerprints
        self.hasher = KeyedHasher(fingerprints.key)
        self.common = fingerprints.common_columns
        self.id_columns = np.array([c.kind == KIND_ID for c in fingerprints.columns], dtype=bool)
        self.date_columns = np.array([c.kind == KIND_DATE for c in fingerprints.columns], dtype=bool)
        self.text_columns = np.array([c.kind == KIND_TEXT for c in fingerprints.columns], dtype=bool)
        self.known_keys = fingerprints.known_keys
        month_keys = self._month_keys()
        self.chunks = ChunkTable(
            self.hasher, fingerprints.prefilter_keys, fingerprints.known_keys, compiled, extra_keys=month_keys
        )
        # The keys of candidate lines, by _linekeys.c unless compiled is False:
        self.line_keys = LineKeys(self.chunks, fingerprints, compiled)
        # With fewer than two text columns, a line needs a number to be matched at all, and
        # one whose only numbers are digit dates a date some record holds beside one of its
        # words (``first_pass.candidate_rows``, ``DateWordTest``).
        self.numbers_needed = fingerprints.numbers_needed
        self.date_words = DateWordTest(fingerprints, self.hasher) if self.numbers_needed else None
        self.first_pass: CompiledFirstPass | None = None
        if compiled or (compiled is None and first_pass_compiled):
            self.first_pass = CompiledFirstPass(
                self.hasher,
                fingerprints.prefilter_keys,
                month_keys,
                fingerprints.known_keys,
                fingerprints.known_bits,
                self.date_words,
            )

    def spelled_dates(self, line: bytes) -> list[str]:
        """``textual_dates(tokens_of_line(line))`` of a line of ``token_bytes``: in C when the
        first pass is compiled (``CompiledFirstPass.spelled_dates``)."""
        if self.first_pass is not None:
            return self.first_pass.spelled_dates(line)
        return textual_dates(tokens_of_line(line))

    def _month_keys(self) -> np.ndarray:
        """Month names count as prefilter hits: a spelled birth date ("7 March 1990") is three
        chunks of which none is rare, so ``GARCIA, Juan (born 7 March 1990)`` would otherwise
        show only its rare surname. One hit: a month name alone never makes a line a candidate.
        Not the abbreviations and month names that are everyday words (``may``, ``set``,
        ``out``, ``mar``, ``Jan`` in every syslog line, ``mars``, ``sept``): two of them would
        make a line of ordinary text a candidate."""
        return np.array([self.hasher.token(month) for month in PREFILTER_MONTHS], dtype=np.uint64)

    # -- 1. prefilter and candidate lines -------------------------------------------------
    def candidate_lines_of(
        self, text: str, ocr_line_ranges: Sequence[tuple[int, int]] = ()
    ) -> list[tuple[int, bytes]]:
        """``candidate_lines`` of a text, by the compiled first pass when there is one."""
        if self.first_pass is not None:
            return self.first_pass.candidate_lines(text, ocr_line_ranges)
        return self.candidate_lines(token_bytes(fold_text(text)), ocr_line_ranges)

    def candidate_lines(
        self, x: bytes, ocr_line_ranges: Sequence[tuple[int, int]] = ()
    ) -> list[tuple[int, bytes]]:
        """Lines holding an id number of the dataset or two chunks of rare dataset values
        (one rare name token alone is too often an ordinary word: "page", "rose"), and lines
        holding a birth date of the dataset beside a word of the dataset, however common
        (``J. Sezer, 1986-11-15``: a surname shared by dozens of records is no rare value),
        with more lines and fewer as ``first_pass.candidate_rows`` says, from
        ``token_bytes(fold_text(text))``: the pure-Python first pass. ``ocr_line_ranges``: the
        lines read by OCR (``first_pass.DateWordTest.keep``)."""
        distinct = set(x.split())
        self.chunks.learn(distinct)
        chunks = list(distinct)
        ids = np.fromiter(map(self.chunks.ids.__getitem__, chunks), dtype=np.int64, count=len(chunks))
        strengths = self.chunks.hits_of(ids)
        hits = {chunks[i]: int(strengths[i]) for i in np.flatnonzero(strengths).tolist()}
        dated = bool(self.chunks.dates_of(ids).any()) and bool(self.chunks.dataset_words_of(ids).any())
        if sum(hits.values()) < ID_HIT and not dated:  # one rare word is no record
            return []
        data = np.frombuffer(x, dtype=np.uint8)
        newlines = np.flatnonzero(data == _NEWLINE)
        strength, number_flags = self._line_strengths(x, data, newlines, dated)
        lines = np.flatnonzero(strength)
        flags = number_flags[lines]
        chosen = lines[candidate_rows(lines, strength[lines], flags, len(hits), self.numbers_needed)]
        starts = np.concatenate(([0], newlines + 1))
        ends = np.concatenate((newlines, [len(x)]))
        found = [(i, x[starts[i] : ends[i]]) for i in chosen.tolist()]
        if self.date_words is None:
            return found
        return self.date_words.keep(found, number_flags[chosen], ocr_line_ranges)

    def _line_strengths(
        self, x: bytes, data: np.ndarray, newlines: np.ndarray, dated: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per line, the summed prefilter strength of its distinct chunks, and whether it holds
        what the matcher may read as a number (``chunks.line_number_flags``), in one vectorized
        pass: chunk starts from the bytes (``token_bytes`` leaves space and newline as the only
        bytes up to 32, the bytes ``split`` cuts at), chunk ids from the memo. When ``dated``
        (the text holds a date of the dataset and a word of the dataset), a line with both
        counts as ID_HIT: the evidence rules decide whether that word is the record's name."""
        separator = data <= _SPACE
        starts = np.flatnonzero(~separator & np.concatenate(([True], separator[:-1])))
        ids = self.chunks.ids
        occurrences = np.fromiter(map(ids.__getitem__, x.split()), dtype=np.int64, count=len(starts))
        strength = self.chunks.hits_of(occurrences)
        hit = np.flatnonzero(strength)
        lines = np.searchsorted(newlines, starts[hit])
        pairs = np.unique((lines << 32) | occurrences[hit])  # a chunk counts once per line
        strengths = np.bincount(
            pairs >> 32, weights=self.chunks.hits_of(pairs & 0xFFFFFFFF), minlength=len(newlines) + 1
        )
        if dated:
            with_date = self._lines_with(self.chunks.dates_of(occurrences), starts, newlines)
            with_word = self._lines_with(self.chunks.dataset_words_of(occurrences), starts, newlines)
            strengths[with_date & with_word] = np.maximum(strengths[with_date & with_word], ID_HIT)
        return strengths, line_number_flags(
            self._lines_with(self.chunks.with_number_reading(occurrences), starts, newlines),
            self._lines_with(self.chunks.with_other_number(occurrences), starts, newlines),
            self._lines_with(self.chunks.with_month_name(occurrences), starts, newlines),
            self._lines_with(self.chunks.with_year(occurrences), starts, newlines),
        )

    @staticmethod
    def _lines_with(chunks: np.ndarray, starts: np.ndarray, newlines: np.ndarray) -> np.ndarray:
        """Per line, whether one of the chunks (a mask over the text's chunk occurrences,
        which start at ``starts``) is in it."""
        found = np.zeros(len(newlines) + 1, dtype=bool)
        found[np.searchsorted(newlines, starts[chunks])] = True
        return found

    # -- 2-4. lines -> matches -----------------------------------------------------------
    def match_lines(
        self, lines: Sequence[tuple[int, bytes]], ocr_line_ranges: Sequence[tuple[int, int]] = ()
    ) -> LineMatches:
        """The matches of candidate lines (line number, the line as ``token_bytes``), in
        increasing line order; ``ocr_line_ranges``: (first, end) line numbers of the text
        that were read by OCR (see ``_ocr_repaired_names``).

        Lines are matched in batches of about ``MATCH_BATCH_BYTES`` (every rule looks at one
        line at a time), so a large document's intermediate arrays stay bounded; the per-document
        budgets of the fallbacks (LSH lines, OCR repairs) are spent in line order across
        batches, as over the whole document at once."""
        numbers = np.fromiter(map(itemgetter(0), lines), dtype=np.int64, count=len(lines))
        if not (numbers[1:] > numbers[:-1]).all():
            lines = sorted(dict(lines).items())
            numbers = np.fromiter(map(itemgetter(0), lines), dtype=np.int64, count=len(lines))
        budget = _FallbackBudget(params.LSH_MAX_LINES, params.OCR_REPAIR_MAX_PAIRS)
        found = [
            self._match_batch(
                numbers[start:end],
                b"\n".join(map(itemgetter(1), lines[start:end])),
                ocr_line_ranges,
                budget,
            )
            for start, end in _batches(lines)
        ]
        return LineMatches.concatenated(found)

    def _match_batch(
        self,
        line_numbers: np.ndarray,
        text: bytes,
        ocr_line_ranges: Sequence[tuple[int, int]],
        budget: _FallbackBudget,
    ) -> LineMatches:
        """The matches of a batch of lines (``text``: the lines joined by newlines). Inside,
        a line is its index in the batch."""
        encoded = _EncodedLines(self, line_numbers, text)
        encoded.read_by_ocr = _lines_in(encoded.line_numbers, ocr_line_ranges)
        pairs = self._candidate_pairs(encoded)
        without = np.ones(len(line_numbers), dtype=bool)
        without[pairs >> 32] = False
        if without.any() and len(self.fp.paired_keys):
            pairs = np.union1d(pairs, self._paired_pairs(encoded, without))
            without[pairs >> 32] = False
        orphans = np.flatnonzero(without)[: budget.lsh_lines]
        if len(orphans):
            budget.lsh_lines -= len(orphans)
            pairs = np.union1d(pairs, self._lsh_pairs(encoded, orphans))
        if len(pairs) == 0:
            return LineMatches.none()
        found = self._decide(encoded, pairs, self._evidence(encoded, pairs), budget)
        return LineMatches(found.records, encoded.line_numbers[found.lines], found.scores)

    def _candidate_pairs(self, enc: _EncodedLines) -> np.ndarray:
        """Unique (line, record) pairs as int64 line << 32 | record.

        A record proposed by one name token alone is dropped: without its id number, whole
        name or birth date also in the line, it cannot gather enough distinctive evidence."""
        return self.line_keys.candidate_pairs(enc.line_keys)

    def _paired_pairs(self, enc: _EncodedLines, lines: np.ndarray) -> np.ndarray:
        """(line, record) pairs for lines without exact candidates, from values too common to
        propose alone (``paired_keys``, at most ``params.PAIRED_MAX_DF`` records each): the
        records that two different values of the line both propose (a common name and a birth
        date shared by hundreds meet in the one record holding both)."""
        mine = lines[enc.key_lines]  # lines: a mask of the batch's lines
        keys, key_lines = enc.keys[mine], enc.key_lines[mine]
        order = np.lexsort((key_lines, keys))
        keys, key_lines = keys[order], key_lines[order]
        once = group_starts(keys, key_lines)  # each (key, line) votes once
        keys, key_lines = keys[once], key_lines[once]
        lo = np.searchsorted(self.fp.paired_keys, keys, side="left")
        counts = np.searchsorted(self.fp.paired_keys, keys, side="right") - lo
        found = counts > 0
        records = self.fp.paired_records[expand_ranges(lo[found], counts[found])].astype(np.int64)
        proposals = (np.repeat(key_lines[found], counts[found]) << 32) | records
        pairs, votes = np.unique(proposals, return_counts=True)
        return pairs[votes >= 2]

    def _lsh_pairs(self, enc: _EncodedLines, lines: np.ndarray) -> np.ndarray:
        """(line, record) pairs for lines without exact candidates, from the MinHash LSH
        tables of the fingerprint file: all lines at once (signatures, band keys, lookups).

        A line's shingles are those some record has (name tokens, ids, dates): the words of
        a facility or a status, which record MinHashes leave out, are left out too. One
        known shingle is one field at most: never a match, not worth the index."""
        keys, key_lines = enc.shingle_keys(lines)
        known = sorted_contains(self.known_keys, keys)
        keys, key_lines = keys[known], key_lines[known]
        order = np.argsort(key_lines, kind="stable")
        keys, key_lines = keys[order], key_lines[order]
        lines_with, counts = np.unique(key_lines, return_counts=True)
        offsets = offsets_of(counts)
        eligible = np.flatnonzero(counts >= params.MIN_EVIDENCE_FIELDS)
        if len(eligible) == 0:
            return np.empty(0, dtype=np.int64)
        positions = expand_ranges(offsets[eligible], counts[eligible])
        signatures = record_signatures(keys[positions], offsets_of(counts[eligible]))
        bands = band_keys(signatures)  # (lines x bands)
        lo = np.searchsorted(self.fp.lsh_keys, bands.reshape(-1), side="left")
        hi = np.searchsorted(self.fp.lsh_keys, bands.reshape(-1), side="right")
        found = hi > lo
        records = self.fp.lsh_records[expand_ranges(lo[found], (hi - lo)[found])].astype(np.int64)
        band_lines = np.repeat(lines_with[eligible], bands.shape[1])[found]
        return np.unique((np.repeat(band_lines, (hi - lo)[found]) << 32) | records)

    def _evidence(self, enc: _EncodedLines, pairs: np.ndarray) -> _Evidence:
        """(pairs x columns) evidence weight of each field of the record in the line, whether
        the field was found whole (not only some of its tokens), and the weight of a name
        found abbreviated (initials)."""
        n_columns = len(self.fp.columns)
        held = self.line_keys.held_entries(pairs, enc.line_keys)
        name_forms = self._name_forms(enc, pairs, held)
        whole, partial = self.line_keys.field_weights(held, len(pairs)) or self._field_weights(
            held, len(pairs)
        )
        partial = np.minimum(partial, params.WEIGHT_TEXT * params.TOKEN_PARTIAL_FACTOR)

        whole = np.maximum(whole, name_forms.whole).reshape(len(pairs), n_columns)
        abbreviated = name_forms.abbreviated.reshape(len(pairs), n_columns)
        weights = np.maximum(np.maximum(whole, partial.reshape(len(pairs), n_columns)), abbreviated)
        return _Evidence(weights, whole > 0, abbreviated)

    def _field_weights(self, held: HeldEntries, pair_count: int) -> tuple[np.ndarray, np.ndarray]:
        """Per (pair, column), flattened: the highest weight of a whole value of the record's
        field held by the line, and the summed weights of its tokens held (in numpy; compiled:
        ``line_keys.LineKeys.field_weights``, the same sums in the same order)."""
        fp = self.fp
        entries, n_columns = held.entries, len(fp.columns)
        group = held.pairs * n_columns + fp.entry_columns[entries]
        weights = fp.entry_weights[entries].astype(np.float64)
        is_token = (fp.entry_flags[entries] & FLAG_TOKEN) > 0
        whole = np.zeros(pair_count * n_columns)
        np.maximum.at(whole, group[~is_token], weights[~is_token])
        partial = np.bincount(group[is_token], weights=weights[is_token], minlength=len(whole))
        return whole, partial

    def _name_forms(self, enc: _EncodedLines, pairs: np.ndarray, held: HeldEntries) -> _NameForms:
        """Names found in another form than written (``build.EntryBuilder.add_name_forms``):
        per (pair, column), the keys of the record's name tokens (and initials) found in the
        line are summed into an order-free key, which matches one of the record's name forms
        when exactly that form's tokens are there. Only in record-sized lines: in a long
        line, tokens of several people's names could add up to a record's."""
        fp, n_columns = self.fp, len(self.fp.columns)
        size = len(pairs) * n_columns
        row_sized = enc.tokens_per_line[pairs >> 32] <= params.ROW_MAX_TOKENS
        compiled = self.line_keys.name_forms(held, row_sized)  # (line_keys.py: the same weights)
        if compiled is not None:
            return _NameForms(*compiled)
        result = _NameForms(np.zeros(size), np.zeros(size))
        in_rows = row_sized[held.pairs]
        found = held.entries[in_rows]
        flags = fp.entry_flags[found]
        group = held.pairs[in_rows] * n_columns + fp.entry_columns[found]
        keys = fp.entry_keys[found]
        token = (flags & FLAG_TOKEN) > 0
        initial = (flags & FLAG_INITIAL) > 0
        sums = np.zeros(size, dtype=np.uint64)
        np.add.at(sums, group[token], keys[token])
        sizes = np.bincount(group[token], minlength=size)
        with_initials = sums.copy()
        np.add.at(with_initials, group[initial], keys[initial])
        sizes_with_initials = sizes + np.bincount(group[initial], minlength=size)
        looked_for = sizes_with_initials >= 2  # never fewer than sizes
        if not looked_for.any():
            return result
        # The record's forms in those (pair, column)s, salted with them, looked up in order:
        form_group = held.form_pairs * n_columns + fp.entry_columns[held.forms]
        forms, form_group = held.forms[looked_for[form_group]], form_group[looked_for[form_group]]
        form_salted = fp.entry_keys[forms] ^ (form_group.astype(np.uint64) * _LINE_SALT)
        order = np.argsort(form_salted)
        form_salted = form_salted[order]
        form_weights = fp.entry_weights[forms][order]
        form_abbreviated = ((fp.entry_flags[forms] & FLAG_ABBREVIATED) > 0)[order]
        for sums_of, sizes_of in ((sums, sizes), (with_initials, sizes_with_initials)):
            groups = np.flatnonzero(sizes_of >= 2)
            if len(groups) == 0 or len(form_salted) == 0:
                continue
            salted = bag_keys(sums_of[groups], sizes_of[groups]) ^ (groups.astype(np.uint64) * _LINE_SALT)
            at = np.minimum(np.searchsorted(form_salted, salted), len(form_salted) - 1)
            hit = form_salted[at] == salted
            groups, at = groups[hit], at[hit]
            abbreviated = form_abbreviated[at]
            np.maximum.at(result.whole, groups[~abbreviated], form_weights[at[~abbreviated]])
            np.maximum.at(result.abbreviated, groups[abbreviated], form_weights[at[abbreviated]])
        return result

    def _decide(
        self, enc: _EncodedLines, pairs: np.ndarray, found: _Evidence, budget: _FallbackBudget
    ) -> LineMatches:
        """The pairs that match, by the rules of ``params``; their lines are the batch's."""
        pair_lines, pair_records = pairs >> 32, pairs & 0xFFFFFFFF
        evidence, whole_found = found.weights, found.whole
        other_id = self._holds_another_id(enc, pairs, evidence)
        distinctive = evidence[:, ~self.common]
        common = np.minimum(evidence[:, self.common].sum(axis=1), params.COMMON_WEIGHT_CAP)
        score = distinctive.sum(axis=1) + common - params.OTHER_ID_PENALTY * other_id
        fields = (evidence > 0).sum(axis=1)
        matched = (
            (score >= params.MATCH_SCORE_THRESHOLD)
            & (fields >= params.MIN_EVIDENCE_FIELDS)
            & (distinctive.sum(axis=1) >= params.MIN_DISTINCTIVE_SCORE)
        )
        # Two whole distinctive values (name and date of birth, however common the name is in
        # the dataset) are independent proof: a namesake is rarely also a birthday twin.
        matched |= (whole_found[:, ~self.common].sum(axis=1) >= params.MIN_EVIDENCE_FIELDS) & ~other_id
        matched |= self._initials_with_birth_date(found, common) & ~other_id
        if enc.read_by_ocr.any():
            matched |= self._ocr_repaired_names(enc, pairs, found, matched, budget) & ~other_id
        # The MinHash only decides between two partial distinctive fields (a typo'd name and
        # a date): one distinctive field alone is what a namesake or a birthday twin shows.
        rescuable = (
            ~matched
            & ~other_id
            & (score >= params.RESCUE_MIN_SCORE)
            & ((distinctive > 0).sum(axis=1) >= params.RESCUE_MIN_DISTINCTIVE_FIELDS)
        )
        for i in np.flatnonzero(rescuable).tolist():
            matched[i] = self._minhash_close(enc, int(pair_lines[i]), int(pair_records[i]))
        lines = LineMatches(pair_records[matched], pair_lines[matched], score[matched])
        return lines.without_rivals(enc.tokens_per_line)

    def _initials_with_birth_date(self, found: _Evidence, common: np.ndarray) -> np.ndarray:
        """Pairs whose line holds the record's name abbreviated (``J. Sezer``), its whole
        date of birth and a common field of it: the name form may be shared by up to
        ``INITIALS_WITH_DATE_MAX_DF`` records (a common surname), the date tells which one
        (see ``params``). The score rules weigh such a form down by its rarity, so a
        common surname with an initial and a birth date would never add up."""
        if not self.date_columns.any():
            return np.zeros(len(found.weights), dtype=bool)
        return (
            (found.abbreviated.max(axis=1) >= params.MIN_INITIALS_WEIGHT)
            & found.whole[:, self.date_columns].any(axis=1)
            & (common >= params.INITIALS_WITH_DATE_MIN_COMMON_WEIGHT)
        )

    def _ocr_repaired_names(
        self,
        enc: _EncodedLines,
        pairs: np.ndarray,
        found: _Evidence,
        matched: np.ndarray,
        budget: _FallbackBudget,
    ) -> np.ndarray:
        """Pairs not matched, in record-sized lines read by OCR, holding the record's whole
        birth date or id number and some of its name, whose name is whole once one word of
        the line is read one letter otherwise (see ``params.OCR_REPAIR_MIN_LETTERS``)."""
        pair_lines = pairs >> 32
        anchors = self.date_columns | self.id_columns
        eligible = (
            ~matched
            & enc.read_by_ocr[pair_lines]
            & (enc.tokens_per_line[pair_lines] <= params.ROW_MAX_TOKENS)
            & found.whole[:, anchors].any(axis=1)
            & (found.weights[:, self.text_columns] > 0).any(axis=1)
        )
        repaired = np.zeros(len(pairs), dtype=bool)
        tried = np.flatnonzero(eligible)[: budget.ocr_pairs]
        budget.ocr_pairs -= len(tried)
        for i in tried.tolist():
            repaired[i] = self._name_whole_but_one_letter(enc, int(pair_lines[i]), int(pairs[i] & 0xFFFFFFFF))
        return repaired

    def _name_whole_but_one_letter(self, enc: _EncodedLines, line: int, record: int) -> bool:
        """Whether one of the record's names lacks exactly one token in the line, and a word
        of the line one letter away from it completes the name (its order-free key)."""
        fp = self.fp
        start, end = int(fp.entry_offsets[record]), int(fp.entry_offsets[record + 1])
        keys, flags, columns = (
            fp.entry_keys[start:end],
            fp.entry_flags[start:end],
            fp.entry_columns[start:end],
        )
        held = enc.line_keys.salted.contains(keys ^ (np.array([line], dtype=np.uint64) * _LINE_SALT))
        record_keys = set(keys.tolist())
        is_token = ((flags & FLAG_TOKEN) > 0) & ((flags & FLAG_BAG) == 0)
        is_whole_form = ((flags & FLAG_BAG) > 0) & ((flags & FLAG_ABBREVIATED) == 0)
        for column in np.flatnonzero(self.text_columns).tolist():
            tokens = is_token & (columns == column)
            missing = tokens & ~held
            forms = set(keys[is_whole_form & (columns == column)].tolist())
            if missing.sum() != 1 or not forms:
                continue
            target = int(keys[missing][0])
            name_keys = [int(k) for k in keys[tokens & held].tolist()] + [target]
            if bag_key(name_keys) not in forms:
                continue
            for word in enc.line_words(line, params.OCR_REPAIR_MIN_LETTERS):
                if self.hasher.token(word) in record_keys:
                    continue
                if any(self.hasher.token(edit) == target for edit in one_letter_edits(word)):
                    return True
        return False

    def _holds_another_id(self, enc: _EncodedLines, pairs: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        """Pairs whose line holds an id number, but not the record's: evidence against the
        record (a namesake born the same day, with his own A-number). It costs a penalty and
        closes the shortcuts.

        A number one digit off the record's (it shares a one-digit deletion with it) is a
        typo of the record's id, not another person's: no penalty, and it counts as
        ``WEIGHT_ID_TYPO`` evidence of the record's (first) id column (``evidence`` is
        updated in place)."""
        if not self.id_columns.any():
            return np.zeros(len(pairs), dtype=bool)
        pair_lines, pair_records = pairs >> 32, pairs & 0xFFFFFFFF
        other = enc.has_id_number[pair_lines] & (evidence[:, self.id_columns] == 0).all(axis=1)
        if len(self.fp.id_variant_keys) and other.any():
            suspects = np.flatnonzero(other)
            typos = suspects[self._shares_id_variant(enc, pair_lines[suspects], pair_records[suspects])]
            other[typos] = False
            evidence[typos, int(np.flatnonzero(self.id_columns)[0])] = params.WEIGHT_ID_TYPO
        return other

    def _shares_id_variant(self, enc: _EncodedLines, lines: np.ndarray, records: np.ndarray) -> np.ndarray:
        """Per (line, record): whether an id-like number of the line and one of the record's
        ids share a one-digit deletion (``FingerprintSet.id_variant_keys``), all at once."""
        line_offsets, line_keys = enc.id_variant_lists(lines)
        return self.line_keys.shares_id_variant(lines, records, line_offsets, line_keys)

    def _minhash_close(self, enc: _EncodedLines, line: int, record: int) -> bool:
        """Is most of the record (its distinctive shingles) in the line, by MinHash?"""
        shingles = set(enc.shingles(line))
        record_size = int(self.fp.shingle_counts[record])
        if not shingles or not record_size:
            return False
        similarity = jaccard(signature_of(list(shingles)), self.fp.minhashes[record])
        # |R & L| = J (|R| + |L|) / (1 + J); containment of the record in the line:
        containment = similarity * (record_size + len(shingles)) / ((1 + similarity) * record_size)
        return containment >= params.MINHASH_RESCUE_CONTAINMENT


@dataclass
class _Evidence:
    """Per (pair, column): the evidence weight of the record's field found in the line,
    whether it was found whole, and the weight of its name found abbreviated (initials)."""

    weights: np.ndarray
    whole: np.ndarray
    abbreviated: np.ndarray


@dataclass
class _NameForms:
    """Per (pair, column), flattened: the weight of the name found whole in another order,
    and of the name found with initials (see ``_Scanner._name_forms``)."""

    whole: np.ndarray
    abbreviated: np.ndarray


class _EncodedLines:
    """Keyed hashes of a batch of candidate lines (token runs, id numbers and dates), each
    with its line: the line's index in the batch (``line_numbers`` maps it back).

    The batch's lines come as one bytes object, joined by newlines: ``line_keys.LineKeys``
    gives each chunk's id in the chunk table and its line, and the keys of the lines that some
    record has, so no Python object is made per line."""

    def __init__(self, scanner: _Scanner, line_numbers: np.ndarray, text: bytes):
        table = scanner.chunks
        chunks = scanner.line_keys.batch_chunks(text)
        self.chunk_ids = chunks.ids
        self.table = table
        self.text = text
        self.line_numbers = line_numbers
        self._spelled_dates = scanner.spelled_dates
        if chunks.line_count != len(line_numbers):
            raise ValueError("match_lines takes lines without newlines")
        self.read_by_ocr = np.zeros(len(line_numbers), dtype=bool)  # set by match_lines
        self.chunk_lines = chunks.lines
        self.has_id_number = self._lines_with(table.with_id_number(self.chunk_ids))
        found = scanner.line_keys.known_line_keys(chunks)
        self.tokens_per_line = found.tokens_per_line
        rare = scanner.line_keys.known_only([self._textual_date_keys(), self._ocr_reading_keys()])
        self._keep(np.concatenate((found.keys, rare[0])), np.concatenate((found.lines, rare[1])))

    def _keep(self, keys: np.ndarray, lines: np.ndarray) -> None:
        """The (key, line)s of keys some record has (few: most runs of tokens are no value),
        in no particular order (a key shown twice in a line is there twice), and grouped by
        line (``line_keys``: the compiled keys come in line order already)."""
        self.keys, self.key_lines = keys, lines
        self.line_keys = LineKeySets(keys, lines, len(self.line_numbers))

    # Where each line is in the batch's text, and where its chunks are: made when first asked
    # for (a spelled date, an OCR repair, the MinHash fallbacks), which most batches never are.
    @cached_property
    def _line_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        newlines = np.flatnonzero(np.frombuffer(self.text, dtype=np.uint8) == _NEWLINE)
        return np.concatenate(([0], newlines + 1)), np.concatenate((newlines, [len(self.text)]))

    @cached_property
    def line_offsets(self) -> np.ndarray:
        return np.searchsorted(self.chunk_lines, np.arange(len(self.line_numbers) + 1))

    def line_bytes(self, line: int) -> bytes:
        """The line as ``token_bytes``."""
        starts, ends = self._line_bounds
        return self.text[starts[line] : ends[line]]

    def _line_chunk_ids(self, line: int) -> np.ndarray:
        return self.chunk_ids[self.line_offsets[line] : self.line_offsets[line + 1]]

    def _textual_date_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Keys of dates written with month names ("7 March 1990"), which span chunks: in the
        lines holding a month name and a 4-digit year."""
        isos: list[str] = []
        lines: list[int] = []
        dated = self._lines_with(self.table.with_month_name(self.chunk_ids))
        if dated.any():
            dated &= self._lines_with(self.table.with_year(self.chunk_ids))
        for line in np.flatnonzero(dated).tolist():
            found = self._spelled_dates(self.line_bytes(line))
            isos += found
            lines += [line] * len(found)
        hasher = self.table.hasher
        keyed = hasher.prime("d", isos)  # (the dates not keyed before, in one call)
        # (read with get: another thread's scan may clear the memo meanwhile)
        keys = [key if (key := keyed.get(iso)) is not None else hasher.date(iso) for iso in isos]
        return np.array(keys, dtype=np.uint64), np.array(lines, dtype=np.int64)

    def _lines_with(self, chunks: np.ndarray) -> np.ndarray:
        """Per line of the batch, whether one of the chunks (a mask over its chunks) is in it."""
        found = np.zeros(len(self.line_numbers), dtype=bool)
        found[self.chunk_lines[chunks]] = True
        return found

    def _ocr_reading_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Keys of what chunks mixing letters and digits read as under OCR's look-alikes
        (``normalize.ocr_readings``): a word's token key, a number's id and date keys. They
        are found as the record's fields are; they do not join runs of tokens (a name found
        so counts through its order-free key, ``_Scanner._name_forms``)."""
        hasher, read = self.table.hasher, {}
        for chunk in np.unique(self.chunk_ids[self.table.ocr_readable(self.chunk_ids)]).tolist():
            words, numbers = ocr_readings("".join(self.table.tokens_of(chunk)))
            found = [hasher.token(w) for w in words]
            found += [hasher.id_number(n) for n in numbers if id_number(n)]
            found += [hasher.date(d) for n in numbers for d in digit_date_readings(n)]
            if found:
                read[chunk] = found
        keys, lines = [], []
        where = np.isin(self.chunk_ids, np.fromiter(read, dtype=np.int64, count=len(read)))
        for chunk, line in zip(self.chunk_ids[where].tolist(), self.chunk_lines[where].tolist()):
            keys += read[chunk]
            lines += [line] * len(read[chunk])
        return np.array(keys, dtype=np.uint64), np.array(lines, dtype=np.int64)

    def line_words(self, line: int, min_letters: int) -> list[str]:
        """The line's distinct words (letter tokens) of at least ``min_letters`` letters."""
        tokens = tokens_of_line(self.line_bytes(line))
        return list(dict.fromkeys(t for t in tokens if len(t) >= min_letters and t.isalpha()))

    def id_variant_lists(self, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The keyed hashes of the given lines' id-like numbers (not dates) and their one-digit
        deletions (``FingerprintSet.id_variant_keys``), grouped by line (offsets per line of the
        batch, keys), neither sorted nor deduplicated (``line_keys.LineKeys.shares_id_variant``
        sorts each line's keys once): each chunk's, in the chunks' order
        (``chunks.ChunkTable.id_variants_of``)."""
        wanted = np.zeros(len(self.line_numbers), dtype=bool)
        wanted[lines] = True
        where = np.flatnonzero(wanted[self.chunk_lines] & self.table.with_id_number(self.chunk_ids))
        keys, starts, counts = self.table.id_variants_of(self.chunk_ids[where])
        key_lines = np.repeat(self.chunk_lines[where], counts)  # (chunks come in line order)
        return np.searchsorted(key_lines, np.arange(len(self.line_numbers) + 1)), keys[
            expand_ranges(starts, counts)
        ]

    def shingle_keys(self, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The MinHash shingles of the given lines (letter tokens, ids and dates, as the
        records'), concatenated, with the line of each."""
        starts, ends = self.line_offsets[lines], self.line_offsets[lines + 1]
        chunk_ids = self.chunk_ids[expand_ranges(starts, ends - starts)]
        chunk_lines = np.repeat(lines, ends - starts)
        positions, token_counts = self.table.token_keys.positions(chunk_ids)
        letters = ~self.table.token_is_digits.array[positions]
        token_lines = np.repeat(chunk_lines, token_counts)
        special, special_counts = self.table.special_keys.gather(chunk_ids)
        keys = np.concatenate((self.table.token_keys.keys.array[positions][letters], special))
        return keys, np.concatenate((token_lines[letters], np.repeat(chunk_lines, special_counts)))

    def shingles(self, line: int) -> list[int]:
        """The line's MinHash shingles, as the record's: letter tokens, ids and dates."""
        ids = self._line_chunk_ids(line)
        token_keys, _ = self.table.token_keys.gather(ids)
        tokens = [t for c in ids.tolist() for t in self.table.tokens_of(c)]
        special_keys, _ = self.table.special_keys.gather(ids)
        letters = [k for t, k in zip(tokens, token_keys.tolist()) if not t.isdecimal()]
        return letters + special_keys.tolist()


def _batches(lines: Sequence[tuple[int, bytes]]) -> Iterator[tuple[int, int]]:
    """(start, end) of consecutive runs of lines of about ``MATCH_BATCH_BYTES`` each (at
    least one line)."""
    sizes = np.fromiter(map(len, map(itemgetter(1), lines)), dtype=np.int64, count=len(lines)) + 1
    ends = np.cumsum(sizes)
    start = 0
    while start < len(lines):
        before = int(ends[start - 1]) if start else 0
        end = max(start + 1, int(np.searchsorted(ends, before + MATCH_BATCH_BYTES, side="right")))
        yield start, end
        start = end


@dataclass
class _FallbackBudget:
    """What is left of a document's budgets for the costly fallbacks (see ``params``)."""

    lsh_lines: int
    ocr_pairs: int


def _lines_in(lines: np.ndarray, ranges: Sequence[tuple[int, int]]) -> np.ndarray:
    """Which of the line numbers fall in one of the (first, end) ranges."""
    inside = np.zeros(len(lines), dtype=bool)
    for first, end in ranges:
        inside |= (lines >= first) & (lines < end)
    return inside


def _scanner_for(fingerprints: FingerprintSet) -> _Scanner:
    if fingerprints._scanner is None:
        fingerprints._scanner = _Scanner(fingerprints)
    return fingerprints._scanner


def find_record_matches(
    text: str, fingerprints: FingerprintSet, ocr_line_ranges: Sequence[tuple[int, int]] = ()
) -> LineMatches:
    """Every (record, line) match in ``text``, the building block of scan_text."""
    scanner = _scanner_for(fingerprints)
    lines = scanner.candidate_lines_of(text, ocr_line_ranges)
    return scanner.match_lines(lines, ocr_line_ranges) if lines else LineMatches.none()


def holds_dataset_values(text: str, fingerprints: FingerprintSet) -> bool:
    """Whether any piece of ``text`` is a rare value of the dataset (a name token, an id
    number, a date of birth), even one that could never make a match on its own.

    For short texts kept outside the evidence, such as a page title: a title that quotes a
    leaked name must not end up in the store as plaintext.
    """
    scanner = _scanner_for(fingerprints)
    chunks = set(token_bytes(fold_text(text)).split())
    scanner.chunks.learn(chunks)
    return any(scanner.chunks.hit(chunk) and not _only_month_names(chunk) for chunk in chunks)


def _only_month_names(chunk: bytes) -> bool:
    """A chunk whose words are month names ("March", "07-Mar-1990"): a prefilter hit that
    tells nothing about the dataset (see ``_Scanner._month_keys``)."""
    words = [t for t in chunk_tokens(chunk) if not t.isdigit()]
    return bool(words) and all(w in MONTHS for w in words)


@dataclass
class ScanDetail:
    """What a scan read and matched, for a caller that goes on with it (a sweep writes a leak's
    evidence report from it: ``evidence.evidence_report(..., matches=)``), so nothing is
    extracted or matched twice. Filled in by ``scan_text`` and ``scan_bytes`` when given."""

    text: str = ""
    matches: LineMatches | None = None


def scan_text(
    text: str,
    fingerprints: FingerprintSet,
    name: str = "<text>",
    skipped: list[str] | None = None,
    bytes_scanned: int | None = None,
    ocr_line_ranges: Sequence[tuple[int, int]] = (),
    detail: ScanDetail | None = None,
) -> ScanResult:
    """Scan plain text, line by line (a table row is one line, cells in any delimiter).
    ``ocr_line_ranges``: (first, end) line numbers read by OCR (``Extraction.ocr_line_ranges``),
    where a name with one misread letter is still the name. ``detail``: filled in with the
    text and its (record, line) matches."""
    started = time.perf_counter()
    matches = find_record_matches(text, fingerprints, ocr_line_ranges)
    if detail is not None:
        detail.text, detail.matches = text, matches
    size = _utf8_length(text) if bytes_scanned is None else bytes_scanned
    if len(matches.records) == 0:  # most documents: none of the numpy below (~20 us a document)
        return ScanResult(
            name,
            "clean",
            [],
            0.0,
            bytes_scanned=size,
            seconds=time.perf_counter() - started,
            skipped=list(skipped or []),
        )
    records, first = np.unique(matches.records, return_inverse=True)
    best = np.zeros(len(records))
    np.maximum.at(best, first, matches.confidences)
    found = len(records)
    records_in_document = _records_in_document(text, matches.lines)
    ids = record_ids_of(fingerprints.record_ids, records)
    return ScanResult(
        input=name,
        verdict="leak",
        matched_records=ids,
        containment=found / max(records_in_document, found),
        confidences=dict(zip(ids, best.tolist())),
        records_in_document=records_in_document,
        bytes_scanned=size,
        seconds=time.perf_counter() - started,
        skipped=list(skipped or []),
    )


def _utf8_length(text: str) -> int:
    """Bytes of ``text`` in UTF-8 (without a copy when it is ASCII: most text is)."""
    if text.isascii():
        return len(text)
    return sum(len(block) for block in _utf8_blocks(text))


def _records_in_document(text: str, matched_lines: np.ndarray) -> int:
    """Lines that look like records (the containment denominator); matched lines count."""
    found, first_line = 0, 0
    for block in _utf8_blocks(text):
        rows = normalize.record_lines(block)
        if block.endswith(b"\n"):
            rows = rows[:-1]  # the next block's lines follow
        matched = matched_lines[(matched_lines >= first_line) & (matched_lines < first_line + len(rows))]
        rows[matched - first_line] = True
        found += int(np.count_nonzero(rows))
        first_line += len(rows)
    return found


def _utf8_blocks(text: str) -> Iterator[bytes]:
    """The text in UTF-8, in blocks of whole lines of about ``_TEXT_BLOCK_CHARS`` characters
    (a longer line is a block of its own): a large document is never copied whole."""
    start = 0
    while start < len(text):
        end = start + _TEXT_BLOCK_CHARS
        if end < len(text):
            cut = text.rfind("\n", start, end)
            end = cut + 1 if cut >= 0 else (text.find("\n", end) + 1 or len(text))
        yield text[start:end].encode("utf-8", "surrogatepass")
        start = end


def scan_bytes(
    data: bytes,
    fingerprints: FingerprintSet,
    name: str | None = None,
    content_type: str | None = None,
    detail: ScanDetail | None = None,
) -> ScanResult:
    """Scan a downloaded or local file of any supported format (see ``documents``).
    ``detail``: filled in with the extracted text and its matches (``ScanDetail``)."""
    from .documents import extract_texts

    started = time.perf_counter()
    extraction = extract_texts(data, name=name, content_type=content_type)
    text, ocr_line_ranges = extraction.take_text()  # (the parts let go: one copy scanned)
    result = scan_extraction(
        text, ocr_line_ranges, extraction, fingerprints, name or "<bytes>", len(data), detail
    )
    result.seconds = time.perf_counter() - started
    return result


def scan_extraction(
    text: str,
    ocr_line_ranges: Sequence[tuple[int, int]],
    extraction: Extraction,
    fingerprints: FingerprintSet,
    name: str,
    bytes_scanned: int,
    detail: ScanDetail | None = None,
) -> ScanResult:
    """``scan_text`` of an extraction's text and OCR line ranges (``Extraction.take_text``),
    with what the extraction skipped and whether a limit stopped it: ``scan_bytes``' result
    but for ``seconds`` (which counts the scan only). A document scanned for several cases is
    extracted once and scanned so with each case's fingerprints."""
    result = scan_text(
        text,
        fingerprints,
        name=name,
        skipped=list(extraction.skipped),
        bytes_scanned=bytes_scanned,
        ocr_line_ranges=ocr_line_ranges,
        detail=detail,
    )
    result.partly_read = extraction.partly_read
    return result


def scan_file(
    path: str | Path, fingerprints: FingerprintSet, allow_special_files: bool = False
) -> ScanResult:
    """Scan one local file of any supported format. Its size limit is enforced while reading;
    pipes, devices and sockets are refused unless ``allow_special_files``."""
    return _scan_named_file(str(Path(path)), fingerprints, allow_special_files)


def _scan_named_file(path: str, fingerprints: FingerprintSet, allow_special_files: bool) -> ScanResult:
    """``scan_file`` of a path written as ``str(Path(path))`` writes it (``_files_below``
    gives such), without a Path made and printed a file (a few microseconds each, over tens
    of thousands of files)."""
    from .formats import DocumentRefused, ExtractionLimits
    from .formats.reading import read_limited

    try:
        data = read_limited(path, ExtractionLimits.max_input_bytes, allow_special=allow_special_files)
    except DocumentRefused as refusal:
        raise DocumentError(str(refusal)) from None
    except FileNotFoundError:
        raise DocumentError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise DocumentError(f"is a folder, not a file: {path}") from None
    except OSError as error:
        raise DocumentError(f"cannot read {path}: {error.strerror}") from None
    return scan_bytes(data, fingerprints, name=path)


def scan_paths(
    paths: Iterable[str | Path],
    fingerprints: FingerprintSet,
    errors: list[str] | None = None,
    allow_special_files: bool = False,
    workers: int = 1,
) -> Iterator[ScanResult]:
    """Scan files, and every file below the given folders (sorted). Missing paths are
    reported before anything is scanned. A file that cannot be scanned (a zip bomb, an
    unreadable file, a pipe or device unless ``allow_special_files``) raises DocumentError,
    or, when ``errors`` is given, is listed there and the scan goes on with the next file.

    With ``workers`` > 1, files are scanned in that many forked processes (``_scan_in_pool``),
    which share the mapped fingerprint file's pages and the scanner built here; results come
    in the order of the files."""
    global _forked_fingerprints
    jobs = [(path, allow_special_files) for path in _files_below(paths)]
    _scanner_for(fingerprints)  # built once, before the fork: the workers inherit it
    _forked_fingerprints = fingerprints  # inherited by the forked workers, never pickled
    try:
        outcomes: Iterable[ScanResult | str]
        if workers <= 1 or len(jobs) < 2:
            outcomes = map(_scan_in_worker, jobs)
        else:
            outcomes = _scan_in_pool(jobs, workers)
        for outcome in outcomes:
            if isinstance(outcome, ScanResult):
                yield outcome
            elif errors is None:
                raise DocumentError(outcome)
            else:
                errors.append(outcome)
    finally:
        _forked_fingerprints = None


_forked_fingerprints: FingerprintSet | None = None


def _scan_in_pool(jobs: list[tuple[str, bool]], workers: int) -> Iterator[ScanResult | str]:
    """``map(_scan_in_worker, jobs)`` in ``workers`` forked processes, in the jobs' order.

    The largest files are handed out first and a worker takes the next batch as soon as it is
    done (not in the order results are given back), so that no core idles while one big file
    ends the scan. Small files go in batches (``_file_batches``): one hand-over per file cost more
    than scanning a small file. Workers read their files one at a time; results that come
    early wait here (they are small)."""
    import gc
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    waiting = iter(_file_batches(jobs))
    done: dict[int, ScanResult | str] = {}
    next_to_give = 0
    context = multiprocessing.get_context("fork")
    # The objects made so far (the scanner, the loaded set) are left to the workers as they
    # are: a collection in a worker would otherwise write to every one's header, and the
    # kernel would copy each page it touches.
    gc.freeze()
    try:
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            running: dict = {}
            try:
                while running or next_to_give < len(jobs):
                    for batch in itertools.islice(
                        waiting, BATCHES_IN_FLIGHT_PER_WORKER * workers - len(running)
                    ):
                        running[pool.submit(_scan_batch_in_worker, [(n, jobs[n]) for n in batch])] = batch
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        del running[future]
                        done.update(future.result())
                    while next_to_give in done:
                        yield done.pop(next_to_give)
                        next_to_give += 1
            except BrokenProcessPool:
                raise DocumentError("a scanning worker process died (killed, or out of memory?)") from None
            finally:
                for future in running:
                    future.cancel()
    finally:
        gc.unfreeze()


# Batches handed to each scanning worker at once: one scanned, one waiting to be taken.
BATCHES_IN_FLIGHT_PER_WORKER = 2
# A batch of small files: up to this many bytes or files (a larger file is a batch alone).
BATCH_BYTES = 256 * 1024
BATCH_FILES = 64


def _file_batches(jobs: list[tuple[str, bool]]) -> Iterator[list[int]]:
    """The jobs' numbers in batches, largest file first (a file that cannot be read counts as
    empty: its error comes quickly)."""
    batch: list[int] = []
    size = 0
    for number, file_size in _largest_first(jobs):
        if batch and (size + file_size > BATCH_BYTES or len(batch) >= BATCH_FILES):
            yield batch
            batch, size = [], 0
        batch.append(number)
        size += file_size
    if batch:
        yield batch


def _largest_first(jobs: list[tuple[str, bool]]) -> list[tuple[int, int]]:
    """(number, size) of the jobs' files, largest first (0 for a file that cannot be read)."""

    def size(path: str) -> int:
        try:
            return os.stat(path).st_size
        except OSError:
            return 0

    return sorted(((n, size(path)) for n, (path, _) in enumerate(jobs)), key=lambda job: -job[1])


def _scan_batch_in_worker(batch: list[tuple[int, tuple[str, bool]]]) -> list[tuple[int, ScanResult | str]]:
    return [(number, _scan_in_worker(job)) for number, job in batch]


def _scan_in_worker(job: tuple[str, bool]) -> ScanResult | str:
    """One file's result, or the one-line reason it could not be scanned."""
    assert _forked_fingerprints is not None
    path, allow_special_files = job
    try:
        return _scan_named_file(path, _forked_fingerprints, allow_special_files)
    except DocumentError as error:
        return str(error)


def _files_below(paths: Iterable[str | Path]) -> list[str]:
    """The files, and the files below the folders (sorted as paths), each as ``str`` of its
    Path would write it (``str(folder.joinpath(*parts))``), without making the Path."""
    files: list[str] = []
    for path in map(Path, paths):
        if path.is_dir():
            folder = str(path)
            if folder == ".":  # (Path(".").joinpath("a") is "a")
                files.extend(os.path.join(*parts) for parts in sorted(_file_parts_below(path)))
            else:
                files.extend(os.path.join(folder, *parts) for parts in sorted(_file_parts_below(path)))
        elif path.exists():
            files.append(str(path))
        else:
            raise DocumentError(f"file not found: {path}")
    return files


def _file_parts_below(folder: Path, parts: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The parts below ``folder`` of each file ``sorted(p for p in folder.rglob("*") if
    p.is_file())`` lists (sorted, they sort as those paths do): symlinks to files count,
    symlinked folders are not entered, an unreadable folder is passed over. From
    ``os.scandir``'s entries, which know a file's type without a stat of it (rglob and
    is_file made two Path objects and a stat a file)."""
    try:
        with os.scandir(folder.joinpath(*parts)) as found:
            entries = list(found)
    except PermissionError:
        return
    for entry in entries:
        if not entry.is_symlink() and _is(entry, "is_dir"):
            yield from _file_parts_below(folder, (*parts, entry.name))
        elif _is(entry, "is_file"):
            yield (*parts, entry.name)


def _is(entry: os.DirEntry, test: str) -> bool:
    """``Path.is_dir`` or ``Path.is_file`` (``test``) of the entry: a symlink's target that
    is gone or loops is neither, where the entry's own test raises."""
    try:
        return bool(getattr(entry, test)())
    except OSError:
        return bool(getattr(Path(entry.path), test)())
