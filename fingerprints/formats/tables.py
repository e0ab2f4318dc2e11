"""Tables inside plain text: delimited (CSV, TSV, ...), Markdown pipe tables and fixed-width
report blocks, each row to one TAB-separated line."""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import limits, tabular
from .cells import one_line

try:  # the fixed-width line tests compiled (_textshape.c); the Python below gives the same results
    from . import _textshape
except ImportError:  # built without a C compiler
    _textshape = None


def delimited_to_lines(text: str, delimiter: str) -> str:
    if delimiter == "\t":
        return text
    if '"' not in text:
        return text.replace(delimiter, "\t")  # the common case, at memory speed
    rows = tabular.parse_delimited(text, delimiter)
    return "\n".join(map(_row_line, rows)) + "\n"


def _row_line(row: list[str]) -> str:
    """The row's cells as one TAB-separated line, each ``one_line``: joined as they are when
    none holds a TAB, newline or CR (most rows; one join and three searches, not a call a
    cell)."""
    line = "\t".join(row)
    if "\n" in line or "\r" in line or line.count("\t") >= len(row):  # (one of the cells holds one)
        return "\t".join(one_line(cell) for cell in row)
    return line


# Two or more consecutive lines that begin and end with a pipe.
_MARKDOWN_BLOCK = re.compile(r"(?:^[ \t]*\|[^\n]*\|[ \t]*(?:\n|$)){2,}", re.M)
_MARKDOWN_HINT = re.compile(r"\|[ \t]*\r?\n[ \t]*\|")  # a pipe line followed by another
_MARKDOWN_SEPARATOR = re.compile(r"^[\s|:\-+]+$")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
MARKDOWN_SEPARATOR_LINE = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+", re.M)

# A row of a fixed-width table: a line with FIXED_WIDTH_MIN_GUTTERS inner gaps (2+ spaces
# between non-space characters: indentation is no gap). Written to start with its two spaces,
# which the regex engine searches for at memory speed.
_INNER_GAPS_ROW = re.compile(
    r"  (?<=\S  ) *" + r"[^ \n][^\n]*? {2,}" * (limits.FIXED_WIDTH_MIN_GUTTERS - 1) + r"\S"
)
_RULE_LINE = re.compile(r"^[\s\-=_+*|]+$")


def convert_text_tables(text: str) -> str:
    """Markdown tables and fixed-width report blocks in plain text become TAB-separated lines.

    Each starts with a whole-text search that most text fails at once (a pipe line followed
    by another; a line with inner gaps), so plain text costs two regex searches.
    """
    if holds_markdown_hint(text):
        text = _convert_markdown_tables(text)
    return _convert_reports(text)


def holds_markdown_hint(text: str, compiled: bool = True) -> bool:
    """Whether ``_MARKDOWN_HINT`` is in ``text``: by ``_textshape.markdown_hint`` when it is built
    (from pipe to pipe, which most text has few of), else by the regex, which defines it."""
    if compiled and _textshape is not None:
        return _textshape.markdown_hint(text)
    return _MARKDOWN_HINT.search(text) is not None


def _convert_markdown_tables(text: str) -> str:
    """Every Markdown block (``_MARKDOWN_BLOCK``) as TAB-separated lines. The block pattern is
    only tried at the lines where the cheap hint (a pipe at a line's end, another at the next
    line's start) is found: tried at every position of the text, as ``sub`` does, it cost more
    than the whole scan of a text with a few pipes."""
    out: list[str] = []
    done = position = 0
    while (hint := _MARKDOWN_HINT.search(text, position)) is not None:
        line_start = text.rfind("\n", done, hint.start()) + 1 if hint.start() > done else done
        block = _MARKDOWN_BLOCK.match(text, max(line_start, done))
        if block is None or block.start() != max(line_start, done):
            position = hint.start() + 1  # this line does not start a table; the next may
            continue
        out.append(text[done : block.start()])
        out.append(markdown_table_to_lines(block.group(0)))
        done = position = block.end()
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def _convert_reports(text: str) -> str:
    """``text`` with its fixed-width blocks converted when its first
    ``limits.REPORT_SNIFF_CHARS`` hold one, else ``text`` itself.

    Only such documents pay for the pass over the whole text (a report is one from its first
    page); a report block deep inside other text keeps its spaces, which the scanner reads
    as separators anyway: only its lines do not count as table rows. A text no longer than
    the head is converted once (the head's conversion is the text's).
    """
    head = text[: limits.REPORT_SNIFF_CHARS]
    converted = _convert_fixed_width_blocks(head)
    if converted is head:
        return text
    if head is text:
        return converted
    return _convert_fixed_width_blocks(text)


