"""Throughput of document extraction, beside the least work each format needs, in one run.

Run: ``.venv/bin/python bench/extraction.py [--megabytes 40] [--real-megabytes 8] [--repeats 3]
[--skip-ocr] [--only LABEL,...]``

For each format, synthetic documents (Faker people through ``synthetic_forms``, generated
prose and logs) go through ``extract_texts``; the baseline measured in the same run is the
floor for that format: UTF-8 decoding for text, decoding plus the stdlib ``csv`` parse for
CSV, ``json.loads`` for JSON, selectolax's plain ``.text()`` for HTML, inflation alone for
archives and compressed streams, PDFium's plain page text (no boxes) for PDF, unzipping and
parsing the XML for DOCX/ODT/ODS, opening the workbook for XLS, parsing the MIME tree for
mail, decoding for base64, Tesseract with its default settings for screenshots, rendering
plus Tesseract for scanned PDFs. Times are CPU seconds (this process and its children, so
Tesseract counts), the median of ``--repeats`` runs; the header gives the date, commit and
load. MB/s are of extracted text (so compressed inputs compare); PDFs also in pages/s and
OCR in images (pages)/s.

Real text as well as synthetic: text that ships with any Debian system (package documentation
and changelogs under /usr/share/doc, manual pages' sources under /usr/share/man, the Python
standard library's sources), up to ``--real-megabytes`` each. For plain-text cases the last
column is ``scan_text`` of the extracted text against a 6,000-record synthetic leak, in the
same run: extraction of plain text should not cost more than the scan.
"""

from __future__ import annotations

import argparse
import base64
import bz2
import csv
import datetime as dt
import email
import email.policy
import gzip
import io
import json
import lzma
import os
import random
import statistics
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

from leaktrack.fingerprints.documents import extract_texts
from leaktrack.synthetic import (
    generate_leak,
    render_html_table,
    render_json,
    unrelated_paste_text,
    zip_members,
)
from leaktrack.synthetic_forms import (
    drawable,
    render_7z,
    render_base64_paste,
    render_docx,
    render_eml,
    render_html_cards,
    render_key_value_blocks,
    render_ods,
    render_odt,
    render_pdf,
    render_scanned_pdf,
    render_table_image,
    render_tar,
    render_xls,
)

MB = 1024 * 1024


@dataclass
class Case:
    label: str
    name: str
    data: bytes
    baseline: Callable[[bytes], object]
    baseline_name: str
    units: int = 0  # pages or images, when the format is counted in them
    unit_name: str = ""
    plain_text: bool = False  # measured beside the scan of its text too


def real_text(paths: list[str], pattern: str, megabytes: int) -> bytes:
    """Files of this machine (gzipped ones decompressed) in sorted order, up to ``megabytes``,
    each ending with a newline: real text as a sweep meets it."""
    import glob

    out, size = [], 0
    for path in sorted(p for root in paths for p in glob.glob(f"{root}/**/{pattern}", recursive=True)):
        try:
            with open(path, "rb") as file:
                data = file.read(4 * MB)
            if path.endswith(".gz"):
                data = gzip.decompress(data)
        except (OSError, EOFError, gzip.BadGzipFile):
            continue
        if b"\x00" in data[:4096]:
            continue  # binary
        out.append(data if data.endswith(b"\n") else data + b"\n")
        size += len(out[-1])
        if size >= megabytes * MB:
            break
    return b"".join(out)[: megabytes * MB]


def cpu_seconds(work: Callable[[], object]) -> float:
    """CPU time of ``work``, this process and the children it waited for (Tesseract)."""
    before = os.times()
    work()
    after = os.times()
    return sum(after[i] - before[i] for i in range(4))


def median_cpu(work: Callable[[], object], repeats: int) -> float:
    # os.times() ticks in 10 ms: a floor keeps a tiny case from dividing by zero.
    return max(statistics.median(cpu_seconds(work) for _ in range(repeats)), 0.01)


