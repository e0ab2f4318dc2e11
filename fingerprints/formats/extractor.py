"""One document's extraction: the type test (magic bytes first), the dispatch to a format
family, what was found, and the budget spent so far (every level of nesting together)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from . import archives, office
from .limits import DocumentRefused, ExtractionLimits
from .text import text_to_lines
from .textcodec import decode_text

log = logging.getLogger(__name__)


@dataclass
class ExtractedText:
    name: str  # the document's name, or "archive.zip::member.csv" for what came out of an archive
    kind: str  # text, csv, json, jsonl, html, xlsx
    text: str


@dataclass
class Extraction:
    texts: list[ExtractedText] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "name: reason" for parts without text

    @property
    def text(self) -> str:
        """All extracted texts as one."""
        return "\n".join(t.text for t in self.texts)


# Magic bytes of formats with no text worth scanning (and a name for the skip reason).
_BINARY_MAGIC = (
    (b"\x89PNG", "PNG image"),
    (b"GIF8", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"RIFF", "RIFF media"),
    (b"ID3", "MP3 audio"),
    (b"\x00\x00\x00\x18ftyp", "MP4 video"),
    (b"\x00\x00\x00\x20ftyp", "MP4 video"),
    (b"%PDF", "PDF document (not supported)"),
    (b"\x7fELF", "ELF executable"),
    (b"MZ", "Windows executable"),
    (b"\xd0\xcf\x11\xe0", "legacy Office document (not supported)"),
    (b"7z\xbc\xaf", "7-Zip archive (not supported)"),
    (b"Rar!", "RAR archive (not supported)"),
    (b"BZh", "bzip2 archive (not supported)"),
    (b"\xfd7zXZ", "xz archive (not supported)"),
    (b"\x00asm", "WebAssembly"),
    (b"SQLite format 3", "SQLite database (not supported)"),
)


class Reading:
    """The limits, what was found, and what was spent so far; family modules call back into
    ``extract`` for what they unpack."""

    def __init__(self, limits: ExtractionLimits, extraction: Extraction):
        self.limits = limits
        self.extraction = extraction
        self.decompressed_bytes = 0
        self.members = 0
        self.xlsx_cells = 0

    def extract(self, data: bytes, name: str, content_type: str | None, depth: int) -> None:
        if data.startswith(archives.ZIP_MAGIC):
            self._zip(data, name, depth)
        elif data.startswith(archives.GZIP_MAGIC):
            archives.extract_gzip(self, data, name, depth)
        elif archives.is_tar(data):
            archives.extract_tar(self, data, name, depth)
        else:
            binary = _binary_kind(data)
            if binary:
                self.skip(name, binary)
            else:
                self._text_document(data, name, content_type)

    def _zip(self, data: bytes, name: str, depth: int) -> None:
        """A zip archive, or an office document that is a zip of XML parts."""
        opened = archives.open_zip(self, data, name)
        if opened is None:
            return
        archive, members = opened
        with archive:
            if office.is_xlsx(members):
                office.extract_xlsx(self, archive, members, data, name)
            else:
                archives.extract_zip_members(self, archive, members, name, depth)

    def skip(self, name: str, reason: str) -> None:
        log.debug("skipped %s: %s", name, reason)
        self.extraction.skipped.append(f"{name}: {reason}")

    def add(self, name: str, kind: str, text: str) -> None:
        if text.strip():
            self.extraction.texts.append(ExtractedText(name=name, kind=kind, text=text))

    def _text_document(self, data: bytes, name: str, content_type: str | None) -> None:
        text = decode_text(data)
        if text is None:
            self.skip(name, "binary content, no text")
            return
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        kind, converted = text_to_lines(text, name, content_type)
        self.add(name, kind, converted)

    # -- the budget ----------------------------------------------------------------------

    def check_depth(self, name: str, depth: int) -> None:
        if depth > self.limits.max_depth:
            raise DocumentRefused(
                f"zip bomb refused: {name} nests archives deeper than {self.limits.max_depth}"
            )

    def count_members(self, name: str, count: int) -> None:
        self.members += count
        if self.members > self.limits.max_members:
            raise DocumentRefused(
                f"zip bomb refused: {name} has more than {self.limits.max_members:,} archive members"
            )

    def check_ratio(self, name: str, produced: int, compressed: int) -> None:
        if produced <= self.limits.ratio_grace_bytes:
            return
        if produced > self.limits.max_compression_ratio * max(compressed, 1):
            raise DocumentRefused(
                f"zip bomb refused: {name} expands more than {self.limits.max_compression_ratio:g}:1"
            )

    def spend(self, name: str, count: int) -> None:
        self.decompressed_bytes += count
        if self.decompressed_bytes > self.limits.max_total_bytes:
            raise DocumentRefused(
                f"zip bomb refused: {name} decompresses to more than {self.limits.max_total_bytes:,} bytes"
            )


def _binary_kind(data: bytes) -> str | None:
    for magic, kind in _BINARY_MAGIC:
        if data.startswith(magic):
            # "MZ" and "BZh" also begin words of ordinary text; a real binary has NUL bytes.
            if magic in (b"MZ", b"BZh", b"ID3", b"RIFF", b"GIF8") and b"\x00" not in data[:4096]:
                continue
            return kind
    return None
