"""PDF: the text layer, each visual row of text one line, its pieces (table cells) joined by a
TAB; pages without a text layer (scans) go through OCR page by page.

Library: pypdfium2, the bindings to PDFium (Chrome's PDF engine, C++): it is maintained, it
extracts text with the boxes of each run of text ~50x faster than pure-Python parsers
(pdfminer/pdfplumber), and it renders pages, which scanned PDFs need for OCR, with no second
library. Rows are rebuilt from the boxes (runs whose vertical middles align form a row, read
left to right), so a table spread over many pages comes out one line per row.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from . import images, limits
from .limits import BudgetSpent, describe

if TYPE_CHECKING:
    from .extractor import Reading


def extract_pdf(reading: Reading, data: bytes, name: str, depth: int) -> None:
    """The text layer, scanned pages by OCR (``depth``: the readers' one signature; the
    attachments of a PDF are not read)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        reason = "encrypted PDF" if "password" in str(error).lower() else f"corrupt PDF ({describe(error)})"
        reading.skip(name, reason)
        return
    ocr_images = reading.ocr_images
    try:
        lines = list(_document_lines(reading, document, name))
    finally:
        document.close()
    reading.add(name, "pdf", "\n".join(lines) + "\n", ocr=reading.ocr_images > ocr_images)


def _document_lines(reading: Reading, document: Any, name: str) -> Iterator[str]:
    import pypdfium2 as pdfium

    pages = len(document)
    for number in range(pages):
        if number >= reading.limits.max_pdf_pages:
            reading.limit_reasons.append(
                f"read {reading.limits.max_pdf_pages:,} of {pages:,} PDF pages of {name}"
            )
            return
        page_name = f"{name}#page={number + 1}"
        try:
            page = document[number]
        except pdfium.PdfiumError as error:
            reading.skip(page_name, f"unreadable PDF page ({describe(error)})")
            continue
        try:
            reading.check_time(name)
            yield from _page_lines(reading, page, page_name)
        except BudgetSpent as spent:  # the OCR budget: the pages read so far are kept
            reading.limit_reasons.append(str(spent))
            return
        except pdfium.PdfiumError as error:
            reading.skip(page_name, f"unreadable PDF page ({describe(error)})")
        finally:
            page.close()


def _page_lines(reading: Reading, page: Any, page_name: str) -> Iterator[str]:
    textpage = page.get_textpage()
    try:
        if textpage.count_chars() == 0:
            if _has_images(page):
                yield from _scanned_page_lines(reading, page, page_name)
            return
        runs = []
        for index in range(textpage.count_rects()):
            left, bottom, right, top = textpage.get_rect(index)
            text = " ".join(textpage.get_text_bounded(left, bottom, right, top).split())
            if text:
                runs.append((left, bottom, top, text))
    finally:
        textpage.close()
    yield from rows_of_runs(runs)


def rows_of_runs(runs: list[tuple[float, float, float, str]]) -> Iterator[str]:
    """Text runs (left, bottom, top, text) grouped into rows: a run belongs to the current row
    when its vertical middle lies within the row's first run's height; rows top to bottom,
    runs left to right, joined by TAB."""
    runs = sorted(runs, key=lambda run: (-(run[1] + run[2]) / 2, run[0]))
    row: list[tuple[float, float, float, str]] = []
    for run in runs:
        if row:
            first = row[0]
            middle = (run[1] + run[2]) / 2
            if not first[1] <= middle <= first[2]:
                yield "\t".join(text for _, _, _, text in sorted(row))
                row = []
        row.append(run)
    if row:
        yield "\t".join(text for _, _, _, text in sorted(row))


def _has_images(page: Any) -> bool:
    import pypdfium2.raw as pdfium_raw

    return next(iter(page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE], max_depth=2)), None) is not None


def _scanned_page_lines(reading: Reading, page: Any, page_name: str) -> Iterator[str]:
    """A page without a text layer: rendered and read by OCR, under the image limits."""
    if not images.ocr_available():
        reading.skip(page_name, limits.OCR_MISSING)
        return
    scale = limits.OCR_RENDER_DPI / 72
    width, height = page.get_size()
    pixels = int(width * scale) * int(height * scale)
    if pixels > reading.limits.max_image_pixels:
        reading.skip(page_name, f"page too large to render for OCR ({pixels:,} pixels)")
        return
    reading.count_ocr_image(page_name)  # rendering is work too: a blank page counts
    image = page.render(scale=scale, grayscale=True).to_pil()
    if not images.can_hold_text(image):  # a blank page (its images white, or hidden)
        return
    text = images.ocr_image(reading, image, page_name)
    if text:
        yield from text.splitlines()
