"""Render a table of synthetic records in the forms a re-upload takes beyond one row per line.

Every function takes ``columns`` (names) and ``rows`` (lists of cell strings, e.g. from
``synthetic.generate_leak``) and returns the bytes (or text) of one document: PDF (text
layer, or scanned: image only), DOCX, ODT, ODS, XLS, a PNG/JPEG/WebP screenshot, a mail with
attachments, an mbox, 7z, tar.bz2/tar.xz, a base64 paste, and the multi-line record layouts
(key-value blocks, HTML cards, lists, definition lists, YAML, vCards, fixed-width forms).

Used by tests and benchmarks (``bench/quality.py``, ``bench/extraction.py``); the writers
(fpdf2, python-docx, odfpy, xlwt, Pillow, py7zr) are the ``test``/``bench`` extras. Synthetic
people only: the rows come from Faker through ``synthetic.py``.
"""

from __future__ import annotations

import base64
import bz2
import html
import io
import lzma
import tarfile
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

# Fonts from Debian's fonts-dejavu-core: they cover Latin, Cyrillic, Greek and Arabic
# letters, and the mono face draws aligned screenshots that OCR reads well.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SANS_FONT = FONT_DIR / "DejaVuSans.ttf"
MONO_FONT = FONT_DIR / "DejaVuSansMono.ttf"


# --- Documents with a table -------------------------------------------------------------------


def drawable(text: str) -> bool:
    """Whether the PDF and screenshot writers draw ``text`` as a reader would read it back:
    DejaVu has no CJK glyphs, and fpdf2/Pillow lay right-to-left scripts (Arabic, Hebrew)
    out left to right without shaping. Pick rows with ``drawable`` names for those forms."""
    return all(ord(ch) < 0x0590 or 0x1E00 <= ord(ch) < 0x2000 for ch in text)


