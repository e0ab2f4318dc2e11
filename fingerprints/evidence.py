"""Evidence of a match: which fields of which record matched, on which line, how surely.

For each (record, line) the scanner matched (``scan.find_record_matches``), the record's own
evidence entries in the ``FingerprintSet`` are compared with the keyed hashes of the line's
words: a word (or a run of up to ``params.MAX_VALUE_TOKENS`` words, or a spelled date) whose
keyed hash is one of the record's entries is marked with that entry's column. So a reviewer
sees *what* matched, field by field, per record, with the scanner's confidence.

An ``EvidenceReport`` without lines (the default) holds record ids, column names, line numbers
and confidences only: no plaintext. With ``keep_lines`` (``--keep-evidence``) it also holds
the matched lines and the marked spans, and must be kept owner-only like any evidence copy.
Imports only the fingerprint core (no Scrapy, no store).
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import params
from .arrays import expand_ranges, group_starts, offsets_of
from .fingerprint_set import FingerprintSet, record_ids_of
from .keys import KeyedHasher, combined_keys
from .line_keys import LINE_SALT, LineKeySets
from .normalize import (
    _DELETED_BYTES,
    _TOKEN_TABLE,
    MONTHS,
    digit_date_readings,
    fold_text,
    id_number,
    textual_dates,
    token_bytes,
    value_tokens,
)
from .scan import LineMatches, _scanner_for, find_record_matches

# Words as the scanner chunks them: whitespace and the usual cell delimiters split, "-" and "/" do not
# (an A-number "A-447-712-782" and a date "1990-12-20" are one value each).
_WORD_RE = re.compile(r"[^\s,;|\t]+")
# Spelled dates ("5 March 1980", "March 5, 1980") span at most this many words.
_DATE_WORDS = 4


@dataclass
class FieldMark:
    """Characters [start, end) of the line showed the record's value of ``column``."""

    start: int
    end: int
    column: str


@dataclass
class RecordEvidence:
    record_id: str
    line: int  # 0-based line of the scanned text
    confidence: float  # the scanner's, in [0, 1]
    fields: list[str]  # column names whose values the line showed
    marks: list[FieldMark] = field(default_factory=list)  # only kept with the line itself


@dataclass
class EvidenceReport:
    records: list[RecordEvidence]
    lines: dict[int, str] = field(default_factory=dict)  # line number -> text, only when kept

    @property
    def has_lines(self) -> bool:
        return bool(self.lines)

    def to_json(self) -> str:
        # The dicts dataclasses.asdict would make, made directly: asdict recurses and deep-copies
        # every field, a fifth of the crawl process's CPU in a sweep of leaks (the same JSON, 5x
        # less CPU: 1.51 -> 0.30 s for 112 reports of 53,680 entries; tests/test_evidence_json.py).
        data = {
            "records": [
                {
                    "record_id": r.record_id,
                    "line": r.line,
                    "confidence": r.confidence,
                    "fields": r.fields,
                    "marks": [{"start": m.start, "end": m.end, "column": m.column} for m in r.marks],
                }
                for r in self.records
            ],
            "lines": {str(k): v for k, v in self.lines.items()},
        }
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> EvidenceReport:
        data = json.loads(text)
        records = [
            RecordEvidence(
                record_id=r["record_id"],
                line=r["line"],
                confidence=r["confidence"],
                fields=list(r["fields"]),
                marks=[FieldMark(**m) for m in r.get("marks", [])],
            )
            for r in data["records"]
        ]
        return cls(records, {int(k): v for k, v in data.get("lines", {}).items()})


def evidence_report(
    text: str, fingerprints: FingerprintSet, keep_lines: bool = False, matches: LineMatches | None = None
) -> EvidenceReport:
    """What matched in ``text``: per matched (record, line), the fields and their spans.
    ``matches``: the scan's own (``scan.ScanDetail``), when the caller scanned ``text`` already."""
    rows = _report_rows(text, fingerprints, matches)
    if rows is None:
        return EvidenceReport([])
    names = rows.fields_of.names
    records = [
        RecordEvidence(
            record_id=rows.named_ids[named],
            line=line,
            confidence=round(confidence, 3),
            fields=rows.fields_of(rows.columns[i]),
            marks=[FieldMark(s, e, names[c]) for s, e, c in rows.marked.marks_of(i)] if keep_lines else [],
        )
        for i, named, line, confidence in zip(
            rows.pairs, rows.named, rows.line_numbers, rows.confidences.tolist()
        )
    ]
    kept = {r.line: rows.lines[r.line] for r in records if r.line < len(rows.lines)} if keep_lines else {}
    return EvidenceReport(records, kept)


