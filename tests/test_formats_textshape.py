"""The compiled line tests of plain text's record-block and fixed-width passes
(``formats/_textshape.c``) give exactly what the Python passes they stand for give: the
blocks that may hold fields, the runs of gapped lines, the gutters common to a run, its
lines cut into cells (and the
long stretches of base64 letters the base64 pass reads runs from, and csv.reader's field
counts for the delimiter sniffer, and the control characters of a text's head for
decoding; and the record parser's reading of a block's one-value
lines, which leans on these tests, gives what its full reading of each line gives).

Compared on hand-written cases, on texts generated from the characters and line shapes
these passes look at (labels, separators, YAML items, rules, vCard frames, digits of other
scripts, whitespace other than spaces, the letters re.IGNORECASE folds onto I and S), and on
real text when the machine has some."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from leaktrack.fingerprints.formats import base64text, limits, records, tables, tabular, textcodec
from leaktrack.fingerprints.formats.records import field_block_pieces, join_record_blocks
from leaktrack.fingerprints.formats.tables import (
    cells_of_run,
    common_gutters_in,
    convert_text_tables,
    gapped_runs,
)

pytestmark = pytest.mark.skipif(not records.COMPILED, reason="the _textshape extension is not built")

HAND_WRITTEN = [
    "",
    "\n",
    "Name: Jane Example\nDOB: 1990-03-07\n\nName: John Sample\nDOB: 1985-01-02\n",
    "Jane Example\n1990-03-07\n\nJohn Sample\n1985-01-02\n",
    "- name: Jane Example\n  dob: 1990-03-07\n- name: John Sample\n  dob: 1985-01-02\n",
    "BEGIN:VCARD\nFN:Jane Example\nBDAY:1990-03-07\nEND:VCARD\nbegin:vcard\nFN:J\nbday:1985\nend:vcard\n",
    "VERſION:3.0\nFN:Jane\nBDAY:1990-01-01\nİND: x\nENd:VCARD\n",
    "x = 1\ny = 2023\nz = 'a@b'\n",
    '{\n  "name": "Jane Example",\n  "dob": "1990-03-07",\n},\n{\n  "name": "John",\n  "dob": "1985"\n}\n',
    "Name\tJane Example\nDOB\t1990-03-07\nName\tJohn Sample\nDOB\t1985-01-02\n",
    "NAME:  Jane Example      A-NUMBER:  A123-456-789\nDOB:   1990-03-07         CASE:  open\n",
    "   \n1990\nfoo\n \t\nbar 2024\nbaz\n",
    "Name  Date        Place\nJane  1990-03-07  Springfield\nJohn  1985-01-02  Shelbyville\n",
    "-----  ----------  -----------\nJane   1990-03-07  Springfield\n-----  ----------  -----------\n",
    "  indented  code  here\n    more  indented  code\n  x  y  z\n",
    "Ｎａｍｅ：Ｊａｎｅ\nＤＯＢ：１９９０\n٣٤٥٦ label: v\nx²y: 1234\n",
    "a\u00a0b: 1990\nc\u2028d: 2000\n\x1cx: 1\n\x0bq=1990\n",
    "Jane  Example\t1990-03-07\nJohn  Sample\t1985-01-02\n",
    "'Name' : Jane 1990\n\"DOB\"= 1990-03-07\n'x y z w v': 1\n\"q\" \t: 2000\n",
    "Straße: 1990-01-01\nSTRASSE: 1991\nİsim: 2000\nisim: 2001\nΣΊΣΥΦΟΣ: 1\nσίσυφος = 2\n",
    "Name\tDOB: 1990\nName\tJane 2000\nDOB\tName: x\n",
    "a" * 200 + ": 1990\n" + "b" * 61 + "\n- " + "c" * 60 + "\n-  " + "d" * 61 + "\n",
    # one-value lines without a label, as many as and one more than MAX_UNLABELED_BLOCK_LINES
    "\n".join(["Jane Example", "1990-03-07"] * 6) + "\n",
    "\n".join(["Jane Example", "1990-03-07"] * 6 + ["x"]) + "\n",
    "\n".join(["Jane Example", "1990-03-07"] * 6 + ["x: 1"]) + "\n",
]

# Line shapes and characters the passes tell apart (ASCII and beyond).
_PIECES = [
    "Name",
    "name",
    "DOB",
    "A-Number",
    "Date of birth",
    "x",
    "Jane Example",
    "John",
    "1990-03-07",
    "1990",
    "12-34",
    "1 2 3 4",
    "1.2.3.4",
    "12--34",
    "a@b.org",
    "@",
    ":",
    "=",
    " : ",
    " = ",
    "\t",
    "  ",
    "   ",
    " ",
    "- ",
    "-",
    "---",
    "===",
    "***",
    "...",
    "~~~",
    "#+#",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    ",",
    "BEGIN:",
    "END:",
    "VERSION:",
    "begin:",
    "VERſION:",
    "İND:",
    "BEGİN:",
    "'",
    '"',
    "_",
    "__init__",
    "²",
    "٣٤٥٦",
    "ab",
    "Ωμέγα",
    "Дата рождения",
    "名前",
    "\u00a0",
    "\u2028",
    "\x0b",
    "\x0c",
    "\x1c",
    "\r",
    "\u3000",
    "é",
    "x" * 39,
    "y" * 41,
    "z" * 59,
    "w" * 61,
    "one two three four five",
    "a b c d e f g h i",
]


def _generated_text(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 40)):
        if rng.random() < 0.15:
            lines.append(rng.choice(["", " ", "\t", "  \t "]))
            continue
        pieces = [rng.choice(_PIECES) for _ in range(rng.randint(1, 7))]
        lines.append("".join(pieces) if rng.random() < 0.5 else " ".join(pieces))
    return "\n".join(lines) + rng.choice(["", "\n", "\n\n", " "])


def _generated_report(rng: random.Random) -> str:
    """Aligned columns, with rules, blank cells, ragged and non-ASCII lines among them."""
    widths = [rng.randint(1, 12) for _ in range(rng.randint(1, 6))]
    lines = []
    for _ in range(rng.randint(1, 14)):
        kind = rng.random()
        if kind < 0.1:
            lines.append("  ".join("-" * w for w in widths))
        elif kind < 0.2:
            lines.append(rng.choice(["", "   ", "plain prose  with  gaps", "x"]))
        else:
            cells = [
                "".join(rng.choice("ab1 é名\t") for _ in range(rng.randint(0, w))).ljust(w) for w in widths
            ]
            lines.append(" " * rng.randint(0, 3) + (" " * rng.randint(1, 3)).join(cells))
    return "\n".join(lines)


def _cases() -> list[str]:
    rng = random.Random(20261130)
    cases = list(HAND_WRITTEN)
    cases += [_generated_text(rng) for _ in range(3000)]
    cases += [_generated_report(rng) for _ in range(1500)]
    cases += ["\n\n".join(_generated_text(rng) for _ in range(4)) for _ in range(300)]
    return cases


CASES = _cases()


def _real_texts(limit: int = 40) -> list[str]:
    """Some of the machine's own documentation, when it has any (Debian ships it)."""
    texts = []
    for path in sorted(Path("/usr/share/doc").glob("*/changelog*.gz"))[:limit]:
        try:
            texts.append(gzip.decompress(path.read_bytes()).decode("utf-8", "replace"))
        except (OSError, EOFError):
            continue
    return texts


