"""Document formats beyond text tables: PDF, DOCX, ODT, ODS, XLS, 7z, bzip2/xz, mail, base64
runs and screenshots (OCR); each found with its exact record ids, look-alikes silent, and
every bomb or hostile file ending in a one-line reason."""

from __future__ import annotations

import os
import struct
import zlib

import pytest

from leaktrack.errors import DocumentError
from leaktrack.fingerprints import build_fingerprint_set, scan_bytes
from leaktrack.fingerprints.documents import ExtractionLimits, extract_texts
from leaktrack.fingerprints.formats import images
from leaktrack.synthetic import generate_leak, is_latin_script, zip_members
from leaktrack.synthetic_forms import (
    bz2_bytes,
    drawable,
    render_7z,
    render_base64_paste,
    render_docx,
    render_eml,
    render_mbox,
    render_ods,
    render_odt,
    render_pdf,
    render_scanned_pdf,
    render_table_image,
    render_tar,
    render_xls,
    xz_bytes,
)

KEY = bytes(range(32))
MB = 1024 * 1024
needs_ocr = pytest.mark.skipif(not images.ocr_available(), reason="tesseract-ocr is not installed")


@pytest.fixture(scope="module")
def fingerprints(small_leak):
    return build_fingerprint_set(small_leak.columns, small_leak.rows, small_leak.ids, KEY)


@pytest.fixture(scope="module")
def excerpt(small_leak):
    """30 records of the leak whose names the PDF writer can draw: (columns, rows, ids)."""
    indexes = [i for i, row in enumerate(small_leak.rows) if drawable(row[1])][10:40]
    return small_leak.columns, [small_leak.rows[i] for i in indexes], {small_leak.ids[i] for i in indexes}


@pytest.fixture(scope="module")
def strangers():
    """30 synthetic people of the same shape who are not in the leak."""
    other = generate_leak(90, seed=99, n_facilities=40)
    return other.columns, [row for row in other.rows if drawable(row[1])][:30]


def row_lines(columns, rows) -> list[str]:
    return ["\t".join(row) for row in [columns, *rows]]


# -- each format: rows come out as rows ---------------------------------------------------------

TABLE_FORMATS = {
    "pdf": lambda c, r: render_pdf(c, r, rows_per_page=12),  # three pages
    "docx": render_docx,
    "odt": render_odt,
    "ods": lambda c, r: render_ods(c, r),
    "xls": lambda c, r: render_xls(c, r),
}


@pytest.mark.parametrize("kind", sorted(TABLE_FORMATS))
def test_every_table_row_of_an_office_document_or_pdf_is_one_line(kind, excerpt):
    columns, rows, _ = excerpt
    extraction = extract_texts(TABLE_FORMATS[kind](columns, rows), f"list.{kind}")
    assert extraction.skipped == []
    assert [t.kind for t in extraction.texts] == [kind]
    lines = extraction.text.splitlines()
    for line in row_lines(columns, rows):
        if kind == "pdf":  # a PDF cell is cut to its box, as the export drew it
            assert any(line.startswith(got) or got.startswith(line[:40]) for got in lines), line
        else:
            assert line in lines


@pytest.mark.parametrize("kind", sorted(TABLE_FORMATS))
def test_scan_finds_the_records_of_each_document_format_with_their_ids(kind, excerpt, fingerprints):
    columns, rows, ids = excerpt
    result = scan_bytes(TABLE_FORMATS[kind](columns, rows), fingerprints, name=f"list.{kind}")
    assert set(result.matched_records) == ids


@pytest.mark.parametrize("kind", sorted(TABLE_FORMATS))
def test_scan_stays_silent_on_a_table_of_other_people_in_each_format(kind, strangers, fingerprints):
    columns, rows = strangers
    result = scan_bytes(TABLE_FORMATS[kind](columns, rows), fingerprints, name=f"others.{kind}")
    assert result.verdict == "clean", result.matched_records


def test_docx_paragraphs_and_table_rows_keep_the_document_order(excerpt):
    columns, rows, _ = excerpt
    lines = extract_texts(render_docx(columns, rows[:2], title="Roster"), "r.docx").text.splitlines()
    assert lines[:5] == ["Roster", "Published list, mirrored.", *row_lines(columns, rows[:2])]


