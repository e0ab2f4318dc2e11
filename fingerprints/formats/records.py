"""Records written over several lines, joined into one line per record (fields by " | ").

The scanner reads one record per line. A list of people written as blocks, one field per line
(``Name: ...`` / ``A-Number: ...`` / ``DOB: ...``, a blank line between people; labels in any
language or none; ``:``, ``=`` or TAB separators; YAML items, vCards, pretty-printed JSON
objects inside text, printed "forms" with two ``LABEL:  value`` pairs a line) would give one
field per line, which never makes a match. Here each block becomes one line.

The window is the block, and it never spans two people:

- a block ends at a blank line, a rule line (``-----``), a lone ``{``/``}``, ``BEGIN:``/
  ``END:`` lines;
- inside a block, a label seen again, a YAML ``- `` item start, or an unlabeled line after
  labeled ones (a heading such as the next person's name) starts a new record, and a record
  spans at most ``MAX_BLOCK_LINES`` source lines (a block with a longer one is left alone);
- only lines holding ONE field (or label-value pairs) are joined: a line with several
  unlabeled cells is a table row, a record of its own, and a block holding one is left as is;
- unlabeled blocks (no labels at all) are joined only when the text has several of them
  separated by blank lines and each line is short (a name, a number, a date), not prose.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Iterator

from .lines import line_blocks

try:  # the line tests compiled (_textshape.c); this module's Python gives the same results
    from . import _textshape
except ImportError:  # built without a C compiler
    _textshape = None

COMPILED = _textshape is not None

# A block longer than this is not one record (a person has a dozen fields, a form a few
# dozen lines): it is left line by line.
MAX_BLOCK_LINES = 40
# A label: up to this many characters, with a letter, few words ("Date of birth", "A-Number",
# "Fecha de nacimiento", "Дата рождения").
MAX_LABEL_CHARS = 40
MAX_LABEL_WORDS = 4
# An unlabeled field line is at most this long and this many words (a name, an address
# line, a date), so that prose paragraphs are not joined.
MAX_UNLABELED_CHARS = 60
MAX_UNLABELED_WORDS = 8
MAX_UNLABELED_BLOCK_LINES = 12
# A field of an HTML container longer than this is prose, not a field.
MAX_CONTAINER_FIELD_CHARS = 200
# Unlabeled blocks are only joined when the text holds at least this many of them (and a
# label only trusted when it occurs at least twice: see _recurring_labels).
MIN_UNLABELED_BLOCKS = 2
# Texts larger than this are only joined when their head shows label lines (the pass is in
# Python, a line at a time).
QUICK_CHECK_CHARS = 2 * 2**20
_HEAD_CHARS = 64 * 1024
_MIN_HEAD_LABEL_LINES = 4

# A line longer than this is prose or a table row, never one field (a form line holds two
# label-value pairs in ~100 characters).
MAX_FIELD_LINE_CHARS = 160

FIELD_SEPARATOR = " | "

# A line that may hold fields (``_may_be_fields``' test of one line, as a regex): at most
# MAX_FIELD_LINE_CHARS long, with a label's ":" or "=" or a TAB, or one short value (after a
# YAML "- "). A piece without two such lines one after the other holds no block to join, and
# is not cut into lines at all (most prose, logs and tables).
_FIELD_LINE = (
    rf"(?=[^\n]{{0,{MAX_FIELD_LINE_CHARS}}}$)"
    rf"(?:[^:=\t\n]*+[:=\t][^\n]*|[^\S\n]*+(?:- [^\S\n]*+)?\S[^\n]{{0,{MAX_UNLABELED_CHARS - 1}}}[^\S\n]*)$"
)
# (Searched in the piece after a newline: a pattern that starts with a literal character is
# tried only where that character is, one that starts with "^" at every position.)
_TWO_FIELD_LINES = re.compile(f"\n(?>{_FIELD_LINE})\n(?>{_FIELD_LINE})", re.M)
# Lines that all may hold fields; each line atomic (it ends at its line end either way): a
# failing block is then given up at once, not retried in 2**lines ways.
_FIELD_LINES_ONLY = re.compile(f"(?>{_FIELD_LINE})(?:\n(?>{_FIELD_LINE}))*+", re.M)

_GAP = re.compile(r"\t| {2,}")
_LABELED = re.compile(
    r"""^["']?(?P<label>[^\W\d_][^:=\t"']{0,"""
    + str(MAX_LABEL_CHARS - 1)
    + r"""}?)["']?\s*[:=]\s*(?P<value>.*)$"""
)
_BOUNDARY = re.compile(r"^\s*(?:[-=_*~#+.]{3,}|[\[\]{}(),]+|---|\.\.\.)\s*$")
_VCARD_FRAME = re.compile(r"^(?:BEGIN|END|VERSION):", re.I)
_DIGITS = re.compile(r"\d")
_LONG_DIGITS = re.compile(r"\d{4}")
_WORD = re.compile(r"[^\W\d_]{2,}")
_BOUNDARY_MAX_CHARS = 80
# Every line that may be a boundary (``_is_boundary``: blank, a rule or brackets, a vCard
# frame), and few others, for one search over a piece instead of a test of each line.
# (After a newline, like _TWO_FIELD_LINES.)
_MAY_BE_BOUNDARY = re.compile(
    r"\n[^\S\n]*+(?:[-=_*~#+.]{3,}|[\[\]{}(),]+|(?i:BEGIN|END|VERSION):[^\n]*)?[^\S\n]*$", re.M
)
_HEAD_LABEL_LINE = re.compile(r"^\s*(?:- )?[^\W\d_][^:=\t\n]{0,40}[:=][ \t]*\S", re.M)
# Blank lines end every block: the text is cut there first (a pattern that starts with a
# literal newline, which the regex engine searches for at C speed).
_BLANK_LINES = re.compile(r"(\n[ \t]*\n(?:[ \t]*\n)*)")
# What a person's record block holds and other text between blank lines mostly does not
# (``_record_value_at``): a run of four digits (a year, a date, an id number, even as A-123-456, a phone, a house
# number) or an e-mail address. A block without one holds names and words only: not joined
# (such fields, a name and a nationality, never make a match on their own either).
# (Searched in a text translated to ``_VALUE_CLASSES``: "0" for an ASCII digit, "s" for a
# separator of ``-./ ``, "@" for itself, "x" for anything else.)
_FOUR_DIGITS = re.compile(rb"0s?0s?0s?0")
_VALUE_CLASSES = bytes(
    b"0"[0] if 0x30 <= b <= 0x39 else b"s"[0] if b in b"-./ " else b"@"[0] if b == 0x40 else b"x"[0]
    for b in range(256)
)