def test_compiled_record_blocks_are_the_python_ones_on_every_case():
    for text in CASES:
        assert field_block_pieces(text, compiled=True) == field_block_pieces(text, compiled=False), repr(text)


def test_compiled_gapped_runs_and_gutters_are_the_python_ones_on_every_case():
    for text in CASES:
        runs = gapped_runs(text, compiled=False)
        assert gapped_runs(text, compiled=True) == runs, repr(text)
        for start, end in runs + [(0, len(text))]:
            gutters = common_gutters_in(text, start, end, compiled=False)
            assert common_gutters_in(text, start, end, compiled=True) == gutters, repr(text[start:end])
            for cut_at in (gutters, [(1, 3), (5, 8)], []):  # (and cut where no gutter runs)
                cells = cells_of_run(text, start, end, cut_at, compiled=False)
                assert cells_of_run(text, start, end, cut_at, compiled=True) == cells, repr(text[start:end])


def test_compiled_cells_read_negative_gutters_as_python_slices_do():
    """A gutter bound below zero counts from each line's end, as ``line[start:end]`` does: the
    compiled cut read the characters before the line instead (before the text itself on its
    first line). ``common_gutters_in`` gives no such gutter; the entry point is safe anyway."""
    texts = ["a", "ab  cd\nef  gh", "é  x\n名  y", "\U0001f642  \ud800\nzz  🙂  q"]
    for text in texts:
        for gutters in ([(-5, -1)], [(-100, 2)], [(1, -1)], [(-2, -1), (-1, 0)], [(-(2**62), 2**62)]):
            cells = cells_of_run(text, 0, len(text), gutters, compiled=False)
            assert cells_of_run(text, 0, len(text), gutters, compiled=True) == cells, (text, gutters)


