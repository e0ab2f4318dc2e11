"""The quick exits of plain text's kind tests give what the whole tests give: the delimiter
sniffer's first lines (one regex match in place of a find a line), the mail test, which gives
up at a first line that is no header before it cuts the head into lines, the magic-bytes
tests, which look no further than a first byte that starts no magic, the Markdown
separator test, tried only at the lines that hold its dashes, and a delimited row's line,
joined whole when no cell needs ``one_line``."""

from __future__ import annotations

import random

from leaktrack.fingerprints.formats import limits, sniff, tables, tabular
from leaktrack.fingerprints.formats import text as text_kinds
from leaktrack.fingerprints.formats.cells import one_line
from leaktrack.fingerprints.formats.sniff import binary_kind, document_kind, looks_like_mail

_LINE_ENDS = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\n\n", ""]


def _texts() -> list[str]:
    rng = random.Random(20261130)
    texts = ["", "\n", "a", "a\n" * 49, "a\n" * 50, "a\n" * 51, "\n" * 200, "x" * (limits.SNIFF_CHARS + 10)]
    texts.append("y" * (limits.SNIFF_CHARS - 1) + "\n" + "z\n" * 60)  # the 1st newline at the limit's edge
    texts.append("y" * limits.SNIFF_CHARS + "\n" + "z\n" * 60)  # ... and just past it
    texts.append("w\n" * 30 + "v" * limits.SNIFF_CHARS + "\n" * 30)  # fewer than SNIFF_LINES in the head
    for _ in range(2000):
        words = ["a,b,c", "x;y", "p|q", "1\t2", "", " ", "é", "日本", "Jane Example"]
        texts.append(
            "".join(rng.choice(words) + rng.choice(_LINE_ENDS) for _ in range(rng.randrange(1, 120)))
        )
    return texts


def test_first_lines_are_the_head_s_first_lines_on_every_case():
    for text in _texts():
        expected = text[: limits.SNIFF_CHARS].splitlines()[: limits.SNIFF_LINES]
        assert tabular._first_lines(text) == expected


def test_a_text_whose_first_line_is_no_header_is_no_mail_whatever_follows():
    headers = "From: a@example.org\nTo: b@example.org\nSubject: hi\nDate: Mon, 1 Jan 2024\n\nbody\n"
    assert looks_like_mail(headers, "x.txt", None)
    assert not looks_like_mail("Dear team,\n" + headers, "x.txt", None)
    assert not looks_like_mail("\n" + headers, "x.txt", None)
    assert not looks_like_mail(" From: a@example.org\n" + headers, "x.txt", None)


def test_an_mbox_from_line_before_the_headers_is_mail():
    headers = "From: a@example.org\nTo: b@example.org\nSubject: hi\n\nbody\n"
    assert looks_like_mail("From a@example.org Mon Jan  1 00:00:00 2024\n" + headers, "x.txt", None)
    assert not looks_like_mail("From the desk of the editor\nDear all,\n", "x.txt", None)


def test_every_magic_is_recognized_past_the_first_byte_test():
    """``document_kind`` and ``binary_kind`` look at no magic of bytes whose first byte starts
    none: each magic they know still gives its kind."""
    padding = b"\0" * 600
    documents = [*sniff.ZIP_MAGIC, sniff.GZIP_MAGIC, sniff.XZ_MAGIC, sniff.SEVEN_ZIP_MAGIC, sniff.PDF_MAGIC]
    for magic in [*documents, sniff.OLE2_MAGIC, sniff.BZIP2_MAGIC + b"91AY&SY"]:
        assert document_kind(magic + padding) is not None, magic
    for magic, kind in sniff._IMAGE_MAGIC:
        assert document_kind(magic + padding) == kind
    assert document_kind(b"BM" + padding) == "BMP"
    assert document_kind(b"RIFF\0\0\0\0WEBP" + padding) == "WebP"
    assert document_kind(b"x" * 257 + b"ustar" + padding) == "tar"
    assert document_kind(b"plain text") is None and document_kind(b"") is None
    for magic, kind in sniff._BINARY_MAGIC:
        assert binary_kind(magic + padding) == kind
    assert binary_kind(b"MZ and some text") is None and binary_kind(b"") is None


def test_markdown_separator_lines_are_found_where_the_pattern_finds_them():
    rng = random.Random(7)
    pieces = ["---", "-----", "|", ":", " ", "\t", "a", "|---|", ":---:", "\n", "--", "- -", "\u2028"]
    heads = ["", "---", "|---|---|", "x\n|---|", "---\n|", " |:---:| ---- |\n"]
    heads += ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40))) for _ in range(5000)]
    found = 0
    for head in heads:
        expected = tables.MARKDOWN_SEPARATOR_LINE.search(head) is not None
        assert text_kinds._holds_markdown_separator(head) == expected, head
        found += expected
    assert 500 < found < len(heads) - 500


def test_a_delimited_row_is_the_one_line_text_of_each_of_its_cells():
    rng = random.Random(11)
    cells = ["", "a", "Jane Example", "x\ty", "line\nbreak", "cr\rhere", "\t", "\n", " \r\n ", "é"]
    rows = [[], [""], ["\t"], ["a\tb"], ["a", "b\tc"], ["a\n"]]
    rows += [[rng.choice(cells) for _ in range(rng.randrange(0, 6))] for _ in range(5000)]
    for row in rows:
        assert tables._row_line(row) == "\t".join(one_line(cell) for cell in row), row
    text = 'name,note\n"Jane, Example","two\nlines"\n"tab\there",plain\n,\n'
    expected = "\n".join("\t".join(one_line(c) for c in row) for row in tabular.parse_delimited(text, ","))
    assert tables.delimited_to_lines(text, ",") == expected + "\n"
