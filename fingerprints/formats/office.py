"""Office documents: XLSX workbooks (every sheet, one line per row).

A workbook is a zip of XML parts, and a hostile one is a zip bomb: every part is streamed
through the budget once before the reading library inflates it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .archives import read_zip_member
from .cells import one_line, spreadsheet_row_cells

if TYPE_CHECKING:
    from .extractor import Reading


def is_xlsx(members: list[zipfile.ZipInfo]) -> bool:
    return any(info.filename == "xl/workbook.xml" for info in members)


def extract_xlsx(
    reading: Reading, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], data: bytes, name: str
) -> None:
    reading.count_members(name, len(members))
    for info in members:
        if read_zip_member(reading, archive, info, f"{name}::{info.filename}", keep=False) is None:
            return
    _xlsx_rows(reading, data, name)


def _xlsx_rows(reading: Reading, data: bytes, name: str) -> None:
    import openpyxl  # slow to import; only workbooks need it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types on malformed parts
        reading.skip(name, f"corrupt workbook ({type(error).__name__})")
        return
    try:
        lines = list(_sheet_lines(reading, workbook, name))
    except Exception as error:  # a sheet's XML can be malformed past the header
        reading.skip(name, f"corrupt workbook sheet ({type(error).__name__})")
        return
    finally:
        workbook.close()
    reading.add(name, "xlsx", "\n".join(lines) + "\n")


def _sheet_lines(reading: Reading, workbook: Any, name: str) -> Iterator[str]:
    for sheet in workbook.worksheets:
        for values in sheet.iter_rows(values_only=True):
            reading.xlsx_cells += len(values)
            if reading.xlsx_cells > reading.limits.max_xlsx_cells:
                reading.skip(name, f"stopped after {reading.limits.max_xlsx_cells:,} spreadsheet cells")
                return
            cells = spreadsheet_row_cells(values)
            if cells:
                yield "\t".join(one_line(c) for c in cells)