def test_docx_table_of_other_people_never_combines_fields_of_different_rows(small_leak, fingerprints):
    # Issue 9's false positive: one person's birth date and facility and another's surname
    # in one Word table arrived as one line of XML.
    columns = small_leak.columns
    a, b = small_leak.rows[0], small_leak.rows[1]
    mixed = []
    for row, other in ((a, b), (b, a)):
        fake = dict(zip(columns, row))
        fake["full_name"] = "Kim " + other[columns.index("full_name")].split()[-1]
        fake["a_number"] = f"A-000-000-0{len(mixed):02}"
        mixed.append([fake[c] for c in columns])
    result = scan_bytes(render_docx(columns, mixed), fingerprints, name="mixed.docx")
    assert result.verdict == "clean", result.matched_records


def test_docx_whose_body_declares_entities_is_skipped_with_a_reason(excerpt):
    import io
    import zipfile

    columns, rows, _ = excerpt
    original = zipfile.ZipFile(io.BytesIO(render_docx(columns, rows[:2])))
    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as hostile:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "word/document.xml":
                data = laughs + data.split(b"?>", 1)[1]
            hostile.writestr(info, data)
    extraction = extract_texts(out.getvalue(), "laughs.docx")
    assert extraction.text == ""
    assert extraction.skipped == ["laughs.docx: DOCX with a DOCTYPE refused (entity expansion)"]


# -- archives and compressed streams ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name, make",
    [
        ("leak.7z", lambda csv: render_7z({"cases.csv": csv})),
        ("leak.tar.bz2", lambda csv: render_tar({"cases.csv": csv}, "bz2")),
        ("leak.tar.xz", lambda csv: render_tar({"cases.csv": csv}, "xz")),
        ("cases.csv.bz2", bz2_bytes),
        ("cases.csv.xz", xz_bytes),
    ],
)
def test_archives_and_compressed_streams_give_their_members_rows(name, make, small_leak, fingerprints):
    result = scan_bytes(make(small_leak.to_csv_bytes()), fingerprints, name=name)
    assert set(result.matched_records) == set(small_leak.ids)
    assert result.skipped == []


def test_seven_zip_bomb_is_refused_in_one_line():
    bomb = render_7z({"cases.csv": bytes(64 * MB)})
    assert len(bomb) < MB
    with pytest.raises(DocumentError) as refused:
        extract_texts(bomb, "bomb.7z")
    assert "zip bomb refused" in str(refused.value) and "\n" not in str(refused.value)


def test_corrupt_7z_is_skipped_with_a_reason():
    data = render_7z({"a.csv": b"x,y\n1,2\n"})[:40]
    extraction = extract_texts(data, "cut.7z")
    assert extraction.texts == []
    assert extraction.skipped and extraction.skipped[0].startswith("cut.7z: ")


# -- archive traps (issue 8): what was read before a limit is still scanned -------------------------


def test_zip_of_the_leak_and_1001_one_byte_files_still_finds_the_leak_partly_read(small_leak, fingerprints):
    members = {f"pad/{i:04}.txt": b"x" for i in range(1001)}
    members["zz-last/cases.csv"] = small_leak.to_csv_bytes()  # last in the archive
    result = scan_bytes(zip_members(members), fingerprints, name="trap.zip")
    assert set(result.matched_records) == set(small_leak.ids)
    assert result.partly_read
    assert any("stopped at 1,000 archive members" in reason for reason in result.skipped)


def test_zip_of_the_leak_and_a_2_mb_zero_member_still_finds_the_leak_partly_read(small_leak, fingerprints):
    data = zip_members({"zeros.bin": bytes(2 * MB), "cases.csv": small_leak.to_csv_bytes()})
    result = scan_bytes(data, fingerprints, name="trap.zip")
    assert set(result.matched_records) == set(small_leak.ids)
    assert result.partly_read
    assert any("trap.zip::zeros.bin expands more than 100:1" in reason for reason in result.skipped)
    assert result.to_dict()["partly_read"] is True


# -- mail ------------------------------------------------------------------------------------------


def test_mail_with_the_leak_attached_and_a_quoted_printable_body(small_leak, fingerprints):
    body = "Here is the list =E2=80=94 see attachment.\n" + "long line " * 20
    mail = render_eml({"cases.csv": small_leak.to_csv_bytes()}, body=body)
    assert b"Content-Transfer-Encoding: base64" in mail
    extraction = extract_texts(mail, "fwd.eml")
    assert [t.name for t in extraction.texts] == ["fwd.eml::part1", "fwd.eml::part2::cases.csv"]
    assert "long line long line" in extraction.texts[0].text
    result = scan_bytes(mail, fingerprints, name="fwd.eml")
    assert set(result.matched_records) == set(small_leak.ids)


