"""Read the leaked dataset into rows of raw string cells, whatever file it came as.

Formats: CSV/TSV (delimiter sniffed among comma, semicolon, tab, pipe), a JSON array of
objects (or an object holding one), JSON Lines, XLSX (first sheet). Encodings: anything
``textcodec`` decodes. A record's id is its ``id_column`` value when one is named, else its
1-based data row number (the header excluded; blank rows count, so the number points at the
row a spreadsheet shows one below it).

CSV/TSV are read as a stream (``open_dataset``): the build reads a dataset of any size twice
in chunks of rows, never whole. JSON and XLSX are read whole (leaks of tens of millions of
rows come as delimited text; a 100-million-object JSON array does not fit a parser anyway).
A table's shape (title lines, header, width) is learnt from its first rows.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DatasetError
from . import params
from .formats import tabular
from .formats.cells import spreadsheet_row_cells
from .formats.textcodec import decode_text, detect_encoding

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


@dataclass
class DatasetSource:
    """A dataset read in chunks of rows, as often as asked (the build reads it twice).

    ``numbered_rows`` yields (1-based data row number, raw cells) of the non-blank rows."""

    path: Path
    columns: list[str]  # the chosen columns
    id_column: str | None
    positions: list[int]  # of the chosen columns among the file's
    id_position: int | None
    numbered_rows: Callable[[], Iterator[tuple[int, list[str]]]]

    @property
    def numbered(self) -> bool:
        """Record ids are row numbers (no id column)."""
        return self.id_column is None

    def chunks(self, size: int) -> Iterator[tuple[list[str], list[list[str]]]]:
        """(record ids, rows of raw cells aligned with ``columns``), ``size`` rows at a time."""
        ids: list[str] = []
        rows: list[list[str]] = []
        positions, id_position = self.positions, self.id_position
        # every column chosen, in the file's order: a full row is its own cells
        whole = positions == list(range(len(positions)))
        for number, row in self.numbered_rows():
            ids.append(_record_id(row, number, id_position, self.id_column))
            width = len(row)
            rows.append(
                row if whole and width == len(positions) else [row[p] if p < width else "" for p in positions]
            )
            if len(rows) >= size:
                yield ids, rows
                ids, rows = [], []
        if rows:
            yield ids, rows


def read_dataset(path: str | Path, id_column: str | None = None, columns: list[str] | None = None) -> Dataset:
    """Read the dataset at ``path``; raise DatasetError with a one-line reason if it can't."""
    source = open_dataset(path, id_column, columns)
    ids: list[str] = []
    rows: list[list[str]] = []
    for chunk_ids, chunk_rows in source.chunks(100_000):
        ids += chunk_ids
        rows += chunk_rows
    if not rows:
        raise DatasetError(f"no records in {source.path}")
    _check_unique(ids, id_column)
    return Dataset(columns=list(source.columns), ids=ids, rows=rows)


def open_dataset(
    path: str | Path, id_column: str | None = None, columns: list[str] | None = None
) -> DatasetSource:
    """The dataset at ``path`` as a source of row chunks (delimited text streamed)."""
    path = Path(path)
    head = _read_head(path)
    if head.startswith(b"PK\x03\x04"):
        return _source_of_table(path, _read_xlsx(path, _read_bytes(path)), id_column, columns)
    head_text = decode_text(head)
    if head_text is None:
        raise DatasetError(f"{path} is not text in a known encoding, nor an XLSX workbook")
    stripped = head_text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("[", "{")):
        return _source_of_table(path, _parse_json_table(path, _read_bytes(path)), id_column, columns)
    return _delimited_source(path, head, head_text, id_column, columns)


def _read_head(path: Path) -> bytes:
    if not path.exists():
        raise DatasetError(f"dataset not found: {path}")
    if path.is_dir():
        raise DatasetError(f"dataset is a folder, not a file: {path}")
    try:
        with open(path, "rb") as file:
            head = file.read(params.DATASET_HEAD_BYTES)
            # a multi-byte character cut at the end of the head must not read as broken UTF-8
            while len(head) == params.DATASET_HEAD_BYTES and head[-1] >= 0x80:
                more = file.read(1)
                if not more:
                    break
                head += more
                if len(head) > params.DATASET_HEAD_BYTES + 3:
                    break
    except OSError as error:
        raise DatasetError(f"cannot read dataset {path}: {error.strerror or error}") from None
    if not head.strip():
        raise DatasetError(f"dataset is empty: {path}")
    return head


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise DatasetError(f"cannot read dataset {path}: {error.strerror or error}") from None


def _parse_json_table(path: Path, data: bytes) -> _Table:
    text = decode_text(data)
    if text is None:
        raise DatasetError(f"{path} is not text in a known encoding, nor an XLSX workbook")
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("[") or (stripped.startswith("{") and path.suffix.lower() == ".json"):
        return _read_json(path, stripped)
    return _read_json_lines(path, stripped)


