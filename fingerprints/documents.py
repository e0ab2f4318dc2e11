"""Turn any downloaded document into plain text the scanner can read line by line.

Every table row becomes ONE line with its cells separated by a TAB; free text stays lines.
Formats: CSV/TSV (delimiter sniffed), JSON, JSON Lines, HTML, Markdown tables, fixed-width
text reports, XLSX, ZIP and TAR (recursively), GZIP (so .tar.gz too), plain text in any
encoding ``textcodec`` knows. The type comes from magic bytes first, then the name or
Content-Type, then the text itself.

Archives are opened with suspicion: sizes are counted while streaming, never taken from
headers, and ``ExtractionLimits`` bounds input size, decompressed size, compression ratio,
member count, nesting depth and spreadsheet cells. A decompression bomb raises DocumentError;
garbage, images and corrupt archives are not errors: they give no text and a reason in
``Extraction.skipped``.
"""

from __future__ import annotations

import html as _html
import io
import json
import logging
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import DocumentError
from . import params, tabular
from .textcodec import decode_text

log = logging.getLogger(__name__)


@dataclass
class ExtractionLimits:
    """How much work one document may cost (defaults and their reasons: ``params.EXTRACT_*``)."""

    max_input_bytes: int = params.EXTRACT_MAX_INPUT_BYTES
    max_total_bytes: int = params.EXTRACT_MAX_TOTAL_BYTES
    max_compression_ratio: float = params.EXTRACT_MAX_COMPRESSION_RATIO
    max_members: int = params.EXTRACT_MAX_MEMBERS
    max_depth: int = params.EXTRACT_MAX_DEPTH
    max_xlsx_cells: int = params.EXTRACT_MAX_XLSX_CELLS
    ratio_grace_bytes: int = params.EXTRACT_RATIO_GRACE_BYTES


@dataclass
class ExtractedText:
    name: str  # the document's name, or "archive.zip::member.csv" for what came out of an archive
    kind: str  # text, csv, json, jsonl, html, xlsx
    text: str


@dataclass
class Extraction:
    texts: list[ExtractedText] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "name: reason" for parts without text

    @property
    def text(self) -> str:
        """All extracted texts as one."""
        return "\n".join(t.text for t in self.texts)


def extract_texts(
    data: bytes,
    name: str | None = None,
    content_type: str | None = None,
    limits: ExtractionLimits | None = None,
) -> Extraction:
    """The plain texts in a document (and in the archives inside it)."""
    limits = limits or ExtractionLimits()
    name = name or "document"
    if len(data) > limits.max_input_bytes:
        raise DocumentError(f"{name} is too large: {len(data):,} bytes > {limits.max_input_bytes:,}")
    extraction = Extraction()
    _Extractor(limits, extraction).extract(data, name, content_type, depth=1)
    return extraction


# Magic bytes of formats with no text worth scanning (and a name for the skip reason).
_BINARY_MAGIC = (
    (b"\x89PNG", "PNG image"),
    (b"GIF8", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"RIFF", "RIFF media"),
    (b"ID3", "MP3 audio"),
    (b"\x00\x00\x00\x18ftyp", "MP4 video"),
    (b"\x00\x00\x00\x20ftyp", "MP4 video"),
    (b"%PDF", "PDF document (not supported)"),
    (b"\x7fELF", "ELF executable"),
    (b"MZ", "Windows executable"),
    (b"\xd0\xcf\x11\xe0", "legacy Office document (not supported)"),
    (b"7z\xbc\xaf", "7-Zip archive (not supported)"),
    (b"Rar!", "RAR archive (not supported)"),
    (b"BZh", "bzip2 archive (not supported)"),
    (b"\xfd7zXZ", "xz archive (not supported)"),
    (b"\x00asm", "WebAssembly"),
    (b"SQLite format 3", "SQLite database (not supported)"),
)

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_GZIP_MAGIC = b"\x1f\x8b"
_TAR_MAGIC = b"ustar"  # at offset 257 of a POSIX or GNU tar header


