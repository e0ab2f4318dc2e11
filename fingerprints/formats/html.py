"""HTML: visible text, each table row one TAB-separated line, block elements their own lines.

A page nested deeper than ``limits.HTML_MAX_NESTING`` is not parsed (lexbor's time grows
with the square of the depth): its tags are stripped, table rows kept as rows.
"""

from __future__ import annotations

import html as _html
import logging
import re
from typing import Any

from . import limits
from .records import join_container_fields
from .tables import convert_text_tables

log = logging.getLogger(__name__)

_INVISIBLE_TAGS = ["script", "style", "noscript", "template", "svg", "iframe", "object"]
_BLOCK_TAGS = (
    "title,p,div,br,li,dt,dd,h1,h2,h3,h4,h5,h6,pre,textarea,table,caption,thead,tbody,"
    "section,article,header,footer,nav,main,aside,blockquote,figure,figcaption,form,hr,ul,ol,address"
)


def html_to_lines(text: str) -> str:
    """Visible text: each table row one TAB-separated line, block elements their own lines.

    ``<pre>``, ``<textarea>`` and ``<code>`` keep their own line breaks (pastes live there).
    """
    if html_is_too_deep(text):
        log.info("HTML nested deeper than %d: tags stripped, not parsed", limits.HTML_MAX_NESTING)
        return stripped_html_to_lines(text)
    return parsed_html_to_lines(text)


def parsed_html_to_lines(text: str) -> str:
    """``html_to_lines`` through the parser, for a page known not to nest too deep."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(text)
    tree.strip_tags(_INVISIBLE_TAGS)
    _join_record_containers(tree)
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


# Containers that may hold one record (a card, a list item, a definition list), and what a
# record container may not hold (then it is a layout wrapper of several records).
_RECORD_CONTAINERS = "li, dl, div, article, section"
_NESTED_CONTAINERS = "div, article, section, table, ul, ol, dl, li, pre, textarea, form"


def _join_record_containers(tree: Any) -> None:
    """Each innermost card, ``<li>`` or ``<dl>`` whose children read as one record's fields
    becomes one line, fields joined by " | " (see ``records.join_container_fields``)."""
    holders = _holders_of_containers(tree)
    for node in tree.css(_RECORD_CONTAINERS):
        if node.mem_id in holders:
            continue  # a wrapper of containers, not one record
        line = join_container_fields(_child_texts(node))
        if line is not None:
            node.replace_with(_ROW_END + line + _ROW_END)


def _holders_of_containers(tree: Any) -> set[int]:
    """The nodes (``mem_id``) holding a container below them: each container marks its
    ancestors, stopping at one marked already, so the page is walked once (asking every
    node's children for a nested container cost a query per child)."""
    holders: set[int] = set()
    for inner in tree.css(_NESTED_CONTAINERS):
        parent = inner.parent
        while parent is not None and parent.mem_id not in holders:
            holders.add(parent.mem_id)
            parent = parent.parent
    return holders


def _child_texts(node: Any) -> list[str]:
    """The texts of a node's children (elements and bare text), one per child, <br> apart."""
    texts = []
    for child in node.iter(include_text=True):
        if child.tag == "br":
            continue
        text = " ".join((child.text(deep=True) if child.tag != "-text" else child.text_content or "").split())
        if text:
            texts.append(text)
    return texts


def html_is_too_deep(text: str) -> bool:
    """Whether the page nests deeper than the parser is allowed to build (it is then read
    by ``stripped_html_to_lines``)."""
    return html_nesting_estimate(text) > limits.HTML_MAX_NESTING


_INVISIBLE = re.compile(r"<(script|style|template|noscript)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_ROW_BOUNDARY = re.compile(r"</?tr\b[^>]*>", re.I)
_CELL_START = re.compile(r"<t[dh]\b[^>]*>", re.I)
_BLOCK_TAG = re.compile(r"</?(?:" + _BLOCK_TAGS.replace(",", "|") + r")\b[^>]*>", re.I)


def stripped_html_to_lines(text: str) -> str:
    """Text of a page without parsing it (it nests too deep): table rows stay one line each,
    a TAB before each cell; block tags break lines; other tags vanish. Linear in the size."""
    text = _INVISIBLE.sub(" ", text)
    text = _ROW_BOUNDARY.sub("\n", text)
    text = _CELL_START.sub("\ue000", text)
    text = _BLOCK_TAG.sub("\n", text)
    text = _html.unescape(_ANY_TAG.sub("", text))
    lines = []
    for line in text.split("\n"):
        cells = [" ".join(cell.split()) for cell in line.replace("\t", "\ue000").split("\ue000")]
        joined = "\t".join(cells).strip("\t ")
        if joined:
            lines.append(joined)
    return convert_text_tables("\n".join(lines) + "\n")


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
_ANY_TAG = re.compile(r"<[^>]*>")
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
