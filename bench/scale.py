"""How the fingerprint file's cost grows with the records: build, load and scan at 1M and 10M.

    .venv/bin/python bench/scale.py                   # 1M and 10M records (~30 min on 2 cores)
    .venv/bin/python bench/scale.py --sizes 6000,1000000
    .venv/bin/python bench/scale.py --full            # also 100M (~60 GB of disk, hours)

For each size, in fresh processes (so that each figure is its own):
- build: wall and CPU time (this process's children: the CLI and its workers), records/s,
  peak RSS summed over the build's process tree (sampled every 0.2 s) and of its largest process;
- file size; load time and RSS after load (before any scan);
- scan of one fixed corpus (synthetic chatter with 200 copied records and 100 name + date of
  birth lines of the dataset), cold (fresh process) and warm: MB/s and how many of the 100
  name + date of birth lines were found (the hardest rule at scale: no id in the line);
- the false-positive check beside it: 100 lines with the name of a record of the dataset and
  an unrelated date (the record's own date moved by 1 to 3,000 days), each scanned alone;
  any match is counted (a namesake born that day in the dataset would be a true coincidence:
  at these sizes, expected well under one in a hundred lines);
- scan of real text with leaked names (warm): ``bench/speed.py``'s real text (Debian's docs,
  man pages, Python sources) with every 40th line given a full name of the dataset, a quarter
  of them as a line "NAME was seen on DATE" with an unrelated date (``speed.names_texts``).
  At 10M records each such date is a birth date of ~450 records, none of that name: the
  date-word test's work (``first_pass.DateWordTest``).
The 6,000-record size is the reference the scan speed at 10M is compared with. From the
measured peaks, the build's memory at 100M is *projected* (a straight line through the two
largest sizes), and printed as a projection, not a measurement.

Start-up (``--startup``, also printed after the sizes): the CPU time of a few commands in a
fresh process each (``--help``, ``scan`` of a 12-byte file against 6,000 records, ``queue
list`` of an empty store), median of ``--startup-runs`` runs, beside ``python -c pass``
measured the same way (target: every command under 0.3 s).

Data is synthetic (``bench/speed.py``'s recombined people); everything lives in a temporary
folder deleted at the end. Other work on the machine slows wall time: CPU time and the load
average are printed beside it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from speed import names_texts, real_texts  # (bench/ is the script's folder on sys.path)

from leaktrack import synthetic

HERE = Path(__file__).resolve().parent
KEY_HEX = bytes(range(32)).hex()
MB = 1_000_000
MIB = 2**20
TARGET_10M_BUILD_SECONDS = 600
TARGET_10M_BUILD_RSS = 4 * 2**30
TARGET_LOAD_SECONDS = 1.0
TARGET_LOAD_RSS = 200 * MIB
TARGET_SCAN_RATIO = 0.8  # scan speed at 10M vs at 6,000


def write_dataset(path: Path, count: int, seed: int) -> list[list[str]]:
    """``count`` synthetic people as CSV; returns a sample of 400 rows for the corpus."""
    base = synthetic.generate_leak(20_000, seed=seed)
    rng = random.Random(seed)
    names = [row[1].split() for row in base.rows]
    pools = {name: base.column(name) for name in ("nationality", "case_status", "facility")}
    first_day = dt.date(1950, 1, 1).toordinal()
    sample_at = set(rng.sample(range(count), min(400, count)))
    sample = []
    numbers = rng.sample(range(10**8, 10**9), count) if count <= 20_000_000 else None
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(synthetic.COLUMNS)
        for i in range(count):
            given, family = rng.choice(names), rng.choice(names)
            number = numbers[i] if numbers else 10**8 + i * 7 + rng.randrange(7)
            row = [
                synthetic.format_a_number(number),
                " ".join(given[:1] + family[1:] or family),
                rng.choice(pools["nationality"]),
                dt.date.fromordinal(first_day + rng.randrange(22_000)).isoformat(),
                rng.choice(pools["case_status"]),
                rng.choice(pools["facility"]),
            ]
            writer.writerow(row)
            if i in sample_at:
                sample.append(row)
    return sample


def write_corpus(path: Path, sample: list[list[str]], megabytes: float) -> None:
    """Chatter with 200 copied rows and 100 'name, date of birth' lines spread through it."""
    rng = random.Random(5)
    blocks, size = [], 0
    while size < megabytes * MB:
        block = synthetic.unrelated_paste_text(rng, 2000)
        blocks.append(block)
        size += len(block)
    rows = [",".join(r) for r in sample[:200]]
    name_dob = [f"{r[1]}, born {r[3]}" for r in sample[200:300]]
    lines = "\n".join(blocks).split("\n")
    other_dates = [f"{r[1]}, born {_moved_date(r[3], rng)}" for r in sample[300:400]]
    for extra in rows + name_dob:
        lines.insert(rng.randrange(len(lines)), extra)
    path.write_text("\n".join(lines), encoding="utf-8")
    (path.with_suffix(".namedob")).write_text("\n".join(name_dob), encoding="utf-8")
    (path.with_suffix(".otherdate")).write_text("\n".join(other_dates), encoding="utf-8")
    (path.with_suffix(".rows")).write_text("\n".join(rows[:100]), encoding="utf-8")
    write_names_corpus(path.with_suffix(".names"), sorted({r[1] for r in sample}), megabytes)


def write_names_corpus(path: Path, names: list[str], megabytes: float) -> None:
    """Real text with the dataset's full names scattered through it (``speed.names_texts``)."""
    texts = names_texts(real_texts(int(megabytes * MB)), names, seed=2)
    path.write_text("\n".join(t.decode("utf-8", "replace") for t in texts), encoding="utf-8")


