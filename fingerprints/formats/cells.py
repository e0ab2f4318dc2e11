"""Spreadsheet cells as the text a person would type (shared by workbook formats and the
dataset reader, so that a date cell reads the same in the leak and in a copy)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any


def spreadsheet_row_cells(values: Iterable[Any]) -> list[str] | None:
    """A spreadsheet row's cells as text, trailing empty cells dropped; None if all empty."""
    cells = [spreadsheet_cell_text(v) for v in values]
    while cells and not cells[-1]:
        cells.pop()
    return cells or None


def spreadsheet_cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person would type: dates ISO, 12.0 as 12."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def one_line(cell: str) -> str:
    """A cell's text without the tabs and newlines that would split it into cells or rows."""
    if "\n" in cell or "\t" in cell or "\r" in cell:
        return " ".join(cell.split())
    return cell
