"""Scan speed beside ``grep -F -f <leaked full names>`` on the same bytes, in CPU time.

    .venv/bin/python bench/speed.py                  # ~100 MB of real text, 3 runs each
    .venv/bin/python bench/speed.py --real-mb 400 --runs 5
    .venv/bin/python bench/speed.py --profile        # also the hot spots of warm scans (real, leak-heavy)
    .venv/bin/python bench/speed.py --cli-mb 320     # also the CLI over a folder of 320 MB

Corpora (written as folders of files in a temporary folder, deleted at the end):
- *real*: text that ships with Debian: package docs and changelogs (/usr/share/doc, gzip
  undone), man pages (/usr/share/man, gzip undone), the Python standard library's sources;
- *names*: a fifth of the real text with full names of the leak scattered through it and
  lines holding one leaked name and an unrelated date (ordinary text that names people
  of the leak, but holds no record);
- *leak-heavy*: altered text copies of the 6,000-record synthetic leak (every line a
  candidate; the second pass alone is also timed with its per-token work compiled and in
  numpy, and the evidence reports a sweep writes for its documents);
- *pastes*: 10,000 pastes of 5 kB (real text, one in ten with a 10-row leak excerpt),
  scanned one after the other in one process as a sweep does.

The library figures are given twice: ``scan_bytes`` (extraction by ``formats`` and the scan)
and ``scan_text`` alone (the engine: fold, tokenise, keyed hashes, lookups, evidence).

Each figure is the median of ``--runs`` runs, CPU time (user + system; grep's from its
rusage): *cold* is a fresh scanner (empty chunk memo), *warm* one that scanned the corpus
before. Library: ``scan_bytes`` per file, in this process. CLI: ``leaktrack scan <folder>``
with its start-up and every core's worker, beside ``grep -r`` (the package's bytecode is
written first, as an install does; its start-up alone is timed on a 12-byte file; with
``--cli-mb`` also over a folder of that much real text, where start-up and each worker's
cold memo weigh less, as in the issue's 320 MB measurement). The 5 kB
pastes give documents/s per core and the cost of the last thousand pastes beside the first
thousand (the memo must not slow later documents down). Peak memory of a scan is measured in a
fresh process on the largest real file.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gzip
import json
import os
import pstats
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from leaktrack import synthetic
from leaktrack.fingerprints import FingerprintSet, build_fingerprint_set, scan_bytes, scan_text
from leaktrack.fingerprints.evidence import evidence_report_json
from leaktrack.fingerprints.first_pass import AVAILABLE as FIRST_PASS_COMPILED
from leaktrack.fingerprints.line_keys import AVAILABLE as LINE_KEYS_COMPILED
from leaktrack.fingerprints.line_keys import LineKeys
from leaktrack.fingerprints.scan import ScanDetail, _Scanner

HERE = Path(__file__).resolve().parent
KEY = bytes(range(32))
MB = 1_000_000
TARGETS = {  # share of grep's MB/s (issue 10)
    "real, library": 1 / 4,
    "real, CLI": 1 / 5,
    "names, library": 1 / 5,
}
TARGET_HEAVY_MBPS = 20.0
TARGET_PASTES_PER_SECOND = 500.0
_MAX_FILE_BYTES = 8 * MB  # under the extraction limit, and like real documents


@dataclass
class Figure:
    what: str
    measured: str
    baseline: str
    target: str
    verdict: str


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- corpora -----------------------------------------------------------------------------------


def real_texts(limit_bytes: int) -> list[bytes]:
    """Debian's own text: docs and changelogs, man pages, Python sources (in that mix)."""
    sources = [
        sorted(Path("/usr/share/doc").rglob("*")),
        sorted(Path("/usr/share/man").rglob("*.gz")),
        sorted(Path(sys.base_prefix, "lib").glob("python3*/**/*.py")),
    ]
    texts, total = [], 0
    per_source = limit_bytes // len(sources)
    for paths in sources:
        taken = 0
        for path in paths:
            if taken >= per_source:
                break
            data = _read_text(path)
            if data:
                texts.append(data[:_MAX_FILE_BYTES])
                taken += len(texts[-1])
        total += taken
    return texts


def _read_text(path: Path) -> bytes | None:
    try:
        if not path.is_file() or path.is_symlink():
            return None
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    if b"\0" in data[:4096]:
        return None  # binary
    return data


