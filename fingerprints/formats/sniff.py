"""What kind of document a stranger's bytes are, by their magic bytes, and which family module
reads each kind, imported on first use.

Most of what a sweep or ``leaktrack scan`` meets is plain text, which needs none of the
archive, PDF, office, image or mail readers (nor the standard library's zipfile, tarfile,
lzma, email and xml behind them): the type test lives here, apart from the readers, so that
reading a text file imports none of them (``tests/test_cli_startup.py`` checks it). Imports
nothing but the standard library's ``importlib``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
GZIP_MAGIC = b"\x1f\x8b"
BZIP2_MAGIC = b"BZh"  # then the block size digit and the block magic 0x314159265359
XZ_MAGIC = b"\xfd7zXZ\x00"
SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
TAR_MAGIC = b"ustar"  # at offset 257 of a POSIX or GNU tar header
PDF_MAGIC = b"%PDF"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (.xls)

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
IMAGE_KINDS = frozenset({"PNG", "JPEG", "TIFF", "BMP", "WebP"})

# Magic bytes of formats with no text we read (and a name for the skip reason).
_BINARY_MAGIC = (
    (b"GIF8", "GIF image (not read: screenshots come as PNG, JPEG or WebP)"),
    (b"RIFF", "RIFF media"),
    (b"ID3", "MP3 audio"),
    (b"\x00\x00\x00\x18ftyp", "MP4 video"),
    (b"\x00\x00\x00\x20ftyp", "MP4 video"),
    (b"\x7fELF", "ELF executable"),
    (b"MZ", "Windows executable"),
    (b"Rar!", "RAR archive (not supported)"),
    (b"\x00asm", "WebAssembly"),
    (b"SQLite format 3", "SQLite database (not supported)"),
)
# Magic bytes that also begin words of ordinary text ("MZ", "ID3", ...): a real binary of
# these kinds has NUL bytes near its start.
_TEXT_LIKE_MAGIC = frozenset({b"MZ", b"ID3", b"RIFF", b"GIF8"})

# The first byte of each magic above (a tar's is at offset 257): bytes that start with none of
# them are no document or binary kind but a tar (most text: one set lookup, not a test of each
# magic). image_kind's BMP and WebP start with "B" and "R".
_DOCUMENT_FIRST_BYTES = frozenset(
    magic[0]
    for magic in (
        *ZIP_MAGIC,
        GZIP_MAGIC,
        BZIP2_MAGIC,
        XZ_MAGIC,
        SEVEN_ZIP_MAGIC,
        PDF_MAGIC,
        OLE2_MAGIC,
        *(magic for magic, _ in _IMAGE_MAGIC),
        b"BM",
        b"RIFF",
    )
)
_BINARY_FIRST_BYTES = frozenset(magic[0] for magic, _ in _BINARY_MAGIC)

_MAIL_SUFFIXES = (".eml", ".mbox", ".mbx")
_MAIL_TYPES = ("message/rfc822", "application/mbox")
_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:[ \t]")
_MAIL_HEADERS = re.compile(
    r"^(?:from|to|subject|date|received|return-path|message-id|mime-version|delivered-to|content-type):",
    re.I | re.M,
)
# Header lines looked at to tell a mail from text that starts with "Subject: ..." by chance.
_MAIL_HEAD_LINES = 40
_MIN_MAIL_HEADERS = 3

# The function that reads each kind of document, as "module.function" of this package; every
# one is called as ``function(reading, data, name, depth)``.
_READERS = {
    "zip": "archives.extract_zip",
    "compressed": "archives.extract_compressed_stream",
    "7z": "archives.extract_7z",
    "tar": "archives.extract_tar",
    "pdf": "pdf.extract_pdf",
    "ole2": "office.extract_ole2",
    "image": "images.extract_image",
    "mail": "mail.extract_mail",
}


def is_tar(data: bytes) -> bool:
    return data[257:262] == TAR_MAGIC


def is_compressed_stream(data: bytes) -> bool:
    return (
        data.startswith(GZIP_MAGIC)
        or data.startswith(XZ_MAGIC)
        or (data.startswith(BZIP2_MAGIC) and data[3:4].isdigit() and data[4:10] == b"1AY&SY")
    )


def image_kind(data: bytes) -> str | None:
    """The kind of image (one of ``IMAGE_KINDS``) ``data`` is, or None."""
    for magic, kind in _IMAGE_MAGIC:
        if data.startswith(magic):
            return kind
    if data.startswith(b"BM") and len(data) > 26 and b"\x00" in data[:26]:
        return "BMP"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    return None


def document_kind(data: bytes) -> str | None:
    """The kind of binary document ``data`` is by its magic bytes (whatever a server's
    Content-Type says): zip, compressed, 7z, tar, pdf, ole2 or an image kind; None for text
    and unknown bytes."""
    if not data or data[0] not in _DOCUMENT_FIRST_BYTES:
        return "tar" if is_tar(data) else None
    if data.startswith(ZIP_MAGIC):
        return "zip"
    if is_compressed_stream(data):
        return "compressed"
    if data.startswith(SEVEN_ZIP_MAGIC):
        return "7z"
    if is_tar(data):
        return "tar"
    if data.startswith(PDF_MAGIC):
        return "pdf"
    if data.startswith(OLE2_MAGIC):
        return "ole2"
    return image_kind(data)


def binary_kind(data: bytes) -> str | None:
    """What a binary we do not read is (the skip reason), or None."""
    if not data or data[0] not in _BINARY_FIRST_BYTES:
        return None
    for magic, kind in _BINARY_MAGIC:
        if data.startswith(magic):
            if magic in _TEXT_LIKE_MAGIC and b"\x00" not in data[:4096]:
                continue
            return kind
    return None


def looks_like_mail(text: str, name: str, content_type: str | None) -> bool:
    """Whether a text document is a mail message or an mbox file (its name, its type, or
    several mail headers at its start)."""
    if name.lower().endswith(_MAIL_SUFFIXES) or (content_type or "").lower().startswith(_MAIL_TYPES):
        return True
    if not text.startswith("From ") and not _HEADER_LINE.match(text):
        return False  # (the first line is no header: most text stops here, before the head is cut)
    head = text[:8192].split("\n\n", 1)[0]
    lines = head.split("\n")[:_MAIL_HEAD_LINES]
    if lines and lines[0].startswith("From ") and len(lines) > 1:
        lines = lines[1:]
    if not lines or not _HEADER_LINE.match(lines[0]):
        return False
    return len(_MAIL_HEADERS.findall("\n".join(lines))) >= _MIN_MAIL_HEADERS


def reader_of(kind: str) -> Callable[..., Any]:
    """The function that reads documents of ``kind`` (``document_kind``'s, or "mail"), its
    module imported now if it was not yet."""
    module, function = _READERS["image" if kind in IMAGE_KINDS else kind].split(".")
    return getattr(importlib.import_module(f".{module}", __package__), function)
