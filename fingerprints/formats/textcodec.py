"""Bytes to text for datasets and downloaded documents, whatever their encoding.

Order of trust: a byte-order mark; UTF-16 without a mark (NUL bytes on one side of each
pair); UTF-8 (a few broken bytes allowed); charset-normalizer's guess; cp1252. Bytes that decode only into control
characters are binary, not text, and give ``None``: the caller decides whether that is an
error (a dataset) or a reason to skip (a downloaded document).
"""

from __future__ import annotations

import codecs
import logging

from . import limits

try:  # the control characters counted in C (_textshape.c); _control_share's Python gives the same
    from . import _textshape
except ImportError:  # built without a C compiler
    _textshape = None

log = logging.getLogger(__name__)

# Control bytes that never appear in text (tab, newlines, form feed and escape excepted: the
# latter shows up in terminal logs pasted with colours).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"

_HIGH_BYTES = bytes(range(0x80, 0x100))

# charset-normalizer confuses the Western single-byte code pages with each other on short
# inputs (it said cp1250 for French names); cp1252 is what Windows spreadsheets use, so it wins
# among them when it decodes the bytes.
_WESTERN_CODEPAGES = {"cp1250", "cp1252", "latin_1", "iso8859_15", "iso8859_2", "mac_roman", "cp850"}

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_BOM_PREFIXES = tuple(bom for bom, _ in _BOMS)


def decode_text(data: bytes) -> str | None:
    """The text in ``data``, or None when the bytes are not text in any encoding we know."""
    if not data:
        return ""
    text = _plain_utf8(data)
    if text is None:
        encoding = detect_encoding(data)
        if encoding is None:
            return None
        text = data.decode(encoding, errors="replace")  # only mostly-UTF-8 has bytes to replace
    if _control_share(text) > limits.MAX_CONTROL_SHARE:
        return None
    return text


def _plain_utf8(data: bytes) -> str | None:
    """The common case in one decode: UTF-8 without a byte-order mark or NUL bytes."""
    if data.startswith(_BOM_PREFIXES) or b"\x00" in data[: limits.ENCODING_SNIFF_BYTES]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def detect_encoding(data: bytes) -> str | None:
    """The name of the encoding ``data`` is in, or None if it looks binary."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    utf16 = _bomless_utf16(data[: limits.ENCODING_SNIFF_BYTES])
    if utf16:
        return utf16
    if b"\x00" in data[: limits.ENCODING_SNIFF_BYTES]:
        return None  # NUL outside UTF-16/32: images, executables, archives
    if _is_mostly_utf8(data):
        return "utf-8"
    return _guess_legacy_encoding(data)


def _is_mostly_utf8(data: bytes) -> bool:
    """Valid UTF-8, or UTF-8 with a few broken bytes (a dump glued from several sources):
    then the odd byte becomes U+FFFD instead of every name turning into mojibake."""
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        pass
    high_bytes = len(data) - len(data.translate(None, _HIGH_BYTES))
    broken = data.decode("utf-8", errors="replace").count("\ufffd")
    return broken <= limits.MAX_BROKEN_UTF8_SHARE * high_bytes


def _bomless_utf16(head: bytes) -> str | None:
    """UTF-16 of mostly Latin/ASCII text has a NUL in every other byte."""
    if len(head) < 4:
        return None
    head = head[: len(head) // 2 * 2]
    even_nuls = head[0::2].count(0)
    odd_nuls = head[1::2].count(0)
    pairs = len(head) // 2
    if odd_nuls > limits.UTF16_MIN_NUL_SHARE * pairs and even_nuls < limits.UTF16_MAX_OTHER_NUL_SHARE * pairs:
        return "utf-16-le"
    if even_nuls > limits.UTF16_MIN_NUL_SHARE * pairs and odd_nuls < limits.UTF16_MAX_OTHER_NUL_SHARE * pairs:
        return "utf-16-be"
    return None


def _guess_legacy_encoding(data: bytes) -> str | None:
    if _control_byte_share(data[: limits.ENCODING_SNIFF_BYTES]) > limits.MAX_CONTROL_SHARE:
        return None
    import charset_normalizer  # (only for bytes that are not UTF-8: most text is)

    best = charset_normalizer.from_bytes(data[: limits.ENCODING_GUESS_BYTES]).best()
    guess = best.encoding if best is not None else None
    if guess is None or guess in _WESTERN_CODEPAGES:
        if _decodes(data, "cp1252"):
            return "cp1252"
    log.debug("charset-normalizer guessed %s", guess)
    return guess


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def _control_byte_share(data: bytes) -> float:
    if not data:
        return 0.0
    return (len(data) - len(data.translate(None, _CONTROL_BYTES))) / len(data)


def _control_share(text: str, compiled: bool = True) -> float:
    """The share of control characters among the first characters of ``text``, counted in
    its UTF-8 bytes (a control character is one byte there, and no other character has a
    byte below 0x80 but its own): ``bytes.translate`` runs at memory speed, ``str.translate``
    looks every character up in a dict. ``compiled``: counted in the str itself by
    ``_textshape.control_chars`` when it is built (the head's copy, its UTF-8 and the
    translation cost most of decoding a text), else as follows, which defines the result."""
    if compiled and _textshape is not None:
        length = min(len(text), limits.ENCODING_SNIFF_BYTES)
        return _textshape.control_chars(text, length, _CONTROL_BYTES) / length if length else 0.0
    head = text[: limits.ENCODING_SNIFF_BYTES]
    if not head:
        return 0.0
    encoded = head.encode("utf-8", "surrogatepass")
    return (len(encoded) - len(encoded.translate(None, _CONTROL_BYTES))) / len(head)