class _Extractor:
    """One document's extraction: the limits, what was found, and what was spent so far."""

    def __init__(self, limits: ExtractionLimits, extraction: Extraction):
        self.limits = limits
        self.extraction = extraction
        self.decompressed_bytes = 0
        self.members = 0
        self.xlsx_cells = 0

    # -- dispatch ------------------------------------------------------------------------

    def extract(self, data: bytes, name: str, content_type: str | None, depth: int) -> None:
        if data.startswith(_ZIP_MAGIC):
            self._zip_or_xlsx(data, name, depth)
        elif data.startswith(_GZIP_MAGIC):
            self._gzip(data, name, depth)
        elif data[257:262] == _TAR_MAGIC:
            self._tar(data, name, depth)
        else:
            binary = _binary_kind(data)
            if binary:
                self.skip(name, binary)
            else:
                self._text_document(data, name, content_type)

    def skip(self, name: str, reason: str) -> None:
        log.debug("skipped %s: %s", name, reason)
        self.extraction.skipped.append(f"{name}: {reason}")

    def add(self, name: str, kind: str, text: str) -> None:
        if text.strip():
            self.extraction.texts.append(ExtractedText(name=name, kind=kind, text=text))

    # -- text formats --------------------------------------------------------------------

    def _text_document(self, data: bytes, name: str, content_type: str | None) -> None:
        text = decode_text(data)
        if text is None:
            self.skip(name, "binary content, no text")
            return
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        kind, converted = text_to_lines(text, name, content_type)
        self.add(name, kind, converted)

    # -- archives ------------------------------------------------------------------------

    def _zip_or_xlsx(self, data: bytes, name: str, depth: int) -> None:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = [info for info in archive.infolist() if not info.is_dir()]
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            self.skip(name, f"corrupt zip ({_describe(error)})")
            return
        with archive:
            names = {info.filename for info in members}
            if "xl/workbook.xml" in names:
                self._xlsx(archive, members, data, name)
            else:
                self._zip(archive, members, name, depth)

    def _zip(self, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], name: str, depth: int) -> None:
        self._check_depth(name, depth)
        self._count_members(name, len(members))
        for info in members:
            member_name = f"{name}::{info.filename}"
            member_data = self._read_member(archive, info, member_name)
            if member_data is not None:
                self.extract(member_data, member_name, None, depth + 1)

    def _read_member(
        self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, member_name: str, keep: bool = True
    ) -> bytes | None:
        """A member's bytes (b"" unless ``keep``), counted chunk by chunk against the limits;
        None if it cannot be read."""
        chunks: list[bytes] = []
        produced = 0
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(params.ARCHIVE_READ_CHUNK_BYTES):
                    produced += len(chunk)
                    # zipfile feeds the inflater at most compress_size bytes and fails at the
                    # archive's end, so an overstated size cannot hide a bomb: this is a
                    # measured ratio; an understated file_size stops zipfile early.
                    self._check_ratio(member_name, produced, info.compress_size)
                    self._spend(member_name, len(chunk))
                    if keep:
                        chunks.append(chunk)
        except DocumentError:
            raise
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            OSError,
            ValueError,
            NotImplementedError,
            RuntimeError,
        ) as error:
            self.skip(member_name, f"unreadable archive member ({_describe(error)})")
            return None
        return b"".join(chunks)

    def _gzip(self, data: bytes, name: str, depth: int) -> None:
        self._check_depth(name, depth)
        self._count_members(name, 1)
        inner_name = name[:-3] if name.lower().endswith(".gz") else f"{name}::gunzipped"
        inner, error = self._gunzip(data, name)
        if error:
            self.skip(name, f"corrupt gzip ({error})" + (", kept what decompressed" if inner else ""))
        if inner:
            self.extract(inner, inner_name, None, depth + 1)

    def _tar(self, data: bytes, name: str, depth: int) -> None:
        # A tar is not compressed: its members are no larger than the tar itself, which is
        # already within the limits; only their count and nesting need watching.
        self._check_depth(name, depth)
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
                for member in archive:
                    self._count_members(name, 1)
                    stream = archive.extractfile(member) if member.isfile() else None
                    if stream is not None:
                        member_data = stream.read()
                        self._spend(name, len(member_data))
                        self.extract(member_data, f"{name}::{member.name}", None, depth + 1)
        except (tarfile.TarError, EOFError, OSError) as error:
            self.skip(name, f"corrupt tar ({_describe(error)})")

    def _gunzip(self, data: bytes, name: str) -> tuple[bytes, str | None]:
        """Decompress every gzip member, never producing more than one chunk past the limits."""
        out: list[bytes] = []
        produced = 0
        consumed = 0
        remaining = data
        try:
            while remaining:
                decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                pending = remaining
                while pending and not decompressor.eof:
                    chunk = decompressor.decompress(pending, params.ARCHIVE_READ_CHUNK_BYTES)
                    consumed += len(pending) - len(decompressor.unconsumed_tail)
                    pending = decompressor.unconsumed_tail
                    produced += len(chunk)
                    self._check_ratio(name, produced, consumed)
                    self._spend(name, len(chunk))
                    out.append(chunk)
                if not decompressor.eof:
                    return b"".join(out), "truncated"
                remaining = decompressor.unused_data
                if remaining and not remaining.startswith(_GZIP_MAGIC):
                    break  # trailing garbage after the last member, as gzip(1) tolerates
        except zlib.error as error:
            return b"".join(out), str(error)
        return b"".join(out), None

    def _xlsx(self, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], data: bytes, name: str) -> None:
        # Stream every part once through the limits before openpyxl inflates them: a
        # workbook is a zip, and a hostile one is a zip bomb.
        self._count_members(name, len(members))
        for info in members:
            if self._read_member(archive, info, f"{name}::{info.filename}", keep=False) is None:
                return
        self._xlsx_rows(data, name)

    def _xlsx_rows(self, data: bytes, name: str) -> None:
        import openpyxl  # slow to import; only workbooks need it

        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many types on malformed parts
            self.skip(name, f"corrupt workbook ({type(error).__name__})")
            return
        try:
            lines = list(self._sheet_lines(workbook, name))
        except Exception as error:  # a sheet's XML can be malformed past the header
            self.skip(name, f"corrupt workbook sheet ({type(error).__name__})")
            return
        finally:
            workbook.close()
        self.add(name, "xlsx", "\n".join(lines) + "\n")

    def _sheet_lines(self, workbook: Any, name: str) -> Iterator[str]:
        from .readers import spreadsheet_row_cells

        for sheet in workbook.worksheets:
            for values in sheet.iter_rows(values_only=True):
                self.xlsx_cells += len(values)
                if self.xlsx_cells > self.limits.max_xlsx_cells:
                    self.skip(name, f"stopped after {self.limits.max_xlsx_cells:,} spreadsheet cells")
                    return
                cells = spreadsheet_row_cells(values)
                if cells:
                    yield "\t".join(_one_line(c) for c in cells)

    # -- limits --------------------------------------------------------------------------

    def _check_depth(self, name: str, depth: int) -> None:
        if depth > self.limits.max_depth:
            raise DocumentError(
                f"zip bomb refused: {name} nests archives deeper than {self.limits.max_depth}"
            )

    def _count_members(self, name: str, count: int) -> None:
        self.members += count
        if self.members > self.limits.max_members:
            raise DocumentError(
                f"zip bomb refused: {name} has more than {self.limits.max_members:,} archive members"
            )

    def _check_ratio(self, name: str, produced: int, compressed: int) -> None:
        if produced <= self.limits.ratio_grace_bytes:
            return
        if produced > self.limits.max_compression_ratio * max(compressed, 1):
            raise DocumentError(
                f"zip bomb refused: {name} expands more than {self.limits.max_compression_ratio:g}:1"
            )

    def _check_total(self, name: str, total: int) -> None:
        if total > self.limits.max_total_bytes:
            raise DocumentError(
                f"zip bomb refused: {name} decompresses to more than {self.limits.max_total_bytes:,} bytes"
            )

    def _spend(self, name: str, count: int) -> None:
        self.decompressed_bytes += count
        self._check_total(name, self.decompressed_bytes)


