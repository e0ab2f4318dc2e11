"""The evidence of a match is marked for all matched lines at once (``evidence._MarkedWords``:
numpy over the lines' code points and the scanner's chunk table) exactly as line by line in
Python (``evidence._keyed_lines``, ``_LineKeys.marks``): the same words, the same columns, the
same merged spans, for every pair; the reports are the same whichever way they were made."""

from __future__ import annotations

import datetime as dt
import random
import sys

import numpy as np
import pytest

from leaktrack.fingerprints import evidence
from leaktrack.fingerprints.evidence import evidence_report
from leaktrack.fingerprints.scan import find_record_matches
from leaktrack.synthetic import negative_samples, unrelated_paste_text


def _both(fingerprints, text: str):
    """The marks of every matched pair of ``text``, vectorized and in Python."""
    matches = find_record_matches(text, fingerprints)
    lines = text.split("\n")
    numbers, pair_lines = np.unique(matches.lines, return_inverse=True)
    matched = [lines[n] if n < len(lines) else "" for n in numbers.tolist()]
    args = (fingerprints, matched, pair_lines, matches.records)
    return (
        evidence._pair_marks(*args).as_lists(),
        evidence._pair_marks(*args, vectorized=False).as_lists(),
    )


def _odd_lines(leak) -> str:
    """Records written in ways that try the cutting of words and chunks: other whitespace,
    punctuation inside words, words of punctuation only, spelled and slashed dates, folded
    characters, id numbers glued to other digits (a chunk whose id cannot be told from its
    other digits' keys), the name's first letter before the id number."""
    rng = random.Random(5)
    out = []
    for row in rng.sample(leak.rows, 60):
        a_number, name, country, born, status, facility = row
        day = dt.date.fromisoformat(born)
        digits = a_number.replace("A-", "").replace("-", "")
        out += [
            f"{a_number}\u00a0{name}\u3000{country}\u2003{born} | {status}",
            f"({name}) - {a_number} ; born {day.day} {day:%B} {day.year} ; {facility}",
            f"{name.upper()}, {day:%d/%m/%Y}, a12b{digits}, {country}",
            f"{name[0]}{digits} {name} {born} -- ... // {status}",
            f"\uff21{digits} \uff08{name}\uff09 {day:%Y%m%d} {country}\x0b{facility}",
            f"{name.replace(' ', '-')}/{born}/{a_number}",
            f"  {name}  ,,  {day:%B} {day.day}, {day.year}  |  {a_number}  ",
        ]
    return "\n".join(out)


def test_vectorized_marks_are_the_python_marks_on_every_kind_of_copy(
    small_leak, small_leak_copies, small_leak_fingerprints
):
    pairs = 0
    texts = [c.data.decode("utf-8", "replace") for c in small_leak_copies]
    texts += [s.data.decode("utf-8", "replace") for s in negative_samples(small_leak, seed=3)[:10]]
    for text in texts:
        vectorized, in_python = _both(small_leak_fingerprints, text)
        assert vectorized == in_python
        pairs += len(vectorized)
    assert pairs > 2000


def test_vectorized_marks_are_the_python_marks_on_oddly_written_records(
    small_leak, small_leak_fingerprints, monkeypatch
):
    redone = []
    in_python = evidence._marks_in_python

    def counted(fingerprints, lines, pair_lines, pair_records, name_ids):
        redone.append(len(pair_lines))
        return in_python(fingerprints, lines, pair_lines, pair_records, name_ids)

    text = _odd_lines(small_leak) + "\n" + unrelated_paste_text(random.Random(2), 40)
    vectorized, _ = _both(small_leak_fingerprints, text)
    monkeypatch.setattr(evidence, "_marks_in_python", counted)
    again, in_python_only = _both(small_leak_fingerprints, text)
    assert vectorized == again == in_python_only
    assert sum(map(len, vectorized)) > 500
    # glued digits ("a12b447712782") are marked in Python, the rest vectorized:
    assert 0 < redone[0] < len(vectorized)


@pytest.mark.parametrize("keep_lines", [False, True])
def test_reports_are_the_same_whichever_way_the_marks_were_made(
    small_leak, small_leak_copies, small_leak_fingerprints, monkeypatch, keep_lines
):
    text = "\n".join(c.data.decode("utf-8", "replace") for c in small_leak_copies[:10])
    text += "\n" + _odd_lines(small_leak)
    fast = evidence_report(text, small_leak_fingerprints, keep_lines=keep_lines)
    vectorized = evidence._pair_marks
    monkeypatch.setattr(
        evidence,
        "_pair_marks",
        lambda *args: vectorized(*args, vectorized=False),  # type: ignore[misc]
    )
    slow = evidence_report(text, small_leak_fingerprints, keep_lines=keep_lines)
    assert fast.to_json() == slow.to_json()
    assert len(fast.records) > 500 and all(r.fields for r in fast.records)
    assert any(r.marks for r in fast.records) == keep_lines


def test_words_are_cut_wherever_the_word_pattern_cuts_them():
    """The cut is a table of code points up to U+3000: no character above it is whitespace."""
    table = evidence._separator_table()
    assert not any(chr(c).isspace() for c in range(len(table) - 1, sys.maxunicode + 1))
    assert [c for c in range(len(table) - 1) if table[c]] == [
        c for c in range(len(table) - 1) if evidence._WORD_RE.fullmatch(chr(c)) is None
    ]


def test_each_pairs_columns_are_its_own_marks_columns_past_63_columns_too():
    """Per pair, the columns its marks name: as bits of an int, or as frozensets once a column
    past the 63rd is marked; one entry a pair, whatever the number of marks."""
    marks = [[(0, 4, 2), (5, 9, 7)], [], [(0, 3, 2)], [(1, 2, 0), (3, 4, 1), (5, 6, 2)]]
    assert evidence._PairMarks.of_lists(marks).columns_by_pair() == [1 << 2 | 1 << 7, 0, 1 << 2, 0b111]
    wide = [[(0, 4, 70), (5, 9, 7)], [], [(0, 3, 2)], [(1, 2, 63), (3, 4, 1), (5, 6, 63)]]
    assert evidence._PairMarks.of_lists(wide).columns_by_pair() == [
        frozenset({70, 7}),
        frozenset(),
        frozenset({2}),
        frozenset({63, 1}),
    ]