def join_record_blocks(text: str) -> str:
    """``text`` with every multi-line record block replaced by one line (see the module).

    Linear and cheap on text that holds no records: the text is cut at its blank lines (C
    speed), and only the pieces that hold a record's kind of value (``_record_value_at``) and
    more than one line go through the line-by-line pass; prose, code and logs mostly stop
    there."""
    if (
        len(text) > QUICK_CHECK_CHARS
        and len(_HEAD_LABEL_LINE.findall(text[:_HEAD_CHARS])) < _MIN_HEAD_LABEL_LINES
    ):
        return text
    candidates = field_block_pieces(text)  # (start, end, [(start, end, labels) of its blocks])
    if not candidates:
        return text
    # Blocks are cut into lines again to be parsed rather than kept, and only joined blocks
    # are kept: most lines that reach this far are of blocks that are not records (code,
    # PostScript), and a line kept as a str costs some 50 bytes beyond its characters, its
    # fields some 200.
    labels = _recurring_labels(  # (of every label of the candidate blocks' lines)
        label for _, _, blocks in candidates for _, _, block_labels in blocks for label in block_labels
    )
    read = []  # (start, end, [(start, end, joined lines, unlabeled fields)]) of each piece
    unlabeled_records = 0
    for start, end, blocks in candidates:
        outcomes: list[tuple[int, int, list[str] | None, list | None]] = []
        for first, last, _ in blocks:
            fields = _parse_block(text[first:last].split("\n"), labels)
            if not fields:
                continue
            if _holds_a_label(fields):
                joined = _join_block(fields, unlabeled_ok=False)  # (a labeled block's join ignores it)
                if joined is not None:
                    outcomes.append((first, last, joined, None))
            elif _unlabeled_record(fields):
                unlabeled_records += 1
                outcomes.append((first, last, None, fields))  # joined once the text is counted
        if outcomes:
            read.append((start, end, outcomes))
    unlabeled_ok = unlabeled_records >= MIN_UNLABELED_BLOCKS
    out: list[str] = []
    done = 0
    for start, end, outcomes in read:
        joined_piece = _joined_piece(text, start, end, outcomes, unlabeled_ok)
        if joined_piece is not None:
            out += [text[done:start], joined_piece]
            done = end
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def field_block_pieces(
    text: str, compiled: bool = True
) -> list[tuple[int, int, list[tuple[int, int, list[str]]]]]:
    """(start, end, blocks) of the pieces of ``text`` between blank lines that hold a record's
    kind of value (``_pieces_with_record_values``) and two field lines one after the other
    (``_two_field_lines_in``), each with (start, end, labels) of its blocks (``_blocks``) that
    may hold fields (``_may_be_fields``, which gives the labels); pieces without such a block
    are left out.

    ``compiled``: by ``_textshape.record_blocks`` when it is built, which tests every line in
    C (most of this pass's cost on text without records: Python code, changelogs), else by
    the Python below, which defines the result."""
    if compiled and _textshape is not None:
        return _textshape.record_blocks(text)
    pieces = []
    for start, end in _pieces_with_record_values(text):
        if text.find("\n", start, end) < 0 or not _two_field_lines_in(text, start, end):
            continue
        blocks = [
            (first, last, labels)
            for first, last in _blocks(text, start, end)
            if (labels := _may_be_fields(text, first, last)) is not None
        ]
        if blocks:
            pieces.append((start, end, blocks))
    return pieces


