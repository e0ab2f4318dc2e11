"""Document extraction: every format to TAB-separated lines, and archives handled with suspicion."""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import tracemalloc
import zipfile
import zlib

import pytest

from leaktrack.errors import DocumentError
from leaktrack.fingerprints.documents import ExtractionLimits, extract_texts, html_nesting_estimate
from leaktrack.fingerprints.formats import limits
from leaktrack.synthetic import (
    render_delimited,
    render_fixed_width,
    render_html_table,
    render_markdown_table,
    render_xlsx,
    zip_members,
)

MB = 1024 * 1024
COLUMNS = ["a_number", "full_name", "facility"]
ROWS = [
    ["A-123-456-789", "José Müller", "Camp Alpha Detention Center"],
    ["A-987-654-321", "Аггей Исаев", "Camp Beta Holding Facility"],
    ["A-555-444-333", "رقیه معروف", "Camp Gamma Reception Centre"],
]
ROW_LINES = ["\t".join(row) for row in ROWS]


def lines_of(data: bytes, name: str | None = None, **options) -> list[str]:
    extraction = extract_texts(data, name, **options)
    assert not extraction.skipped, extraction.skipped
    return [line for line in extraction.text.splitlines() if line.strip()]


# -- text formats -----------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "|", "\t"])
def test_delimited_rows_become_tab_separated_lines(delimiter):
    data = render_delimited(COLUMNS, ROWS, delimiter).encode()
    assert lines_of(data, "x.csv") == ["\t".join(COLUMNS)] + ROW_LINES


def test_quoted_cells_with_delimiters_and_newlines_stay_one_cell():
    data = b'name,note\n"Doe, Jane","two\nlines"\n"Roe, Rick",ok\n"Poe, Paul",fine\n'
    assert lines_of(data, "x.csv")[1] == "Doe, Jane\ttwo lines"


def test_crlf_line_endings_become_plain_lines():
    data = render_delimited(COLUMNS, ROWS, ",", newline="\r\n").encode()
    assert lines_of(data)[1:] == ROW_LINES


def test_json_array_of_objects_gives_one_line_per_object_with_values_only():
    data = json.dumps([dict(zip(["id", "name", "where"], row)) for row in ROWS], indent=2).encode()
    extraction = extract_texts(data, "x.json")
    assert extraction.texts[0].kind == "json"
    assert extraction.text.splitlines() == ROW_LINES


def test_json_nested_objects_are_flattened_into_the_line():
    data = json.dumps(
        {"records": [{"id": "A-1", "person": {"name": "Jane Doe", "dob": "1990-01-01"}}]}
    ).encode()
    assert "A-1\tJane Doe\t1990-01-01" in lines_of(data)


def test_json_arrays_of_arrays_are_rows():
    data = json.dumps([COLUMNS] + ROWS).encode()
    assert lines_of(data)[1:] == ROW_LINES


def test_json_lines_give_one_line_per_record():
    data = "\n".join(json.dumps(dict(zip(COLUMNS, row)), ensure_ascii=False) for row in ROWS).encode()
    extraction = extract_texts(data, "x.jsonl")
    assert extraction.texts[0].kind == "jsonl"
    assert extraction.text.splitlines() == ROW_LINES


def test_html_table_rows_are_lines_and_scripts_are_dropped():
    lines = lines_of(render_html_table(COLUMNS, ROWS, "List"), "page.html")
    assert ROW_LINES[1] in lines and ROW_LINES[2] in lines
    assert "\t".join(COLUMNS) in lines
    assert not any("analytics" in line or "padding" in line for line in lines)
    assert "Posted anonymously. Mirror of the published list." in lines


def test_html_pre_textarea_and_code_keep_their_lines():
    page = (
        b"<html><body><p>Paste <b>1234</b> by anon</p>"
        b"<pre>first, line\nsecond, line</pre><textarea>third\nfourth</textarea>"
        b"<code>fifth\nsixth</code></body></html>"
    )
    lines = lines_of(page)
    assert lines == ["Paste 1234 by anon", "first, line", "second, line", "third", "fourth", "fifth", "sixth"]