def _moved_date(iso: str, rng: random.Random) -> str:
    """The date moved by 1 to 3,000 days either way: a date unrelated to the record."""
    day = dt.date.fromisoformat(iso).toordinal() + rng.choice((-1, 1)) * rng.randint(1, 3000)
    return dt.date.fromordinal(day).isoformat()


class TreeRss:
    """Peak RSS summed over a process and its descendants, sampled every 0.2 s."""

    def __init__(self, pid: int):
        self.pid, self.peak_sum, self.peak_one = pid, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            sizes = [_rss(p) for p in _tree(self.pid)]
            self.peak_sum = max(self.peak_sum, sum(sizes))
            self.peak_one = max([self.peak_one, *sizes])

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(dataset: Path, out: Path, key: Path, workers: int | None, memory: str | None) -> dict:
    command = [sys.executable, "-m", "leaktrack.cli.app", "fingerprint", str(dataset)]
    command += ["--out", str(out), "--key-file", str(key), "--json"]
    command += ["--workers", str(workers)] if workers else []
    command += ["--memory", memory] if memory else []
    cpu, started = children_cpu(), time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rss = TreeRss(process.pid)
    stdout, stderr = process.communicate()
    rss.stop()
    if process.returncode:
        raise SystemExit(f"build failed: {stderr.strip()}")
    return {
        "seconds": time.perf_counter() - started,
        "cpu": children_cpu() - cpu,
        "peak_rss_sum": rss.peak_sum,
        "peak_rss_one": rss.peak_one,
        "bytes": out.stat().st_size,
        "records": json.loads(stdout)["records"],
    }