def test_mbox_messages_are_each_read(small_leak, fingerprints):
    first = render_eml({"a.csv": small_leak.to_csv_bytes()[:3000]})
    second = render_eml({}, body="From here on nothing\n")
    extraction = extract_texts(render_mbox([first, second]), "archive.mbox")
    assert {t.name.split("::")[1] for t in extraction.texts} == {"message1", "message2"}
    assert "From here on nothing" in extraction.text


def test_mime_parts_nested_1000_deep_end_in_a_one_line_reason_and_the_text_is_still_read():
    message = b"From: a@example.org\nTo: b@example.org\nSubject: deep\nMIME-Version: 1.0\n"
    part = b"Content-Type: text/plain\n\nJane Example 1990-03-07\n"
    for level in range(1000):
        boundary = b"b%d" % level
        part = b'Content-Type: multipart/mixed; boundary="%s"\n\n--%s\n%s\n--%s--\n' % (
            boundary,
            boundary,
            part,
            boundary,
        )
    extraction = extract_texts(message + part, "deep.eml")
    assert extraction.skipped == ["deep.eml: MIME parts nested too deeply to parse: read as plain text"]
    assert "Jane Example 1990-03-07" in extraction.text


def test_mime_parts_past_the_depth_limit_are_skipped_and_the_rest_read():
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    inner = message_from_bytes(render_eml({"a.txt": b"inner text"}, body="inner body"), policy=policy.default)
    outer = EmailMessage()
    outer["Subject"], outer["From"], outer["To"] = "fwd", "a@example.org", "b@example.org"
    outer.set_content("outer body")
    outer.add_attachment(inner)  # message/rfc822: the inner mail's parts are 4 levels deep
    shallow = extract_texts(bytes(outer), "fwd.eml", limits=ExtractionLimits(max_mime_depth=3))
    assert shallow.text == "outer body\n"
    assert shallow.partly_read
    assert (
        "fwd.eml: partly read, fwd.eml::part2::part1::part1 nests MIME parts deeper than 3" in shallow.skipped
    )
    whole = extract_texts(bytes(outer), "fwd.eml")
    assert "inner body" in whole.text and "inner text" in whole.text and not whole.partly_read


# -- base64 runs -------------------------------------------------------------------------------------


def test_base64_of_an_archive_pasted_in_text_is_decoded_and_scanned(small_leak, fingerprints):
    paste = render_base64_paste(render_7z({"cases.csv": small_leak.to_csv_bytes()})).encode()
    result = scan_bytes(paste, fingerprints, name="paste.txt")
    assert set(result.matched_records) == set(small_leak.ids)


def test_base64_of_a_csv_on_one_line_inside_json_is_decoded(small_leak, fingerprints):
    import base64
    import json

    blob = base64.b64encode(small_leak.to_csv_bytes()[:5000]).decode()
    paste = json.dumps({"file": "cases.csv", "content": blob}).encode()
    result = scan_bytes(paste, fingerprints, name="upload.json")
    assert result.verdict == "leak"


def test_base64_runs_deep_inside_a_large_text_are_each_decoded():
    # Several hundred kB of prose around them: the text is read a block of lines at a time,
    # and a run is found whichever block it falls in.
    prose = "Minutes of the meeting, nothing to report, words and words again.\n" * 6000
    runs = [render_base64_paste(f"Jane Example {n},1990-03-0{n}\n".encode() * 40) for n in range(1, 4)]
    text = prose + runs[0] + "\n" + prose + prose + runs[1] + "\n" + prose + runs[2]
    extraction = extract_texts(text.encode(), "minutes.txt")
    decoded = [t.text for t in extraction.texts[1:]]
    assert [t.name for t in extraction.texts[1:]] == [f"minutes.txt::base64-{n}" for n in (1, 2, 3)]
    assert all(f"Jane Example {n}\t1990-03-0{n}" in decoded[n - 1] for n in (1, 2, 3))  # (a CSV each)


def test_short_or_binary_base64_runs_are_left_alone():
    import base64

    text = (
        "token "
        + base64.b64encode(os.urandom(48)).decode()
        + "\nkey "
        + base64.b64encode(os.urandom(900)).decode()
    )
    extraction = extract_texts(text.encode(), "notes.txt")
    assert [t.kind for t in extraction.texts] == ["text"]
    assert extraction.skipped == []


