"""A large text read a few hundred kB at a time, in blocks of whole lines: for the passes that
look at a text's characters as bytes (``str.encode`` then ``bytes.translate``, both at memory
speed) and look for things that never cross a line, without a copy of the whole text."""

from __future__ import annotations

from collections.abc import Iterator

BLOCK_CHARS = 1 << 18  # characters of text copied at a time (a longer line is a block of its own)


def line_blocks(text: str, block_chars: int = BLOCK_CHARS) -> Iterator[tuple[int, str]]:
    """(offset, block) of ``text`` in blocks of whole lines of about ``block_chars``."""
    if len(text) <= block_chars:
        yield 0, text
        return
    start = 0
    while start < len(text):
        end = start + block_chars
        if end < len(text):
            cut = text.rfind("\n", start, end)
            end = cut + 1 if cut > start else (text.find("\n", end) + 1 or len(text))
        yield start, text[start:end]
        start = end