def evidence_report_json(
    text: str, fingerprints: FingerprintSet, keep_lines: bool = False, matches: LineMatches | None = None
) -> str:
    """``evidence_report(...).to_json()``, the same text written directly: no object per matched
    pair, and each record id, list of fields and confidence encoded once. A sweep writes every
    leak's report as JSON, and a copy of the leak has a pair per row (the objects and their JSON
    were most of the report's CPU; ``tests/test_evidence_json.py`` compares the two texts)."""
    rows = _report_rows(text, fingerprints, matches)
    if rows is None:
        return EvidenceReport([]).to_json()
    encode = json.encoder.encode_basestring  # json.dumps' for str, with ensure_ascii=False
    ids = [encode(record_id) for record_id in rows.named_ids]
    fields = {c: json.dumps(rows.fields_of(c), ensure_ascii=False) for c in set(rows.columns)}
    # Each distinct confidence (by its bits: the same float, the same text) rounded and written once:
    distinct, confidence_at = np.unique(rows.confidences.view(np.uint64), return_inverse=True)
    confidences = [repr(round(c, 3)) for c in distinct.view(np.float64).tolist()]
    columns = rows.columns
    marks: Iterable[str] = itertools.repeat("")
    if keep_lines:
        names = [encode(name) for name in rows.fields_of.names]
        marks = [
            ", ".join(
                f'{{"start": {s}, "end": {e}, "column": {names[c]}}}' for s, e, c in rows.marked.marks_of(i)
            )
            for i in rows.pairs
        ]
    written = ", ".join(
        [
            f'{{"record_id": {ids[named]}, "line": {line}, "confidence": {confidences[at]}, '
            f'"fields": {fields[columns[i]]}, "marks": [{marked}]}}'
            for i, named, line, at, marked in zip(
                rows.pairs, rows.named, rows.line_numbers, confidence_at.tolist(), marks
            )
        ]
    )
    kept = ""
    if keep_lines:
        shown = sorted(set(rows.line_numbers))
        kept = ", ".join(f'"{n}": {encode(rows.lines[n])}' for n in shown if n < len(rows.lines))
    return f'{{"records": [{written}], "lines": {{{kept}}}}}'


@dataclass
class _ReportRows:
    """An evidence report's rows before they are written: per matched pair, in the report's order
    (line, then record id), its index into ``columns`` and ``marked`` (``pairs``), its record id
    (``named_ids[named]``), line and confidence (not rounded)."""

    lines: list[str]  # the text's lines
    pairs: list[int]
    named: list[int]
    named_ids: list[str]  # the record ids of the matched records
    line_numbers: list[int]
    confidences: np.ndarray  # float64
    columns: Sequence[int | frozenset[int]]  # per pair: its marks' name ids (_PairMarks.columns_by_pair)
    marked: _PairMarks
    fields_of: _FieldLists


def _report_rows(text: str, fingerprints: FingerprintSet, matches: LineMatches | None) -> _ReportRows | None:
    """The rows of ``text``'s evidence report (None: nothing matched)."""
    if fingerprints.key is None:
        raise ValueError("the fingerprint set was loaded without its key")
    if matches is None:
        matches = find_record_matches(text, fingerprints)
    if len(matches.lines) == 0:
        return None
    lines = text.split("\n")
    numbers, pair_lines = np.unique(matches.lines, return_inverse=True)
    marked = _pair_marks(
        fingerprints,
        [lines[n] if n < len(lines) else "" for n in numbers.tolist()],
        pair_lines,
        matches.records,
    )
    records_named = np.unique(matches.records)
    named_ids = [str(record_id) for record_id in record_ids_of(fingerprints.record_ids, records_named)]
    # In the order of (line, record id), as a stable sort of them would put the pairs:
    id_rank = {record_id: rank for rank, record_id in enumerate(sorted(set(named_ids)))}
    named_ranks = np.array([id_rank[record_id] for record_id in named_ids], dtype=np.int64)
    named_at = np.searchsorted(records_named, matches.records)
    order = np.lexsort((named_ranks[named_at], matches.lines))
    return _ReportRows(
        lines,
        order.tolist(),
        named_at[order].tolist(),
        named_ids,
        matches.lines[order].tolist(),
        np.ascontiguousarray(matches.confidences[order], dtype=np.float64),
        marked.columns_by_pair(),
        marked,
        _FieldLists(fingerprints),
    )


def marked_segments(text: str, record: RecordEvidence) -> list[tuple[str, str | None]]:
    """``text`` cut at the record's marks: [(plain, None), (marked, column), ...]."""
    cut: list[tuple[str, str | None]] = []
    at = 0
    for mark in sorted(record.marks, key=lambda m: m.start):
        if mark.start < at:
            continue
        if mark.start > at:
            cut.append((text[at : mark.start], None))
        cut.append((text[mark.start : mark.end], mark.column))
        at = mark.end
    if at < len(text):
        cut.append((text[at:], None))
    return cut


def save_report(report: EvidenceReport, path: Path) -> Path:
    """Write the report owner-only (0600), replacing an older one atomically."""
    return save_report_json(report.to_json(), path)


def save_report_json(report_json: str, path: Path) -> Path:
    """``save_report`` of a report already made JSON (``EvidenceReport.to_json``)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(report_json)
    os.chmod(partial, 0o600)
    os.replace(partial, path)
    return path


def load_report(path: Path) -> EvidenceReport | None:
    try:
        return EvidenceReport.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None


class _FieldLists:
    """The ``fields`` of a record's evidence from its marks' columns (name ids: the first column
    of each name; a set of them as bits, or as a frozenset past 63 columns), in the fingerprint
    set's column order; the same few lists recur, so each is made once."""

    def __init__(self, fingerprints: FingerprintSet):
        self.names = [column.name for column in fingerprints.columns]
        order = {name: i for i, name in enumerate(self.names)}
        self.order = lambda name: order.get(name, len(order))
        self.made: dict[int | frozenset[int], list[str]] = {}

    def __call__(self, columns: int | frozenset[int]) -> list[str]:
        found = self.made.get(columns)
        if found is None:
            ids = columns if isinstance(columns, frozenset) else [c for c in range(64) if columns >> c & 1]
            found = self.made[columns] = sorted({self.names[c] for c in ids}, key=self.order)
        return list(found)