def test_hex_runs_are_not_read_as_base64():
    # PostScript's hex image data: every hex digit is a base64 letter too, and "0000..." read as
    # base64 is b"\xd3M4" over and over, which an encoding guesser reads as Korean.
    black, white = "\n".join(["0" * 64] * 10), "\n".join(["f" * 64] * 10)
    text = f"%!PS-Adobe-3.0\n/picstr 64 string def\nimage\n{black}\nimage\n{white}\nshowpage\n"
    extraction = extract_texts(text.encode(), "figure.ps")
    assert [t.kind for t in extraction.texts] == ["text"]
    assert extraction.text.isascii()


def test_base64_nested_in_base64_stops_at_the_depth_limit():
    data = b"Jane Example,1990-03-07\n" * 40
    for _ in range(6):
        data = render_base64_paste(data).encode()
    extraction = extract_texts(data, "onion.txt")
    assert any("nests archives deeper than 3" in reason for reason in extraction.skipped)


# -- images and OCR ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def latin_excerpt(small_leak):
    """12 records whose names are in Latin script (the OCR is set up for English)."""
    indexes = [i for i, row in enumerate(small_leak.rows) if is_latin_script(row[1])][:12]
    return small_leak.columns, [small_leak.rows[i] for i in indexes], {small_leak.ids[i] for i in indexes}


@needs_ocr
@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "WEBP"])
def test_screenshot_of_the_table_is_read_by_ocr_and_its_records_found(
    image_format, latin_excerpt, fingerprints
):
    columns, rows, ids = latin_excerpt
    image = render_table_image(columns, rows, image_format=image_format)
    result = scan_bytes(image, fingerprints, name=f"shot.{image_format.lower()}")
    found = set(result.matched_records)
    assert found <= ids
    assert len(found) >= 0.85 * len(ids)


@needs_ocr
def test_screenshot_of_other_people_is_clean(strangers, fingerprints):
    columns, rows = strangers
    latin = [row for row in rows if is_latin_script(row[1])][:12]
    result = scan_bytes(render_table_image(columns, latin), fingerprints, name="others.png")
    assert result.verdict == "clean", result.matched_records


@needs_ocr
def test_scanned_pdf_without_text_layer_is_read_page_by_page(latin_excerpt, fingerprints):
    columns, rows, ids = latin_excerpt
    data = render_scanned_pdf(columns, rows, rows_per_page=6)
    extraction = extract_texts(data, "scan.pdf")
    assert extraction.skipped == []
    result = scan_bytes(data, fingerprints, name="scan.pdf")
    assert len(set(result.matched_records) & ids) >= 0.85 * len(ids)


def test_without_tesseract_images_are_skipped_with_ocr_not_available(monkeypatch, latin_excerpt):
    columns, rows, _ = latin_excerpt
    monkeypatch.setenv("PATH", "/nonexistent")
    images.ocr_available.cache_clear()
    try:
        extraction = extract_texts(zip_members({"shot.png": render_table_image(columns, rows[:2])}), "s.zip")
    finally:
        images.ocr_available.cache_clear()
    assert extraction.skipped == [f"s.zip::shot.png: {images.OCR_MISSING}"]
    assert images.OCR_MISSING.startswith("OCR not available")


def test_digit_runs_are_repaired_but_names_are_not():
    assert (
        images.repair_digits("A-2l4-S72-5O9 Oscar Silva 19S1-O1-05") == "A-214-572-509 Oscar Silva 1951-01-05"
    )


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )


def test_pixel_bomb_png_is_refused_from_its_header_without_decoding():
    bomb = _png_header_only(100_000, 100_000)
    assert len(bomb) < 2000
    if not images.ocr_available():
        pytest.skip("without OCR images are not opened at all")
    with pytest.raises(DocumentError) as refused:
        extract_texts(bomb, "bomb.png")
    assert str(refused.value) == "image bomb refused: bomb.png has more than 40,000,000 pixels"


def test_pixel_bomb_beside_a_table_in_a_zip_leaves_the_table_read(small_leak):
    data = zip_members(
        {"bomb.png": _png_header_only(100_000, 100_000), "cases.csv": small_leak.to_csv_bytes()}
    )
    extraction = extract_texts(data, "z.zip")
    assert any(t.name == "z.zip::cases.csv" for t in extraction.texts)
    assert len(extraction.skipped) == 1 and extraction.skipped[0].startswith("z.zip")


# -- hostile PDFs ------------------------------------------------------------------------------------


