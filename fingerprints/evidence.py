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

import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import params
from .arrays import offsets_of
from .fingerprint_set import FingerprintSet
from .keys import KeyedHasher, combined_keys
from .normalize import MONTHS, digit_date_readings, id_number, textual_dates, value_tokens
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
        data = {
            "records": [asdict(r) for r in self.records],
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
    if fingerprints.key is None:
        raise ValueError("the fingerprint set was loaded without its key")
    if matches is None:
        matches = find_record_matches(text, fingerprints)
    if len(matches.lines) == 0:
        return EvidenceReport([])
    lines = text.split("\n")
    matched = matches.lines.tolist()
    # Each matched line keyed once, all together, whatever the records it matched:
    keyed = _keyed_lines(
        {n: lines[n] if n < len(lines) else "" for n in matched},
        _scanner_for(fingerprints).hasher,  # its memo of keyed tokens is kept across documents
    )
    records: list[RecordEvidence] = []
    for record, line, confidence in zip(matches.records.tolist(), matched, matches.confidences.tolist()):
        marks = keyed[line].marks(
            _record_columns(fingerprints, record), lines[line] if line < len(lines) else ""
        )
        fields = sorted({mark.column for mark in marks}, key=_column_order(fingerprints))
        records.append(
            RecordEvidence(
                record_id=str(fingerprints.record_ids[record]),
                line=line,
                confidence=round(float(confidence), 3),
                fields=fields,
                marks=marks if keep_lines else [],
            )
        )
    records.sort(key=lambda r: (r.line, r.record_id))
    kept = {r.line: lines[r.line] for r in records if r.line < len(lines)} if keep_lines else {}
    return EvidenceReport(records, kept)


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
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(report.to_json())
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


def _column_order(fingerprints: FingerprintSet):
    order = {column.name: i for i, column in enumerate(fingerprints.columns)}
    return lambda name: order.get(name, len(order))


def _record_columns(fingerprints: FingerprintSet, record: int) -> dict[int, str]:
    """The record's evidence entries: keyed hash -> column name."""
    start, end = int(fingerprints.entry_offsets[record]), int(fingerprints.entry_offsets[record + 1])
    keys = np.asarray(fingerprints.entry_keys[start:end]).tolist()
    columns = np.asarray(fingerprints.entry_columns[start:end]).tolist()
    return {key: fingerprints.columns[column].name for key, column in zip(keys, columns)}


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

    def marks(self, entries: dict[int, str], line: str) -> list[FieldMark]:
        """The spans of the line that show the record's entries (key -> column name)."""
        marked: dict[int, str] = {}  # word index -> column
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
