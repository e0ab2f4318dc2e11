"""Read the leaked dataset into rows of raw string cells, whatever file it came as.

Formats: CSV/TSV (delimiter sniffed among comma, semicolon, tab, pipe), a JSON array of
objects (or an object holding one), JSON Lines, XLSX (first sheet). Encodings: anything
``textcodec`` decodes. A record's id is its ``id_column`` value when one is named, else its
1-based data row number (the header excluded; blank rows count, so the number points at the
row a spreadsheet shows one below it).
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DatasetError
from . import params
from .formats import tabular
from .formats.cells import spreadsheet_row_cells
from .formats.textcodec import decode_text

log = logging.getLogger(__name__)


@dataclass
class Dataset:
    columns: list[str]  # column names, restricted to ``columns`` when asked
    ids: list[str]  # one record id per row
    rows: list[list[str]]  # raw cells aligned with ``columns``

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class _Table:
    """A file's records before the id and column choices are applied."""

    columns: list[str]
    rows: list[list[str] | None]  # None: a blank row, kept so row numbers match the file


def read_dataset(path: str | Path, id_column: str | None = None, columns: list[str] | None = None) -> Dataset:
    """Read the dataset at ``path``; raise DatasetError with a one-line reason if it can't."""
    path = Path(path)
    data = _read_bytes(path)
    table = _parse_table(path, data)
    return _select(table, path, id_column, columns)


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise DatasetError(f"dataset not found: {path}")
    if path.is_dir():
        raise DatasetError(f"dataset is a folder, not a file: {path}")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DatasetError(f"cannot read dataset {path}: {error.strerror or error}") from None
    if not data.strip():
        raise DatasetError(f"dataset is empty: {path}")
    return data


def _parse_table(path: Path, data: bytes) -> _Table:
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(path, data)
    text = decode_text(data)
    if text is None:
        raise DatasetError(f"{path} is not text in a known encoding, nor an XLSX workbook")
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("[") or (stripped.startswith("{") and path.suffix.lower() == ".json"):
        return _read_json(path, stripped)
    if stripped.startswith("{"):
        return _read_json_lines(path, stripped)
    return _read_delimited(path, text)


def _read_delimited(path: Path, text: str) -> _Table:
    delimiter = tabular.sniff_delimiter(text)
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    rows = [
        row if any(cell.strip() for cell in row) else None for row in tabular.parse_delimited(text, delimiter)
    ]
    return _with_header(path, rows)


def _with_header(path: Path, rows: list[list[str] | None]) -> _Table:
    """The table of rows (None: blank) whose first row, after any title lines, may be a header."""
    first_row = next((i for i, row in enumerate(rows) if row is not None), None)
    if first_row is None:
        raise DatasetError(f"no records in {path}")
    last_row = max(i for i, row in enumerate(rows) if row is not None)
    rows = _without_preamble(rows[first_row : last_row + 1])
    first = rows[0]
    following = [row for row in rows[1:] if row is not None]
    width = max(len(row) for row in rows if row is not None)
    if tabular.looks_like_header(first, following):
        names = [cell.strip() for cell in first]
        names += [f"col{i}" for i in range(len(names) + 1, width + 1)]
        return _Table(columns=names, rows=rows[1:])
    return _Table(columns=[f"col{i}" for i in range(1, width + 1)], rows=rows)