def names_texts(real: list[bytes], names: list[str], seed: int) -> list[bytes]:
    """The real text with leaked full names and 'name + unrelated date' lines (bench/scale.py
    makes its own of a larger dataset's names)."""
    rng = random.Random(seed)
    out = []
    for data in real:
        lines = data.split(b"\n")
        for i in range(0, len(lines), 40):
            name = rng.choice(names).encode()
            if rng.random() < 0.25:
                day = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(25_000))
                lines.insert(i, name + b" was seen on " + day.isoformat().encode())
            else:
                lines[i] = lines[i] + b" " + name
        out.append(b"\n".join(lines))
    return out


def heavy_texts(leak: synthetic.SyntheticLeak, megabytes: float) -> list[bytes]:
    """Altered text copies of the leak (delimiters, subsets, casing, typos, reformatting)."""
    texts = [
        s.data for s in synthetic.transformed_copies(leak, seed=1) if b"\0" not in s.data and _is_utf8(s.data)
    ]
    out, size = [], 0
    while size < megabytes * MB:
        out.extend(texts)
        size += sum(map(len, texts))
    return out


def paste_texts(real: list[bytes], leak: synthetic.SyntheticLeak, count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    joined = b"\n".join(real)
    pastes = []
    for i in range(count):
        start = rng.randrange(max(1, len(joined) - 5000))
        paste = joined[start : start + 5000]
        if i % 10 == 0:
            rows = rng.sample(range(len(leak.rows)), 10)
            excerpt = "\n".join(",".join(leak.rows[r]) for r in rows).encode()
            paste = paste[: 5000 - len(excerpt) - 1] + b"\n" + excerpt
        pastes.append(paste)
    return pastes


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def write_folder(folder: Path, texts: list[bytes]) -> Path:
    folder.mkdir()
    for i, data in enumerate(texts):
        (folder / f"{i:06d}.txt").write_bytes(data)
    return folder


# --- measurements ------------------------------------------------------------------------------


def grep_cpu(names_file: Path, folder: Path) -> tuple[float, int]:
    """CPU seconds of grep -r -F -c -f names over the folder (C locale), and lines found."""
    before = children_cpu()
    done = subprocess.run(
        ["grep", "-r", "-F", "-h", "-c", "-f", str(names_file), str(folder)],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    return children_cpu() - before, sum(int(n) for n in done.stdout.split())


def library_cpu(texts: list[bytes], fingerprints: FingerprintSet, cold: bool) -> tuple[float, int]:
    """CPU seconds of scan_bytes over every text, and records found."""
    if cold:
        fingerprints._scanner = None
    started, found = cpu(), 0
    for i, data in enumerate(texts):
        found += scan_bytes(data, fingerprints, name=f"{i}.txt").matched_count
    return cpu() - started, found


def first_pass_cpu(
    texts: list[str], fingerprints: FingerprintSet, compiled: bool, cold: bool
) -> tuple[float, int]:
    """CPU seconds of the first pass alone (which lines are worth a closer look) over every
    text, compiled (``_firstpass.c``) or pure Python, and candidate lines found."""
    if cold or fingerprints._scanner is None or (fingerprints._scanner.first_pass is not None) != compiled:
        fingerprints._scanner = _Scanner(fingerprints, compiled=compiled)
    scanner = fingerprints._scanner
    started, found = cpu(), 0
    for text in texts:
        found += len(scanner.candidate_lines_of(text))
    return cpu() - started, found


def engine_cpu(texts: list[bytes], fingerprints: FingerprintSet, cold: bool) -> tuple[float, int]:
    """CPU seconds of scan_text over every text decoded as UTF-8: the engine alone, without
    document extraction (``formats``), for the share of the two."""
    if cold:
        fingerprints._scanner = None
    started, found = cpu(), 0
    for data in texts:
        found += scan_text(data.decode("utf-8", "replace"), fingerprints).matched_count
    return cpu() - started, found


def compile_package_bytecode() -> None:
    """Write the package's bytecode, as installing it does (pip compiles every module), so
    that the CLI figures time scanning and start-up, not the compilation of ~150 modules that
    a checkout run with PYTHONDONTWRITEBYTECODE (this sandbox) repeats in every process."""
    import compileall

    import leaktrack

    compileall.compile_dir(Path(leaktrack.__file__).parent, quiet=1, rx=re.compile(r"[/\\]\.venv"))


def cli_cpu(folder: Path, fp: Path, key: Path) -> tuple[float, int]:
    """CPU seconds of `leaktrack scan <folder> --json` (start-up and workers included)."""
    before = children_cpu()
    done = subprocess.run(
        [sys.executable, "-m", "leaktrack.cli.app", "scan", str(folder), "--json"]
        + ["--fingerprints", str(fp), "--key-file", str(key)],
        capture_output=True,
        text=True,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"scan failed: {done.stderr[-500:]}")
    found = sum(json.loads(line)["matched_count"] for line in done.stdout.splitlines())
    return children_cpu() - before, found


def median_of(runs: int, measure) -> tuple[float, int]:
    results = [measure() for _ in range(runs)]
    return statistics.median(r[0] for r in results), results[-1][1]


# Run in a fresh process: the peak RSS of a scan (VmHWM reset through /proc/self/clear_refs
# just before it, so that loading and imports do not count) and the RSS before it.
_MEMORY_PROBE = (
    "import sys; from pathlib import Path\n"
    "def status(field): return int([l for l in Path('/proc/self/status').read_text().splitlines()"
    " if l.startswith(field)][0].split()[1]) * 1024\n"
    "def reset_peak(): Path('/proc/self/clear_refs').write_text('5')\n"
)


def peak_scan_memory(path: Path, fp: Path, key: Path) -> tuple[int, int, int]:
    """(peak RSS of scanning one file, RSS after load, document bytes), in a fresh process."""
    code = _MEMORY_PROBE + (
        "from leaktrack.fingerprints import FingerprintSet, scan_bytes\n"
        "fp = FingerprintSet.load(sys.argv[1], sys.argv[2])\n"
        "scan_bytes(b'warm up: every import a scan makes', fp, name='w.txt')\n"
        # (and the encoding guesser a text that is not UTF-8 imports: one time, ~2.5 MB)
        "scan_bytes('caf\u00e9 cr\u00e8me br\u00fbl\u00e9e'.encode('cp1252') * 20, fp, name='w.txt')\n"
        "data = Path(sys.argv[3]).read_bytes()\n"
        "loaded = status('VmRSS'); reset_peak()\n"
        "scan_bytes(data, fp, name='doc.txt')\n"
        "print(loaded, status('VmHWM'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(fp), str(key), str(path)], capture_output=True, text=True
    )
    loaded, peak = map(int, done.stdout.split())
    return peak, loaded, path.stat().st_size


def wide_csv_scan(tmp: Path, fp: Path, key: Path, cells: int) -> tuple[float, int, int]:
    """(CPU seconds, peak RSS above the loaded set, bytes) of scanning a one-line CSV of
    ``cells`` distinct cells (v0,v1,...: issue 8's file), in a fresh process."""
    path = tmp / "wide.csv"
    path.write_text("header\n" + ",".join(f"v{i}" for i in range(cells)) + "\n")
    code = _MEMORY_PROBE + (
        "import resource\n"
        "from leaktrack.fingerprints import FingerprintSet, scan_bytes\n"
        "from leaktrack.fingerprints.scan import scan_file\n"
        "fp = FingerprintSet.load(sys.argv[1], sys.argv[2])\n"
        "scan_bytes(b'warm up: every import a scan makes', fp, name='w.csv')\n"
        "loaded = status('VmRSS'); reset_peak()\n"
        "usage = resource.getrusage(resource.RUSAGE_SELF); before = usage.ru_utime + usage.ru_stime\n"
        "scan_file(sys.argv[3], fp)\n"
        "usage = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(usage.ru_utime + usage.ru_stime - before, status('VmHWM') - loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(fp), str(key), str(path)], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"wide CSV scan failed: {done.stderr[-500:]}")
    seconds, peak = done.stdout.split()
    return float(seconds), int(peak), path.stat().st_size


def measure(args: argparse.Namespace, console: Console, tmp: Path) -> list[Figure]:
    figures: list[Figure] = []
    leak = synthetic.generate_leak(args.records, seed=1)
    fingerprints = build_fingerprint_set(leak.columns, leak.rows, leak.ids, KEY)
    fp_file, key_file = fingerprints.save(tmp / "fp.ltfp"), tmp / "fp.key"
    key_file.write_text(KEY.hex())
    names_file = tmp / "names.txt"
    names_file.write_text("\n".join(sorted(set(leak.column("full_name")))) + "\n", encoding="utf-8")
    console.log("collecting real text")
    real = real_texts(int(args.real_mb * MB))
    corpora = {
        "real": real,
        "names": names_texts(real[::5], leak.column("full_name"), seed=2),  # a fifth of the real text
        "leak-heavy": heavy_texts(leak, args.heavy_mb),
    }
    compile_package_bytecode()
    tiny = write_folder(tmp / "tiny", [b"12 bytes ok\n"])
    seconds, _ = median_of(args.runs, lambda: cli_cpu(tiny, fp_file, key_file))
    figures.append(
        Figure("CLI start-up: leaktrack scan of one 12-byte file", f"{seconds:.2f} s CPU", "", "< 0.3 s", "")
    )
    for label, texts in corpora.items():
        folder = write_folder(tmp / label, texts)
        size = sum(map(len, texts)) / MB
        grep_seconds, grep_lines = median_of(args.runs, lambda: grep_cpu(names_file, folder))  # noqa: B023
        grep_rate = size / grep_seconds
        console.log(f"{label}: {size:.0f} MB in {len(texts)} files, grep -F {grep_rate:.0f} MB/s CPU")
        if label in ("real", "names"):  # the names corpus: how many of its lines the matcher sees
            figures += first_pass_figures(label, texts, fingerprints, size, grep_rate, grep_lines, args.runs)
        if label == "leak-heavy":  # every line is a candidate: the second pass is most of the cost
            figures += second_pass_figures(texts, fingerprints, args.runs)
            figures += evidence_figures(texts, fingerprints, args.runs)
        for cold in (True, False):
            if not cold:
                library_cpu(texts, fingerprints, cold=True)  # the memo of one full pass
            seconds, found = median_of(args.runs, lambda: library_cpu(texts, fingerprints, cold))  # noqa: B023
            figures.append(
                _versus(
                    f"{label}, library, {'cold' if cold else 'warm'}",
                    size,
                    seconds,
                    found,
                    grep_rate,
                    grep_lines,
                    label,
                )
            )
        for cold in (True, False):
            seconds, found = median_of(args.runs, lambda: engine_cpu(texts, fingerprints, cold))  # noqa: B023
            figures.append(
                _versus(
                    f"{label}, scan_text only, {'cold' if cold else 'warm'}",
                    size,
                    seconds,
                    found,
                    grep_rate,
                    grep_lines,
                    label,
                )
            )
        if label != "leak-heavy":
            seconds, found = median_of(args.runs, lambda: cli_cpu(folder, fp_file, key_file))  # noqa: B023
            figures.append(
                _versus(
                    f"{label}, CLI over the folder (package bytecode compiled)",
                    size,
                    seconds,
                    found,
                    grep_rate,
                    grep_lines,
                    label + "-cli",
                )
            )
    if args.cli_mb:
        figures.append(cli_over_big_folder(args, console, tmp, names_file, fp_file, key_file))
    figures += pastes(real, leak, fingerprints, args)
    seconds, peak, size = wide_csv_scan(tmp, fp_file, key_file, args.wide_cells)
    figures.append(
        Figure(
            f"one-line CSV of {args.wide_cells:,} cells (v0,v1,...; {size / MB:.1f} MB), CLI's scan_file",
            f"{seconds:.1f} s CPU, {peak / MB:.0f} MB peak above the loaded set",
            "",
            "issue 8: was 41.6 s, 1.2 GB",
            "",
        )
    )
    largest = max((tmp / "real").iterdir(), key=lambda p: p.stat().st_size)
    peak, loaded, size = peak_scan_memory(largest, fp_file, key_file)
    figures.append(
        Figure(
            f"peak memory scanning one {size / MB:.1f} MB document",
            f"{(peak - loaded) / MB:.1f} MB above the loaded set and document ({peak / MB:.0f} MB RSS)",
            "",
            f"< 3 x document = {3 * size / MB:.0f} MB",
            "PASS" if peak - loaded < 3 * size else "MISS",
        )
    )
    if args.profile:
        for label in ("real", "leak-heavy"):
            profile(label, corpora[label], fingerprints, console)
    return figures


def cli_over_big_folder(args, console, tmp: Path, names_file: Path, fp_file: Path, key_file: Path) -> Figure:
    """``leaktrack scan`` over a folder of ``--cli-mb`` MB of real text beside grep over it."""
    texts = real_texts(int(args.cli_mb * MB))
    folder = write_folder(tmp / "real-cli", texts)
    size = sum(map(len, texts)) / MB
    del texts
    grep_seconds, grep_lines = median_of(args.runs, lambda: grep_cpu(names_file, folder))
    console.log(
        f"real for the CLI: {size:.0f} MB in {len(list(folder.iterdir()))} files, grep -F {size / grep_seconds:.0f} MB/s CPU"
    )
    seconds, found = median_of(args.runs, lambda: cli_cpu(folder, fp_file, key_file))
    return _versus(
        f"real, CLI over a {size:.0f} MB folder (package bytecode compiled)",
        size,
        seconds,
        found,
        size / grep_seconds,
        grep_lines,
        "real-cli",
    )


def first_pass_figures(label, texts, fingerprints, size, grep_rate, grep_lines, runs) -> list[Figure]:
    """The first pass alone over a corpus (decoded once), compiled (and pure Python on the
    real text), cold and warm: how fast the lines worth a closer look are found, and how many."""
    decoded = [data.decode("utf-8", "replace") for data in texts]
    figures = []
    passes = (True, False) if label == "real" else (True,)
    for compiled in passes if FIRST_PASS_COMPILED else (False,):
        for cold in (True, False):
            if not cold:
                first_pass_cpu(decoded, fingerprints, compiled, cold=True)
            seconds, found = median_of(runs, lambda: first_pass_cpu(decoded, fingerprints, compiled, cold))  # noqa: B023
            rate = size / seconds
            figures.append(
                Figure(
                    f"{label}, first pass only, {'compiled' if compiled else 'pure Python'}, {'cold' if cold else 'warm'}",
                    f"{rate:.1f} MB/s CPU, {found} candidate lines",
                    f"grep -F {grep_rate:.0f} MB/s CPU ({rate / grep_rate:.3f}), {grep_lines} lines",
                    "",
                    "",
                )
            )
    fingerprints._scanner = None
    return figures


def second_pass_figures(texts: list[bytes], fingerprints: FingerprintSet, runs: int) -> list[Figure]:
    """The second pass alone (``match_lines`` over the corpus' candidate lines, warm), with its
    per-token work compiled (``_linekeys.c``) and in numpy (``line_keys.py``'s fallback), in CPU
    microseconds a candidate line: what the compiled part buys, measured in the same run."""
    figures = []
    scanners = {"compiled": _Scanner(fingerprints)}
    numpy_only = _Scanner(fingerprints)
    numpy_only.line_keys = LineKeys(numpy_only.chunks, fingerprints, compiled=False)
    scanners["numpy"] = numpy_only
    lines = [scanners["compiled"].candidate_lines_of(data.decode("utf-8", "replace")) for data in texts]
    count = sum(map(len, lines))
    for how, scanner in scanners.items():
        if how == "compiled" and not LINE_KEYS_COMPILED:
            continue

        def second_pass(scanner=scanner) -> tuple[float, int]:
            started, found = cpu(), 0
            for candidate in lines:
                found += len(scanner.match_lines(candidate).lines)
            return cpu() - started, found

        second_pass()  # the chunk memo of one full pass: warm
        seconds, found = median_of(runs, second_pass)
        figures.append(
            Figure(
                f"leak-heavy, second pass only (match_lines), {how}",
                f"{seconds / count * 1e6:.1f} us CPU a candidate line ({count} lines, {found} matches)",
                "",
                "",
                "",
            )
        )
    fingerprints._scanner = None
    return figures


def evidence_figures(texts: list[bytes], fingerprints: FingerprintSet, runs: int) -> list[Figure]:
    """The evidence reports a sweep writes for the leak-heavy corpus' documents
    (``evidence_report_json`` from the scan's own matches, without their lines), warm: their CPU
    per matched (record, line) pair, beside the scan that found the pairs."""
    fingerprints._scanner = None
    leaks = []
    for data in texts:
        detail = ScanDetail()
        if scan_text(data.decode("utf-8", "replace"), fingerprints, detail=detail).is_leak:
            leaks.append((detail.text, detail.matches))
    pairs = sum(len(matches.lines) for _, matches in leaks)

    def reports() -> tuple[float, int]:
        started = cpu()
        for text, matches in leaks:
            evidence_report_json(text, fingerprints, matches=matches)
        return cpu() - started, len(leaks)

    reports()  # warm: the chunk memo and the memos of the words
    seconds, _ = median_of(runs, reports)
    size = sum(len(text.encode("utf-8")) for text, _ in leaks) / MB
    fingerprints._scanner = None
    return [
        Figure(
            "leak-heavy, evidence reports (evidence_report_json), warm",
            f"{size / seconds:.1f} MB/s CPU, {seconds / pairs * 1e6:.1f} us a pair ({len(leaks)} reports, {pairs} pairs)",
            "",
            "",
            "",
        )
    ]


def _versus(what, size, seconds, found, grep_rate, grep_lines, label) -> Figure:
    rate = size / seconds
    if label == "leak-heavy":
        target, text = TARGET_HEAVY_MBPS, f">= {TARGET_HEAVY_MBPS:.0f} MB/s"
    else:
        share = TARGETS["real, CLI" if label.endswith("-cli") else f"{label.split('-')[0]}, library"]
        target, text = share * grep_rate, f">= {target_text(share)} of grep = {share * grep_rate:.0f} MB/s"
    return Figure(
        what,
        f"{rate:.1f} MB/s CPU, {found} records",
        f"grep -F {grep_rate:.0f} MB/s CPU ({rate / grep_rate:.3f}), {grep_lines} lines",
        text,
        "PASS" if rate >= target else "MISS",
    )


def target_text(share: float) -> str:
    return f"1/{round(1 / share)}"


def pastes(real, leak, fingerprints, args) -> list[Figure]:
    texts = paste_texts(real, leak, args.pastes, seed=3)
    fingerprints._scanner = None
    costs = []
    for i, data in enumerate(texts):
        started = cpu()
        scan_bytes(data, fingerprints, name=f"paste{i}.txt")
        costs.append(cpu() - started)
    rate = len(costs) / sum(costs)
    first, last = sum(costs[:1000]) / 1000, sum(costs[-1000:]) / 1000
    return [
        Figure(
            f"{len(texts):,} pastes of 5 kB in one sweep",
            f"{rate:,.0f} documents/s per core",
            "",
            f">= {TARGET_PASTES_PER_SECOND:.0f}",
            "PASS" if rate >= TARGET_PASTES_PER_SECOND else "MISS",
        ),
        Figure(
            "cost of the last 1,000 pastes vs the first 1,000",
            f"{last * 1000:.2f} ms vs {first * 1000:.2f} ms ({last / first:.2f}x)",
            "",
            "<= 1.2x",
            "PASS" if last <= 1.2 * first else "MISS",
        ),
    ]


def profile(label: str, texts: list[bytes], fingerprints: FingerprintSet, console: Console) -> None:
    library_cpu(texts, fingerprints, cold=False)
    profiler = cProfile.Profile()
    profiler.enable()
    library_cpu(texts, fingerprints, cold=False)
    profiler.disable()
    console.rule(f"hot spots of a warm scan of the {label} text (tottime)")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=6000, help="records of the synthetic leak")
    parser.add_argument("--real-mb", type=float, default=100, help="real text to read (MB)")
    parser.add_argument("--heavy-mb", type=float, default=8, help="size of the leak-heavy corpus")
    parser.add_argument("--pastes", type=int, default=10_000, help="5 kB pastes scanned in one sweep")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument(
        "--wide-cells", type=int, default=1_000_000, help="cells of the one-line CSV (issue 8)"
    )
    parser.add_argument("--profile", action="store_true", help="print the hot spots of warm scans")
    parser.add_argument(
        "--cli-mb", type=float, default=0, help="also time the CLI over a folder of this much real text (MB)"
    )
    args = parser.parse_args(argv)
    console = Console(width=170)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    commit = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    with tempfile.TemporaryDirectory(prefix="leaktrack-speed-") as tmp:
        figures = measure(args, console, Path(tmp))
    table = Table(
        "measure",
        "leaktrack",
        "grep, same bytes, same run",
        "target",
        "",
        title=f"bench/speed.py  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit.stdout.strip()}, "
        f"{os.cpu_count()} CPUs, load average {load} at start, "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at end; median of {args.runs} runs, CPU time",
    )
    for f in figures:
        table.add_row(f.what, f.measured, f.baseline, f.target, f.verdict)
    console.print(table)


if __name__ == "__main__":
    main()
