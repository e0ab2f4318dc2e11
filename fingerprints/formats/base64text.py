"""Long runs of base64 inside text (a CSV, a zip, a PDF pasted as base64): decoded, and read
when what they hold is a document we read or text; the decoded bytes count against the
budget and each run nests one level deeper (base64 in base64 stops at ``max_depth``)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from . import limits
from .lines import line_blocks
from .sniff import document_kind
from .textcodec import decode_text

if TYPE_CHECKING:
    from .extractor import Reading

try:  # the stretches found in C (_textshape.c); _long_run_starts' Python gives the same
    from . import _textshape
except ImportError:  # built without a C compiler
    _textshape = None

# A run starts where the previous character is not base64, so that the scan is linear; line
# breaks inside a run are allowed (base64(1) wraps at 76 columns), as are "=" at its end.
_RUN = re.compile(r"(?<![A-Za-z0-9+/])(?:[A-Za-z0-9+/]{16,}[ \t]*\r?\n)*[A-Za-z0-9+/]{16,}={0,2}")
_HINT_CHARS = 64  # a wrapped base64 block's lines are 64 or 76 wide
_BASE64_TABLE = bytes(
    1 if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "+/") else 0 for b in range(256)
)
_HINT_STRETCH = b"\x01" * _HINT_CHARS  # in the text translated by _BASE64_TABLE
# A run of hex digits only is hex (a PostScript or PDF image, a dump, hashes), not base64: a
# real base64 run of BASE64_MIN_CHARS uses 22 of its 64 letters only by a chance of (22/64)^400.
# Read as base64 it decodes to repeated junk that an encoding guesser calls Korean (0000...
# is b"\xd3M4" again and again), which put junk in the text and held it all at 2 bytes a
# character.
_HEX_ONLY = re.compile(r"[0-9A-Fa-f\s]+")


def extract_base64_runs(reading: Reading, text: str, name: str, depth: int) -> None:
    number = 0
    for run in _runs(text):
        encoded = run.group(0)
        if len(encoded) < limits.BASE64_MIN_CHARS or _HEX_ONLY.fullmatch(encoded):
            continue
        decoded = _decode(encoded)
        if decoded is None or not _worth_reading(decoded):
            continue
        number += 1
        part_name = f"{name}::base64-{number}"
        reading.check_depth(part_name, depth + 1)
        reading.count_members(part_name)
        reading.spend(part_name, len(decoded))
        reading.extract(decoded, part_name, None, depth + 1)


def _runs(text: str) -> Iterator[re.Match]:
    """The runs that hold a stretch of ``_HINT_CHARS`` base64 characters (every wrapped base64
    block), each from that stretch on. The run pattern is only tried there: tried at every
    position of the text, its look-behind cost more than the scan of ordinary text."""
    position = 0
    for start in _long_run_starts(text):
        if start < position:
            continue  # inside the run read last (a wrapped block's next line)
        run = _RUN.match(text, start)  # a run's start: nothing base64 before it
        if run is not None:
            yield run
            position = run.end()


def _long_run_starts(text: str, compiled: bool = True) -> list[int]:
    """Where the stretches of at least ``_HINT_CHARS`` base64 characters begin: by
    ``_textshape.base64_stretches`` (one pass over the text, no copy) when it is built, else
    as follows, which defines the result. A stretch never crosses a line, so the text is read
    in blocks of whole lines (``lines.line_blocks``), each as ASCII (one byte a character,
    others read as "?") translated by ``_BASE64_TABLE``: whether a block holds a stretch at
    all by ``find``, where by a regex over the translated bytes, which starts at the literal
    \\x01 at memory speed (a regex of 64 base64 characters over the text costs as much as
    the whole scan on text of long words). A few blocks at a time are copied, never the whole
    text."""
    if compiled and _textshape is not None:
        return _textshape.base64_stretches(text, _HINT_CHARS)
    starts: list[int] = []
    for offset, block in line_blocks(text):
        translated = block.encode("ascii", "replace").translate(_BASE64_TABLE)
        if translated.find(_HINT_STRETCH) >= 0:
            starts += [offset + stretch.start() for stretch in _STRETCH.finditer(translated)]
    return starts


_STRETCH = re.compile(b"\x01{%d,}" % _HINT_CHARS)


def _decode(encoded: str) -> bytes | None:
    compact = "".join(encoded.split())
    compact += "=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def _worth_reading(decoded: bytes) -> bool:
    """A document we read (``sniff.document_kind``), or text."""
    if document_kind(decoded):
        return True
    text = decode_text(decoded[:65536])
    return text is not None and sum(ch.isprintable() or ch in "\t\n" for ch in text) > 0.95 * len(text)
