"""Untrusted bytes to text lines: the formats wing of the fingerprint engine.

Everything a stranger uploads (archives, office documents, PDFs, images, mail, HTML, JSON,
text tables, base64 inside text) is
turned here into plain text, one table row or one record block per line, under the budget of
``limits.ExtractionLimits``. One module per family of formats, the limits beside them; a
family's module is imported when a document of its kind comes (``sniff``). This
folder imports nothing else of leaktrack (``tests/test_formats_imports.py`` reads the imports):
a reviewer of the parsing of hostile input reads this folder only, and the matching core
receives lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .extractor import ExtractedText, Extraction, Reading
from .limits import OCR_MISSING, DocumentRefused, ExtractionLimits
from .sniff import document_kind
from .text import text_to_lines

if TYPE_CHECKING:
    from .html import html_nesting_estimate, html_to_lines

__all__ = [
    "DocumentRefused",
    "document_kind",
    "ExtractedText",
    "Extraction",
    "ExtractionLimits",
    "extract_texts",
    "html_nesting_estimate",
    "html_to_lines",
    "OCR_MISSING",
    "text_to_lines",
]


def __getattr__(name: str) -> Any:
    """The HTML family's names, imported on first use (PEP 562): text documents need none."""
    if name in ("html_nesting_estimate", "html_to_lines"):
        from . import html

        return getattr(html, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def extract_texts(
    data: bytes,
    name: str | None = None,
    content_type: str | None = None,
    limits: ExtractionLimits | None = None,
) -> Extraction:
    """The plain texts in a document (and in the archives inside it).

    Raises ``DocumentRefused`` when the document as a whole is beyond the budget: larger
    than ``max_input_bytes``, or a limit tripped before any text was found (a plain bomb).
    A limit that trips after some text was found leaves the extraction ``partly_read``.
    """
    limits = limits or ExtractionLimits()
    name = name or "document"
    if len(data) > limits.max_input_bytes:
        raise DocumentRefused(f"{name} is too large: {len(data):,} bytes > {limits.max_input_bytes:,}")
    extraction = Extraction()
    Reading(limits, extraction).run(data, name, content_type)
    return extraction