def _lines(text: str, start: int, end: int) -> Iterator[str]:
    """The lines of ``text[start:end]``, one at a time (the piece is never cut whole)."""
    while (newline := text.find("\n", start, end)) >= 0:
        yield text[start:newline]
        start = newline + 1
    yield text[start:end]


def _two_field_lines_in(text: str, start: int, end: int) -> bool:
    """Whether the piece ``text[start:end]`` holds two field lines one after the other
    (``_TWO_FIELD_LINES``, searched from the newline before the piece, without a copy)."""
    if start == 0:
        return _TWO_FIELD_LINES.search("\n" + text[:end]) is not None
    return _TWO_FIELD_LINES.search(text, start - 1, end) is not None


def _pieces_with_record_values(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the pieces of ``text`` between its blank lines (``_BLANK_LINES``) that
    hold a record's kind of value, searching the text once: from each hit on to the end of
    its piece. The blank lines are found as the search goes (a blank line never holds a
    value), so the text is never cut into all its pieces; the values are searched in
    blocks of lines (a value never crosses a line) as character classes (``_VALUE_CLASSES``):
    a regex that starts with a literal byte runs at twice the speed of one that starts with a
    class of characters."""
    blank_lines = _BLANK_LINES.finditer(text)
    piece_start, following = 0, next(blank_lines, None)
    position = 0
    for offset, block in line_blocks(text):
        if position >= offset + len(block):
            continue
        classes = block.encode("ascii", "replace").translate(_VALUE_CLASSES)  # (a character a byte)
        while (found := _record_value_at(classes, max(position - offset, 0))) >= 0:
            found += offset
            while following is not None and following.end() <= found:
                piece_start, following = following.end(), next(blank_lines, None)
            piece_end = len(text) if following is None else following.start()
            yield piece_start, piece_end
            position = piece_end


def _record_value_at(classes: bytes, start: int) -> int:
    """Where the next record's kind of value (``_FOUR_DIGITS`` or an ``@``) is in a block's
    ``_VALUE_CLASSES`` from ``start`` on, or -1 (two C-speed searches: one pattern for both
    costs three times as much)."""
    digits = _FOUR_DIGITS.search(classes, start)
    at = classes.find(b"@", start, digits.start() if digits else len(classes))
    return at if at >= 0 else (digits.start() if digits else -1)


def _joined_piece(text: str, start: int, end: int, blocks: list, unlabeled_ok: bool) -> str | None:
    """The piece ``text[start:end]`` with its record blocks joined, or None when none is;
    ``blocks``: (start, end, the joined lines of a labeled block, or None and the fields of an
    unlabeled one). Written as groups of lines joined by newlines, so that a block joined into
    no line leaves no empty line behind."""
    groups: list[str] = []  # each one or more whole lines
    done = start  # where the lines not yet written start
    for first, last, joined, fields in blocks:
        if fields is not None:
            joined = _join_block(fields, unlabeled_ok)
        if joined is None:
            continue
        if first > done:
            groups.append(text[done : first - 1])  # (the lines before the block, newline aside)
        groups += joined
        done = last + 1
    if done == start:
        return None
    if done <= end:
        groups.append(text[done:end])
    return "\n".join(groups)


def _blocks(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """(start, end) in ``text`` of the runs of non-boundary lines of the piece
    ``text[start:end]``; the boundaries are found by one regex search over the piece
    (``_MAY_BE_BOUNDARY``), and only the lines it finds are cut out."""
    run = start  # where the run of non-boundary lines starts
    for line_start in _may_be_boundary_lines(text, start, end):
        line_end = text.find("\n", line_start, end)
        line_end = end if line_end < 0 else line_end
        if _is_boundary(text[line_start:line_end]):
            if run < line_start:
                yield run, line_start - 1
            run = line_end + 1
    if run < end:
        yield run, end


def _may_be_boundary_lines(text: str, start: int, end: int) -> Iterator[int]:
    """Where the lines of the piece ``text[start:end]`` that ``_MAY_BE_BOUNDARY`` finds start
    (it is searched from the newline before each line)."""
    if start == 0:  # the text's first line has no newline before it
        first_end = text.find("\n", 0, end)
        if _MAY_BE_BOUNDARY.match("\n" + text[: end if first_end < 0 else first_end]):
            yield 0
    for candidate in _MAY_BE_BOUNDARY.finditer(text, max(start - 1, 0), end):
        yield candidate.start() + 1


def _is_boundary(line: str) -> bool:
    stripped = line.strip()
    return not stripped or (
        len(stripped) <= _BOUNDARY_MAX_CHARS
        and bool(_BOUNDARY.match(stripped) or _VCARD_FRAME.match(stripped))
    )


def _parse_block(block: list[str], labels: set[str]) -> list | None:
    """Each line's fields (``_fields``), or None as soon as one line is not field material.

    ``block`` is one of ``field_block_pieces``', so each of its lines passed
    ``_may_be_fields``: a line without ":", "=" or TAB was read there as one piece that is one
    value, and ``_fields`` would give it as one unlabeled field; it is given so here without
    reading it again (``tests/test_formats_textshape.py`` compares the two on every case)."""
    if len(block) < 2:
        return None
    parsed = []
    for line in block:
        if ":" in line or "=" in line or "\t" in line:
            fields = _fields(line, labels)
            if fields is None:
                return None
        else:
            fields = _one_value_field(line)
        parsed.append(fields)
    return parsed


def _one_value_field(line: str) -> list[tuple[str | None, str, bool]]:
    """``_fields(line, labels)`` of a line without ":", "=" or TAB that ``_may_be_fields``
    passed (one piece, one value: whatever the labels)."""
    item_start, pieces = _pieces(line)
    return [(None, _clean_value(pieces[0]), item_start)]


if _textshape is not None:  # the limits above are the compiled tests' too (one place)
    _textshape.configure_records(
        MAX_FIELD_LINE_CHARS,
        MAX_UNLABELED_CHARS,
        MAX_UNLABELED_WORDS,
        MAX_LABEL_CHARS,
        MAX_LABEL_WORDS,
        _BOUNDARY_MAX_CHARS,
        MAX_UNLABELED_BLOCK_LINES,
    )


def _may_be_fields(text: str, start: int, end: int) -> list[str] | None:
    """A cheap test, before labels are known, that every line of the block ``text[start:end]``
    may hold fields (prose, log and table lines fail it at their first line): the block's
    labels (casefolded, as ``_recurring_labels`` counts them), or None when it fails."""
    newlines = text.count("\n", start, end)
    if newlines == 0:
        return None  # one line
    if newlines >= MAX_UNLABELED_BLOCK_LINES and all(text.find(c, start, end) < 0 for c in ":=\t"):
        return None  # no label can be read in it, and unlabeled it is too long for one record
    if not _FIELD_LINES_ONLY.fullmatch(text, start, end):
        return None  # (a line that fails the regex fails the test below: code stops here)
    labels: list[str] = []
    for line in _lines(text, start, end):
        # (a label needs a ":", "=" or TAB: most lines of code and lists have none)
        line_labels = _line_labels(line) if ":" in line or "=" in line or "\t" in line else None
        if line_labels:
            labels += line_labels
            continue
        pieces = _pieces(line)[1]
        if len(pieces) != 1 or not _one_value(pieces[0]):
            return None
    return labels


def _line_labels(line: str) -> list[str]:
    """The labels of a line (casefolded): of its ``label: value`` pieces, or the first of
    two TAB-separated pieces that reads as a label when it is none itself."""
    pieces = _pieces(line)[1]
    found = [_label_of(piece) for piece in pieces]
    if "\t" in line and len(pieces) == 2 and not found[0] and _tab_label(pieces[0]):
        found = [pieces[0]]
    return [label.casefold() for label in found if label]


def _holds_a_label(parsed: list) -> bool:
    return any(label for fields in parsed for label, _, _ in fields)


def _recurring_labels(labels: Iterable[str]) -> set[str]:
    """Labels that occur at least twice (among the candidate blocks' lines: field names). A
    "label" seen once is as likely a value ("Jane Doe: 1990-03-07" is a whole record), so it
    is not trusted."""
    return {label for label, count in Counter(labels).items() if count >= 2}


def _join_block(
    parsed: list[list[tuple[str | None, str, bool]] | None], unlabeled_ok: bool
) -> list[str] | None:
    """The block's records as lines, or None to leave the block as it is."""
    lines = [fields for fields in parsed if fields is not None]
    if len(parsed) < 2 or len(lines) < len(parsed):
        return None  # a table row, prose or a self-contained record line inside
    if not _holds_a_label(lines):
        if not unlabeled_ok or not _unlabeled_record(parsed):
            return None
        return [FIELD_SEPARATOR.join(value for fields in lines for _, value, _ in fields)]
    records: list[list[str]] = []
    spans: list[int] = []  # source lines of each record
    labels: set[str] = set()
    seen_label = False
    for fields in lines:
        if records:
            spans[-1] += 1
        for label, value, item_start in fields:
            key = (label or "").casefold()
            if not records or item_start or (key and key in labels) or (not label and seen_label):
                records.append([])  # a new person: first line, "- " item, label again, heading
                spans.append(1)
                labels, seen_label = set(), False
            if label:
                labels.add(key)
                seen_label = True
            if value:
                records[-1].append(value)
    if any(span > MAX_BLOCK_LINES for span in spans):
        return None  # no record boundary for too long: not one person's fields
    joined = [FIELD_SEPARATOR.join(values) for values in records if values]
    return joined if len(joined) < len(parsed) else None


def _unlabeled_record(parsed: list) -> bool:
    """An unlabeled block reads as one record: 2..MAX_UNLABELED_BLOCK_LINES one-value lines,
    some of words (a name) and some of digits (an id, a date): a list of names is not one."""
    if not 2 <= len(parsed) <= MAX_UNLABELED_BLOCK_LINES or any(fields is None for fields in parsed):
        return False
    if any(label for fields in parsed for label, _, _ in fields):
        return False
    values = [value for fields in parsed for _, value, _ in fields]
    return any(_DIGITS.search(v) for v in values) and any(not _DIGITS.search(v) for v in values)


# A line is looked at up to three times (``_may_be_fields``, ``_recurring_labels``,
# ``_fields``): its pieces and labels are remembered (bounded).
@functools.lru_cache(maxsize=1 << 16)
def _pieces(line: str) -> tuple[bool, tuple[str, ...]]:
    stripped = line.strip()
    item_start = stripped.startswith("- ")
    if item_start:
        stripped = stripped[2:].lstrip()
    if "\t" not in stripped and "  " not in stripped:  # no gap: one piece (most lines)
        return item_start, (stripped,) if stripped else ()
    return item_start, tuple(piece.strip() for piece in _GAP.split(stripped) if piece.strip())


@functools.lru_cache(maxsize=1 << 16)
def _label_of(piece: str) -> str | None:
    labeled = _labeled(piece)
    if labeled is None:
        return None
    label = labeled[0].strip()
    return label if len(label.split()) <= MAX_LABEL_WORDS else None


@functools.lru_cache(maxsize=1 << 16)
def _labeled(piece: str) -> tuple[str, str] | None:
    """(label, value) when the piece reads ``label: value`` or ``label = value``."""
    if ":" not in piece and "=" not in piece:
        return None
    match = _LABELED.match(piece)
    return None if match is None else (match.group("label"), match.group("value"))


def _fields(line: str, trusted: set[str]) -> list[tuple[str | None, str, bool]] | None:
    """(label, value, starts_an_item) of each field on the line; None when the line is not
    one-field-per-line material: several unlabeled cells (a table row), prose, or a line
    that is a record of its own (an untrusted "label", or words and a long number)."""
    if len(line) > MAX_FIELD_LINE_CHARS:
        return None
    item_start, pieces = _pieces(line)
    if len(pieces) == 2 and pieces[0].casefold() in trusted and not _label_of(pieces[0]):
        pieces = (f"{pieces[0]}: {pieces[1]}",)  # Label<TAB>value
    if len(pieces) == 1 and (labeled := _labeled(pieces[0])) and not labeled[1].strip():
        return []  # a heading such as "people:" or "Detainee:" (no value): no field
    fields: list[tuple[str | None, str, bool]] = []
    pending: str | None = None
    for piece in pieces:
        label = _label_of(piece)
        if label is not None and label.casefold() not in trusted:
            return None
        if label is not None:
            if pending is not None:
                fields.append((pending, "", False))
            value = _clean_value(_labeled(piece)[1])  # type: ignore[index]  # (a label was read)
            pending = None if value else label
            if value:
                fields.append((label, value, False))
        elif pending is not None:
            fields.append((pending, _clean_value(piece), False))
            pending = None
        elif len(pieces) > 1 or not _one_value(piece):
            return None
        else:
            fields.append((None, _clean_value(piece), False))
    if pending is not None:
        fields.append((pending, "", False))
    if fields and item_start:
        fields[0] = (fields[0][0], fields[0][1], True)
    return fields


def join_container_fields(fields: list[str]) -> str | None:
    """One line for the fields of one HTML container (a card, an ``<li>``, a ``<dl>``), or
    None when they do not read as one record: fewer than 2 or more than MAX_BLOCK_LINES,
    or two fields that are records of their own (words with a long number each: a list of
    people in paragraphs)."""
    if not 2 <= len(fields) <= MAX_BLOCK_LINES:
        return None
    values = [_value_part(field) for field in fields]
    if any(len(value) > MAX_CONTAINER_FIELD_CHARS for value in values):
        return None
    if sum(1 for value in values if _LONG_DIGITS.search(value) and _WORD.search(value)) > 1:
        return None
    return FIELD_SEPARATOR.join(fields)


def _value_part(field: str) -> str:
    match = _LABELED.match(field)
    return match.group("value") if match and len(match.group("label").split()) <= MAX_LABEL_WORDS else field


def _tab_label(piece: str) -> bool:
    """A piece before a TAB that may be a label: short, letters, no digits."""
    return (
        len(piece) <= MAX_LABEL_CHARS and len(piece.split()) <= MAX_LABEL_WORDS and not _DIGITS.search(piece)
    )


def _one_value(piece: str) -> bool:
    """A short piece that is one value: not words AND a long number (a name with its id)."""
    if len(piece) > MAX_UNLABELED_CHARS or len(piece.split()) > MAX_UNLABELED_WORDS:
        return False
    return not (_LONG_DIGITS.search(piece) and _WORD.search(piece))


def _clean_value(value: str) -> str:
    """A value without the quotes and trailing comma of JSON/YAML."""
    value = value.strip().rstrip(",").strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value