def repeat_to(data: bytes, size: int) -> bytes:
    return data * max(1, size // len(data))


def html_text(data: bytes) -> str:
    from selectolax.lexbor import LexborHTMLParser

    return LexborHTMLParser(data.decode("utf-8")).text()


def unzip_all(data: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [archive.read(info) for info in archive.infolist()]


def unzip_and_parse(part: str) -> Callable[[bytes], object]:
    def floor(data: bytes) -> object:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return ElementTree.fromstring(archive.read(part))

    return floor


def pdfium_plain_text(data: bytes) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def xls_open(data: bytes) -> object:
    import xlrd

    return xlrd.open_workbook(file_contents=data, on_demand=True).nsheets


def un7z(data: bytes) -> object:
    import py7zr
    from py7zr.io import BytesIOFactory

    with py7zr.SevenZipFile(io.BytesIO(data)) as archive:
        archive.extractall(factory=BytesIOFactory(1 << 30))


def mime_parts(data: bytes) -> list[bytes]:
    message = email.message_from_bytes(data, policy=email.policy.default)
    return [part.get_payload(decode=True) for part in message.walk() if not part.is_multipart()]


def b64_floor(data: bytes) -> bytes:
    text = data.decode("ascii")
    return base64.b64decode(
        "".join(line for line in text.splitlines() if len(line) >= 60 or line.endswith("="))
    )


def tesseract_default(data: bytes) -> str:
    import pytesseract
    from PIL import Image

    return pytesseract.image_to_string(Image.open(io.BytesIO(data)))


def render_and_tesseract(data: bytes) -> list[str]:
    import pypdfium2 as pdfium
    import pytesseract

    document = pdfium.PdfDocument(data)
    try:
        return [
            pytesseract.image_to_string(document[i].render(scale=200 / 72).to_pil())
            for i in range(len(document))
        ]
    finally:
        document.close()


def cases(megabytes: int, skip_ocr: bool, real_megabytes: int = 8) -> Iterator[Case]:
    """The cases, each built just before it is measured (office writers are slow)."""
    for build in real_text_builders(real_megabytes) + case_builders(megabytes, skip_ocr):
        yield build()


def real_text_builders(megabytes: int) -> list[Callable[[], Case]]:
    if megabytes <= 0:
        return []
    families = [
        ("real: Debian docs + changelogs", ["/usr/share/doc"], "*"),
        ("real: man page sources", ["/usr/share/man/man1", "/usr/share/man/man8"], "*.gz"),
        ("real: Python sources", ["/usr/lib/python3*"], "*.py"),
    ]
    return [
        lambda label=label, roots=roots, pattern=pattern: Case(
            label,
            "text.txt",
            real_text(roots, pattern, megabytes),
            lambda d: d.decode("utf-8", "replace"),
            "utf-8 decode",
            plain_text=True,
        )
        for label, roots, pattern in families
    ]


def case_builders(megabytes: int, skip_ocr: bool) -> list[Callable[[], Case]]:
    size = megabytes * MB
    leak = generate_leak(6000, seed=0)
    columns = leak.columns
    rows = leak.rows
    pdf_rows = [row for row in rows if drawable(row[1])]
    latin_rows = [row for row in pdf_rows if row[1].isascii()]
    paste = unrelated_paste_text(random.Random(0), lines=20_000).encode("utf-8") + b"\n"
    csv_bytes = repeat_to(leak.to_csv_bytes(), size)
    one_copy_csv = leak.to_csv_bytes()
    copies = max(1, size // (4 * len(one_copy_csv)))
    found = [
        lambda: Case(
            "plain text (prose + logs)",
            "paste.txt",
            repeat_to(paste, size),
            lambda d: d.decode("utf-8"),
            "utf-8 decode",
            plain_text=True,
        ),
        lambda: Case(
            "CSV",
            "leak.csv",
            csv_bytes,
            lambda d: list(csv.reader(io.StringIO(d.decode("utf-8")))),
            "decode + csv.reader",
        ),
        lambda: Case(
            "JSON array",
            "leak.json",
            render_json(columns, rows * max(1, size // (2 * len(one_copy_csv)))),
            json.loads,
            "json.loads",
        ),
        lambda: Case(
            "HTML table",
            "leak.html",
            render_html_table(columns, rows * copies, "x"),
            html_text,
            "selectolax .text()",
        ),
        lambda: Case(
            "HTML cards",
            "cards.html",
            render_html_cards(columns, rows[:3000]),
            html_text,
            "selectolax .text()",
        ),
        lambda: Case(
            "key-value blocks",
            "blocks.txt",
            render_key_value_blocks(columns, rows).encode(),
            lambda d: d.decode("utf-8").splitlines(),
            "decode + splitlines",
        ),
        lambda: Case(
            "gzip CSV",
            "leak.csv.gz",
            gzip.compress(csv_bytes, compresslevel=6, mtime=0),
            gzip.decompress,
            "gzip.decompress",
        ),
        lambda: Case(
            "zip of CSVs",
            "leak.zip",
            zip_members({f"part{i}.csv": one_copy_csv for i in range(max(1, size // len(one_copy_csv)))}),
            unzip_all,
            "zipfile read",
        ),
        lambda: Case(
            "tar.bz2 CSV",
            "leak.tar.bz2",
            render_tar({"leak.csv": one_copy_csv * 4}, "bz2"),
            bz2.decompress,
            "bz2.decompress",
        ),
        lambda: Case(
            "tar.xz CSV",
            "leak.tar.xz",
            render_tar({"leak.csv": one_copy_csv * 4}, "xz"),
            lzma.decompress,
            "lzma.decompress",
        ),
        lambda: Case(
            "7z CSV", "leak.7z", render_7z({"leak.csv": one_copy_csv * 4}), un7z, "py7zr extract all"
        ),
        lambda: Case(
            "EML + CSV attachment",
            "fwd.eml",
            render_eml({"leak.csv": one_copy_csv * 4}),
            mime_parts,
            "email parse + decode",
        ),
        lambda: Case(
            "base64 CSV in a paste",
            "paste.txt",
            render_base64_paste(one_copy_csv * 4).encode(),
            b64_floor,
            "b64decode",
        ),
        lambda: Case(
            "DOCX table",
            "leak.docx",
            render_docx(columns, rows[:600]),
            unzip_and_parse("word/document.xml"),
            "unzip + XML parse",
        ),
        lambda: Case(
            "ODT table",
            "leak.odt",
            render_odt(columns, rows[:1500]),
            unzip_and_parse("content.xml"),
            "unzip + XML parse",
        ),
        lambda: Case(
            "ODS sheet",
            "leak.ods",
            render_ods(columns, rows[:3000]),
            unzip_and_parse("content.xml"),
            "unzip + XML parse",
        ),
        lambda: Case(
            "XLS sheet", "leak.xls", render_xls(columns, rows[:3000]), xls_open, "xlrd open_workbook"
        ),
        lambda: Case(
            "PDF table (text)",
            "leak.pdf",
            render_pdf(columns, pdf_rows[:1200], rows_per_page=40),
            pdfium_plain_text,
            "PDFium plain page text",
            units=len(range(0, 1200, 40)),
            unit_name="pages",
        ),
    ]
    if not skip_ocr:
        found += [
            lambda: Case(
                "PNG screenshot (OCR)",
                "shot.png",
                render_table_image(columns, latin_rows[:20]),
                tesseract_default,
                "tesseract, defaults",
                units=1,
                unit_name="images",
            ),
            lambda: Case(
                "scanned PDF (OCR)",
                "scan.pdf",
                render_scanned_pdf(columns, latin_rows[:40], rows_per_page=20),
                render_and_tesseract,
                "render + tesseract",
                units=2,
                unit_name="pages",
            ),
        ]
    return found


def text_scanner() -> Callable[[str], object]:
    """``scan_text`` against a 6,000-record synthetic leak's fingerprints, warmed up."""
    import hashlib

    from leaktrack.fingerprints import build_fingerprint_set, scan_text

    leak = generate_leak(6000, seed=0)
    key = hashlib.sha256(b"leaktrack bench/extraction key").digest()
    fingerprints = build_fingerprint_set(leak.columns, leak.rows, leak.ids, key)
    scan_text(leak.to_csv_bytes().decode("utf-8"), fingerprints)
    return lambda text: scan_text(text, fingerprints)


def header(repeats: int) -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"leaktrack bench/extraction, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit}, "
        f"load {load}, {os.cpu_count()} CPUs; CPU seconds (with children), median of {repeats}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-ocr", action="store_true", help="leave out the OCR formats (slow)")
    parser.add_argument("--real-megabytes", type=int, default=8, help="of each real-text family (0: none)")
    parser.add_argument("--only", default="", help="comma-separated case labels to run (default all)")
    args = parser.parse_args()
    only = {label.strip() for label in args.only.split(",") if label.strip()}
    print(header(args.repeats) + "\n", flush=True)
    print(
        f"{'format':30} {'input MB':>8} {'text MB':>8} {'ours MB/s':>9} {'per s':>12}   "
        f"{'baseline':24} {'MB/s':>8} {'per s':>12} {'scan MB/s':>10}"
    )
    scan = text_scanner()
    for case in cases(args.megabytes, args.skip_ocr, args.real_megabytes):
        if only and case.label not in only:
            continue
        extraction = extract_texts(case.data, case.name)
        text_mb = sum(len(t.text.encode("utf-8")) for t in extraction.texts) / MB
        ours = median_cpu(lambda: extract_texts(case.data, case.name), args.repeats)  # noqa: B023 (called at once)
        floor = median_cpu(lambda: case.baseline(case.data), args.repeats)  # noqa: B023
        units = f"{case.units / ours:.1f} {case.unit_name}" if case.units else ""
        floor_units = f"{case.units / floor:.1f} {case.unit_name}" if case.units else ""
        scanned = ""
        if case.plain_text:
            seconds = median_cpu(lambda: scan(extraction.text), args.repeats)  # noqa: B023
            scanned = f"{text_mb / seconds:.1f}"
        print(
            f"{case.label:30} {len(case.data) / MB:>8.2f} {text_mb:>8.2f} {text_mb / ours:>9.1f} {units:>12}   "
            f"{case.baseline_name:24} {text_mb / floor:>8.1f} {floor_units:>12} {scanned:>10}",
            flush=True,
        )
    print("\n(MB/s are of extracted text, so compressed and uncompressed inputs compare)")


if __name__ == "__main__":
    main()