def _describe(error: Exception) -> str:
    return str(error) or type(error).__name__


def _binary_kind(data: bytes) -> str | None:
    for magic, kind in _BINARY_MAGIC:
        if data.startswith(magic):
            # "MZ" and "BZh" also begin words of ordinary text; a real binary has NUL bytes.
            if magic in (b"MZ", b"BZh", b"ID3", b"RIFF", b"GIF8") and b"\x00" not in data[:4096]:
                continue
            return kind
    return None


# ---------------------------------------------------------------------------------------------
# Text formats to lines


_HTML_HINT = re.compile(r"<(?:!doctype html|html|head|body|table|div|p|pre|tr|td)[\s>]", re.I)
# Characters at the start of a text that the format hints look at.
_HEAD_CHARS = 2048


def text_to_lines(text: str, name: str = "", content_type: str | None = None) -> tuple[str, str]:
    """(kind, text) with table rows as TAB-separated lines."""
    hint = (content_type or "").lower()
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    head = text[:_HEAD_CHARS].lstrip("\ufeff \t\n")
    if "html" in hint or suffix in ("html", "htm", "xhtml") or _looks_like_html(head):
        return "html", html_to_lines(text)
    if head[:1] in ("[", "{") or "json" in hint or suffix in ("json", "jsonl", "ndjson"):
        converted = json_to_lines(text)
        if converted is not None:
            return converted
    if not _MARKDOWN_SEPARATOR_LINE.search(head):
        delimiter = tabular.sniff_delimiter(text, min_consistency=params.TABLE_MIN_CONSISTENCY)
        if delimiter is not None:
            return "csv", delimited_to_lines(text, delimiter)
    return "text", convert_text_tables(text)


