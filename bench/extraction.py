"""Throughput of document extraction, beside the least work any extractor must do.

Run: ``.venv/bin/python bench/extraction.py [--megabytes 40]``

For each format, synthetic documents of about ``--megabytes`` MB (Faker people, generated
prose and logs) go through ``extract_texts``; the baseline measured in the same run is the
floor for that format: UTF-8 decoding for text, decoding plus the stdlib ``csv`` parse for
CSV, ``json.loads`` for JSON, selectolax's plain ``.text()`` for HTML, ``zlib``/``zipfile``
inflation for archives. The scanner targets ~40 MB/s on clean text, so extraction must stay
well above that.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import json
import random
import time
import zipfile
from collections.abc import Callable

from leaktrack.fingerprints.documents import extract_texts
from leaktrack.synthetic import (
    generate_leak,
    render_html_table,
    render_json,
    unrelated_paste_text,
    zip_members,
)

MB = 1024 * 1024
REPEATS = 3  # best of three: the machine is shared


def best_seconds(work: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def repeat_to(data: bytes, size: int) -> bytes:
    return data * max(1, size // len(data))


def html_text(data: bytes) -> str:
    from selectolax.lexbor import LexborHTMLParser

    return LexborHTMLParser(data.decode("utf-8")).text()


def unzip_all(data: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [archive.read(info) for info in archive.infolist()]


def documents(megabytes: int) -> list[tuple[str, str, bytes, Callable[[bytes], object], str]]:
    size = megabytes * MB
    leak = generate_leak(6000, seed=0)
    paste = unrelated_paste_text(random.Random(0), lines=20_000).encode("utf-8") + b"\n"
    csv_bytes = repeat_to(leak.to_csv_bytes(), size)
    one_copy_csv = leak.to_csv_bytes()
    return [
        (
            "plain text (prose + logs)",
            "paste.txt",
            repeat_to(paste, size),
            lambda d: d.decode("utf-8"),
            "utf-8 decode",
        ),
        (
            "CSV",
            "leak.csv",
            csv_bytes,
            lambda d: list(csv.reader(io.StringIO(d.decode("utf-8")))),
            "decode + csv.reader",
        ),
        (
            "JSON array",
            "leak.json",
            render_json(leak.columns, leak.rows * max(1, size // (2 * len(one_copy_csv)))),
            lambda d: json.loads(d),
            "json.loads",
        ),
        (
            "HTML table",
            "leak.html",
            render_html_table(leak.columns, leak.rows * max(1, size // (4 * len(one_copy_csv))), "x"),
            html_text,
            "selectolax .text()",
        ),
        (
            "gzip CSV",
            "leak.csv.gz",
            gzip.compress(csv_bytes, compresslevel=6, mtime=0),
            lambda d: gzip.decompress(d),
            "gzip.decompress",
        ),
        (
            "zip of CSVs",
            "leak.zip",
            zip_members({f"part{i}.csv": one_copy_csv for i in range(max(1, size // len(one_copy_csv)))}),
            unzip_all,
            "zipfile read",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=40)
    args = parser.parse_args()
    print(f"leaktrack bench/extraction, {dt.date.today().isoformat()}, best of {REPEATS}\n")
    print(
        f"{'format':28} {'input MB':>9} {'text MB':>8} {'extract_texts MB/s':>19}   {'baseline':24} {'MB/s':>8}"
    )
    for label, name, data, baseline, baseline_name in documents(args.megabytes):
        extraction = extract_texts(data, name)
        text_mb = sum(len(t.text.encode("utf-8")) for t in extraction.texts) / MB
        ours = best_seconds(lambda: extract_texts(data, name))  # noqa: B023 (called at once)
        floor = best_seconds(lambda: baseline(data))  # noqa: B023
        # Throughput per MB of text produced: compressed inputs are small by design.
        print(
            f"{label:28} {len(data) / MB:>9.1f} {text_mb:>8.1f} {text_mb / ours:>19.0f}   "
            f"{baseline_name:24} {text_mb / floor:>8.0f}"
        )
    print("\n(MB/s are of extracted text, so compressed and uncompressed inputs compare)")


if __name__ == "__main__":
    main()
