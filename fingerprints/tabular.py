"""Delimited text: which delimiter a table uses, and whether its first row is a header.

Shared by the dataset reader and document extraction, which both meet CSV, TSV,
semicolon- and pipe-separated files with no way to ask the author.
"""

from __future__ import annotations

import csv
import io
import re

DELIMITERS = (",", ";", "\t", "|")

# Lines the delimiter sniffer reads: enough to see a consistent shape, few enough to be cheap.
SNIFF_LINES = 50

# Rows below the first that the header test compares it with.
HEADER_SAMPLE_ROWS = 200

_DIGIT = re.compile(r"\d")


def sniff_delimiter(text: str) -> str | None:
    """The delimiter that splits the first lines of ``text`` into the most consistent columns.

    None when no candidate gives at least two columns on most lines (then it is not a table).
    """
    sample_lines = text.splitlines()[:SNIFF_LINES]
    sample_lines = [line for line in sample_lines if line.strip()]
    if not sample_lines:
        return None
    best, best_score = None, 0.0
    for delimiter in DELIMITERS:
        score = _shape_score(sample_lines, delimiter)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _shape_score(lines: list[str], delimiter: str) -> float:
    """Share of lines with the most common field count (>= 2), weighted a little by that count."""
    counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
    widths = [c for c in counts if c >= 2]
    if len(widths) < 0.6 * len(counts):
        return 0.0
    mode = max(set(widths), key=widths.count)
    consistency = widths.count(mode) / len(counts)
    # Ties between delimiters are broken by the wider split (commas inside a
    # semicolon-separated file give fewer, less regular columns).
    return consistency + mode / 1000


def parse_delimited(text: str, delimiter: str) -> list[list[str]]:
    """All rows of a delimited text, cells as raw strings (blank lines kept as empty rows)."""
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def looks_like_header(first: list[str], following: list[list[str]]) -> bool:
    """Whether ``first`` names the columns rather than holding a record.

    A header has non-empty, distinct cells without digits, none of which recurs in its column
    below (a status or a facility does; a column name does not). A header-less file of
    digit-free, all-distinct text (only names, say) is read as having a header: the price of
    that rare mistake is one record, while the common case is a header.
    """
    cells = [c.strip() for c in first]
    if not cells or any(not c for c in cells):
        return False
    if len(set(c.lower() for c in cells)) != len(cells):
        return False
    if any(_DIGIT.search(c) for c in cells):
        return False
    return not _cell_recurs_in_its_column(cells, following[:HEADER_SAMPLE_ROWS])


def _cell_recurs_in_its_column(cells: list[str], rows: list[list[str]]) -> bool:
    for column, cell in enumerate(cells):
        if any(column < len(row) and row[column].strip() == cell for row in rows):
            return True
    return False
