"""Decoded text to lines: which kind of text it is (HTML, JSON, a delimited table, plain
text with tables inside) and the conversion of that kind."""

from __future__ import annotations

import re

from . import limits, tabular
from .records import join_record_blocks
from .tables import MARKDOWN_SEPARATOR_LINE, convert_text_tables, delimited_to_lines

_HTML_HINT = re.compile(r"<(?:!doctype html|html|head|body|table|div|p|pre|tr|td)[\s>]", re.I)
# Characters at the start of a text that the format hints look at.
_HEAD_CHARS = 2048


def text_to_lines(text: str, name: str = "", content_type: str | None = None) -> tuple[str, str]:
    """(kind, text) with table rows as TAB-separated lines."""
    hint = (content_type or "").lower()
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    head = text[:_HEAD_CHARS].lstrip("\ufeff \t\n")
    if "html" in hint or suffix in ("html", "htm", "xhtml") or _looks_like_html(head):
        from .html import html_is_too_deep, parsed_html_to_lines, stripped_html_to_lines

        if html_is_too_deep(text):
            return "html-stripped", stripped_html_to_lines(text)
        return "html", parsed_html_to_lines(text)
    if head[:1] in ("[", "{") or "json" in hint or suffix in ("json", "jsonl", "ndjson"):
        from .jsondoc import json_to_lines

        converted = json_to_lines(text)
        if converted is not None:
            return converted
    if not _holds_markdown_separator(head):
        delimiter = tabular.sniff_delimiter(text, min_consistency=limits.TABLE_MIN_CONSISTENCY)
        if delimiter is not None:
            lines = delimited_to_lines(text, delimiter)
            # Two columns may be "Label<TAB>value" records, one field a line.
            return "csv", join_record_blocks(lines) if _two_columns(lines) else lines
    return "text", convert_text_tables(join_record_blocks(text))


def _two_columns(lines: str) -> bool:
    head = lines[: limits.SNIFF_CHARS].split("\n", limits.SNIFF_LINES)[: limits.SNIFF_LINES]
    return all(line.count("\t") <= 1 for line in head)


def _looks_like_html(head: str) -> bool:
    return head.startswith("<") and _HTML_HINT.search(head) is not None


def _holds_markdown_separator(head: str) -> bool:
    """A Markdown table's separator line (``|---|---|``) in the head. The pattern is tried
    only at the start of each line that holds its ``---`` (found at memory speed; a match
    never leaves its line): searched, it is tried at every position of the head (``^`` of a
    multi-line pattern), which cost more than the delimiter sniffing after it."""
    at = head.find("---")
    while at >= 0:
        if MARKDOWN_SEPARATOR_LINE.match(head, head.rfind("\n", 0, at) + 1):
            return True
        line_end = head.find("\n", at)
        at = -1 if line_end < 0 else head.find("---", line_end)
    return False