def _looks_like_html(head: str) -> bool:
    return head.startswith("<") and _HTML_HINT.search(head) is not None


def delimited_to_lines(text: str, delimiter: str) -> str:
    if delimiter == "\t":
        return text
    if '"' not in text:
        return text.replace(delimiter, "\t")  # the common case, at memory speed
    rows = tabular.parse_delimited(text, delimiter)
    return "\n".join("\t".join(_one_line(c) for c in row) for row in rows) + "\n"


def _one_line(cell: str) -> str:
    """A cell's text without the tabs and newlines that would split it into cells or rows."""
    if "\n" in cell or "\t" in cell or "\r" in cell:
        return " ".join(cell.split())
    return cell


# JSON ------------------------------------------------------------------------------------------


def json_to_lines(text: str) -> tuple[str, str] | None:
    """(kind, lines) for JSON or JSON Lines text; None when it is neither."""
    try:
        document = json.loads(text)
        return "json", "\n".join(_json_lines(document)) + "\n"
    except (json.JSONDecodeError, RecursionError):
        pass
    lines: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            lines.extend(_json_lines(json.loads(line)))
        except (json.JSONDecodeError, RecursionError):
            return None
    return "jsonl", "\n".join(lines) + "\n"


def _json_lines(value: Any) -> Iterator[str]:
    """Records as lines: an object's scalar values (nested objects flattened) joined by TAB.

    Arrays of objects or arrays, and objects keyed by record id (``{"A-1": {...}, ...}``),
    are one line per element, wherever they are nested.
    """
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            if value:
                yield "\t".join(_json_scalar(v) for v in value)
            return
        for element in value:
            yield from _json_lines(element)
    elif isinstance(value, dict) and _is_flat(value):
        yield _flat_record_line(value)
    elif isinstance(value, dict) and _is_keyed_collection(value):
        for key, element in value.items():
            if isinstance(element, dict):
                yield from (f"{_one_line(key)}\t{line}" for line in _json_lines(element))
            else:
                yield from _json_lines(element)
    elif isinstance(value, dict):
        cells: list[str] = []
        collections: list[Any] = []
        _flatten_record(value, cells, collections)
        if cells:
            yield "\t".join(cells)
        for collection in collections:
            yield from _json_lines(collection)
    else:
        yield _json_scalar(value)


def _flat_record_line(record: dict) -> str:
    """The common case, kept quick: string values joined at C speed when they are safe."""
    values = record.values()
    try:
        line = "\t".join(values)  # type: ignore[arg-type]
    except TypeError:  # numbers, booleans, nulls
        return "\t".join(map(_json_scalar, values))
    if "\n" in line or "\r" in line or line.count("\t") != len(values) - 1:
        return "\t".join(map(_json_scalar, values))
    return line


def _is_flat(obj: dict) -> bool:
    return not any(isinstance(v, (dict, list)) for v in obj.values())


def _is_keyed_collection(obj: dict) -> bool:
    values = list(obj.values())
    if len(values) < params.KEYED_COLLECTION_MIN_RECORDS or not all(isinstance(v, dict) for v in values):
        return False
    first_keys = values[0].keys()
    return all(v.keys() == first_keys for v in values)