def _delimited_source(
    path: Path, head: bytes, head_text: str, id_column: str | None, columns: list[str] | None
) -> DatasetSource:
    encoding = "utf-8" if _is_utf8(head) else detect_encoding(head) or "cp1252"
    if encoding == "utf-8" and head.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    delimiter = tabular.sniff_delimiter(head_text)
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","

    def raw_rows() -> Iterator[list[str] | None]:
        try:
            with open(path, encoding=encoding, errors="replace", newline="") as file:
                for row in csv.reader(file, delimiter=delimiter):
                    yield row if "".join(row).strip() else None  # a cell not all whitespace
        except csv.Error as error:
            raise DatasetError(f"{path} is not a readable table: {error}") from None
        except OSError as error:
            raise DatasetError(f"cannot read dataset {path}: {error.strerror or error}") from None

    sample: list[list[str] | None] = []
    for row in raw_rows():
        sample.append(row)
        if len(sample) >= params.DATASET_SHAPE_ROWS:
            break
    names, skip = _shape(path, sample)

    def numbered_rows() -> Iterator[tuple[int, list[str]]]:
        rows = raw_rows()
        for _ in range(skip):
            next(rows)
        for number, row in enumerate(rows, start=1):
            if row is not None:
                yield number, row

    return _source(path, names, numbered_rows, id_column, columns)


def _is_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as error:
        # cut inside a character at the end of the head, or a few stray bytes: still UTF-8
        return error.start >= len(head) - 3 or detect_encoding(head) == "utf-8"


def _source_of_table(
    path: Path, table: _Table, id_column: str | None, columns: list[str] | None
) -> DatasetSource:
    def numbered_rows() -> Iterator[tuple[int, list[str]]]:
        for number, row in enumerate(table.rows, start=1):
            if row is not None:
                yield number, row

    return _source(path, table.columns, numbered_rows, id_column, columns)


def _source(
    path: Path,
    names: list[str],
    numbered_rows: Callable[[], Iterator[tuple[int, list[str]]]],
    id_column: str | None,
    columns: list[str] | None,
) -> DatasetSource:
    chosen = _chosen_columns(path, names, id_column, columns)
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)  # the first of equal names, as list.index gave
    return DatasetSource(
        path=path,
        columns=chosen,
        id_column=id_column,
        positions=[index[name] for name in chosen],
        id_position=index[id_column] if id_column else None,
        numbered_rows=numbered_rows,
    )


def _with_header(path: Path, rows: list[list[str] | None]) -> _Table:
    """The table of rows (None: blank) whose first row, after any title lines, may be a header."""
    names, skip = _shape(path, rows)
    return _Table(columns=names, rows=rows[skip:])


def _shape(path: Path, rows: list[list[str] | None]) -> tuple[list[str], int]:
    """Column names of a table whose first rows are ``rows``, and how many rows come before
    its first record (blank lines, title lines, the header)."""
    first_row = next((i for i, row in enumerate(rows) if row is not None), None)
    if first_row is None:
        raise DatasetError(f"no records in {path}")
    last_row = max(i for i, row in enumerate(rows) if row is not None)
    start = first_row + _preamble_length(rows[first_row : last_row + 1])
    first = rows[start]
    if first is None:  # cannot be: the preamble ends on a row (the last row is one)
        raise DatasetError(f"no records in {path}")
    following = [row for row in rows[start + 1 :] if row is not None]
    width = max(len(row) for row in rows[start:] if row is not None)
    if tabular.looks_like_header(first, following):
        names = [cell.strip() for cell in first]
        names += [f"col{i}" for i in range(len(names) + 1, width + 1)]
        return names, start + 1
    return [f"col{i}" for i in range(1, width + 1)], start


def _preamble_length(rows: list[list[str] | None]) -> int:
    """Title lines above the table ("Export of 2024-05-01"): leading rows with fewer than
    half the filled cells of a typical row. Row numbers then count from the table."""
    filled = [sum(1 for cell in row if cell.strip()) for row in rows[: params.PREAMBLE_SAMPLE_ROWS] if row]
    typical = sorted(filled)[len(filled) // 2]
    start = 0
    while start < len(rows) - 1:
        row = rows[start]
        if row is not None and 2 * sum(1 for c in row if c.strip()) >= typical:
            break
        start += 1
    if start:
        log.info("skipped %d title line(s) above the table", start)
    return start


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


def _chosen_columns(
    path: Path, names: list[str], id_column: str | None, columns: list[str] | None
) -> list[str]:
    """The columns to fingerprint: those asked for, else all (at most MAX_DATASET_COLUMNS)."""
    known = set(names)
    available = _listed(names)
    if id_column and id_column not in known:
        raise DatasetError(f"no id column {id_column!r} in {path}; columns are: {available}")
    if columns is not None and not columns:
        raise DatasetError("--columns names no column (give column names separated by commas)")
    unknown = [name for name in columns or [] if name not in known]
    if unknown:
        raise DatasetError(f"unknown column(s) {', '.join(unknown)} in {path}; columns are: {available}")
    repeated = sorted(name for name, count in Counter(columns or []).items() if count > 1)
    if repeated:  # one field twice would pass for the two fields a match needs
        raise DatasetError(f"column(s) {', '.join(repeated)} named more than once in --columns")
    chosen = list(columns) if columns else list(names)
    if len(chosen) > params.MAX_DATASET_COLUMNS:
        raise DatasetError(
            f"{path} has {len(chosen):,} columns; leaktrack fingerprints at most "
            f"{params.MAX_DATASET_COLUMNS:,} (choose the ones that identify people with --columns)"
        )
    return chosen


def _listed(names: list[str]) -> str:
    """Column names for an error message (a very wide file's list is cut short)."""
    shown = ", ".join(names[: params.COLUMNS_LISTED])
    return shown + (f", ... ({len(names):,} in all)" if len(names) > params.COLUMNS_LISTED else "")


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