def test_html_is_recognised_by_content_type_without_a_name():
    page = b"<div>one</div><div>two</div>"
    assert lines_of(page, None, content_type="text/html; charset=utf-8") == ["one", "two"]


def test_markdown_table_cells_become_tab_separated_and_separator_rows_vanish():
    text = "# Leak\n\nSome words.\n\n" + render_markdown_table(COLUMNS, ROWS) + "\nMore words.\n"
    lines = lines_of(text.encode(), "README.md")
    assert lines == ["# Leak", "Some words.", "\t".join(COLUMNS)] + ROW_LINES + ["More words."]


def test_fixed_width_report_columns_become_tab_separated():
    report = render_fixed_width(COLUMNS, ROWS, "CASE REPORT")
    lines = lines_of(report.encode(), "report.txt")
    assert ROW_LINES[0] in lines and ROW_LINES[2] in lines
    assert not any(set(line) <= set("- \t") for line in lines)  # the rule line is gone


def test_fixed_width_columns_of_non_ascii_names_split_at_the_same_gaps():
    report = (
        "Nom                Date          Lieu\n"
        "Zoë Brontë         1990-03-07    Ñandú\n"
        "François Lefèvre   1985-12-01    Œil de Bœuf\n"
        "Łukasz Żółw        2001-01-31    Kraków\n"
    )
    assert lines_of(report.encode(), "report.txt")[1:] == [
        "Zoë Brontë\t1990-03-07\tÑandú",
        "François Lefèvre\t1985-12-01\tŒil de Bœuf",
        "Łukasz Żółw\t2001-01-31\tKraków",
    ]


