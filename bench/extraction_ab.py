"""Same-run A/B of two (or more) package trees: the library's scan and extraction of plain text.

    # a tree of the old code, its extensions built in place:
    mkdir -p /tmp/base/leaktrack && git archive eb87d19 | tar -x -C /tmp/base/leaktrack
    (cd /tmp/base/leaktrack && /path/to/checkout/.venv/bin/python setup.py -q build_ext --inplace)
    .venv/bin/python bench/extraction_ab.py --tree /tmp/base --tree . --rounds 3 --real-mb 20

The real text and names corpus counterpart of ``bench/tree_ab.py`` (leak-heavy text, a
baseline with a venv of its own): here a baseline is only a folder on ``PYTHONPATH``.

A tree is a folder holding a ``leaktrack`` package (``--tree .`` is this checkout, through its
editable install); each measurement runs in a fresh process with that folder first on
``sys.path``, and the trees take turns, round after round, so that what else the machine runs
weighs on each alike. Every process scans the same files (``bench/speed.py``'s real text and
its names corpus, written to a temporary folder) with the same fingerprint file, and gives CPU
seconds (user + system) of: ``scan_bytes`` over every file cold (a fresh scanner) and warm,
``extract_texts`` alone (warm), and ``scan_text`` of the extracted texts (the engine); with
``--cli``, also ``leaktrack scan`` over the real folder with 1 and 2 workers. Printed:
the median over the rounds of each process' median of ``--runs``, MB/s and the share of
``grep -F -f names`` measured in the same run, with date, commit and load.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table
from speed import KEY, MB, grep_cpu, names_texts, real_texts, write_folder  # (bench/ is on sys.path)

from leaktrack import synthetic
from leaktrack.fingerprints import build_fingerprint_set

HERE = Path(__file__).resolve().parent


def compile_package_bytecode(tree: Path) -> None:
    """The tree's bytecode, as ``bench/speed.py`` writes this checkout's (PYTHONDONTWRITEBYTECODE
    would have every CLI run compile the package)."""
    package = tree / "leaktrack" if (tree / "leaktrack" / "__init__.py").exists() else tree
    compileall.compile_dir(package, quiet=1, rx=re.compile(r"[/\\](\.venv|build)"))


# Run in the tree's process: argv = fingerprint file, key file, runs, folders...
_MEASURE = r"""
import json, resource, statistics, sys
from pathlib import Path
from leaktrack.fingerprints import FingerprintSet, scan_bytes, scan_text
from leaktrack.fingerprints.documents import extract_texts

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

fp = FingerprintSet.load(sys.argv[1], sys.argv[2])
runs = int(sys.argv[3])
out = {"package": __import__("leaktrack").__file__}
for folder in sys.argv[4:]:
    files = [(p.name, p.read_bytes()) for p in sorted(Path(folder).iterdir())]
    texts = [extract_texts(data, name=name).text for name, data in files]

    def library(cold):
        if cold:
            fp._scanner = None
        started = cpu()
        for name, data in files:
            scan_bytes(data, fp, name=name)
        return cpu() - started

    def extraction():
        started = cpu()
        for name, data in files:
            extract_texts(data, name=name)
        return cpu() - started

    def engine():
        started = cpu()
        for text in texts:
            scan_text(text, fp)
        return cpu() - started

    cold = statistics.median(library(True) for _ in range(runs))
    library(False)
    warm = statistics.median(library(False) for _ in range(runs))
    out[Path(folder).name] = {
        "library_cold": cold,
        "library_warm": warm,
        "extraction": statistics.median(extraction() for _ in range(runs)),
        "engine_warm": statistics.median(engine() for _ in range(runs)),
    }