def _name_ids(fingerprints: FingerprintSet) -> np.ndarray:
    """Per column, the first column of its name: marks of two columns of one name are one field."""
    names = [column.name for column in fingerprints.columns]
    return np.array([names.index(name) for name in names], dtype=np.int64)


def _record_columns(fingerprints: FingerprintSet, record: int, name_ids: np.ndarray) -> dict[int, int]:
    """The record's evidence entries: keyed hash -> its column's name id (a key two entries
    share is the later one's)."""
    start, end = int(fingerprints.entry_offsets[record]), int(fingerprints.entry_offsets[record + 1])
    keys = np.asarray(fingerprints.entry_keys[start:end]).tolist()
    columns = name_ids[np.asarray(fingerprints.entry_columns[start:end], dtype=np.int64)].tolist()
    return dict(zip(keys, columns))


class _PairMarks:
    """Per matched (record, line) pair, its marks: [start, end) of the line and the column's
    name id, in line order: ``starts``, ``ends``, ``columns`` of the marks of pair i at
    ``offsets[i]:offsets[i + 1]``."""

    def __init__(self, offsets: np.ndarray, starts: np.ndarray, ends: np.ndarray, columns: np.ndarray):
        self.offsets, self.starts, self.ends, self.columns = offsets, starts, ends, columns

    @classmethod
    def of_lists(cls, marks: list[list[tuple[int, int, int]]]) -> _PairMarks:
        flat = np.array([m for pair in marks for m in pair], dtype=np.int64).reshape(-1, 3)
        offsets = offsets_of(np.array([len(pair) for pair in marks], dtype=np.int64))
        return cls(offsets, flat[:, 0], flat[:, 1], flat[:, 2])

    def marks_of(self, pair: int) -> list[tuple[int, int, int]]:
        at = slice(self.offsets[pair], self.offsets[pair + 1])
        return list(zip(self.starts[at].tolist(), self.ends[at].tolist(), self.columns[at].tolist()))

    def as_lists(self) -> list[list[tuple[int, int, int]]]:
        return [self.marks_of(i) for i in range(len(self.offsets) - 1)]

    def columns_by_pair(self) -> list[int] | list[frozenset[int]]:
        """Per pair, the name ids of its marks: as bits of an int (a frozenset past 63 columns)."""
        n_pairs = len(self.offsets) - 1
        if len(self.columns) and int(self.columns.max()) >= 63:
            return [
                frozenset(self.columns[self.offsets[i] : self.offsets[i + 1]].tolist())
                for i in range(n_pairs)
            ]
        pairs = np.repeat(np.arange(n_pairs), np.diff(self.offsets))
        bits = np.zeros(n_pairs, dtype=np.int64)
        np.bitwise_or.at(bits, pairs, np.left_shift(1, self.columns))
        return bits.tolist()


def _pair_marks(
    fingerprints: FingerprintSet,
    lines: list[str],
    pair_lines: np.ndarray,
    pair_records: np.ndarray,
    vectorized: bool = True,
) -> _PairMarks:
    """The marks of each (line, record) pair (``pair_lines``: index into ``lines``), all pairs
    at once (``_MarkedWords``), or, when not ``vectorized``, line by line in Python
    (``_keyed_lines``, ``_LineKeys.marks``): the same marks (``tests/test_evidence_marks.py``)."""
    name_ids = _name_ids(fingerprints)
    if not vectorized:
        return _PairMarks.of_lists(_marks_in_python(fingerprints, lines, pair_lines, pair_records, name_ids))
    return _MarkedWords(fingerprints, lines, name_ids).marks(pair_lines, pair_records)


def _marks_in_python(
    fingerprints: FingerprintSet,
    lines: list[str],
    pair_lines: np.ndarray,
    pair_records: np.ndarray,
    name_ids: np.ndarray,
) -> list[list[tuple[int, int, int]]]:
    wanted = sorted(set(pair_lines.tolist()))
    # Each matched line keyed once, all together, whatever the records it matched:
    keyed = _keyed_lines(
        {n: lines[n] for n in wanted},
        _scanner_for(fingerprints).hasher,  # its memo of keyed tokens is kept across documents
    )
    found = []
    for line, record in zip(pair_lines.tolist(), pair_records.tolist()):
        marks = keyed[line].marks(_record_columns(fingerprints, record, name_ids), lines[line])
        found.append([(m.start, m.end, int(m.column)) for m in marks])
    return found