def _convert_fixed_width_blocks(text: str) -> str:
    """``text`` with its fixed-width blocks as TAB-separated lines, or ``text`` itself.

    A block is a run of at least FIXED_WIDTH_MIN_LINES lines that each hold
    FIXED_WIDTH_MIN_GUTTERS gaps (indentation counts: a row may leave its first cells blank),
    one of them a row with inner gaps (``_INNER_GAPS_ROW``). The runs are found by one pass
    over the text (``gapped_runs``), their common gutters without cutting them into lines
    (``common_gutters_in``), and only runs with gutters are cut: indented code and prose are
    never looked at line by line in Python.
    """
    out: list[str] = []
    done = 0
    for start, end in gapped_runs(text):
        gutters = common_gutters_in(text, start, end)
        if len(gutters) >= limits.FIXED_WIDTH_MIN_GUTTERS:
            out += [text[done:start], cells_of_run(text, start, end, gutters)]
            done = end
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def gapped_runs(text: str, compiled: bool = True) -> list[tuple[int, int]]:
    """(start, end) of the runs of at least FIXED_WIDTH_MIN_LINES gapped lines around the
    rows with inner gaps (``_INNER_GAPS_ROW``, ``_gapped_run_around``), in order.

    ``compiled``: by ``_textshape.fixed_width_runs`` when it is built (the row pattern, tried
    where text has two spaces, costs the most on indented code), else by the regex below,
    which defines the result."""
    if compiled and _textshape is not None:
        return _textshape.fixed_width_runs(text, limits.FIXED_WIDTH_MIN_LINES, limits.FIXED_WIDTH_MIN_GUTTERS)
    runs = []
    position = 0
    while (row := _INNER_GAPS_ROW.search(text, position)) is not None:
        start, end = _gapped_run_around(text, row.start())
        if text.count("\n", start, end) + 1 >= limits.FIXED_WIDTH_MIN_LINES:
            runs.append((start, end))
        position = max(end, row.end())
    return runs


def common_gutters_in(text: str, start: int, end: int, compiled: bool = True) -> list[tuple[int, int]]:
    """``_common_gutters`` of the lines of ``text[start:end]``: by ``_textshape.common_gutters``
    when it is built (without cutting the run into lines), else in Python."""
    if compiled and _textshape is not None:
        return _textshape.common_gutters(text, start, end, limits.FIXED_WIDTH_MIN_GUTTERS)
    return _common_gutters(text[start:end].split("\n"))


def _gapped_run_around(text: str, at: int) -> tuple[int, int]:
    """(start, end) of the run of gapped lines (FIXED_WIDTH_MIN_GUTTERS "  " each) around
    the line holding position ``at`` (which is gapped), from the start of its first line
    to the end of its last one (before the newline)."""
    start = text.rfind("\n", 0, at) + 1
    while start > 0:
        previous = text.rfind("\n", 0, start - 1) + 1
        if text.count("  ", previous, start - 1) < limits.FIXED_WIDTH_MIN_GUTTERS:
            break
        start = previous
    end = text.find("\n", at)
    while end >= 0:
        following = text.find("\n", end + 1)
        line_end = len(text) if following < 0 else following
        if text.count("  ", end + 1, line_end) < limits.FIXED_WIDTH_MIN_GUTTERS:
            break
        end = following
    return start, len(text) if end < 0 else end


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
    if len(gutters) < limits.FIXED_WIDTH_MIN_GUTTERS:
        return lines
    return _cells(lines, gutters)


def cells_of_run(
    text: str, start: int, end: int, gutters: list[tuple[int, int]], compiled: bool = True
) -> str:
    """The lines of ``text[start:end]`` as ``_cells`` cuts them, joined by newlines: by
    ``_textshape.fixed_width_cells`` (without a str a line or a cell) when it is built."""
    if compiled and _textshape is not None:
        return _textshape.fixed_width_cells(text, start, end, gutters)
    return "\n".join(_cells(text[start:end].split("\n"), gutters))


def _cells(lines: list[str], gutters: list[tuple[int, int]]) -> list[str]:
    """Each line but rules cut at ``gutters``, its cells TAB-separated."""
    width = max(len(line) for line in lines)
    out = []
    for line in lines:
        if _RULE_LINE.match(line):
            continue
        cells = [line[start:end].strip() for start, end in _spans(gutters, width)]
        out.append("\t".join(cells).rstrip("\t"))
    return out


def _common_gutters(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) of the column ranges of 2+ spaces blank in every line, starting inside it.

    The blank columns of each line are one integer (bit c: column c is a space, or past the
    line's end), so lines are intersected a machine word at a time; the gaps are the runs
    of 2+ set bits. A block is given up as soon as fewer than FIXED_WIDTH_MIN_GUTTERS gaps
    run through its first lines."""
    content = [line for line in lines if line.strip() and not _RULE_LINE.match(line)]
    if not content:
        return []
    width = max(len(line) for line in content)
    common = _blank_columns(content[0], width)
    for line in content[1:]:
        common &= _blank_columns(line, width)
        if _gap_count(common) < limits.FIXED_WIDTH_MIN_GUTTERS:
            return []
    columns = format(common, f"0{width}b")[::-1]  # "1" where column c is blank in every line
    # A gap at the left edge is indentation and one reaching the right edge is padding.
    return [(m.start(), m.end()) for m in _BLANK_RUN.finditer(columns) if m.start() > 0 and m.end() < width]


_SPACE_BITS = bytes.maketrans(bytes(range(256)), b"0" * 32 + b"1" + b"0" * 223)
_BLANK_RUN = re.compile("1{2,}")


def _blank_columns(line: str, width: int) -> int:
    """Bit c set where column c of ``line`` (padded to ``width``) is a space."""
    padded = line.ljust(width)
    if padded.isascii():
        bits = padded.encode("ascii").translate(_SPACE_BITS)
        return int(bits[::-1], 2)
    return int("".join("1" if ch == " " else "0" for ch in reversed(padded)), 2)


def _gap_count(blank: int) -> int:
    """The runs of 2+ set bits in ``blank``."""
    pairs = blank & (blank >> 1)  # bit c: columns c and c + 1 both blank
    return (pairs & ~(pairs << 1)).bit_count()


def _spans(gutters: list[tuple[int, int]], width: int) -> Iterator[tuple[int, int]]:
    position = 0
    for start, end in gutters:
        yield position, start
        position = end
    yield position, width