def test_compiled_cells_take_gutters_as_tuples_and_refuse_others_with_a_type_error():
    """The entry point reads a copy of the gutter list (reading a bound may run Python code),
    each gutter a (start, end) tuple: anything else is a TypeError, not a SystemError."""
    from leaktrack.fingerprints.formats import _textshape

    assert _textshape.fixed_width_cells("ab  cd\nef  gh", 0, 13, [(2, 4)]) == "ab\tcd\nef\tgh"
    for gutter in ([2, 4], "24", 2, None):
        with pytest.raises(TypeError):
            _textshape.fixed_width_cells("ab  cd", 0, 6, [gutter])


def test_short_lines_under_a_line_of_many_gutters_are_cut_as_python_cuts_them():
    """One long line of thousands of gutters over many short rows (a hostile report: every
    row was read against every gutter, seconds a megabyte): the short rows' cells end at their
    own end, and the cut is still the Python one's, also where a gutter is out of order."""
    text = "ab  cd  ef\n" * 3 + "x  y  " * 2000 + "\n" + "ab  cd  é\n" * 300 + "名  x\n" * 5
    (start, end), *_ = gapped_runs(text)
    gutters = common_gutters_in(text, start, end)
    assert len(gutters) > 3000 and gutters == common_gutters_in(text, start, end, compiled=False)
    for cut_at in (gutters, gutters[:5] + [(1, 2)] + gutters[5:]):
        cells = cells_of_run(text, start, end, cut_at, compiled=False)
        assert cells_of_run(text, start, end, cut_at, compiled=True) == cells


def test_gutters_of_lines_ending_at_and_across_machine_words_are_the_python_ones():
    """The compiled gutters count the gaps only where a line reaches (the columns past it are
    blank): lines that end just before, at and after a 64-column word's edge, with gaps
    across the edge, closing one gap after another, must give up and find what Python does."""
    rng = random.Random(64)
    for _ in range(400):
        width = rng.choice([63, 64, 65, 127, 128, 129, 200])
        lines = []
        for _ in range(rng.randint(2, 8)):
            length = rng.choice([1, 2, 62, 63, 64, 65, 66, 126, 127, 128, 129, width])
            lines.append("".join(rng.choice("x  ") for _ in range(length)).rstrip() or "x")
        text = "\n".join(lines)
        assert common_gutters_in(text, 0, len(text), compiled=True) == common_gutters_in(
            text, 0, len(text), compiled=False
        ), text