def _flatten_record(obj: dict, cells: list[str], collections: list[Any]) -> None:
    """Scalars (of nested objects too) into ``cells``; nested collections of records aside."""
    for value in obj.values():
        if isinstance(value, dict):
            if _is_keyed_collection(value):
                collections.append(value)
            else:
                _flatten_record(value, cells, collections)
        elif isinstance(value, list):
            if all(not isinstance(v, (dict, list)) for v in value):
                cells.extend(_json_scalar(v) for v in value)
            else:
                collections.append(value)
        else:
            cells.append(_json_scalar(value))


def _json_scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _one_line(str(value))


# HTML ------------------------------------------------------------------------------------------

_INVISIBLE_TAGS = ["script", "style", "noscript", "template", "svg", "iframe", "object"]
_BLOCK_TAGS = (
    "title,p,div,br,li,dt,dd,h1,h2,h3,h4,h5,h6,pre,textarea,table,caption,thead,tbody,"
    "section,article,header,footer,nav,main,aside,blockquote,figure,figcaption,form,hr,ul,ol,address"
)


def html_to_lines(text: str) -> str:
    """Visible text: each table row one TAB-separated line, block elements their own lines.

    ``<pre>``, ``<textarea>`` and ``<code>`` keep their own line breaks (pastes live there).
    """
    from selectolax.lexbor import LexborHTMLParser

    if html_nesting_estimate(text) > params.HTML_MAX_NESTING:
        log.info("HTML nested deeper than %d: tags stripped, not parsed", params.HTML_MAX_NESTING)
        return convert_text_tables(_BLANK_LINES.sub("\n", _html.unescape(_ANY_TAG.sub("\n", text))))
    tree = LexborHTMLParser(text)
    tree.strip_tags(_INVISIBLE_TAGS)
    for line_break in tree.css("td br, th br"):
        line_break.replace_with(" ")  # "Jane<br>Doe" in a cell is one value
    # Innermost rows first: a layout table's cell then holds its inner table as lines.
    for row in reversed(tree.css("tr")):
        cells = [_cell_text(cell) for cell in row.iter() if cell.tag in _CELL_TAGS]
        row.replace_with(_CELL_SEPARATOR.join(cells) + _ROW_END)
    for block in tree.css(_BLOCK_TAGS):
        block.insert_after("\n")
    root = tree.root
    visible = root.text(deep=True).replace(_ROW_END, "\n") if root is not None else ""
    lines = (line.strip(" \u00a0") for line in visible.splitlines())
    text = "\n".join(line for line in lines if line.strip()) + "\n"
    return convert_text_tables(text.replace(_CELL_SEPARATOR, "\t"))


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
_ANY_TAG = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# Elements that need no closing tag (void, or closed implicitly by the next one like them):
# counting them as opened would make any page of unclosed paragraphs look deep.
_UNNESTED_TAGS = frozenset(
    "area base br col embed hr img input link meta source track wbr p li dt dd tr td th option".split()
)


