"""Office documents: XLSX, DOCX, ODT/ODS and legacy XLS; paragraphs one line each, every table
row one TAB-separated line, in document order.

The zipped kinds are zips of XML parts, and a hostile one is a zip bomb: every part is
streamed through the budget once before a reading library inflates it (XLSX, DOCX), or the
part we read (ODF's content.xml) is read through the budget itself. XML with a DOCTYPE is
refused (entity tricks); the parsers used resolve no external entities.

Libraries: openpyxl (XLSX, read-only streaming), xlrd 2 (XLS only, no formulas evaluated);
DOCX's ``word/document.xml`` and ODF's ``content.xml`` are walked with the standard library's
parser: their table models are a few elements, and python-docx (an object per paragraph, run
and cell) cost ten times the parse, odfpy builds a whole DOM in pure Python.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from .archives import read_zip_member
from .cells import one_line, spreadsheet_row_cells
from .limits import describe

if TYPE_CHECKING:
    from .extractor import Reading

_ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}
# An ODF cell or row may say "repeated 16,384 times" (a formatted empty column to the sheet's
# edge); non-empty cells and rows are repeated at most this many times.
_ODF_MAX_REPEAT = 100


def zipped_office_kind(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> str | None:
    names = {info.filename for info in members}
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return "docx"
    if "mimetype" in names and "content.xml" in names:
        mimetype = archive.getinfo("mimetype")
        if mimetype.file_size < 100:
            try:
                return _ODF_MIMETYPES.get(archive.read(mimetype).strip())
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError):
                return None
    return None


def extract_zipped_office(
    reading: Reading,
    kind: str,
    archive: zipfile.ZipFile,
    members: list[zipfile.ZipInfo],
    data: bytes,
    name: str,
) -> None:
    if kind in ("odt", "ods"):
        _extract_odf(reading, kind, archive, name)
        return
    reading.count_members(name, len(members))
    document = b""
    for info in members:
        keep = kind == "docx" and info.filename == _DOCX_BODY
        read = read_zip_member(reading, archive, info, f"{name}::{info.filename}", keep=keep)
        if read is None:
            return
        if keep:
            document = read
    if kind == "xlsx":
        _xlsx_rows(reading, data, name)
    else:
        _docx_lines(reading, document, name)


# --- XLSX -------------------------------------------------------------------------------------


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
            if not _count_cells(reading, name, len(values)):
                return
            cells = spreadsheet_row_cells(values)
            if cells:
                yield "\t".join(one_line(c) for c in cells)


def _count_cells(reading: Reading, name: str, count: int) -> bool:
    """Whether ``count`` more cells are within the budget (else the reason is noted once)."""
    reading.xlsx_cells += count
    if reading.xlsx_cells > reading.limits.max_xlsx_cells:
        if reading.xlsx_cells - count <= reading.limits.max_xlsx_cells:
            reading.skip(name, f"stopped after {reading.limits.max_xlsx_cells:,} spreadsheet cells")
        return False
    return True


# --- DOCX -------------------------------------------------------------------------------------


_DOCX_BODY = "word/document.xml"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W_P, _W_TBL, _W_TR, _W_TC, _W_T = f"{_W}p", f"{_W}tbl", f"{_W}tr", f"{_W}tc", f"{_W}t"
# A run's characters other than text (as python-docx reads them: a tab, a break, a hyphen).
_W_CHARACTERS = {
    f"{_W}tab": "\t",
    f"{_W}ptab": "\t",
    f"{_W}br": "\n",
    f"{_W}cr": "\n",
    f"{_W}noBreakHyphen": "-",
}
# Elements whose content is the paragraph's text (runs, links, tracked insertions, fields,
# content controls); others (properties, deleted text, drawings) are not.
_W_INLINE = frozenset(
    f"{_W}{tag}"
    for tag in ("r", "hyperlink", "ins", "smartTag", "fldSimple", "sdt", "sdtContent", "customXml")
)
# Body-level wrappers whose children are paragraphs and tables in document order.
_W_BLOCK_WRAPPERS = frozenset(f"{_W}{tag}" for tag in ("sdt", "sdtContent", "customXml"))


def _docx_lines(reading: Reading, document: bytes, name: str) -> None:
    """The body of ``word/document.xml`` (read through the budget), walked with the standard
    library's parser: python-docx builds an object per paragraph, run and cell, which cost
    ten times the parse itself."""
    if b"<!DOCTYPE" in document[:4096]:
        reading.skip(name, "DOCX with a DOCTYPE refused (entity expansion)")
        return
    try:
        body = ElementTree.fromstring(document).find(f"{_W}body")
        lines = list(_docx_blocks(reading, [] if body is None else list(body), name))
    except (ElementTree.ParseError, ValueError) as error:
        reading.skip(name, f"corrupt DOCX ({describe(error)})")
        return
    reading.add(name, "docx", "\n".join(lines) + "\n")


def _docx_blocks(reading: Reading, blocks: list[ElementTree.Element], name: str) -> Iterator[str]:
    """Paragraphs as lines (an empty paragraph as an empty line: it separates record blocks),
    table rows as TAB-separated lines (a cell's paragraphs joined by spaces, a merged cell
    once), nested tables after their row."""
    for block in blocks:
        if block.tag == _W_P:
            yield one_line(_docx_text(block))
        elif block.tag == _W_TBL:
            for row in (row for row in block if row.tag == _W_TR):
                cells = [cell for cell in row if cell.tag == _W_TC]
                if not _count_cells(reading, name, len(cells)):
                    return
                yield "\t".join(
                    one_line(" ".join(_docx_text(p) for p in cell if p.tag == _W_P)) for cell in cells
                )
                for cell in cells:
                    yield from _docx_blocks(reading, [t for t in cell if t.tag == _W_TBL], name)
        elif block.tag in _W_BLOCK_WRAPPERS:
            yield from _docx_blocks(reading, list(block), name)


def _docx_text(element: ElementTree.Element) -> str:
    """A paragraph's text: its runs' (and links', insertions', fields') text in order."""
    parts: list[str] = []
    for child in element:
        tag = child.tag
        if tag == _W_T:
            parts.append(child.text or "")
        elif tag in _W_CHARACTERS:
            parts.append(_W_CHARACTERS[tag])
        elif tag in _W_INLINE:
            parts.append(_docx_text(child))
    return "".join(parts)


# --- ODT / ODS --------------------------------------------------------------------------------

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ROW, _CELL, _COVERED = f"{_TABLE}table-row", f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"
_PARAGRAPHS = (f"{_TEXT}p", f"{_TEXT}h")


def _extract_odf(reading: Reading, kind: str, archive: zipfile.ZipFile, name: str) -> None:
    reading.count_members(name)
    content = read_zip_member(reading, archive, archive.getinfo("content.xml"), f"{name}::content.xml")
    if content is None:
        return
    if b"<!DOCTYPE" in content[:4096]:
        reading.skip(name, "ODF content with a DOCTYPE refused (entity expansion)")
        return
    try:
        lines = list(_odf_lines(reading, content, name))
    except (ElementTree.ParseError, ValueError) as error:  # ValueError: a non-numeric repeat count
        reading.skip(name, f"corrupt {kind.upper()} content ({describe(error)})")
        return
    reading.add(name, kind, "\n".join(lines) + "\n")


def _odf_lines(reading: Reading, content: bytes, name: str) -> Iterator[str]:
    """Paragraphs outside tables as lines, each table row as one line, in document order."""
    in_cells = 0
    for event, element in ElementTree.iterparse(io.BytesIO(content), events=("start", "end")):
        tag = element.tag
        if tag in (_CELL, _COVERED):
            in_cells += 1 if event == "start" else -1
        if event != "end":
            continue
        if tag == _ROW:
            cells = _odf_row_cells(element)
            repeat = (
                1 if not cells else min(int(element.get(f"{_TABLE}number-rows-repeated", 1)), _ODF_MAX_REPEAT)
            )
            if cells and not _count_cells(reading, name, len(cells) * repeat):
                return
            for _ in range(repeat if cells else 0):
                yield "\t".join(cells)
            element.clear()
        elif tag in _PARAGRAPHS and not in_cells:
            yield one_line(_odf_text(element))
            element.clear()


def _odf_row_cells(row: ElementTree.Element) -> list[str]:
    cells: list[str] = []
    for cell in row:
        if cell.tag not in (_CELL, _COVERED):
            continue
        text = one_line(" ".join(_odf_text(p) for p in cell if p.tag in _PARAGRAPHS))
        repeat = int(cell.get(f"{_TABLE}number-columns-repeated", 1))
        cells.extend([text] * (min(repeat, _ODF_MAX_REPEAT) if text else min(repeat, 1)))
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _odf_text(element: ElementTree.Element) -> str:
    """A paragraph's text: spans, links and fields inline; <text:s c="n"/> as n spaces."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{_TEXT}s":
            parts.append(" " * min(int(child.get(f"{_TEXT}c", 1)), _ODF_MAX_REPEAT))
        elif child.tag in (f"{_TEXT}tab", f"{_TEXT}line-break"):
            parts.append(" ")
        else:
            parts.append(_odf_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


# --- Legacy XLS -------------------------------------------------------------------------------


def extract_ole2(reading: Reading, data: bytes, name: str, depth: int) -> None:
    """An OLE2 compound file: an Excel 97-2003 workbook is read; other legacy Office
    documents (.doc, .ppt) are skipped with a reason (``depth``: the readers' one signature)."""
    import xlrd

    try:
        # xlrd reports oddities by printing to its logfile, stdout by default (our --json)
        book = xlrd.open_workbook(
            file_contents=data, on_demand=True, formatting_info=False, logfile=io.StringIO()
        )
    except xlrd.XLRDError as error:
        if "workbook" in str(error).lower():
            reading.skip(name, "legacy Office document other than XLS (not supported)")
        else:
            reading.skip(name, f"corrupt XLS ({describe(error)})")
        return
    except Exception as error:  # xlrd raises assertion/struct/index errors on broken files
        reading.skip(name, f"corrupt XLS ({type(error).__name__})")
        return
    try:
        lines = list(_xls_lines(reading, book, name))
    except Exception as error:
        reading.skip(name, f"corrupt XLS sheet ({type(error).__name__})")
        return
    finally:
        book.release_resources()
    reading.add(name, "xls", "\n".join(lines) + "\n")


def _xls_lines(reading: Reading, book: Any, name: str) -> Iterator[str]:
    import xlrd

    for index in range(book.nsheets):
        sheet = book.get_sheet(index)
        for number in range(sheet.nrows):
            row = sheet.row(number)
            if not _count_cells(reading, name, len(row)):
                return
            values = [
                xlrd.xldate.xldate_as_datetime(c.value, book.datemode)
                if c.ctype == xlrd.XL_CELL_DATE
                else c.value
                for c in row
            ]
            cells = spreadsheet_row_cells(values)
            if cells:
                yield "\t".join(one_line(c) for c in cells)
        book.unload_sheet(index)