def _generated_base64(rng: random.Random) -> str:
    """Stretches of base64 letters around 64 long, wrapped or not, among other characters."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    parts = []
    for _ in range(rng.randint(1, 12)):
        parts.append("".join(rng.choice(letters) for _ in range(rng.choice([1, 16, 63, 64, 65, 76, 200]))))
        parts.append(
            rng.choice(["\n", "=\n", " ", "==", "-", "é", "名", "\u00a0", "\r\n", "", "_", ".", "Ａ"])
        )
    return "".join(parts)


def test_compiled_base64_stretches_are_the_python_ones_on_every_case():
    rng = random.Random(64)
    texts = CASES + [_generated_base64(rng) for _ in range(1500)]
    found = 0
    for text in texts:
        starts = base64text._long_run_starts(text, compiled=False)
        assert base64text._long_run_starts(text, compiled=True) == starts, repr(text)
        found += bool(starts)
    assert found > 500


def _generated_csv_lines(rng: random.Random) -> list[str]:
    """Lines of cells: quoted and not, doubled quotes, quotes in mid-field, quoted fields
    left open over lines and at the end, every delimiter the sniffer tries."""
    cells = ['"', '""', '"a,b"', '"a""b"', 'x"y', '"open', 'close"', "a", "", " ", "é", "名", "1990"]
    lines = []
    for _ in range(rng.randint(1, 12)):
        delimiter = rng.choice([",", ";", "\t", "|", " "])
        lines.append(delimiter.join(rng.choice(cells) for _ in range(rng.randint(1, 6))))
    return lines


def test_compiled_control_share_is_the_python_one_on_every_case():
    rng = random.Random(5)
    alphabet = [chr(c) for c in range(0, 0x100)] + ["\u2028", "日", "\ud800", "\U0001f600"]
    texts = ["", "\x00", "\x7f" * 17, "a\n" * 40_000, "\x01" + "b" * (limits.ENCODING_SNIFF_BYTES + 5)]
    for _ in range(3000):
        length = rng.choice([rng.randrange(0, 40), rng.randrange(0, 400)])
        texts.append(
            "".join(rng.choice(alphabet[:128] if rng.random() < 0.5 else alphabet) for _ in range(length))
        )
    found = 0
    for text in texts:
        share = textcodec._control_share(text, compiled=True)
        assert share == textcodec._control_share(text, compiled=False), repr(text)
        found += share > 0
    assert found > 1000


def test_compiled_csv_row_widths_are_csv_readers_on_every_case():
    rng = random.Random(1)
    samples = [_generated_csv_lines(rng) for _ in range(3000)]
    samples += [text.splitlines() for text in CASES[:1000]] + [[""], ["a\0b,c"], []]
    multi_line_rows = 0
    for lines in samples:
        for delimiter in tabular.DELIMITERS:
            widths = tabular.row_widths(lines, delimiter, compiled=False)
            assert tabular.row_widths(lines, delimiter, compiled=True) == widths, (lines, delimiter)
            multi_line_rows += len(widths) < len(lines)
    assert multi_line_rows > 500  # (quoted fields over lines were met)


def _sniffer_texts() -> list[str]:
    """Texts for the delimiter sniffer: the cases, generated CSV lines joined by every line
    break str.splitlines knows (and "\r\n"), blank and whitespace-only lines among them,
    heads cut at SNIFF_LINES newlines and at SNIFF_CHARS, and real text."""
    rng = random.Random(7)
    breaks = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
    texts = list(CASES[:1500])
    for _ in range(3000):
        lines = _generated_csv_lines(rng) + rng.choice([[], [""], ["  "], ["\u3000\t"], ["x"]])
        rng.shuffle(lines)
        text = ""
        for line in lines:
            text += line + rng.choice(breaks if rng.random() < 0.3 else ["\n"])
        texts.append(text if rng.random() < 0.5 else text.rstrip("\n"))
    texts += ["a,b\n" * limits.SNIFF_LINES + '"q",x\n', "a;b\n" * 49 + "\r\nc;d\n", "\n" * 60 + "a,b\n"]
    texts += ["x" * (limits.SNIFF_CHARS - 2) + "\r\na,b\n", "a,b\n" + "é|" * limits.SNIFF_CHARS]
    for lines in range(1, 11):  # every share of lines holding the delimiter (0.8 and 0.5 exactly among them)
        for holding in range(lines + 1):
            texts.append("".join("a;b\n" if n < holding else "title\n" for n in range(lines)))
    return texts + _real_texts(20)


def test_compiled_sniffer_sample_widths_are_the_python_ones_on_every_case():
    """The sample's row widths under each delimiter (or None where ``_may_reach`` stops it),
    read in the text by ``_textshape.sniff_widths``, are those of the head's lines cut as
    str: at every share of lines holding a delimiter, with and without quotes, for every
    consistency the sniffer is asked for; and the sniffers then agree."""
    texts = _sniffer_texts() + ["a,b\x00c\nd,e\n", "\x00"]  # (a NUL: csv.reader reads it)
    consistencies = (0.0, limits.TABLE_MIN_CONSISTENCY, 0.5)
    outcomes = {"none": 0, "widths": 0, "tables": 0}
    for text in texts:
        for consistency in consistencies:
            widths = tabular._sample_widths(text, consistency, compiled=False)
            assert tabular._sample_widths(text, consistency, compiled=True) == widths, (
                repr(text[:300]),
                consistency,
            )
            outcomes["none"] += widths.count(None)
            outcomes["widths"] += len(widths) - widths.count(None)
            outcomes["tables"] += tabular.sniff_delimiter(text, consistency) is not None
    assert min(outcomes.values()) > 1000, outcomes


def test_compiled_markdown_hint_is_the_regex_on_every_case():
    rng = random.Random(11)
    alphabet = (
        ["|"] * 4
        + ["\n"] * 3
        + [" ", "\t", "\r", "\r\n", "a", "-", "é", "名", "\U0001f600", "\u3000", "\x0b"]
    )
    texts = CASES[:1500] + _real_texts(20) + ["|", "|\n|", "| \t\r\n\t |", "|\r\r\n|", "|\n\n|", "a|\n |b"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30))) for _ in range(5000)]
    found = 0
    for text in texts:
        expected = tables.holds_markdown_hint(text, compiled=False)
        assert tables.holds_markdown_hint(text, compiled=True) == expected, repr(text[:300])
        found += expected
    assert found > 500


def test_compiled_and_python_passes_agree_on_real_text():
    for text in _real_texts():
        assert field_block_pieces(text, compiled=True) == field_block_pieces(text, compiled=False)
        assert gapped_runs(text, compiled=True) == gapped_runs(text, compiled=False)
        assert base64text._long_run_starts(text, compiled=True) == base64text._long_run_starts(
            text, compiled=False
        )


def _parse_block_line_by_line(lines: list[str], labels: set[str]) -> list | None:
    """``records._parse_block`` as its definition: ``_fields`` of every line."""
    parsed = [records._fields(line, labels) for line in lines]
    return None if len(lines) < 2 or any(fields is None for fields in parsed) else parsed


def test_a_blocks_one_value_lines_are_read_as_the_full_parse_reads_them():
    blocks = 0
    for text in CASES + _real_texts(10):
        pieces = field_block_pieces(text)
        labels = records._recurring_labels(
            label for _, _, found in pieces for _, _, block_labels in found for label in block_labels
        )
        for trusted in (labels, set()):
            for _, _, found in pieces:
                for first, last, _ in found:
                    lines = text[first:last].split("\n")
                    assert records._parse_block(lines, trusted) == _parse_block_line_by_line(lines, trusted)
                    blocks += 1
    assert blocks > 1000


def test_extraction_is_the_same_without_the_extension(monkeypatch):
    texts = HAND_WRITTEN + CASES[-300:] + _real_texts(10)
    compiled = [convert_text_tables(join_record_blocks(text)) for text in texts]
    monkeypatch.setattr(records, "_textshape", None)
    monkeypatch.setattr(tables, "_textshape", None)
    assert [convert_text_tables(join_record_blocks(text)) for text in texts] == compiled


def test_the_cases_reach_every_outcome():
    """The generated cases hold blocks that pass and fail, runs with and without gutters: a
    comparison of two empty results would prove nothing."""
    pieces = [field_block_pieces(text, compiled=False) for text in CASES]
    assert sum(1 for p in pieces if p) > 100
    runs = [(text, run) for text in CASES for run in gapped_runs(text, compiled=False)]
    with_gutters = sum(
        1 for text, (start, end) in runs if common_gutters_in(text, start, end, compiled=False)
    )
    assert with_gutters > 50 and len(runs) - with_gutters > 50
    joined = sum(1 for text in CASES if join_record_blocks(text) != text)
    assert joined > 50