def render_pdf(
    columns: list[str], rows: list[list[str]], title: str = "List", rows_per_page: int = 40
) -> bytes:
    """A text PDF: a title and the table, ``rows_per_page`` rows a page, header repeated."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.add_font("DejaVu", fname=str(SANS_FONT))
    pdf.set_font("DejaVu", size=7)
    width = (pdf.w - 2 * pdf.l_margin) / len(columns)
    for start in range(0, max(len(rows), 1), rows_per_page):
        pdf.add_page()
        pdf.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        for row in [columns, *rows[start : start + rows_per_page]]:
            for cell in row:
                pdf.cell(width, 4.2, _fit(pdf, cell, width), border=1)
            pdf.ln(4.2)
    return bytes(pdf.output())


def _fit(pdf, text: str, width: float) -> str:
    """The cell text, cut so that it stays inside its box (a real export truncates too)."""
    while text and pdf.get_string_width(text) > width - 1:
        text = text[:-1]
    return text


def render_scanned_pdf(columns: list[str], rows: list[list[str]], rows_per_page: int = 30) -> bytes:
    """A PDF of page images only (no text layer), as a scanner or a 'print to image' makes."""
    pages = [
        _table_image(columns, rows[start : start + rows_per_page]).convert("RGB")
        for start in range(0, max(len(rows), 1), rows_per_page)
    ]
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=150)
    return out.getvalue()


def render_docx(columns: list[str], rows: list[list[str]], title: str = "List") -> bytes:
    """A Word document: a heading, a paragraph and the table."""
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    document.add_paragraph("Published list, mirrored.")
    from docx.table import _Cell

    table = document.add_table(rows=0, cols=len(columns))
    for row in [columns, *rows]:
        tr = table.add_row()._tr  # (python-docx's row.cells is quadratic in the rows)
        for tc, cell in zip(tr.tc_lst, row):
            _Cell(tc, table).text = cell
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render_odt(columns: list[str], rows: list[list[str]], title: str = "List") -> bytes:
    """An OpenDocument text: a heading, a paragraph and the table."""
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text=title))
    document.text.addElement(P(text="Published list, mirrored."))
    document.text.addElement(_odf_table(columns, rows))
    return _odf_bytes(document)


def render_ods(columns: list[str], rows: list[list[str]]) -> bytes:
    """An OpenDocument spreadsheet with one sheet."""
    from odf.opendocument import OpenDocumentSpreadsheet

    document = OpenDocumentSpreadsheet()
    document.spreadsheet.addElement(_odf_table(columns, rows))
    return _odf_bytes(document)


def _odf_table(columns: list[str], rows: list[list[str]]):
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    table = Table(name="Sheet1")
    table.addElement(TableColumn(numbercolumnsrepeated=len(columns)))
    for row in [columns, *rows]:
        table_row = TableRow()
        for cell in row:
            table_cell = TableCell(valuetype="string")
            table_cell.addElement(P(text=cell))
            table_row.addElement(table_cell)
        table.addElement(table_row)
    return table


def _odf_bytes(document) -> bytes:
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def render_xls(columns: list[str], rows: list[list[str]]) -> bytes:
    """A legacy Excel 97-2003 workbook (BIFF8) with one sheet."""
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("Sheet1")
    for r, row in enumerate([columns, *rows]):
        for c, cell in enumerate(row):
            sheet.write(r, c, cell)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- Screenshots ------------------------------------------------------------------------------


def render_table_image(columns: list[str], rows: list[list[str]], image_format: str = "PNG") -> bytes:
    """A screenshot of the table: black text in a mono font on white, columns aligned."""
    image = _table_image(columns, rows)
    out = io.BytesIO()
    if image_format.upper() in ("JPEG", "JPG"):
        image.convert("RGB").save(out, format="JPEG", quality=90)
    else:
        image.save(out, format=image_format.upper())
    return out.getvalue()


def _table_image(columns: list[str], rows: list[list[str]], font_size: int = 22):
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(MONO_FONT), font_size)
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
    lines = ["   ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [columns, *rows]]
    char_width = font.getlength("M")
    line_height = int(font_size * 1.6)
    margin = 24
    size = (
        int(char_width * max(len(line) for line in lines)) + 2 * margin,
        line_height * len(lines) + 2 * margin,
    )
    image = Image.new("L", size, color=255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((margin, margin + number * line_height), line, font=font, fill=0)
    return image


# --- Mail and archives ------------------------------------------------------------------------


def render_eml(
    attachments: dict[str, bytes],
    body: str = "See attached.",
    subject: str = "list",
    body_html: str | None = None,
) -> bytes:
    """A MIME mail with a text body (quoted-printable) and base64 attachments."""
    message = EmailMessage()
    message["From"] = "sender@example.org"
    message["To"] = "list@example.org"
    message["Subject"] = subject
    message["Date"] = format_datetime(__import__("datetime").datetime(2026, 1, 2, 3, 4, 5))
    message.set_content(body, cte="quoted-printable")
    if body_html is not None:
        message.add_alternative(body_html, subtype="html")
    for name, data in attachments.items():
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(message)


def render_mbox(messages: list[bytes]) -> bytes:
    """An mbox: each message after a ``From `` line, body lines starting "From " quoted."""
    out = []
    for message in messages:
        lines = message.replace(b"\r\n", b"\n").split(b"\n")
        quoted = [b">" + line if line.startswith(b"From ") else line for line in lines]
        out.append(b"From sender@example.org Fri Jan  2 03:04:05 2026\n" + b"\n".join(quoted) + b"\n")
    return b"\n".join(out)


def render_7z(members: dict[str, bytes]) -> bytes:
    import py7zr

    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return out.getvalue()


def render_tar(members: dict[str, bytes], compression: str = "") -> bytes:
    """A tar, compressed with ``compression`` ("", "gz", "bz2" or "xz")."""
    out = io.BytesIO()
    # typeshed lists tarfile's write modes as literals, one overload per compression; a mode
    # made at run time matches none of them.
    with tarfile.open(fileobj=out, mode=f"w:{compression}") as archive:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def bz2_bytes(data: bytes) -> bytes:
    return bz2.compress(data)


def xz_bytes(data: bytes) -> bytes:
    return lzma.compress(data)


def render_base64_paste(data: bytes, note: str = "dump below, decode it yourself") -> str:
    """A paste with a document pasted as base64 (76-character lines, as base64(1) writes)."""
    encoded = base64.encodebytes(data).decode("ascii")
    return f"{note}\n\n{encoded}\n-- end --\n"


# --- Records over several lines ---------------------------------------------------------------


def render_key_value_blocks(
    columns: list[str], rows: list[list[str]], labels: list[str] | None = None, separator: str = ": "
) -> str:
    """One field per line (``Label: value``; no label when ``labels`` is an empty list),
    a blank line between people."""
    labels = columns if labels is None else labels
    blocks = []
    for row in rows:
        if labels:
            blocks.append("\n".join(f"{label}{separator}{cell}" for label, cell in zip(labels, row)))
        else:
            blocks.append("\n".join(row))
    return "\n\n".join(blocks) + "\n"


def render_fixed_width_forms(columns: list[str], rows: list[list[str]]) -> str:
    """A printed form per person: two ``LABEL:  value`` pairs a line, padded, a rule between."""
    width = max(len(c) for c in columns) + 2
    value_width = max(len(cell) for row in rows for cell in row) + 3
    forms = []
    for row in rows:
        pairs = [
            f"{(label.upper() + ':').ljust(width)}{cell.ljust(value_width)}"
            for label, cell in zip(columns, row)
        ]
        lines = ["".join(pairs[i : i + 2]).rstrip() for i in range(0, len(pairs), 2)]
        forms.append("\n".join(lines))
    return ("\n" + "-" * 60 + "\n").join(forms) + "\n"


def render_html_cards(columns: list[str], rows: list[list[str]], title: str = "People") -> bytes:
    """Each person a ``<div class="card">`` with the first field as heading, the rest as
    paragraphs; no table."""
    cards = "\n".join(
        '<div class="card">'
        f"<h3>{html.escape(row[0])}</h3>"
        + "".join(f"<p><b>{html.escape(c)}:</b> {html.escape(v)}</p>" for c, v in zip(columns[1:], row[1:]))
        + "</div>"
        for row in rows
    )
    return _page(title, f'<div class="cards">\n{cards}\n</div>')


def render_html_list(columns: list[str], rows: list[list[str]], title: str = "People") -> bytes:
    """Each person one ``<li>``, fields in ``<span>``s and line breaks."""
    items = "\n".join(
        "<li>" + "<br>".join(f"<span>{html.escape(cell)}</span>" for cell in row) + "</li>" for row in rows
    )
    return _page(title, f"<ul>\n{items}\n</ul>")


def render_html_definition_lists(columns: list[str], rows: list[list[str]], title: str = "People") -> bytes:
    """Each person one ``<dl>`` of ``<dt>`` label / ``<dd>`` value pairs."""
    lists = "\n".join(
        "<dl>"
        + "".join(f"<dt>{html.escape(c)}</dt><dd>{html.escape(v)}</dd>" for c, v in zip(columns, row))
        + "</dl>"
        for row in rows
    )
    return _page(title, lists)


def _page(title: str, body: str) -> bytes:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body><h1>{html.escape(title)}</h1>\n{body}\n<footer>Mirror</footer></body></html>"
    ).encode()


def render_yaml(columns: list[str], rows: list[list[str]]) -> str:
    """A YAML list of mappings, one field per line (as a YAML dump of the records looks)."""
    out = ["people:"]
    for row in rows:
        for number, (column, cell) in enumerate(zip(columns, row)):
            out.append(f"  {'- ' if number == 0 else '  '}{column}: {_yaml_scalar(cell)}")
    return "\n".join(out) + "\n"


def _yaml_scalar(value: str) -> str:
    if not value or any(ch in value for ch in ":#'\"") or value[0] in "-?[{&*!|>%@`":
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def render_vcards(columns: list[str], rows: list[list[str]]) -> str:
    """vCard 3.0 blocks: the first field as FN, the others as NOTE/X- properties."""
    cards = []
    for row in rows:
        lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{row[0]}"]
        lines += [
            f"X-{column.upper().replace('_', '-')}:{cell}" for column, cell in zip(columns[1:], row[1:])
        ]
        lines.append("END:VCARD")
        cards.append("\n".join(lines))
    return "\n".join(cards) + "\n"