print(json.dumps(out))
"""


def measure_tree(tree: Path, fp: Path, key: Path, runs: int, folders: list[Path]) -> dict:
    environment = dict(os.environ)
    if tree.resolve() != HERE.parent.resolve():  # (this checkout: its editable install)
        environment["PYTHONPATH"] = str(tree.resolve())
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(fp), str(key), str(runs), *map(str, folders)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tempfile.gettempdir(),  # (not a folder holding a leaktrack package of its own)
    )
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {done.stderr[-800:]}")
    return json.loads(done.stdout)


def cli_cpu(tree: Path, fp: Path, key: Path, folder: Path, workers: int) -> float:
    """CPU seconds (its children's) of ``leaktrack scan FOLDER --json --workers N`` of the tree."""
    environment = dict(os.environ)
    if tree.resolve() != HERE.parent.resolve():
        environment["PYTHONPATH"] = str(tree.resolve())
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "leaktrack.cli.app", "scan", str(folder), "--json", "--workers", str(workers)]
        + ["--fingerprints", str(fp), "--key-file", str(key)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tempfile.gettempdir(),
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{tree}: scan failed: {done.stderr[-800:]}")
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tree", type=Path, action="append", required=True, help="a folder holding leaktrack/"
    )
    parser.add_argument("--rounds", type=int, default=3, help="processes per tree, taking turns")
    parser.add_argument("--runs", type=int, default=3, help="runs of each figure in a process (median)")
    parser.add_argument("--real-mb", type=float, default=20)
    parser.add_argument(
        "--cli", action="store_true", help="also leaktrack scan over the real folder, 1 and 2 workers"
    )
    args = parser.parse_args()
    console = Console(width=170)
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    commit = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    with tempfile.TemporaryDirectory(prefix="leaktrack-ab-") as tmp_name:
        tmp = Path(tmp_name)
        leak = synthetic.generate_leak(6000, seed=1)
        fp = build_fingerprint_set(leak.columns, leak.rows, leak.ids, KEY).save(tmp / "fp.ltfp")
        key = tmp / "fp.key"
        key.write_text(KEY.hex())
        names_file = tmp / "names.txt"
        names_file.write_text("\n".join(sorted(set(leak.column("full_name")))) + "\n", encoding="utf-8")
        real = real_texts(int(args.real_mb * MB))
        folders = [
            write_folder(tmp / "real", real),
            write_folder(tmp / "names", names_texts(real[::5], leak.column("full_name"), seed=2)),
        ]
        sizes = {f.name: sum(p.stat().st_size for p in f.iterdir()) / MB for f in folders}
        results: dict[int, list[dict]] = {n: [] for n in range(len(args.tree))}
        grep: dict[str, list[float]] = {f.name: [] for f in folders}
        for round_ in range(args.rounds):
            for n, tree in enumerate(args.tree):
                results[n].append(measure_tree(tree, fp, key, args.runs, folders))
                if args.cli:  # (its package's bytecode written first, as an install does)
                    compile_package_bytecode(tree)
                    for workers in (1, 2):
                        results[n][-1]["real"][f"cli_workers_{workers}"] = cli_cpu(
                            tree, fp, key, folders[0], workers
                        )
                console.log(f"round {round_ + 1}, {tree}: {json.dumps(results[n][-1])}")
            for folder in folders:
                grep[folder.name].append(grep_cpu(names_file, folder)[0])
    load_after = " ".join(f"{x:.1f}" for x in os.getloadavg())
    table = Table(
        "corpus, measure",
        *(f"{tree}" for tree in args.tree),
        title=f"bench/extraction_ab.py {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit.stdout.strip()}, "
        f"load {load_before} at start, {load_after} at end; CPU time, median of {args.rounds} rounds "
        f"x {args.runs} runs; MB/s (share of grep -F -f names, same run)",
    )
    for corpus, size in sizes.items():
        grep_rate = size / statistics.median(grep[corpus])
        table.add_row(f"{corpus} ({size:.1f} MB): grep -F", *([f"{grep_rate:.0f} MB/s"] * len(args.tree)))
        measures = ["library_cold", "library_warm", "extraction", "engine_warm"]
        if args.cli and corpus == "real":
            measures += ["cli_workers_1", "cli_workers_2"]
        for measure in measures:
            cells = []
            for n in range(len(args.tree)):
                seconds = statistics.median(r[corpus][measure] for r in results[n])
                cells.append(f"{seconds:.3f} s, {size / seconds:.1f} MB/s ({size / seconds / grep_rate:.3f})")
            table.add_row(f"{corpus}: {measure}", *cells)
    console.print(table)


if __name__ == "__main__":
    main()