def html_nesting_estimate(text: str) -> int:
    """The deepest run of opened-but-not-closed elements, from the tags alone (no parsing)."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(text):
        if self_closing or name.lower() in _UNNESTED_TAGS:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


# Flattened rows use private-use characters for their cell and row ends until the page is
# done, so that whitespace inside cells (source indentation, tabs, newlines) can be collapsed
# without touching the boundaries of an inner table's rows and cells.
_CELL_SEPARATOR = "\ue000"
_CELL_TAGS = ("td", "th")
_ROW_END = "\ue001"


def _cell_text(cell: Any) -> str:
    return " ".join(cell.text(deep=True).split())


# Tables inside plain text ----------------------------------------------------------------------

# Two or more consecutive lines that begin and end with a pipe.
_MARKDOWN_BLOCK = re.compile(r"(?:^[ \t]*\|[^\n]*\|[ \t]*(?:\n|$)){2,}", re.M)
_MARKDOWN_HINT = re.compile(r"\|[ \t]*\r?\n[ \t]*\|")  # a pipe line followed by another
_MARKDOWN_SEPARATOR = re.compile(r"^[\s|:\-+]+$")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_MARKDOWN_SEPARATOR_LINE = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+", re.M)

# Runs of report-like lines, in a string of one flag byte per line (1: has gaps).
_GAPPED_RUN = re.compile(b"\x01{%d,}" % params.FIXED_WIDTH_MIN_LINES)
_GAP = re.compile(" {2,}")
_RULE_LINE = re.compile(r"^[\s\-=_+*|]+$")


def convert_text_tables(text: str) -> str:
    """Markdown tables and fixed-width report blocks in plain text become TAB-separated lines.

    Each starts with a cheap test that most text fails at once, so plain text stays cheap.
    """
    if _MARKDOWN_HINT.search(text):
        text = _MARKDOWN_BLOCK.sub(lambda m: markdown_table_to_lines(m.group(0)), text)
    if "  " in text and _starts_with_a_report(text):
        text = _convert_fixed_width_blocks(text)
    return text


def _starts_with_a_report(text: str) -> bool:
    """Whether the first ``params.REPORT_SNIFF_CHARS`` hold a fixed-width table.

    Only such documents pay for the line-by-line pass (a report is one from its first page);
    a report block deep inside other text keeps its spaces, which the scanner reads as
    separators anyway: only its lines do not count as table rows.
    """
    head = text[: params.REPORT_SNIFF_CHARS]
    return _convert_fixed_width_blocks(head) != head


def _convert_fixed_width_blocks(text: str) -> str:
    lines = text.split("\n")
    # One byte per line (1: has an inner gap), so that a bytes regex finds the runs.
    # Prefilter: a table line has a gap per gutter; a gap of 4+ spaces counts twice, and
    # indentation counts too, which _common_gutters then sorts out.
    gapped = bytes([line.count("  ") >= params.FIXED_WIDTH_MIN_GUTTERS for line in lines])
    out: list[str] = []
    done = 0
    for run in _GAPPED_RUN.finditer(gapped):
        block = lines[run.start() : run.end()]
        converted = fixed_width_to_lines(block)
        if converted is not block:
            out.extend(lines[done : run.start()])
            out.extend(converted)
            done = run.end()
    if not done:
        return text
    out.extend(lines[done:])
    return "\n".join(out)


def markdown_table_to_lines(block: str) -> str:
    lines = []
    for line in block.splitlines():
        if _MARKDOWN_SEPARATOR.match(line):
            continue
        inner = line.strip()[1:-1]
        cells = [c.strip().replace("\\|", "|") for c in _UNESCAPED_PIPE.split(inner)]
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def fixed_width_to_lines(lines: list[str]) -> list[str]:
    """Split aligned lines at the gaps (2+ spaces) that are blank in every line.

    Lines made only of rules (``-----  -----``) are dropped. Returns the lines unchanged when
    no gap runs through all of them (logs, prose with double spaces).
    """
    gutters = _common_gutters(lines)
    if len(gutters) < params.FIXED_WIDTH_MIN_GUTTERS:
        return lines
    width = max(len(line) for line in lines)
    out = []
    for line in lines:
        if _RULE_LINE.match(line):
            continue
        cells = [line[start:end].strip() for start, end in _spans(gutters, width)]
        out.append("\t".join(cells).rstrip("\t"))
    return out


def _common_gutters(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) of the column ranges of 2+ spaces blank in every line, starting inside it."""
    content = [line for line in lines if line.strip() and not _RULE_LINE.match(line)]
    if not content:
        return []
    width = max(len(line) for line in content)
    gutters = [(m.start(), m.end()) for m in _GAP.finditer(content[0].ljust(width))]
    for line in content[1:]:
        padded = line.ljust(width)
        narrowed = []
        for start, end in gutters:
            narrowed += [(start + m.start(), start + m.end()) for m in _GAP.finditer(padded[start:end])]
        gutters = narrowed
        if len(gutters) < params.FIXED_WIDTH_MIN_GUTTERS:
            return []
    # A gap at the left edge is indentation and one reaching the right edge is padding.
    return [(start, end) for start, end in gutters if start > 0 and end < width]


def _spans(gutters: list[tuple[int, int]], width: int) -> Iterator[tuple[int, int]]:
    position = 0
    for start, end in gutters:
        yield position, start
        position = end
    yield position, width
