"""One document's extraction: the type test (magic bytes first), the dispatch to a format
family, what was found, and the budget spent so far (every level of nesting together).

A limit that trips does not throw away what was read before it: a part over its own limit
(``MemberLimit``) is skipped and the others are read; a spent budget (``BudgetSpent``) stops
reading. Either way the reason goes to ``skipped`` and the extraction is "partly read". Only
a document that gave no text at all and tripped a limit is refused whole (a plain bomb).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from . import base64text
from .limits import (
    HTML_MAX_NESTING,
    BudgetSpent,
    DocumentRefused,
    ExtractionLimits,
    LimitReached,
    MemberLimit,
)
from .records import join_record_blocks
from .sniff import binary_kind, document_kind, looks_like_mail, reader_of
from .text import text_to_lines
from .textcodec import decode_text

log = logging.getLogger(__name__)


@dataclass
class ExtractedText:
    name: str  # the document's name, or "archive.zip::member.csv" for what came out of an archive
    kind: str  # text, csv, json, jsonl, html, xlsx, docx, odt, ods, xls, pdf, ocr
    text: str
    # Read by OCR, whole or in part (an image; a PDF with scanned pages): its names may hold
    # misread letters, which the matcher absorbs in such lines only.
    ocr: bool = False


@dataclass
class Extraction:
    texts: list[ExtractedText] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "name: reason" for parts without text
    # A limit stopped part of the document from being read (the reason is in ``skipped``);
    # what was read is still scanned, and a match found in it is a match.
    partly_read: bool = False

    @property
    def text(self) -> str:
        """All extracted texts as one."""
        return "\n".join(t.text for t in self.texts)

    def take_text(self) -> tuple[str, list[tuple[int, int]]]:
        """``text`` and ``ocr_line_ranges()``, letting go of the texts: the caller that scans
        the whole holds one copy of it, not the parts as well (a text with one non-ASCII
        character is 2-4 bytes a character once joined to it)."""
        ranges, whole = self.ocr_line_ranges(), self.text
        self.texts = []
        return whole, ranges

    def ocr_line_ranges(self) -> list[tuple[int, int]]:
        """(first, end) line numbers in ``text`` of the texts read by OCR."""
        if not any(extracted.ocr for extracted in self.texts):
            return []  # (most documents: their lines are not counted)
        ranges, line = [], 0
        for extracted in self.texts:
            lines = extracted.text.count("\n") + 1
            if extracted.ocr:
                ranges.append((line, line + lines))
            line += lines
        return ranges


# Kinds whose lines may hold records written one field a line (text documents join their
# blocks in ``text_to_lines``; HTML joins its containers).
_RECORD_BLOCK_KINDS = frozenset({"docx", "odt", "pdf", "ocr"})


class Reading:
    """The limits, what was found, and what was spent so far; family modules call back into
    ``extract`` for what they unpack."""

    def __init__(self, limits: ExtractionLimits, extraction: Extraction):
        self.limits = limits
        self.extraction = extraction
        self.decompressed_bytes = 0
        self.members = 0
        self.xlsx_cells = 0
        self.ocr_images = 0
        # images.py: the OCR text of each distinct image read so far (by its pixels' digest), so
        # the same image twice in this document (a zip, a mail, a PDF) is read by Tesseract once
        self.ocr_texts: dict[bytes, str] = {}
        self.started = time.monotonic()
        self.limit_reasons: list[str] = []

    def run(self, data: bytes, name: str, content_type: str | None) -> None:
        """Extract the whole document; see the module docstring for limits."""
        try:
            self.extract(data, name, content_type, depth=1)
        except BudgetSpent as spent:
            self.limit_reasons.append(str(spent))
        if not self.limit_reasons:
            return
        if not self.extraction.texts:
            raise DocumentRefused(self.limit_reasons[0])
        self.extraction.partly_read = True
        self.extraction.skipped.extend(f"{name}: partly read, {reason}" for reason in self.limit_reasons)

    def extract(self, data: bytes, name: str, content_type: str | None, depth: int) -> None:
        """One document or part: try the families by their magic bytes, then text."""
        self.check_time(name)
        try:
            self._dispatch(data, name, content_type, depth)
        except MemberLimit as limit:
            self.limit_reasons.append(str(limit))

    def _dispatch(self, data: bytes, name: str, content_type: str | None, depth: int) -> None:
        kind = document_kind(data)
        if kind is not None:
            reader_of(kind)(self, data, name, depth)
        elif binary := binary_kind(data):
            self.skip(name, binary)
        else:
            self._text_document(data, name, content_type, depth)

    def _text_document(self, data: bytes, name: str, content_type: str | None, depth: int) -> None:
        text = decode_text(data)
        if text is None:
            self.skip(name, "binary content, no text")
            return
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if looks_like_mail(text, name, content_type):
            reader_of("mail")(self, data, name, depth)
            return
        kind, converted = text_to_lines(text, name, content_type)
        if kind == "html-stripped":
            self.skip(
                name,
                f"HTML nested deeper than {HTML_MAX_NESTING} elements: not parsed, read with tags stripped (table rows kept)",
            )
        self.add(name, kind, converted)
        base64text.extract_base64_runs(self, text, name, depth)

    def skip(self, name: str, reason: str) -> None:
        # Not logged here: a name (an archive member, an attachment) may quote the leak; the
        # reason goes back in ``skipped`` and the crawl logs it with such names withheld.
        self.extraction.skipped.append(f"{name}: {reason}")

    def add(self, name: str, kind: str, text: str, ocr: bool = False) -> None:
        if kind in _RECORD_BLOCK_KINDS:
            text = join_record_blocks(text)
        if text and not text.isspace():  # (text.strip(), without its copy of the text)
            self.extraction.texts.append(
                ExtractedText(name=name, kind=kind, text=text, ocr=ocr or kind == "ocr")
            )

    # -- the budget ----------------------------------------------------------------------

    def check_depth(self, name: str, depth: int) -> None:
        if depth > self.limits.max_depth:
            raise MemberLimit(f"zip bomb refused: {name} nests archives deeper than {self.limits.max_depth}")

    def count_members(self, name: str, count: int = 1) -> None:
        self.check_time(name)
        if self.members + count > self.limits.max_members:
            raise BudgetSpent(f"stopped at {self.limits.max_members:,} archive members ({name} has more)")
        self.members += count

    def check_ratio(self, name: str, produced: int, compressed: int) -> None:
        if produced <= self.limits.ratio_grace_bytes:
            return
        if produced > self.limits.max_compression_ratio * max(compressed, 1):
            raise MemberLimit(
                f"zip bomb refused: {name} expands more than {self.limits.max_compression_ratio:g}:1"
            )

    def spend(self, name: str, count: int) -> None:
        self.decompressed_bytes += count
        if self.decompressed_bytes > self.limits.max_total_bytes:
            raise BudgetSpent(
                f"zip bomb refused: {name} decompresses to more than {self.limits.max_total_bytes:,} bytes"
            )

    def check_time(self, name: str) -> None:
        if time.monotonic() - self.started > self.limits.max_seconds:
            raise BudgetSpent(f"stopped after {self.limits.max_seconds:g} s of reading (at {name})")

    def count_ocr_image(self, name: str) -> None:
        if self.ocr_images >= self.limits.max_ocr_images:
            raise BudgetSpent(f"stopped at {self.limits.max_ocr_images} images read by OCR (at {name})")
        self.ocr_images += 1


__all__ = ["ExtractedText", "Extraction", "LimitReached", "Reading", "document_kind"]