def _million_page_pdf(pages: int = 1_000_000) -> bytes:
    """A 6 MB PDF whose page tree lists one blank page a million times."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Count %d/Kids[" % pages + b" ".join([b"3 0 R"] * pages) + b"]>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf_with_a_million_pages_is_refused_in_one_line():
    with pytest.raises(DocumentError) as refused:
        extract_texts(_million_page_pdf(), "pages.pdf")
    assert str(refused.value) == "read 2,000 of 1,000,000 PDF pages of pages.pdf"


def test_pdf_pages_past_the_limit_are_reported_and_the_pages_read_kept(excerpt):
    columns, rows, _ = excerpt
    extraction = extract_texts(
        render_pdf(columns, rows, rows_per_page=10), "p.pdf", limits=ExtractionLimits(max_pdf_pages=1)
    )
    assert extraction.partly_read
    assert extraction.skipped == ["p.pdf: partly read, read 1 of 3 PDF pages of p.pdf"]
    assert "\t".join(rows[0][:2]) in extraction.text


@pytest.mark.parametrize("data", [b"%PDF-1.7\n" + os.urandom(5000), b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF"])
def test_corrupt_pdf_is_skipped_with_a_reason(data):
    extraction = extract_texts(data, "bad.pdf")
    assert extraction.texts == []
    assert len(extraction.skipped) <= 1


# -- HTML nested past the parser's limit (issue 8) -----------------------------------------------------


def test_leak_table_inside_1001_nested_divs_is_still_found(small_leak, fingerprints):
    rows = small_leak.rows[:30]
    table = (
        "<table>"
        + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
        + "</table>"
    )
    page = "<html><body>" + "<div>" * 1001 + table + "</div>" * 1001 + "</body></html>"
    result = scan_bytes(page.encode(), fingerprints, name="deep.html")
    assert set(result.matched_records) == set(small_leak.ids[:30])
    assert any("HTML nested deeper than 1000 elements" in reason for reason in result.skipped)


# -- reading with the limit enforced while reading (issue 8) ------------------------------------------


def test_dev_zero_is_refused_as_a_device_and_bounded_when_allowed(fingerprints):
    from leaktrack.fingerprints.scan import scan_file

    with pytest.raises(DocumentError, match="is a character device, not a regular file"):
        scan_file("/dev/zero", fingerprints)
    with pytest.raises(DocumentError, match="too large: more than 52,428,800 bytes"):
        scan_file("/dev/zero", fingerprints, allow_special_files=True)


def test_a_70_mb_pipe_is_refused_at_the_limit_while_reading(tmp_path, fingerprints):
    import subprocess

    from leaktrack.fingerprints.scan import scan_file

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = subprocess.Popen(
        ["sh", "-c", f"head -c {70 * MB} /dev/zero > {fifo}"], stderr=subprocess.DEVNULL
    )
    try:
        with pytest.raises(DocumentError, match="too large: more than"):
            scan_file(fifo, fingerprints, allow_special_files=True)
    finally:
        writer.kill()
        writer.wait()


def test_a_named_pipe_without_a_writer_does_not_block(tmp_path):
    from leaktrack.fingerprints.formats.limits import DocumentRefused
    from leaktrack.fingerprints.formats.reading import read_limited

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(DocumentRefused, match="is a named pipe, not a regular file"):
        read_limited(fifo, MB)
    with pytest.raises(DocumentRefused, match="sent nothing for 0.2 s"):
        read_limited(fifo, MB, allow_special=True, idle_seconds=0.2)


def test_a_pipe_with_a_writer_is_read_when_allowed(tmp_path):
    import subprocess

    from leaktrack.fingerprints.formats.reading import read_limited

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"printf 'name,dob\\nJane,1990\\n' > {fifo}"])
    try:
        assert read_limited(fifo, MB, allow_special=True) == b"name,dob\nJane,1990\n"
    finally:
        writer.wait()


def test_a_file_over_the_limit_is_refused_without_being_read(tmp_path):
    from leaktrack.fingerprints.formats.limits import DocumentRefused
    from leaktrack.fingerprints.formats.reading import read_limited

    big = tmp_path / "big.csv"
    with open(big, "wb") as handle:
        handle.truncate(3 * MB)  # sparse: costs nothing on disk
    with pytest.raises(DocumentRefused, match="too large: 3,145,728 bytes > 1,048,576"):
        read_limited(big, MB)


def test_an_unbuffered_read_that_comes_in_short_pieces_is_read_on_as_a_buffered_one_is():
    """A raw read may give fewer bytes than asked (a pipe-backed or network file system):
    read_limited's reads go on until they have them or the file ends. (A small stand-in for
    such a file: a regular file here always gives all it is asked for.)"""
    import io

    from leaktrack.fingerprints.formats.reading import _read_up_to

    class ThreeBytesARead(io.RawIOBase):
        def __init__(self, data: bytes):
            self.data = data

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            piece, self.data = self.data[: min(size, 3)], self.data[min(size, 3) :]
            return piece

    assert _read_up_to(ThreeBytesARead(b"abcdefghij"), 7) == b"abcdefg"
    assert _read_up_to(ThreeBytesARead(b"abcdefghij"), 11) == b"abcdefghij"
    assert _read_up_to(ThreeBytesARead(b""), 5) == b""


def _stat_seeing_size(monkeypatch, size: int) -> None:
    """os.stat as read_limited calls it, saying the file holds ``size`` bytes (a file that
    grows between the stat and the read)."""
    from leaktrack.fingerprints.formats import reading

    real_stat = os.stat

    def stat_then_grown(path, *args, **kwargs):
        fields = list(real_stat(path, *args, **kwargs))
        fields[6] = size  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(reading.os, "stat", stat_then_grown)


def test_a_file_grown_since_stat_is_read_whole_within_the_limit(tmp_path, monkeypatch):
    from leaktrack.fingerprints.formats.reading import read_limited

    grown = tmp_path / "grown.txt"
    grown.write_bytes(b"x" * 3000)
    _stat_seeing_size(monkeypatch, 1000)
    assert read_limited(grown, MB) == b"x" * 3000


def test_a_file_grown_past_the_limit_since_stat_is_refused(tmp_path, monkeypatch):
    from leaktrack.fingerprints.formats.limits import DocumentRefused
    from leaktrack.fingerprints.formats.reading import read_limited

    grown = tmp_path / "grown.txt"
    grown.write_bytes(b"x" * (MB + 10))
    _stat_seeing_size(monkeypatch, 10)
    with pytest.raises(DocumentRefused, match="too large: more than 1,048,576 bytes"):
        read_limited(grown, MB)


# -- damaged files: a reason, never a traceback ------------------------------------------------------


@pytest.mark.parametrize("kind", ["pdf", "docx", "odt", "ods", "xls", "7z", "eml", "tar.xz"])
def test_damaged_documents_give_reasons_never_tracebacks(kind, excerpt, capsys):
    import random

    columns, rows, _ = excerpt
    csv_bytes = ("\n".join(",".join(r) for r in rows) + "\n").encode()
    makers = {
        **TABLE_FORMATS,
        "7z": lambda c, r: render_7z({"x.csv": csv_bytes}),
        "eml": lambda c, r: render_eml({"x.csv": csv_bytes}),
        "tar.xz": lambda c, r: render_tar({"x.csv": csv_bytes}, "xz"),
    }
    original = makers[kind](columns, rows[:8])
    rng = random.Random(kind)
    for _ in range(25):
        damaged = bytearray(original)
        for _ in range(rng.choice([1, 5, 40])):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        if rng.random() < 0.3:
            damaged = damaged[: rng.randrange(1, len(damaged))]
        try:
            extract_texts(bytes(damaged), f"damaged.{kind}")
        except DocumentError as refusal:
            assert "\n" not in str(refusal)
    assert capsys.readouterr().out == ""  # no library prints into our --json output


def test_text_made_mostly_of_control_characters_is_not_text():
    from leaktrack.fingerprints.formats.textcodec import decode_text

    # Valid UTF-8, no NUL byte: only the control-character share tells it from text.
    assert decode_text(b"\x01\x02\x03\x04\x05\x06 name" * 40) is None
    assert decode_text(b"Ana Lopez,1990-01-02\n\tkept\x1b[0m\n") == "Ana Lopez,1990-01-02\n\tkept\x1b[0m\n"


def test_the_lines_of_texts_read_by_ocr_are_told_apart():
    from leaktrack.fingerprints.formats.extractor import ExtractedText, Extraction

    extraction = Extraction(
        texts=[
            ExtractedText("a.zip::list.csv", "csv", "x\ny\n"),
            ExtractedText("a.zip::shot.png", "ocr", "GARCIA, Juan\n", ocr=True),
            ExtractedText("a.zip::scan.pdf", "pdf", "one\ntwo", ocr=True),
        ]
    )
    lines = extraction.text.split("\n")
    assert [lines[first:end] for first, end in extraction.ocr_line_ranges()] == [
        ["GARCIA, Juan", ""],
        ["one", "two"],
    ]