class _MarkedWords:
    """The words of a document's matched lines and the keys they show, for all lines at once:
    what ``_keyed_lines`` and ``_LineKeys.marks`` make line by line, pair by pair, in numpy.

    Words are cut as ``_WORD_RE`` cuts them, over the lines' code points. An ASCII word's chunks
    (``normalize.token_bytes``) are cut in numpy too; a word with other characters is folded
    alone (``fold_text``), as ``value_tokens`` folds it, and remembered. The keys of each chunk
    are the scanner's chunk table's (``chunks.ChunkTable``: learnt by the scan that matched these
    lines), the keys of runs of words are ``keys.combined_keys`` of their tokens' keys, and
    spelled dates are read around month names as ``_keyed_lines`` reads them. Which of a
    record's entries a line shows is ``line_keys.LineKeys.held_entries``; the rest is sorting.

    Where ``_LineKeys.marks`` would take the first of several keys of one word (or of a run's
    spelled dates) that name different columns of the record, the order of keys decides: such
    a pair (rare: one token that is two fields of one record) is marked in Python instead."""

    def __init__(self, fingerprints: FingerprintSet, lines: list[str], name_ids: np.ndarray):
        self.fp = fingerprints
        self.scanner = _scanner_for(fingerprints)
        self.lines = lines
        self.name_ids = name_ids
        joined = "\n".join(lines)
        if joined.isascii():  # (most text) a byte a code point: the same positions, a quarter of the bytes
            points = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
        else:
            points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        self._cut_words(points)
        self._cut_chunks(joined, points)
        self._key_words()
        self._key_runs()
        # Characters a gap between two marks of one field may hold (``_merged``):
        gap_ok = _looked_up(_GAP_TABLE, points)
        self.not_gap_before = offsets_of(~gap_ok)

    def _cut_words(self, points: np.ndarray) -> None:
        separator = _separator_table()
        between = _looked_up(separator, points)
        inside = self.in_words = ~between
        edges = np.flatnonzero(np.diff(np.concatenate(([False], inside, [False])).astype(np.int8)))
        self.word_starts, self.word_ends = edges[0::2], edges[1::2]  # in the joined text
        newlines = np.flatnonzero(points == _NEWLINE)
        self.word_lines = np.searchsorted(newlines, self.word_starts)
        self.line_starts = np.concatenate(([0], newlines + 1))
        self.words_per_line = np.bincount(self.word_lines, minlength=len(self.lines))

    def _cut_chunks(self, joined: str, points: np.ndarray) -> None:
        """Each word's chunk ids in the chunk table, in order (``word_chunks``: offsets)."""
        n_words = len(self.word_starts)
        wide = np.flatnonzero((points >= 128) & self.in_words)  # (other whitespace is in no word)
        wide_words = np.unique(np.searchsorted(self.word_starts, wide, side="right") - 1)
        kind = _looked_up(_CHUNK_KIND, points)
        if len(wide_words):  # their characters are cut apart below
            starts, ends = self.word_starts[wide_words], self.word_ends[wide_words]
            kind[expand_ranges(starts, ends - starts)] = _APART
        in_chunk = kind > _APART
        edges = np.flatnonzero(np.diff(np.concatenate(([False], in_chunk, [False])).astype(np.int8)))
        run_starts, run_ends = edges[0::2], edges[1::2]
        kept_before = offsets_of(kind == _KEPT)
        with_letters = kept_before[run_ends] > kept_before[run_starts]  # runs of "-./'" only are no chunk
        narrow_chunk_words = np.searchsorted(self.word_starts, run_starts[with_letters], side="right") - 1
        narrow = np.where(in_chunk, points, _SPACE).astype(np.uint8).tobytes()
        folded = _folded_chunks_of(
            [
                joined[start:end]
                for start, end in zip(
                    self.word_starts[wide_words].tolist(), self.word_ends[wide_words].tolist()
                )
            ]
        )
        wide_chunks = list(itertools.chain.from_iterable(folded))
        wide_chunk_words = np.repeat(
            wide_words, np.fromiter(map(len, folded), dtype=np.int64, count=len(folded))
        )
        words = np.concatenate((narrow_chunk_words, wide_chunk_words))
        # In one call (the table may be dropped to make room: the ids of one call hold together):
        chunks = b" ".join([narrow.translate(_TOKEN_TABLE, _DELETED_BYTES), *wide_chunks])
        ids = self.scanner.line_keys.batch_chunks(chunks).ids
        if len(ids) != len(words):
            raise AssertionError(
                "evidence: the chunks of ASCII words were cut otherwise than split() cuts them"
            )
        order = np.argsort(words, kind="stable") if len(wide_chunk_words) else slice(None)
        self.chunk_ids = ids[order]
        self.chunk_words = words[order]
        self.word_chunks = offsets_of(np.bincount(self.chunk_words, minlength=n_words))

    def _key_words(self) -> None:
        """Per word, its tokens' keys in order, and every key it shows (tokens, id numbers,
        dates: ``_word_keys``'s) with its word and its rank in ``_word_keys``'s order (a token,
        then its id number, then its dates: where several keys of a word are a record's, the
        first one names the column). A chunk whose special keys belong to none or several of
        its digit tokens (``a123b456789``) cannot be ranked so: its lines are marked in Python."""
        table = self.scanner.chunks
        chunks = self.chunk_ids
        positions, token_counts = table.token_keys.positions(chunks)
        self.token_keys = table.token_keys.keys.array[positions]
        n_words = len(self.word_starts)
        self.word_tokens = offsets_of(
            np.bincount(self.chunk_words, weights=token_counts, minlength=n_words).astype(np.int64)
        )
        tokens = np.arange(len(positions))
        token_chunks = np.repeat(np.arange(len(chunks)), token_counts)
        digits = table.token_is_digits.array[positions]
        digit_tokens = np.bincount(token_chunks[digits], minlength=len(chunks))
        digit_token = np.zeros(len(chunks), dtype=np.int64)
        digit_token[token_chunks[digits]] = tokens[digits]  # the one that matters: a chunk's only one
        special, special_counts = table.special_keys.gather(chunks)
        special_chunks = np.repeat(np.arange(len(chunks)), special_counts)
        within = np.arange(len(special)) - np.repeat(offsets_of(special_counts)[:-1], special_counts)
        is_id = within < table.id_counts_of(chunks)[special_chunks]
        self.word_keys = np.concatenate((self.token_keys, special))
        self.word_key_words = np.concatenate(
            (self.chunk_words[token_chunks], self.chunk_words[special_chunks])
        )
        self.word_key_ranks = np.concatenate(
            (tokens * _RANKS, digit_token[special_chunks] * _RANKS + np.where(is_id, _RANK_ID, _RANK_DATE))
        )
        unranked = self.chunk_words[(special_counts > 0) & (digit_tokens != 1)]
        self.unranked_lines = np.unique(self.word_lines[unranked])
        self.month_words = np.zeros(n_words, dtype=bool)
        self.month_words[self.chunk_words[table.with_month_name(chunks)]] = True
        self.year_words = np.zeros(n_words, dtype=bool)  # a 4-digit number: a spelled date's year
        self.year_words[self.chunk_words[table.with_year(chunks)]] = True

    def _key_runs(self) -> None:
        """Runs of words as ``_keyed_lines`` makes them (by first word, then last), their keys,
        and the spelled dates only all their words read."""
        counts, starts = self.words_per_line, self.word_tokens
        word_line = self.word_lines
        local = np.arange(len(word_line)) - offsets_of(counts)[word_line]  # word index in its line
        width = np.minimum(max(params.MAX_VALUE_TOKENS, _DATE_WORDS), counts[word_line] - local)
        run_first = np.repeat(np.arange(len(word_line)), width)
        run_last = run_first + np.arange(len(run_first)) - np.repeat(offsets_of(width)[:-1], width)
        lengths = np.minimum(params.MAX_VALUE_TOKENS, starts[run_last + 1] - starts[run_first])
        self.run_first, self.run_last = run_first, run_last
        self.run_keys = combined_keys(self.token_keys, starts[run_first], lengths)
        month_sums = offsets_of(self.month_words.astype(np.int64))
        year_sums = offsets_of(self.year_words.astype(np.int64))
        spelled = (run_last > run_first) & (run_last - run_first < _DATE_WORDS)
        spelled &= month_sums[run_last + 1] > month_sums[run_first]
        spelled &= year_sums[run_last + 1] > year_sums[run_first]  # no spelled date without a year
        date_keys, date_runs = [], []
        hasher = self.scanner.hasher
        tokens: dict[int, tuple[str, ...]] = {}  # a word is in up to _DATE_WORDS runs
        for run in np.flatnonzero(spelled).tolist():
            words = tuple(
                tokens[w] if w in tokens else tokens.setdefault(w, self._word_tokens(w))
                for w in range(int(run_first[run]), int(run_last[run]) + 1)
            )
            for iso in _dates_of_words(words):
                date_keys.append(hasher.date(iso))
                date_runs.append(run)
        self.date_keys = np.array(date_keys, dtype=np.uint64)
        self.date_runs = np.array(date_runs, dtype=np.int64)

    def _word_tokens(self, word: int) -> tuple[str, ...]:
        table = self.scanner.chunks
        ids = self.chunk_ids[self.word_chunks[word] : self.word_chunks[word + 1]].tolist()
        return tuple(t for c in ids for t in table.tokens_of(c))

    def marks(self, pair_lines: np.ndarray, pair_records: np.ndarray) -> _PairMarks:
        """The marks of each (line, record) pair, as ``_LineKeys.marks`` makes them."""
        rows = _KeyRows(self)
        held = self.scanner.line_keys.held_entries(
            (pair_lines.astype(np.int64) << 32) | pair_records.astype(np.int64), rows.by_line
        )
        fp = self.fp
        keys = fp.entry_keys[held.entries]
        # A key two entries of a record share names the later entry's column (``_record_columns``):
        order = np.lexsort((held.entries, keys, held.pairs))
        last = np.roll(
            group_starts(held.pairs[order], keys[order]), -1
        )  # (a group ends where the next starts)
        chosen = order[last]
        pairs, keys = held.pairs[chosen], keys[chosen]
        columns = self.name_ids[fp.entry_columns[held.entries[chosen]].astype(np.int64)]
        pair_of, row = rows.find(pair_lines[pairs], keys)
        pairs, columns = pairs[pair_of], columns[pair_of]
        word_marks, run_marks, puzzling = rows.marked(row, pairs, columns)
        unranked = np.flatnonzero(np.isin(pair_lines, self.unranked_lines))
        puzzling = np.union1d(puzzling, unranked)
        pairs, starts, ends, columns = self._merged(*self._final_marks(word_marks, run_marks))
        if len(puzzling):
            again = _marks_in_python(
                self.fp, self.lines, pair_lines[puzzling], pair_records[puzzling], self.name_ids
            )
            redone = _PairMarks.of_lists(again)
            keep = ~np.isin(pairs, puzzling)
            pairs = np.concatenate((pairs[keep], np.repeat(puzzling, np.diff(redone.offsets))))
            starts = np.concatenate((starts[keep], redone.starts))
            ends = np.concatenate((ends[keep], redone.ends))
            columns = np.concatenate((columns[keep], redone.columns))
            order = np.lexsort((starts, pairs))
            pairs, starts, ends, columns = pairs[order], starts[order], ends[order], columns[order]
        offsets = np.searchsorted(pairs, np.arange(len(pair_lines) + 1))
        return _PairMarks(offsets, starts, ends, columns)

    def _final_marks(self, word_marks, run_marks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pair, word, column) sorted by pair and word: a word's own key's column, else the
        column of the first run (by first word, then last) that covers it."""
        word_pairs, words, word_columns = word_marks
        run_pairs, runs, run_columns = run_marks
        spans = self.run_last[runs] - self.run_first[runs] + 1
        covered = expand_ranges(self.run_first[runs], spans)
        pairs = np.concatenate((word_pairs, np.repeat(run_pairs, spans)))
        words = np.concatenate((words, covered))
        columns = np.concatenate((word_columns, np.repeat(run_columns, spans)))
        rank = np.concatenate((np.full(len(word_pairs), -1, dtype=np.int64), np.repeat(runs, spans)))
        order = np.lexsort((rank, words, pairs))
        pairs, words, columns = pairs[order], words[order], columns[order]
        first = group_starts(pairs, words)
        return pairs[first], words[first], columns[first]

    def _merged(
        self, pairs: np.ndarray, words: np.ndarray, columns: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Adjacent marks of one column in a pair's line become one span (``_merged``): the
        (pair, start, end, column) of each, in the line's characters."""
        starts, ends = self.word_starts[words], self.word_ends[words]
        joins = np.zeros(len(pairs), dtype=bool)
        if len(pairs) > 1:
            gap = self.not_gap_before[starts[1:]] - self.not_gap_before[ends[:-1]]
            joins[1:] = (pairs[1:] == pairs[:-1]) & (columns[1:] == columns[:-1]) & (gap == 0)
        heads = np.flatnonzero(~joins)
        tails = np.append(heads[1:], len(pairs))[: len(heads)] - 1
        line_start = self.line_starts[self.word_lines[words[heads]]]
        return pairs[heads], starts[heads] - line_start, ends[tails] - line_start, columns[heads]