_LOAD_AND_SCAN = """
import dataclasses, json, sys, time, resource
from pathlib import Path
import numpy as np
def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
from leaktrack.fingerprints import FingerprintSet, scan_text
from leaktrack.fingerprints.scan import _scanner_for
text = Path(sys.argv[3]).read_text(encoding="utf-8")
name_dob = Path(sys.argv[4]).read_text(encoding="utf-8").split("\\n")
other_date = Path(sys.argv[5]).read_text(encoding="utf-8").split("\\n")
before = rss()
started = time.perf_counter()
fp = FingerprintSet.load(sys.argv[1], sys.argv[2])
load = time.perf_counter() - started
after = rss()
names_text = Path(sys.argv[6]).read_text(encoding="utf-8")  # (not in the RSS after load)
# The date-word test as for a file built before the matcher's rules ("pairs": the (date, word)
# pairs alone), or before the pairs too ("entries": it reads the date's records' entries).
rules = ("date_word_reach", "date_name_keys", "date_name_bits")
hidden = {"rules": (), "pairs": rules}.get(sys.argv[7], rules + ("date_word_keys", "date_word_bits"))
fp = dataclasses.replace(fp, **{name: np.empty(0, getattr(fp, name).dtype) for name in hidden})
def scan(text=text):
    cpu = time.process_time()
    result = scan_text(text, fp)
    return time.process_time() - cpu, result
def faults():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_minflt, usage.ru_majflt
# The cold scan is the scanner's set-up (what the first scan_text of a process does first) and
# the first scan; both are timed, and the page faults of the two (first reads of the mapped file).
faults_before, cpu = faults(), time.process_time()
_scanner_for(fp)
setup = time.process_time() - cpu
cold, first = scan()
cold += setup
cold_faults = [after - before for after, before in zip(faults(), faults_before)]
warm = min(scan()[0] for _ in range(2))
names_first, names_found = scan(names_text)
names_warm = min(names_first, *(scan(names_text)[0] for _ in range(2)))
found = sum(1 for line in name_dob if scan_text(line, fp).matched_count)
false = sum(1 for line in other_date if scan_text(line, fp).matched_count)
print(json.dumps({"load": load, "rss_load": after - before, "rss_after_load": after,
                  "setup": setup, "cold": cold, "warm": warm, "matched": first.matched_count,
                  "names_warm": names_warm, "names_matched": names_found.matched_count,
                  "names_bytes": len(names_text.encode("utf-8")), "date_words": sys.argv[7],
                  "date_word_pairs": int(len(fp.date_word_keys)), "date_name_anchors": int(len(fp.date_name_keys)),
                  "cold_minor_faults": cold_faults[0], "cold_major_faults": cold_faults[1],
                  "name_dob_found": found, "name_dob_lines": len(name_dob),
                  "other_date_matched": false, "other_date_lines": len(other_date)}))
"""


# The fuzzy fallback alone: the scanner's exact candidates (rare keys, paired keys) switched
# off in this process, so that every copied row found was proposed by the LSH tables of the
# file (``scan._Scanner._lsh_pairs``) and decided by the MinHash rescue or the evidence.
_LSH_ONLY = """
import json, sys
from pathlib import Path
import numpy as np
from leaktrack.fingerprints import FingerprintSet, scan_text
from leaktrack.fingerprints import scan
none = lambda self, *args: np.empty(0, dtype=np.int64)
scan._Scanner._candidate_pairs = none
scan._Scanner._paired_pairs = none
fp = FingerprintSet.load(sys.argv[1], sys.argv[2])
rows = Path(sys.argv[3]).read_text(encoding="utf-8").split("\\n")
found = sum(1 for row in rows if scan_text(row, fp).matched_count)
print(json.dumps({"lsh_only_found": found, "lsh_only_rows": len(rows)}))
"""


