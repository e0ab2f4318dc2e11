"""Turn any downloaded document into plain text the scanner can read line by line.

The work is done by the formats wing (``fingerprints/formats/``, untrusted bytes to lines,
importing nothing of ours); this module is the core's door to it, turning the wing's
``DocumentRefused`` into the user-facing ``DocumentError``.
"""

from __future__ import annotations

from ..errors import DocumentError
from . import formats
from .formats import Extraction, ExtractionLimits

__all__ = ["Extraction", "ExtractionLimits", "extract_texts", "html_nesting_estimate"]


def extract_texts(
    data: bytes,
    name: str | None = None,
    content_type: str | None = None,
    limits: ExtractionLimits | None = None,
) -> Extraction:
    """The plain texts in a document (and in the archives inside it); see ``formats``."""
    try:
        return formats.extract_texts(data, name=name, content_type=content_type, limits=limits)
    except formats.DocumentRefused as refusal:
        raise DocumentError(str(refusal)) from None


def html_nesting_estimate(text: str) -> int:
    """The deepest run of opened-but-not-closed elements of a page (``formats.html``)."""
    from .formats.html import html_nesting_estimate as estimate  # (the HTML family, on use)

    return estimate(text)
