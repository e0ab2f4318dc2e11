"""Delimited text: which delimiter a table uses, and whether its first row is a header.

Shared by the dataset reader and document extraction, which both meet CSV, TSV,
semicolon- and pipe-separated files with no way to ask the author.
"""

from __future__ import annotations

import csv
import io
import re

from . import limits

try:  # csv.reader's field counts in C without the rows (_textshape.c); csv.reader gives the same
    from . import _textshape
except ImportError:  # built without a C compiler
    _textshape = None

DELIMITERS = (",", ";", "\t", "|")

csv.field_size_limit(limits.CSV_MAX_FIELD_CHARS)

_DIGIT = re.compile(r"\d")


def sniff_delimiter(text: str, min_consistency: float = 0.0) -> str | None:
    """The delimiter that splits the first lines of ``text`` into the most consistent columns.

    None when no candidate gives at least two columns on most lines, or when the best one's
    share of lines with the usual column count is below ``min_consistency``.
    """
    best, best_score = None, (0.0, 0)
    for delimiter, widths in zip(DELIMITERS, _sample_widths(text, min_consistency)):
        if widths is None:
            continue
        score = _shape_score(widths)
        if score > best_score:
            best, best_score = delimiter, score
    if best is None or best_score[0] < min_consistency:
        return None
    return best


def _sample_widths(text: str, min_consistency: float, compiled: bool = True) -> list[list[int] | None]:
    """For each of DELIMITERS, the row widths (``row_widths``) of the sample (``_first_lines``
    but the empty and blank ones), or None when ``_may_reach`` says it cannot reach
    ``min_consistency`` (or there is no sample). By ``_textshape.sniff_widths`` when it is
    built (no line of the head made a str, no regex: this cost more than the sniffing of most
    texts), else as follows, which defines the result."""
    if compiled and _textshape is not None:
        read = _textshape.sniff_widths(
            text, limits.SNIFF_CHARS, limits.SNIFF_LINES, "".join(DELIMITERS), min_consistency
        )
        if read is not None:  # (None: a NUL in the sample, read by csv.reader below)
            return list(read[1])
    sample_lines = [line for line in _first_lines(text) if line and not line.isspace()]  # (not blank)
    sample = "\n".join(sample_lines)
    return [
        row_widths(sample_lines, delimiter, compiled=compiled)
        if _may_reach(sample, sample_lines, delimiter, min_consistency)
        else None
        for delimiter in DELIMITERS
    ]


def _may_reach(sample: str, lines: list[str], delimiter: str, min_consistency: float) -> bool:
    """Whether ``delimiter`` may split ``lines`` (joined: ``sample``) consistently enough,
    without parsing them: a row of two cells holds the delimiter, so in no line it splits none
    (most text); without quotes each line is a row, and a row without the delimiter is one
    cell, so the share of lines holding it bounds its score (most prose and code stop here)."""
    if delimiter not in sample:
        return False
    if '"' in sample:
        return True  # quoted cells may span lines, so lines do not bound rows
    return sum(delimiter in line for line in lines) >= min_consistency * len(lines)


def _first_lines(text: str) -> list[str]:
    """``text[:SNIFF_CHARS].splitlines()[:SNIFF_LINES]``, without copying the head or
    splitting the rest of it: the first lines end at or before its SNIFF_LINES-th newline
    (splitlines also splits at other line ends, never at fewer), found by one match of
    ``_SNIFF_LINES`` (a find a line cost more than the sniffing of most texts)."""
    limit = min(len(text), limits.SNIFF_CHARS)
    lines = _SNIFF_LINES.match(text, 0, limit)
    if lines is None:  # fewer newlines in the head
        return text[:limit].splitlines()[: limits.SNIFF_LINES]
    return text[: lines.end()].splitlines()[: limits.SNIFF_LINES]


_SNIFF_LINES = re.compile(rf"(?:[^\n]*+\n){{{limits.SNIFF_LINES}}}")


def _shape_score(counts: list[int]) -> tuple[float, int]:
    """(share of rows with the most common field count, that count) of the sample's row widths
    under one delimiter; (0, 0) if not a table.

    Ties are broken by the wider split: commas inside a semicolon-separated file give fewer,
    less regular columns.
    """
    widths = [c for c in counts if c >= 2]
    if len(widths) < 0.6 * len(counts):
        return (0.0, 0)
    mode = max(set(widths), key=widths.count)
    return (widths.count(mode) / len(counts), mode)


def parse_delimited(text: str, delimiter: str) -> list[list[str]]:
    """All rows of a delimited text, cells as raw strings (blank lines kept as empty rows)."""
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def looks_like_header(first: list[str], following: list[list[str]]) -> bool:
    """Whether ``first`` names the columns rather than holding a record.

    A header has non-empty, distinct cells that are not numbers, dates or ids (``phone2`` is
    fine, ``1990-03-07`` is not), none of which recurs in its column below (a status or a
    facility does; a column name does not). A header-less file of such text (only names, say)
    is read as having a header: the price of that rare mistake is one record, while the
    common case is a header.
    """
    cells = [c.strip() for c in first]
    if not cells or any(not c for c in cells):
        return False
    if len(set(c.lower() for c in cells)) != len(cells):
        return False
    if any(_looks_numeric(c) for c in cells):
        return False
    return not _cell_recurs_in_its_column(cells, following[: limits.HEADER_SAMPLE_ROWS])


def _looks_numeric(cell: str) -> bool:
    """Mostly digits among its letters and digits: a number, date, phone or id number."""
    digits = len(_DIGIT.findall(cell))
    letters = sum(ch.isalpha() for ch in cell)
    return digits > 0 and digits >= letters


def _cell_recurs_in_its_column(cells: list[str], rows: list[list[str]]) -> bool:
    for column, cell in enumerate(cells):
        if any(column < len(row) and row[column].strip() == cell for row in rows):
            return True
    return False


def row_widths(lines: list[str], delimiter: str, compiled: bool = True) -> list[int]:
    """The number of fields of each row ``csv.reader(lines, delimiter=delimiter)`` reads: by
    ``_textshape.csv_row_widths`` when it is built (the sniffer reads 50 lines for each
    delimiter, and making the rows' strings was most of its cost), else by csv itself, which
    defines the result (and reads lines the compiled count refuses: a NUL, a line break)."""
    if compiled and _textshape is not None:
        try:
            return _textshape.csv_row_widths(lines, delimiter)
        except ValueError:
            pass
    return [len(row) for row in csv.reader(lines, delimiter=delimiter)]
