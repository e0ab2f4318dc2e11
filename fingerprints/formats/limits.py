"""What reading one untrusted document may cost, and the thresholds of telling formats apart.

Every limit of the formats wing lives here, each with its reason, so that a reviewer reads
one page. ``ExtractionLimits`` gathers the per-document budget that callers may override;
the module constants are the defaults and the sniffing thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- The budget of one document ------------------------------------------------------------
# A leaked 6,000-row table is ~1 MB as CSV and ~100 kB zipped, so these leave two orders of
# magnitude of headroom for real copies while bounding a hostile upload's memory and time.
EXTRACT_MAX_INPUT_BYTES = 50 * 2**20  # the document as downloaded
EXTRACT_MAX_TOTAL_BYTES = 200 * 2**20  # all decompressed from it, every level together
EXTRACT_MAX_COMPRESSION_RATIO = 100.0  # decompressed / compressed, per archive member
# Runs of one byte compress absurdly well; the ratio test starts once a member has produced
# this much, so a small blank CSV passes.
EXTRACT_RATIO_GRACE_BYTES = 1 * 2**20
EXTRACT_MAX_MEMBERS = 1000  # archive members, every level together
EXTRACT_MAX_DEPTH = 3  # archives inside archives (zip in zip: depth 2)
EXTRACT_MAX_XLSX_CELLS = 2_000_000  # spreadsheet cells read, all sheets together
# Bytes read at a time from an archive member: fast, and a bomb is caught within one chunk.
ARCHIVE_READ_CHUNK_BYTES = 256 * 1024
# Wall-clock time one document may take, checked between members, pages and images: a
# hostile file must not hold a sweep's scanner (a clean 6,000-row PDF takes a few seconds).
EXTRACT_MAX_SECONDS = 120.0

# --- PDF and images --------------------------------------------------------------------------
# Pages of a PDF read for text (a 6,000-row table is ~150 pages); the rest is reported.
EXTRACT_MAX_PDF_PAGES = 2000
# Images OCR'd per document, scanned PDF pages included (Tesseract needs ~1-3 s a page).
EXTRACT_MAX_OCR_IMAGES = 40
# Pixels of one image or rendered page: a 4K screenshot is 8 M, a long scrolling one ~30 M.
# Checked from the header before decoding, so a 100,000 x 100,000 "pixel bomb" (a few kB of
# PNG, 10 GB decoded) is refused without allocating it.
EXTRACT_MAX_IMAGE_PIXELS = 40_000_000
# The skip reason of an image or scanned page when Tesseract is not installed.
OCR_MISSING = "OCR not available (install Debian's tesseract-ocr to read images and scanned PDFs)"
# Seconds Tesseract may spend on one image before it is killed.
OCR_SECONDS_PER_IMAGE = 30.0
# An image or rendered page lower or narrower than this (pixels) holds no text Tesseract reads
# (a tracking pixel, a spacer): it is not OCR'd, which would cost ~0.1 s of CPU for nothing.
OCR_MIN_IMAGE_SIDE = 8
# Scanned pages are rendered at this resolution for OCR (Tesseract reads 10-pt text best
# around 200-300 dpi; 200 keeps an A4 page near 4 M pixels).
OCR_RENDER_DPI = 200

# --- Mail and embedded base64 ----------------------------------------------------------------
# MIME parts nested inside each other (a mail forwarded as an attachment is 2-3 deep).
EXTRACT_MAX_MIME_DEPTH = 20
# A run of base64 this long (characters, line breaks aside) is decoded: shorter runs are
# hashes, keys and tokens, never a document.
BASE64_MIN_CHARS = 400

# Python's csv module refuses a cell over 128 KiB by default (a traceback, a copy unread); a
# cell may be as large as the largest document.
CSV_MAX_FIELD_CHARS = EXTRACT_MAX_TOTAL_BYTES

# --- Telling tables from text --------------------------------------------------------------
# Delimiter sniffing reads the first lines of a table (at most this many characters).
SNIFF_LINES = 50
SNIFF_CHARS = 64 * 1024
# A document is one CSV table when this share of its first lines has the same number (>= 2)
# of cells; prose with commas rarely does, a table nearly always (title lines aside).
TABLE_MIN_CONSISTENCY = 0.8
# Rows below the first that the header test compares it with.
HEADER_SAMPLE_ROWS = 200
# A fixed-width report block: at least this many consecutive lines sharing at least this
# many gaps of 2+ spaces (one shared gap is usually a log's padded level field). Only
# documents whose first REPORT_SNIFF_CHARS hold one pay for the line-by-line pass.
FIXED_WIDTH_MIN_LINES = 3
FIXED_WIDTH_MIN_GUTTERS = 2
REPORT_SNIFF_CHARS = 64 * 1024
# A JSON object with at least this many object values, all with the same keys, is a
# collection of records keyed by id, not one record with nested parts (address, case, ...).
KEYED_COLLECTION_MIN_RECORDS = 3

# --- Encodings -----------------------------------------------------------------------------
# Text with more control characters than this share is binary (real text has none; a few
# survive copy-paste from terminals). UTF-8 with at most MAX_BROKEN_UTF8_SHARE of its
# non-ASCII bytes in broken sequences is still UTF-8 (legacy single-byte text has nearly all
# of them broken). BOM-less UTF-16: NUL in over UTF16_MIN_NUL_SHARE of one side of the byte
# pairs (Latin and ASCII text) and under UTF16_MAX_OTHER_NUL_SHARE of the other.
MAX_CONTROL_SHARE = 0.01
MAX_BROKEN_UTF8_SHARE = 0.05
UTF16_MIN_NUL_SHARE = 0.4
UTF16_MAX_OTHER_NUL_SHARE = 0.05
# Leading bytes the binary/UTF-16 sniffers look at, and that charset-normalizer judges (it
# reads all it is given: ~2 s for 50 MB).
ENCODING_SNIFF_BYTES = 64 * 1024
ENCODING_GUESS_BYTES = 1 * 2**20

# --- HTML ----------------------------------------------------------------------------------
# The HTML parser (lexbor) builds deep trees in time quadratic in their depth: 100,000
# nested <div>s take ~12 s, a hostile page's way to stall a sweep's scanner. Real pages nest
# a few dozen deep; a page estimated deeper than this has its tags stripped instead of being
# parsed (its text is still scanned, table rows kept as rows).
HTML_MAX_NESTING = 1000


class LimitReached(Exception):
    """A limit tripped while reading; the message is the one-line reason."""


class MemberLimit(LimitReached):
    """The limit concerns one part (an archive member's ratio, a nested archive's depth, one
    image): that part is skipped, the others are still read."""


class BudgetSpent(LimitReached):
    """The document's whole budget is spent (members, bytes, time): reading stops, and what
    was read so far is kept ("partly read")."""


class DocumentRefused(Exception):
    """A document as a whole is beyond the budget (too large, an archive bomb).

    The formats wing's own error: it imports nothing of the rest of leaktrack, so the caller
    (``fingerprints.documents``) turns it into the user-facing ``DocumentError``.
    """


@dataclass
class ExtractionLimits:
    """How much work one document may cost (defaults and their reasons above)."""

    max_input_bytes: int = EXTRACT_MAX_INPUT_BYTES
    max_total_bytes: int = EXTRACT_MAX_TOTAL_BYTES
    max_compression_ratio: float = EXTRACT_MAX_COMPRESSION_RATIO
    max_members: int = EXTRACT_MAX_MEMBERS
    max_depth: int = EXTRACT_MAX_DEPTH
    max_xlsx_cells: int = EXTRACT_MAX_XLSX_CELLS
    ratio_grace_bytes: int = EXTRACT_RATIO_GRACE_BYTES
    max_seconds: float = EXTRACT_MAX_SECONDS
    max_pdf_pages: int = EXTRACT_MAX_PDF_PAGES
    max_ocr_images: int = EXTRACT_MAX_OCR_IMAGES
    max_image_pixels: int = EXTRACT_MAX_IMAGE_PIXELS
    ocr_seconds_per_image: float = OCR_SECONDS_PER_IMAGE
    max_mime_depth: int = EXTRACT_MAX_MIME_DEPTH


def describe(error: Exception) -> str:
    """An exception as the reason part of a ``skipped`` entry."""
    return str(error) or type(error).__name__