def _without_preamble(rows: list[list[str] | None]) -> list[list[str] | None]:
    """Drop title lines above the table ("Export of 2024-05-01"): leading rows with fewer
    than half the filled cells of a typical row. Row numbers then count from the table."""
    filled = [sum(1 for cell in row if cell.strip()) for row in rows[: params.PREAMBLE_SAMPLE_ROWS] if row]
    typical = sorted(filled)[len(filled) // 2]
    start = 0
    while start < len(rows) - 1 and (
        rows[start] is None or 2 * sum(1 for c in rows[start] if c.strip()) < typical
    ):
        start += 1
    if start:
        log.info("skipped %d title line(s) above the table", start)
    return rows[start:]


def _read_json(path: Path, text: str) -> _Table:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DatasetError(f"{path} is not valid JSON: {error.msg} at line {error.lineno}") from None
    except RecursionError:
        raise DatasetError(f"{path} is nested too deeply to be a table of records") from None
    records = _records_in(document)
    if records is None:
        raise DatasetError(f"{path} holds no array of objects (records)")
    return _table_of_objects(path, records)


def _records_in(document: Any) -> list | None:
    """The list of records: the document itself, or the first list of objects inside an object."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for value in document.values():
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                return value
    return None


def _read_json_lines(path: Path, text: str) -> _Table:
    records: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise DatasetError(f"{path} line {number} is not valid JSON: {error.msg}") from None
        except RecursionError:
            raise DatasetError(f"{path} line {number} is nested too deeply to be a record") from None
    return _table_of_objects(path, records)


def _table_of_objects(path: Path, records: list) -> _Table:
    flat: list[dict[str, str]] = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise DatasetError(f"record {number} of {path} is not an object")
        flat.append(flatten_object(record))
    names = list(dict.fromkeys(key for record in flat for key in record))
    if not flat or not names:
        raise DatasetError(f"no records in {path}")
    return _Table(columns=names, rows=[[record.get(name, "") for name in names] for record in flat])


def flatten_object(obj: dict, prefix: str = "") -> dict[str, str]:
    """Nested objects become dotted keys; lists and scalars become strings."""
    flat: dict[str, str] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_object(value, prefix=f"{name}."))
        else:
            flat[name] = json_scalar_text(value)
    return flat


def json_scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _read_xlsx(path: Path, data: bytes) -> _Table:
    import openpyxl  # imported here: it is slow to import and only XLSX needs it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types (zip, XML, key, value) on bad input
        raise DatasetError(f"{path} is not a readable XLSX workbook ({type(error).__name__})") from None
    try:
        sheet = workbook.worksheets[0]
        rows = [spreadsheet_row_cells(values) for values in sheet.iter_rows(values_only=True)]
    except Exception as error:  # openpyxl raises many types (XML, zip, value) on a broken sheet
        raise DatasetError(f"{path} has an unreadable sheet ({type(error).__name__})") from None
    finally:
        workbook.close()
    return _with_header(path, rows)


def _select(table: _Table, path: Path, id_column: str | None, columns: list[str] | None) -> Dataset:
    _check_names(table, path, id_column, columns)
    repeated = sorted({name for name in columns or [] if columns.count(name) > 1})
    if repeated:  # one field twice would pass for the two fields a match needs
        raise DatasetError(f"column(s) {', '.join(repeated)} named more than once in --columns")
    chosen = columns if columns else table.columns
    positions = [table.columns.index(name) for name in chosen]
    id_position = table.columns.index(id_column) if id_column else None
    ids: list[str] = []
    rows: list[list[str]] = []
    for number, row in enumerate(table.rows, start=1):
        if row is None:
            continue
        ids.append(_record_id(row, number, id_position, id_column))
        rows.append([row[p] if p < len(row) else "" for p in positions])
    if not rows:
        raise DatasetError(f"no records in {path}")
    _check_unique(ids, id_column)
    return Dataset(columns=list(chosen), ids=ids, rows=rows)


def _check_names(table: _Table, path: Path, id_column: str | None, columns: list[str] | None) -> None:
    available = ", ".join(table.columns)
    if id_column and id_column not in table.columns:
        raise DatasetError(f"no id column {id_column!r} in {path}; columns are: {available}")
    unknown = [name for name in columns or [] if name not in table.columns]
    if unknown:
        raise DatasetError(f"unknown column(s) {', '.join(unknown)} in {path}; columns are: {available}")


def _record_id(row: list[str], number: int, id_position: int | None, id_column: str | None) -> str:
    if id_position is None:
        return str(number)
    value = row[id_position].strip() if id_position < len(row) else ""
    if not value:
        raise DatasetError(f"row {number} has an empty {id_column!r}; ids must be present and unique")
    return value


def _check_unique(ids: list[str], id_column: str | None) -> None:
    seen: set[str] = set()
    for record_id in ids:
        if record_id in seen:
            raise DatasetError(f"duplicate id {record_id!r} in column {id_column!r}; ids must be unique")
        seen.add(record_id)