def test_a_report_longer_than_its_sniffed_head_is_converted_to_its_end():
    row = "GARCIA Juan        1990-03-07        A123456789\n"
    report = row * (2 * limits.REPORT_SNIFF_CHARS // len(row))
    lines = lines_of(report.encode(), "report.txt")
    assert lines == ["GARCIA Juan\t1990-03-07\tA123456789"] * report.count("\n")


def test_log_lines_with_one_padded_field_are_left_alone():
    log = "".join(f"2024-01-0{i} 10:00:00 INFO  job {i} done\n" for i in range(1, 6)).encode()
    assert lines_of(log) == log.decode().splitlines()


def test_plain_text_passes_through_unchanged():
    text = "Nothing to see here, really.\nJust prose, with commas, and words.\n"
    extraction = extract_texts(text.encode(), "notes.txt")
    assert extraction.texts[0].kind == "text"
    assert extraction.text == text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_unicode_encodings_decode_to_the_same_lines(encoding):
    data = render_delimited(COLUMNS, ROWS).encode(encoding)
    assert lines_of(data)[1:] == ROW_LINES


def test_cp1252_text_decodes():
    data = "name,place\r\nJosé Müller,Açaí\r\nZoë Brontë,Ñandú\r\nFrançois Lefèvre,Œil\r\n".encode("cp1252")
    assert lines_of(data)[1:] == ["José Müller\tAçaí", "Zoë Brontë\tÑandú", "François Lefèvre\tŒil"]


# -- spreadsheets and archives -------------------------------------------------------------------


def test_xlsx_every_sheet_every_row():
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(COLUMNS)
    workbook.active.append(ROWS[0])
    second = workbook.create_sheet("more")
    second.append(ROWS[1])
    out = io.BytesIO()
    workbook.save(out)
    extraction = extract_texts(out.getvalue(), "x.xlsx")
    assert extraction.texts[0].kind == "xlsx"
    assert extraction.text.splitlines() == ["\t".join(COLUMNS), ROW_LINES[0], ROW_LINES[1]]


def test_xlsx_is_recognised_by_its_content_not_its_name():
    extraction = extract_texts(render_xlsx(COLUMNS, ROWS), "download.bin")
    assert extraction.text.splitlines()[1:] == ROW_LINES


def test_xlsx_cells_past_the_limit_are_not_read():
    extraction = extract_texts(
        render_xlsx(COLUMNS, ROWS), "x.xlsx", limits=ExtractionLimits(max_xlsx_cells=6)
    )
    assert extraction.text.splitlines() == ["\t".join(COLUMNS), ROW_LINES[0]]
    assert any("spreadsheet cells" in reason for reason in extraction.skipped)


def test_zip_members_are_extracted_with_their_names():
    csv_bytes = render_delimited(COLUMNS, ROWS).encode()
    data = zip_members({"dump/list.csv": csv_bytes, "dump/readme.txt": b"spread it"})
    extraction = extract_texts(data, "leak.zip")
    assert [t.name for t in extraction.texts] == ["leak.zip::dump/list.csv", "leak.zip::dump/readme.txt"]
    assert extraction.texts[0].text.splitlines()[1:] == ROW_LINES


def test_gzip_is_decompressed_and_named_without_gz():
    data = gzip.compress(render_delimited(COLUMNS, ROWS).encode())
    extraction = extract_texts(data, "list.csv.gz")
    assert extraction.texts[0].name == "list.csv"
    assert extraction.text.splitlines()[1:] == ROW_LINES


def test_concatenated_gzip_members_are_all_read():
    data = gzip.compress(b"first line\n") + gzip.compress(b"second line\n")
    assert lines_of(data, "x.gz") == ["first line", "second line"]


def test_zips_nested_within_the_depth_limit_are_read():
    inner = zip_members({"list.csv": render_delimited(COLUMNS, ROWS).encode()})
    middle = zip_members({"inner.zip": inner})
    outer = zip_members({"middle.zip": middle})
    extraction = extract_texts(outer, "outer.zip")
    assert extraction.texts[0].name == "outer.zip::middle.zip::inner.zip::list.csv"
    assert extraction.text.splitlines()[1:] == ROW_LINES


def test_gzipped_zip_is_read():
    data = gzip.compress(zip_members({"list.csv": render_delimited(COLUMNS, ROWS).encode()}))
    assert extract_texts(data, "x.zip.gz").text.splitlines()[1:] == ROW_LINES


# -- bombs ------------------------------------------------------------------------------------


def zeros_gzip(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(MB)
    parts = [compressor.compress(chunk) for _ in range(size // MB)]
    return b"".join(parts) + compressor.flush()


def zeros_zip(size: int, member: str = "big.txt") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(member, "w", force_zip64=True) as stream:
            for _ in range(size // MB):
                stream.write(b" " * MB)
    return out.getvalue()


def refusal(data: bytes, name: str, **limits) -> str:
    with pytest.raises(DocumentError) as caught:
        extract_texts(data, name, limits=ExtractionLimits(**limits) if limits else None)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_gzip_bomb_is_refused_by_its_ratio():
    bomb = zeros_gzip(64 * MB)  # ~64 kB that would inflate to 64 MB (1000:1)
    assert "zip bomb refused" in refusal(bomb, "bomb.gz")


def test_zip_bomb_is_refused_by_its_ratio():
    bomb = zeros_zip(64 * MB)
    assert "zip bomb refused" in refusal(bomb, "bomb.zip")


def test_nested_zip_bomb_is_refused():
    # 42.zip's trick: each level multiplies; the inner members are bombs of their own.
    inner = zeros_zip(50 * MB)
    nested = zip_members({f"layer{i}.zip": inner for i in range(8)})
    assert "zip bomb refused" in refusal(zip_members({"outer.zip": nested}), "nested.zip")


def test_zips_nested_deeper_than_the_limit_are_refused():
    data = b"hello"
    for level in range(5):
        data = zip_members({f"level{level}": data})
    assert "deeper than 3" in refusal(data, "deep.zip")


def test_archive_with_too_many_members_keeps_what_was_read_and_says_so():
    data = zip_members({f"f{i}.txt": b"x" for i in range(30)})
    extraction = extract_texts(data, "many.zip", limits=ExtractionLimits(max_members=20))
    assert len(extraction.texts) == 20
    assert extraction.partly_read
    assert extraction.skipped == ["many.zip: partly read, stopped at 20 archive members (many.zip has more)"]


def test_archive_with_too_many_empty_members_is_refused():
    data = zip_members({f"f{i}.txt": b"" for i in range(30)})
    assert "stopped at 20 archive members" in refusal(data, "many.zip", max_members=20)


def test_decompressed_total_over_the_limit_is_refused_while_holding_little_memory():
    # Ratio test off: only the total limit stands between us and 40 MB of text.
    data = gzip.compress(os.urandom(64).hex().encode() * (40 * MB // 128), compresslevel=1)
    tracemalloc.start()
    try:
        message = refusal(data, "big.gz", max_total_bytes=4 * MB, max_compression_ratio=1e9)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "more than 4,194,304 bytes" in message
    assert peak < 4 * MB + len(data) + 2 * MB


def test_a_large_text_without_blank_lines_is_read_holding_about_one_copy_of_it():
    # Short lines, some of them field-like, never a blank line between them (PostScript,
    # a long log): the record-block pass must not hold the text as one str per line (some
    # 50 bytes a line beyond its characters), nor the base64 pass several copies of it.
    lines = [
        f"[{i % 97}.25 {i % 13}] /F{i % 7} Tf" if i % 50 else f"{i}: {i * 7 % 10000:04d}"
        for i in range(200_000)
    ]
    data = "\n".join(lines).encode()
    tracemalloc.start()
    try:
        extraction = extract_texts(data, "page.ps")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert extraction.text.encode() == data
    assert peak < 2.5 * len(data)


def _patch_central_directory(
    data: bytes, compress_size: int | None = None, file_size: int | None = None, crc: int | None = None
) -> bytes:
    """Rewrite the (non-zip64) sizes a zip's central directory claims for its first member."""
    at = data.rindex(b"PK\x01\x02")
    patched = bytearray(data)
    for offset, value in ((16, crc), (20, compress_size), (24, file_size)):
        if value is not None:
            struct.pack_into("<I", patched, at + offset, value)
    return bytes(patched)


def _plain_zip_of_spaces(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.txt", b" " * size)
    return out.getvalue()


def test_zip_overstating_its_compressed_size_is_not_inflated():
    # A member "compressed" into 4 GB would pass a ratio computed from headers.
    honest = _plain_zip_of_spaces(60 * MB)
    lying = _patch_central_directory(honest, compress_size=0xFFFFFF00)
    extraction = extract_texts(lying, "liar.zip")
    assert extraction.texts == []
    assert extraction.skipped == ["liar.zip::big.txt: unreadable archive member (EOFError)"]


def test_zip_understating_its_size_is_inflated_no_further_than_it_claims():
    honest = _plain_zip_of_spaces(60 * MB)
    lying = _patch_central_directory(honest, file_size=1000, crc=zlib.crc32(b" " * 1000))
    extraction = extract_texts(lying, "liar.zip")
    assert sum(len(t.text) for t in extraction.texts) <= 1000


# -- garbage ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        os.urandom(50_000),
        b"\x89PNG\r\n\x1a\n" + os.urandom(5000),
        b"\x7fELF\x02\x01\x01" + bytes(5000),
        b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(5000),
        b"%PDF-1.7\n" + os.urandom(5000),
        bytes(10_000),
    ],
    ids=["random", "png", "elf", "exe", "pdf", "nuls"],
)
def test_binary_garbage_gives_no_text_and_a_reason(data):
    extraction = extract_texts(data, "blob")
    assert extraction.texts == []
    assert len(extraction.skipped) == 1 and extraction.skipped[0].startswith("blob: ")


def test_text_starting_like_an_executable_header_is_still_text():
    assert lines_of(b"MZ Records list\nJane Doe, 1990\n") == ["MZ Records list", "Jane Doe, 1990"]


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"PK\x03\x04" + os.urandom(3000), "corrupt zip"),
        (zip_members({"a.csv": b"a,b\n" * 1000})[:-30], "corrupt zip"),
        (gzip.compress(os.urandom(5000).hex().encode())[:2000], "corrupt gzip"),
        (b"\x1f\x8b\x08\x00" + os.urandom(500), "corrupt gzip"),
    ],
    ids=["random-zip", "truncated-zip", "truncated-gzip", "random-gzip"],
)
def test_corrupt_archives_give_a_reason_not_a_traceback(data, reason):
    extraction = extract_texts(data, "broken")
    assert any(reason in skipped for skipped in extraction.skipped), extraction.skipped


def test_corrupt_xlsx_part_gives_a_reason():
    good = render_xlsx(COLUMNS, ROWS)
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row><c t='s'><v>oops"
    extraction = extract_texts(zip_members(members), "broken.xlsx")
    assert extraction.texts == []
    assert any("workbook" in reason for reason in extraction.skipped)


def test_truncated_gzip_keeps_what_decompressed():
    data = gzip.compress(("Jane Doe 1990\n" * 20_000).encode())
    extraction = extract_texts(data[: len(data) // 2], "partial.gz")
    assert extraction.text.startswith("Jane Doe 1990\nJane Doe 1990\n")
    assert any("kept what decompressed" in reason for reason in extraction.skipped)


def test_input_over_the_size_limit_is_refused():
    assert "too large" in refusal(b"x" * 2000, "big.txt", max_input_bytes=1000)


def test_json_records_nested_deep_inside_objects_are_found():
    document = {
        "meta": {"exported": "2024"},
        "data": {"page": 1, "items": [dict(zip(COLUMNS, r)) for r in ROWS]},
    }
    lines = lines_of(json.dumps(document).encode())
    assert lines == ["2024\t1"] + ROW_LINES


def test_json_object_keyed_by_record_id_gives_one_line_per_record():
    document = {row[0]: {"name": row[1], "where": row[2]} for row in ROWS}
    assert lines_of(json.dumps(document).encode()) == ROW_LINES


def test_json_record_with_differently_shaped_parts_stays_one_line():
    record = {
        "id": "A-1",
        "person": {"name": "Jane Doe"},
        "case": {"status": "Granted"},
        "place": {"facility": "Camp A"},
    }
    assert lines_of(json.dumps([record, record]).encode()) == ["A-1\tJane Doe\tGranted\tCamp A"] * 2


def test_tar_gz_members_are_extracted():
    import tarfile

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        payload = render_delimited(COLUMNS, ROWS).encode()
        info = tarfile.TarInfo("mirror/list.csv")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    extraction = extract_texts(out.getvalue(), "mirror.tar.gz")
    assert [t.name for t in extraction.texts] == ["mirror.tar::mirror/list.csv"]
    assert extraction.text.splitlines()[1:] == ROW_LINES


def test_truncated_tar_keeps_whole_members_and_gives_a_reason():
    import tarfile

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for i, payload in enumerate([b"first member\n", os.urandom(20_000).hex().encode()]):
            info = tarfile.TarInfo(f"f{i}.txt")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    extraction = extract_texts(out.getvalue()[:5000], "cut.tar")
    assert extraction.texts[0].text == "first member\n"
    assert any("corrupt tar" in reason for reason in extraction.skipped)


@pytest.mark.parametrize(
    "locale, encoding", [("ru_RU", "cp1251"), ("ru_RU", "koi8_r"), ("ja_JP", "shift_jis")]
)
def test_legacy_native_script_encodings_are_detected(locale, encoding):
    from faker import Faker

    faker = Faker(locale)
    faker.seed_instance(3)
    rows = [[faker.name(), faker.city(), faker.date_of_birth().isoformat()] for _ in range(40)]
    data = render_delimited(None, rows).encode(encoding)
    assert lines_of(data) == ["\t".join(row) for row in rows]


def test_utf32_with_bom_decodes():
    assert lines_of(render_delimited(COLUMNS, ROWS).encode("utf-32"))[1:] == ROW_LINES


def test_xlsx_with_a_bomb_inside_is_refused_before_openpyxl_reads_it():
    with zipfile.ZipFile(io.BytesIO(render_xlsx(COLUMNS, ROWS))) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    members["xl/worksheets/sheet1.xml"] = sheet.replace(b"<sheetData>", b"<sheetData>" + b" " * (64 * MB))
    assert "zip bomb refused" in refusal(zip_members(members), "cases.xlsx")


def test_html_table_inside_a_layout_table_keeps_one_line_per_inner_row():
    inner = "".join(f"<tr><td>{row[0]}</td><td>{row[1]}</td></tr>" for row in ROWS)
    page = f"<table><tr><td>menu</td><td><table>{inner}</table></td></tr></table>".encode()
    lines = lines_of(page, "page.html")
    assert lines == [f"menu\t{ROWS[0][0]}\t{ROWS[0][1]}"] + [f"{r[0]}\t{r[1]}" for r in ROWS[1:]]


def test_html_cell_whitespace_and_line_breaks_stay_inside_the_cell():
    page = (
        "<table><tr>\n\t<td>\n\t\tJosé\n\t\tMüller\n\t</td>\n\t<td>Camp<br>Alpha</td>\n</tr></table>".encode()
    )
    assert lines_of(page, "page.html") == ["José Müller\tCamp Alpha"]


def test_json_is_recognised_by_content_type_without_a_name():
    data = b"  \n" + json.dumps([dict(zip(COLUMNS, row)) for row in ROWS], ensure_ascii=False).encode()
    extraction = extract_texts(data, None, content_type="application/json")
    assert extraction.texts[0].kind == "json"
    assert extraction.text.splitlines() == ROW_LINES


def test_image_inside_a_zip_is_skipped_by_member_name():
    data = zip_members({"photo.png": b"\x89PNG\r\n\x1a\n" + bytes(500), "list.txt": b"Jane Doe 1990\n"})
    extraction = extract_texts(data, "leak.zip")
    # "unreadable PNG image", or "OCR not available ..." where Tesseract is not installed
    assert len(extraction.skipped) == 1 and extraction.skipped[0].startswith("leak.zip::photo.png: ")
    assert extraction.text == "Jane Doe 1990\n"


def test_gzip_with_trailing_garbage_keeps_its_text():
    data = gzip.compress(b"Jane Doe 1990\n") + b"\x00\x00 trailing junk"
    assert lines_of(data, "x.gz") == ["Jane Doe 1990"]


def test_csv_with_a_quoted_cell_over_128_kib_keeps_its_rows():
    # Python's csv module refuses fields over 131,072 characters by default.
    huge = '"' + "note " * 40_000 + '"'
    data = f"name,dob,note\nAlice Example,1990-03-07,short\nBob Example,1981-12-01,{huge}\n".encode()

    extraction = extract_texts(data, "pasted.csv")

    assert "Alice Example\t1990-03-07\tshort" in extraction.text
    assert "Bob Example\t1981-12-01" in extraction.text


def test_unclosed_paragraphs_and_list_items_do_not_count_as_nesting():
    page = "<body>" + "<p>para" * 5000 + "<ul>" + "<li>item" * 5000 + "</ul><br><img src=x></body>"
    assert html_nesting_estimate(page) == 2  # body, ul


def test_html_nested_past_the_limit_is_stripped_of_tags_not_parsed_and_its_text_kept():
    depth = limits.HTML_MAX_NESTING * 50  # lexbor would take many seconds to build this tree
    page = (
        "<html><body>"
        + "<div>" * depth
        + "Jane Doe &amp; co\t1990-03-07"
        + "</div>" * depth
        + "</body></html>"
    )

    extraction = extract_texts(page.encode(), name="deep.html")
    (part,) = extraction.texts

    assert html_nesting_estimate(page) > limits.HTML_MAX_NESTING
    assert part.kind == "html-stripped"
    assert part.text.strip() == "Jane Doe & co\t1990-03-07"
    assert extraction.skipped == [
        f"deep.html: HTML nested deeper than {limits.HTML_MAX_NESTING} elements: not parsed,"
        " read with tags stripped (table rows kept)"
    ]
