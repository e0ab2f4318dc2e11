"""Speed of fingerprinting and scanning, beside ``grep -F`` on the same corpus.

    .venv/bin/python bench/speed.py                 # 6k-record leak, ~2 minutes
    .venv/bin/python bench/speed.py --full          # also the 1M-record build

Figures, each measured in this run:
- fingerprint build rate (records/s) for the synthetic leak (and 1M records with --full),
- scan throughput (MB/s of text) on clean text (logs and chatter) and on leak-heavy text
  (altered copies of the leak), beside ``grep -F -c -f <leaked names>`` on the same files as
  the exact-string reference (it finds only verbatim names; leaktrack finds altered records),
- peak memory (max RSS of this process and of its build workers).

Each corpus is scanned twice: *cold* (a fresh scanner: every distinct chunk keyed-hashed,
the LSH index built on first use) and *warm* (the memo and index kept, as in a sweep that
scans document after document). Data is synthetic
(``leaktrack.synthetic``); corpus and name files live in a temp dir deleted at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from leaktrack import synthetic
from leaktrack.fingerprints import FingerprintSet, build_fingerprint_set, scan_text

KEY = bytes(range(32))
TARGET_CLEAN_SHARE_OF_GREP = 0.10
TARGET_HEAVY_MBPS = 5.0
TARGET_FULL_BUILD_SECONDS = 60.0
MB = 1_000_000


@dataclass
class Figure:
    what: str
    measured: str
    baseline: str
    target: str
    verdict: str


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # Linux reports kB


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - started


def clean_corpus(megabytes: float, seed: int) -> str:
    """Logs and forum chatter (synthetic.unrelated_paste_text), no record of any leak."""
    rng, parts, size = random.Random(seed), [], 0
    while size < megabytes * MB:
        block = synthetic.unrelated_paste_text(rng, 5000)
        parts.append(block)
        size += len(block) + 1
    return "\n".join(parts)


def heavy_corpus(leak: synthetic.SyntheticLeak, megabytes: float) -> str:
    """Altered text copies of the leak (delimiters, subsets, casing, typos, reformatting)."""
    texts = []
    for sample in synthetic.transformed_copies(leak, seed=1):
        try:
            texts.append(sample.data.decode("utf-8"))
        except UnicodeDecodeError:
            continue  # binary formats (xlsx, zip, gz, utf-16) are the extractor's benchmark
    block = "\n".join(t for t in texts if "\x00" not in t)
    return "\n".join([block] * max(1, round(megabytes * MB / len(block))))


def grep_mbps(names_file: Path, corpus_file: Path) -> tuple[float, int]:
    """grep -F -c -f names corpus, best of 3, in the C locale (grep's fastest)."""
    best, count = float("inf"), 0
    for _ in range(3):
        started = time.perf_counter()
        done = subprocess.run(
            ["grep", "-F", "-c", "-f", str(names_file), str(corpus_file)],
            capture_output=True,
            text=True,
            env={**os.environ, "LC_ALL": "C"},
        )
        best = min(best, time.perf_counter() - started)
        count = int(done.stdout.strip() or 0)
    return corpus_file.stat().st_size / MB / best, count


def scan_mbps(text: str, fingerprints: FingerprintSet, cold: bool) -> tuple[float, int]:
    """MB/s of one scan_text; cold: without the chunk memo and LSH index of earlier scans."""
    if cold:
        fingerprints._scanner = None
    result, seconds = timed(scan_text, text, fingerprints)
    return len(text.encode("utf-8")) / MB / seconds, result.matched_count


def million_rows(count: int, seed: int) -> list[list[str]]:
    """``count`` distinct people recombined from a 20k synthetic leak: given names and family
    names mixed across rows, fresh A-numbers and birth dates (Faker for 1M rows takes ~3 min)."""
    base = synthetic.generate_leak(20_000, seed=seed)
    rng = random.Random(seed)
    names = [row[1].split() for row in base.rows]
    columns = {name: base.column(name) for name in ("nationality", "case_status", "facility")}
    first_day = dt.date(1950, 1, 1).toordinal()
    rows = []
    for number in rng.sample(range(10**8, 10**9), count):
        given, family = rng.choice(names), rng.choice(names)
        rows.append(
            [
                synthetic.format_a_number(number),
                " ".join(given[:1] + family[1:] or family),
                rng.choice(columns["nationality"]),
                dt.date.fromordinal(first_day + rng.randrange(22_000)).isoformat(),
                rng.choice(columns["case_status"]),
                rng.choice(columns["facility"]),
            ]
        )
    return rows


def measure(args: argparse.Namespace, console: Console) -> list[Figure]:
    figures = []
    leak = synthetic.generate_leak(args.records, seed=1)
    fingerprints, seconds = timed(build_fingerprint_set, leak.columns, leak.rows, leak.ids, KEY)
    figures.append(
        Figure(
            f"build {args.records:,} records",
            f"{args.records / seconds:,.0f} rec/s ({seconds:.2f} s)",
            "",
            "",
            "",
        )
    )
    with tempfile.TemporaryDirectory(prefix="leaktrack-bench-") as tmp:
        tmp = Path(tmp)
        fingerprints.save(tmp / "fp.ltfp")
        (tmp / "fp.key").write_text(KEY.hex())
        fingerprints, seconds = timed(FingerprintSet.load, tmp / "fp.ltfp", tmp / "fp.key")
        size = (tmp / "fp.ltfp").stat().st_size
        figures.append(
            Figure("fingerprint file", f"{size / MB:.2f} MB, loads in {seconds:.3f} s", "", "", "")
        )
        names_file = tmp / "names.txt"
        names_file.write_text("\n".join(sorted(set(leak.column("full_name")))) + "\n", encoding="utf-8")
        corpora = {
            "clean": clean_corpus(args.clean_mb, seed=2),
            "leak-heavy": heavy_corpus(leak, args.heavy_mb),
        }
        for label, text in corpora.items():
            corpus_file = tmp / f"{label}.txt"
            corpus_file.write_text(text, encoding="utf-8")
            grep_rate, grep_lines = grep_mbps(names_file, corpus_file)
            console.log(f"{label}: grep -F {grep_rate:.0f} MB/s ({grep_lines} lines with a leaked name)")
            if label == "clean":
                target = TARGET_CLEAN_SHARE_OF_GREP * grep_rate
                target_text = f">= {target:.0f} MB/s (grep/10)"
            else:
                target, target_text = TARGET_HEAVY_MBPS, f">= {TARGET_HEAVY_MBPS:.0f} MB/s"
            for cold in (True, False):
                rate, records = scan_mbps(text, fingerprints, cold)
                figures.append(
                    Figure(
                        f"scan {label} text ({len(text) / MB:.0f} MB), {'cold' if cold else 'warm'}",
                        f"{rate:.1f} MB/s, {records} records",
                        f"grep -F {grep_rate:.0f} MB/s, {grep_lines} lines",
                        target_text,
                        "PASS" if rate >= target else "MISS",
                    )
                )
    figures.append(Figure("peak memory (6k part)", f"{peak_rss_mb():.0f} MB RSS", "", "", ""))
    if args.full:
        rows = million_rows(args.full_records, seed=3)
        ids = [str(i) for i in range(1, len(rows) + 1)]
        _, seconds = timed(build_fingerprint_set, synthetic.COLUMNS, rows, ids, KEY)
        figures.append(
            Figure(
                f"build {len(rows):,} records",
                f"{len(rows) / seconds:,.0f} rec/s ({seconds:.1f} s)",
                "",
                f"< {TARGET_FULL_BUILD_SECONDS:.0f} s",
                "PASS" if seconds < TARGET_FULL_BUILD_SECONDS else "MISS",
            )
        )
        figures.append(Figure("peak memory (with 1M build)", f"{peak_rss_mb():.0f} MB RSS", "", "", ""))
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=6000, help="records of the synthetic leak")
    parser.add_argument("--clean-mb", type=float, default=40, help="size of the clean corpus")
    parser.add_argument("--heavy-mb", type=float, default=8, help="size of the leak-heavy corpus")
    parser.add_argument("--full", action="store_true", help="also build 1M records")
    parser.add_argument("--full-records", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    console = Console(width=150)
    figures = measure(args, console)
    table = Table(
        "measure",
        "leaktrack",
        "baseline (same run)",
        "target",
        "",
        title=f"bench/speed.py  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
    )
    for f in figures:
        table.add_row(f.what, f.measured, f.baseline, f.target, f.verdict)
    console.print(table)


if __name__ == "__main__":
    main()