def lsh_only(fp: Path, key: Path, corpus: Path) -> dict:
    """How many of 100 copied rows the fuzzy fallback finds on its own (``_LSH_ONLY``)."""
    done = subprocess.run(
        [sys.executable, "-c", _LSH_ONLY, str(fp), str(key), str(corpus.with_suffix(".rows"))],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"LSH-only scan failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout)


def load_and_scan(fp: Path, key: Path, corpus: Path, date_words: str = "rules") -> dict:
    """Load and scan in a fresh process (``_LOAD_AND_SCAN``); ``date_words`` "pairs" scans as
    a file without the matcher's rules would (the date-word test keeps every line with a
    pair), "entries" as one without the (date, word) pairs too (it reads entries)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _LOAD_AND_SCAN,
            str(fp),
            str(key),
            str(corpus),
            str(corpus.with_suffix(".namedob")),
            str(corpus.with_suffix(".otherdate")),
            str(corpus.with_suffix(".names")),
            date_words,
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"load/scan failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout)


def measure(size: int, folder: Path, args: argparse.Namespace, console: Console) -> dict:
    dataset, out, key = folder / f"d{size}.csv", folder / f"d{size}.ltfp", folder / "k.key"
    key.write_text(KEY_HEX)
    corpus = folder / f"corpus{size}.txt"
    if args.keep and dataset.exists() and corpus.with_suffix(".rows").exists():
        console.log(f"{size:,} records: the dataset and corpus kept in {folder}")
    else:
        console.log(f"{size:,} records: writing the dataset")
        sample = write_dataset(dataset, size, seed=size % 1000 + 1)
        write_corpus(corpus, sample, args.corpus_mb)
    console.log(f"{size:,} records: building ({dataset.stat().st_size / MB:,.0f} MB of CSV)")
    # the commit and load of the build itself (a 10M run lasts long enough for both to change)
    figures = {
        "size": size,
        "csv_bytes": dataset.stat().st_size,
        "commit": _commit(),
        "load_at_build": _load(),
    }
    figures.update(build(dataset, out, key, args.workers, args.memory))
    if not args.keep:
        dataset.unlink()
    console.log(f"{size:,} records: loading and scanning")
    figures.update(load_and_scan(out, key, corpus))
    figures.update(lsh_only(out, key, corpus))
    figures["corpus_bytes"] = corpus.stat().st_size
    if not args.keep:
        out.unlink()
    console.log(json.dumps(figures))
    return figures


def report(rows: list[dict], console: Console, args: argparse.Namespace) -> None:
    table = Table(
        "records",
        "build wall / CPU",
        "CPU µs a record",
        "records/s (wall)",
        "peak RSS tree / largest",
        "file",
        "load / RSS after",
        "scan cold / warm (CPU)",
        "real text with names, warm (CPU)",
        "name+DOB lines found",
        "name+other date matched",
        "copied rows found by LSH alone",
        title=f"bench/scale.py  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {_commit()}, "
        f"{os.cpu_count()} CPUs, load average at start {args.load_at_start}, now {_load()}",
    )
    for r in rows:
        mb = r["corpus_bytes"] / MB
        table.add_row(
            f"{r['size']:,}",
            f"{r['seconds']:.0f} s / {r['cpu']:.0f} s\n(commit {r['commit']}, load {r['load_at_build']})",
            f"{r['cpu'] / r['records'] * 1e6:.0f}",
            f"{r['records'] / r['seconds']:,.0f}",
            f"{r['peak_rss_sum'] / MIB:,.0f} / {r['peak_rss_one'] / MIB:,.0f} MiB",
            f"{r['bytes'] / MB:,.0f} MB",
            f"{r['load'] * 1000:.0f} ms / {r['rss_after_load'] / MIB:.0f} MiB",
            f"{mb / r['cold']:.1f} / {mb / r['warm']:.1f} MB/s",
            f"{r['names_bytes'] / MB / r['names_warm']:.1f} MB/s",
            f"{r['name_dob_found']} of {r['name_dob_lines']}",
            f"{r['other_date_matched']} of {r['other_date_lines']}",
            f"{r['lsh_only_found']} of {r['lsh_only_rows']}",
        )
    console.print(table)
    by_size = {r["size"]: r for r in rows}
    ref, big = by_size.get(6000), by_size.get(10_000_000)
    if big:
        console.print(
            f"10M build: {big['seconds']:.0f} s wall (target < {TARGET_10M_BUILD_SECONDS} s), peak RSS "
            f"{big['peak_rss_sum'] / 2**30:.2f} GiB (target < 4 GiB); load {big['load'] * 1000:.0f} ms "
            f"(< 1 s), RSS after load {big['rss_after_load'] / MIB:.0f} MiB (< 200 MiB)"
        )
    if ref and big:
        console.print(
            f"warm scan at 10M / at 6,000: {ref['warm'] / big['warm']:.2f}, real text with leaked names "
            f"{ref['names_warm'] / big['names_warm']:.2f} (target >= {TARGET_SCAN_RATIO})"
        )
    largest = sorted(by_size)[-2:]
    if len(largest) == 2:
        (n1, a), (n2, b) = ((n, by_size[n]["peak_rss_sum"]) for n in largest)
        slope = (b - a) / (n2 - n1)
        projected = b + slope * (100_000_000 - n2)
        console.print(
            f"peak RSS grew by {slope:,.0f} bytes per record from {n1:,} to {n2:,} records; continued in a "
            f"straight line, a 100M build would peak at {projected / 2**30:.1f} GiB (a projection, not a "
            "measurement, and an overestimate when the smaller size did not fill a chunk: chunk memory is "
            "bounded by --memory, what grows per record is the offsets, counts and document-frequency "
            "arrays; target < 8 GiB)"
        )


def rescan(
    kept: list[tuple[int, Path]],
    runs: int,
    console: Console,
    pairs_too: bool = False,
    entries_too: bool = False,
) -> None:
    """Scan speed of kept fingerprint files (``--keep``) side by side: each file loaded and
    scanned in a fresh process, the sizes alternated, ``runs`` times; medians of the CPU
    time. The ratio of the largest size's warm speed to the smallest's is the issue's
    "scan at 10M within 20% of 6,000" (same corpus generator, same machine, same minutes).
    ``pairs_too``: each file also scanned as a file without the matcher's rules (the date-word
    test keeping every line whose date and word some record holds); ``entries_too``: also as
    one without the (date, word) pairs (the test reading the date's records' entries); all
    alternated."""
    modes = ("rules",) + (("pairs",) if pairs_too else ()) + (("entries",) if entries_too else ())
    results: dict[tuple[int, str], list[dict]] = {(size, mode): [] for size, _ in kept for mode in modes}
    for _ in range(runs):
        for size, folder in kept:
            corpus = folder / f"corpus{size}.txt"
            for mode in modes:
                figures = load_and_scan(folder / f"d{size}.ltfp", folder / "k.key", corpus, mode)
                figures["mb"] = corpus.stat().st_size / MB
                results[size, mode].append(figures)
    table = Table(
        "records",
        "date-word test",
        "load (median)",
        "RSS after load",
        "scanner set-up (median CPU)",
        "scan cold (median CPU; set-up included)",
        "cold: page faults minor / major",
        "scan warm (median CPU)",
        "warm, each run",
        "real text with names, warm (median CPU)",
        "names, each run",
        "names: records matched",
        title=f"rescan  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {_commit()}, median of {runs} "
        f"alternating runs, load average {_load()}",
    )
    warm, names = {}, {}
    for (size, mode), rows in results.items():
        mb, names_mb = rows[0]["mb"], rows[0]["names_bytes"] / MB
        median = {key: statistics.median(r[key] for r in rows) for key in rows[0] if key != "date_words"}
        warm[size, mode] = mb / median["warm"]
        names[size, mode] = names_mb / median["names_warm"]
        table.add_row(
            f"{size:,}",
            {
                "rules": f"rules ({rows[0]['date_word_pairs']:,} pairs, {rows[0]['date_name_anchors']:,} anchors)",
                "pairs": f"pairs alone ({rows[0]['date_word_pairs']:,})",
            }.get(mode, mode),
            f"{median['load'] * 1000:.0f} ms",
            f"{median['rss_after_load'] / MIB:.0f} MiB",
            f"{median['setup'] * 1000:.0f} ms",
            f"{mb / median['cold']:.1f} MB/s ({median['cold']:.3f} s)",
            f"{median['cold_minor_faults']:,.0f} / {median['cold_major_faults']:,.0f}",
            f"{warm[size, mode]:.1f} MB/s ({median['warm']:.3f} s)",
            " ".join(f"{mb / r['warm']:.0f}" for r in rows),
            f"{names[size, mode]:.1f} MB/s ({median['names_warm']:.3f} s)",
            " ".join(f"{names_mb / r['names_warm']:.0f}" for r in rows),
            " ".join(str(r["names_matched"]) for r in rows),
        )
    console.print(table)
    small, large = min(size for size, _ in kept), max(size for size, _ in kept)
    for mode in modes:
        console.print(
            f"{mode}: warm scan at {large:,} / at {small:,} records: {warm[large, mode] / warm[small, mode]:.2f}, "
            f"real text with leaked names {names[large, mode] / names[small, mode]:.2f} "
            f"(target >= {TARGET_SCAN_RATIO})"
        )


STARTUP_TARGET_SECONDS = 0.3


def startup_figures(folder: Path, runs: int) -> list[tuple[str, float]]:
    """Median CPU time (user + system) of each command in a fresh process, ``runs`` times."""
    home = folder / "startup-home"
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LEAKTRACK_HOME": str(home)}
    for name in ("LEAKTRACK_STORE", "LEAKTRACK_FINGERPRINTS", "LEAKTRACK_KEY_FILE", "LEAKTRACK_CASE"):
        env.pop(name, None)
    dataset = home / "leak.csv"
    synthetic.generate_leak(6000, seed=3).write(dataset)
    script = Path(sys.executable).parent / "leaktrack"  # the console script people run
    leaktrack = [str(script)] if script.exists() else [sys.executable, "-m", "leaktrack.cli.app"]
    subprocess.run([*leaktrack, "fingerprint", str(dataset)], env=env, check=True, capture_output=True)
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"from leaktrack.index import open_store; open_store('sqlite:///' + {str(home / 'matches.db')!r}).close()",
        ],
        env=env,
        check=True,
    )
    document = home / "note.txt"
    document.write_text("hello world\n")  # 12 bytes
    commands = {
        "python -c pass (reference)": [sys.executable, "-c", "pass"],
        "leaktrack --help": [*leaktrack, "--help"],
        "leaktrack --version": [*leaktrack, "--version"],
        "leaktrack scan <12-byte file> (6,000 records)": [*leaktrack, "scan", str(document)],
        "leaktrack queue list (empty store)": [*leaktrack, "queue", "list"],
        "leaktrack config show": [*leaktrack, "config", "show"],
    }
    figures = []
    for label, command in commands.items():
        times = []
        for _ in range(runs):
            cpu = children_cpu()
            subprocess.run(command, env=env, capture_output=True)
            times.append(children_cpu() - cpu)
        figures.append((label, statistics.median(times)))
    return figures


def report_startup(figures: list[tuple[str, float]], console: Console, runs: int) -> None:
    table = Table(
        "command",
        "CPU time (median)",
        "minus python -c pass",
        title=f"start-up  {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {_commit()}, median of {runs} "
        f"runs, load average {_load()} (target < {STARTUP_TARGET_SECONDS} s)",
    )
    reference = figures[0][1]
    for label, seconds in figures:
        table.add_row(label, f"{seconds * 1000:.0f} ms", f"{(seconds - reference) * 1000:.0f} ms")
    console.print(table)


def _commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip() or "?"


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="6000,1000000,10000000", help="comma-separated record counts")
    parser.add_argument("--full", action="store_true", help="also 100M records")
    parser.add_argument("--workers", type=int, default=None, help="build workers (default: every core)")
    parser.add_argument("--memory", default=None, help="build memory budget (default: a quarter of RAM)")
    parser.add_argument("--corpus-mb", type=float, default=20, help="size of the scanned corpus")
    parser.add_argument("--folder", default=None, help="where the temporary files go (default: /tmp)")
    parser.add_argument("--startup", action="store_true", help="measure start-up only (no sizes)")
    parser.add_argument("--startup-runs", type=int, default=7, help="runs of each command at start-up")
    parser.add_argument(
        "--keep",
        default=None,
        help="keep datasets, fingerprint files (key k.key) and corpora in this folder, to scan them again "
        "(a dataset and corpus already there are used again)",
    )
    parser.add_argument(
        "--rescan",
        default=None,
        help="SIZE:FOLDER,...: scan kept files (--keep) again, alternating sizes, --runs times; no build",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of --rescan")
    parser.add_argument(
        "--pairs-too",
        action="store_true",
        help="with --rescan: also scan each file as one without the matcher's rules beside the (date, word) "
        "pairs (their reach and the (date, two words) anchors: the date-word test of a file built before "
        "them), alternated",
    )
    parser.add_argument(
        "--entries-too",
        action="store_true",
        help="with --rescan: also scan each file as one without the (date, word) pairs (the date-word "
        "test reading the date's records' entries, as for a file built before them), alternated",
    )
    args = parser.parse_args(argv)
    args.load_at_start = _load()
    if args.rescan:
        kept = [
            (int(size), Path(folder))
            for size, folder in (item.split(":", 1) for item in args.rescan.split(","))
        ]
        rescan(kept, args.runs, Console(width=200), args.pairs_too, args.entries_too)
        return
    sizes = [int(s) for s in args.sizes.split(",")] + ([100_000_000] if args.full else [])
    console = Console(width=160)
    with tempfile.TemporaryDirectory(prefix="leaktrack-startup-", dir=args.folder) as folder:
        startup = startup_figures(Path(folder), args.startup_runs)
    if args.startup:
        report_startup(startup, console, args.startup_runs)
        return
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        rows = [measure(size, Path(args.keep), args, console) for size in sizes]
    else:
        with tempfile.TemporaryDirectory(prefix="leaktrack-scale-", dir=args.folder) as folder:
            rows = [measure(size, Path(folder), args, console) for size in sizes]
    report(rows, console, args)
    report_startup(startup, console, args.startup_runs)


if __name__ == "__main__":
    main()