class _KeyRows:
    """Every key the matched lines show, each once per place: a word's (``kind`` _WORD, the
    word), a run's value key (_RUN, the run) and its spelled dates (_DATE, the run); with their
    line, grouped by line for ``held_entries`` and sorted by (line, key) to find them again."""

    def __init__(self, words: _MarkedWords):
        self.words = words
        run_lines = words.word_lines[words.run_first]
        keys = np.concatenate((words.word_keys, words.run_keys, words.date_keys))
        known = words.scanner.line_keys.known(keys)  # (a record's entries are known keys)
        self.keys = keys[known]
        self.lines = np.concatenate(
            (words.word_lines[words.word_key_words], run_lines, run_lines[words.date_runs])
        ).astype(np.int64)[known]
        self.kind = np.concatenate(
            (
                np.full(len(words.word_keys), _WORD, dtype=np.int8),
                np.full(len(words.run_keys), _RUN, dtype=np.int8),
                np.full(len(words.date_keys), _DATE, dtype=np.int8),
            )
        )[known]
        self.place = np.concatenate((words.word_key_words, np.arange(len(words.run_keys)), words.date_runs))[
            known
        ]
        self.rank = np.concatenate(
            (words.word_key_ranks, np.zeros(len(words.run_keys) + len(words.date_keys), dtype=np.int64))
        )[known]
        self.by_line = LineKeySets(self.keys, self.lines, len(words.lines))
        self.salted = self.keys ^ (self.lines.astype(np.uint64) * LINE_SALT)
        self.order = np.argsort(self.salted)
        self.sorted_salted = self.salted[self.order]
        # Where the run of sorted rows equal to each one ends: ``find``'s right bounds, without a
        # second binary search per query.
        size = len(self.sorted_salted)
        firsts = np.flatnonzero(np.concatenate(([True], self.sorted_salted[1:] != self.sorted_salted[:-1])))
        self.run_end = np.repeat(np.append(firsts[1:], size), np.diff(np.append(firsts, size)))

    def find(self, lines: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query, row) of every row showing key ``keys[q]`` in line ``lines[q]``."""
        salted = keys ^ (lines.astype(np.uint64) * LINE_SALT)
        if len(self.sorted_salted) == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        lo = np.searchsorted(self.sorted_salted, salted, side="left")
        at = np.minimum(lo, len(self.sorted_salted) - 1)
        hi = np.where(self.sorted_salted[at] == salted, self.run_end[at], lo)  # (side="right")
        query = np.repeat(np.arange(len(keys)), hi - lo)
        row = self.order[expand_ranges(lo, hi - lo)]
        same = (self.keys[row] == keys[query]) & (self.lines[row] == lines[query])
        return query[same], row[same]

    def marked(self, row: np.ndarray, pairs: np.ndarray, columns: np.ndarray):
        """The words each pair's entries mark by their own keys (pair, word, column), the runs
        they mark (pair, run, column: the run's value key's column, else its spelled date's),
        and the pairs where the order of keys that ``_LineKeys.marks`` follows is not known here:
        two dates of one token, or two spelled dates of one run, name two columns."""
        kind, place = self.kind[row], self.place[row]
        is_word = kind == _WORD
        word_marks, tied = _first_keys(
            pairs[is_word], place[is_word], self.rank[row][is_word], columns[is_word]
        )
        is_run = ~is_word
        run_pairs, runs, run_columns = pairs[is_run], place[is_run], columns[is_run]
        dated = (kind[is_run] == _DATE).astype(np.int8)
        order = np.lexsort((dated, runs, run_pairs))  # the value key first, then dates
        run_pairs, runs, run_columns, dated = run_pairs[order], runs[order], run_columns[order], dated[order]
        first = group_starts(run_pairs, runs)
        group = np.cumsum(first) - 1
        # a run without its value key, whose dates name two columns: the dates' order decides
        other = np.zeros(len(order), dtype=bool)
        other[1:] = (
            ~first[1:]
            & (run_columns[1:] != run_columns[:-1])
            & (dated[np.flatnonzero(first)][group[1:]] == 1)
        )
        puzzling = np.unique(np.concatenate((run_pairs[other], tied)))
        return word_marks, (run_pairs[first], runs[first], run_columns[first]), puzzling


def _first_keys(
    pairs: np.ndarray, words: np.ndarray, ranks: np.ndarray, columns: np.ndarray
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """Per (pair, word), the column of its first key (lowest rank) that is the record's; and the
    pairs where two keys of that rank name two columns."""
    order = np.lexsort((columns, ranks, words, pairs))
    pairs, words, ranks, columns = pairs[order], words[order], ranks[order], columns[order]
    first = group_starts(pairs, words)
    tie = ~first[1:] & (ranks[1:] == ranks[:-1]) & (columns[1:] != columns[:-1])
    tie &= ranks[1:] == ranks[np.flatnonzero(first)][np.cumsum(first)[1:] - 1]
    return (pairs[first], words[first], columns[first]), np.unique(pairs[1:][tie])


_WORD, _RUN, _DATE = 0, 1, 2
# A word key's rank: its token's index * _RANKS + what it is of the token (dates of one token tie)
_RANKS, _RANK_ID, _RANK_DATE = 4, 1, 2
_NEWLINE, _SPACE = 10, 32
_APART, _DELETED, _KEPT = 0, 1, 2  # how token_bytes takes an ASCII character (_CHUNK_KIND)
_CHUNK_KIND = np.array(
    [
        _DELETED if c in _DELETED_BYTES else _KEPT if chr(c).isascii() and chr(c).isalnum() else _APART
        for c in range(128)
    ]
    + [_APART],  # a character of a word that is not ASCII: folded apart
    dtype=np.int8,
)
# What ``_merged`` strips from a gap between two marks (" ,.-/"), as a table of code points:
_GAP_TABLE = np.zeros(129, dtype=bool)
_GAP_TABLE[list(b" ,.-/")] = True
_FOLDED_MEMO: dict[str, list[bytes]] = {}
_FOLDED_MEMO_WORDS = 100_000  # non-ASCII words whose chunks are remembered (dropped whole when full)
_SPELLED_MEMO: dict[tuple[tuple[str, ...], ...], set[str]] = {}
_SPELLED_MEMO_RUNS = 100_000


def _looked_up(table: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Per code point, its entry in a table of code points whose last entry stands for every
    code point past it; ASCII text's points (bytes) are all in the table."""
    if points.dtype == np.uint8 and len(table) > 127:
        return table[points]
    return table[np.minimum(points, len(table) - 1)]


@functools.cache
def _separator_table() -> np.ndarray:
    """Per code point up to U+3000 (the last whitespace character), whether ``_WORD_RE`` cuts
    words there; the entry past the end (any higher code point) is False."""
    last = 0x3000
    table = np.array([_WORD_RE.fullmatch(chr(c)) is None for c in range(last + 1)] + [False])
    return table


def _folded_chunks_of(words: list[str]) -> list[list[bytes]]:
    """The chunks of each word as ``value_tokens`` folds it alone (remembered: a document's
    words that are not ASCII are mostly a few names, again and again)."""
    new = set(words).difference(_FOLDED_MEMO)
    if len(_FOLDED_MEMO) + len(new) > _FOLDED_MEMO_WORDS:
        _FOLDED_MEMO.clear()
        new = set(words)
    _FOLDED_MEMO.update((word, token_bytes(fold_text(word)).split()) for word in new)
    return list(map(_FOLDED_MEMO.__getitem__, words))


def _dates_of_words(words: tuple[tuple[str, ...], ...]) -> set[str]:
    """``_dates_needing_every_word`` of words given by their tokens, remembered."""
    found = _SPELLED_MEMO.get(words)
    if found is None:
        if len(_SPELLED_MEMO) >= _SPELLED_MEMO_RUNS:
            _SPELLED_MEMO.clear()
        found = _SPELLED_MEMO[words] = _dates_needing_every_word([(0, 0, list(t)) for t in words])
    return found


def _word_keys(tokens: list[str], hasher: KeyedHasher) -> list[int]:
    keys = []
    for token in tokens:
        keys.append(hasher.token(token))
        if id_number(token):
            keys.append(hasher.id_number(token))
        if token.isdigit():
            keys.extend(hasher.date(reading) for reading in digit_date_readings(token))
    return keys


@dataclass
class _LineKeys:
    """The keyed hashes a line shows, made once per line whatever the records it matched:
    per word, its token, id and date keys (``_word_keys``); per run of words from word
    ``first`` to word ``last`` (the first ``MAX_VALUE_TOKENS`` tokens, or a spelled date of up
    to ``_DATE_WORDS`` words), the keys of the value it may be."""

    spans: list[tuple[int, int]]  # [start, end) of each word in the line
    word_keys: list[list[int]]
    run_first: list[int]  # per run, in marking order (by first word, then last)
    run_last: list[int]
    run_keys: list[int]  # the run's first MAX_VALUE_TOKENS tokens as one value
    run_dates: dict[int, list[int]]  # run -> keys of the spelled dates only it reads

    def marks(self, entries: dict[int, Any], line: str) -> list[FieldMark]:
        """The spans of the line that show the record's entries (key -> column: a name, or
        anything that is equal for one field)."""
        marked: dict[int, Any] = {}  # word index -> column
        for i, keys in enumerate(self.word_keys):
            for key in keys:
                if key in entries:
                    marked.setdefault(i, entries[key])
        # Whole values (a full name, one word of a common field) and spelled dates, in order:
        runs = {run for run, key in enumerate(self.run_keys) if key in entries}
        runs.update(run for run, dates in self.run_dates.items() if any(k in entries for k in dates))
        for run in sorted(runs):
            keys = [self.run_keys[run], *self.run_dates.get(run, ())]
            column = next(entries[k] for k in keys if k in entries)
            for i in range(self.run_first[run], self.run_last[run] + 1):
                marked.setdefault(i, column)
        return _merged([FieldMark(*self.spans[i], column) for i, column in sorted(marked.items())], line)


def _keyed_lines(lines: dict[int, str], hasher: KeyedHasher) -> dict[int, _LineKeys]:
    """``_LineKeys`` of each line (number -> text); the runs of every line at once (numpy,
    ``keys.combined_keys``), Python only for the words and the runs around a month name."""
    token_keys: list[int] = []
    firsts: list[int] = []  # each word's first token in token_keys (then the end)
    words_per_line: list[list[tuple[int, int, list[str]]]] = []
    for line in lines.values():
        words = [(m.start(), m.end(), value_tokens(m.group())) for m in _WORD_RE.finditer(line)]
        for _, _, tokens in words:
            firsts.append(len(token_keys))
            token_keys.extend(hasher.token(t) for t in tokens)
        words_per_line.append(words)
    firsts.append(len(token_keys))
    starts = np.array(firsts, dtype=np.int64)
    counts = np.array([len(words) for words in words_per_line], dtype=np.int64)
    word_line = np.repeat(np.arange(len(counts)), counts)
    local = np.arange(len(word_line)) - offsets_of(counts)[word_line]  # word index in its line
    width = np.minimum(max(params.MAX_VALUE_TOKENS, _DATE_WORDS), counts[word_line] - local)
    run_first = np.repeat(np.arange(len(word_line)), width)  # global word indexes
    run_last = run_first + np.arange(len(run_first)) - np.repeat(offsets_of(width)[:-1], width)
    lengths = np.minimum(params.MAX_VALUE_TOKENS, starts[run_last + 1] - starts[run_first])
    run_keys = combined_keys(np.array(token_keys, dtype=np.uint64), starts[run_first], lengths)
    # A spelled date needs a month name (textual_dates reads around month names only):
    months = np.array(
        [any(t in MONTHS for t in tokens) for words in words_per_line for _, _, tokens in words]
    )
    month_sums = offsets_of(months.astype(np.int64))
    spelled = (run_last > run_first) & (run_last - run_first < _DATE_WORDS)
    spelled &= month_sums[run_last + 1] > month_sums[run_first]
    run_line = word_line[run_first]
    run_offsets = offsets_of(np.bincount(run_line, minlength=len(counts)))
    word_offsets = offsets_of(counts)
    keyed = {}
    for n, (number, words) in enumerate(zip(lines, words_per_line)):
        runs = slice(run_offsets[n], run_offsets[n + 1])
        base = word_offsets[n]
        run_dates = {}
        for run in np.flatnonzero(spelled[runs]).tolist():
            i, j = int(run_first[runs][run] - base), int(run_last[runs][run] - base)
            dates = [hasher.date(d) for d in _dates_needing_every_word(words[i : j + 1])]
            if dates:
                run_dates[run] = dates
        keyed[number] = _LineKeys(
            [(start, end) for start, end, _ in words],
            [_word_keys(tokens, hasher) for _, _, tokens in words],
            (run_first[runs] - base).tolist(),
            (run_last[runs] - base).tolist(),
            run_keys[runs].tolist(),
            run_dates,
        )
    return keyed


def _dates_needing_every_word(words: list[tuple[int, int, list[str]]]) -> set[str]:
    """Spelled dates of these words that lose without the first or the last word ("born" is no part)."""

    def dates(part: list[tuple[int, int, list[str]]]) -> set[str]:
        return set(textual_dates([t for _, _, tokens in part for t in tokens]))

    return dates(words) - dates(words[1:]) - dates(words[:-1])


def _merged(marks: list[FieldMark], line: str) -> list[FieldMark]:
    """Adjacent marks of one column (the words of one name) become one span."""
    merged: list[FieldMark] = []
    for mark in marks:
        last = merged[-1] if merged else None
        if last and last.column == mark.column and not line[last.end : mark.start].strip(" ,.-/"):
            last.end = mark.end
        else:
            merged.append(FieldMark(mark.start, mark.end, mark.column))
    return merged
