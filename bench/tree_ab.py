"""Leak-heavy scan speed of this checkout beside another one, measured in the same run.

    .venv/bin/python bench/tree_ab.py --baseline-tree /work/wt/base          # its .venv/bin/python
    .venv/bin/python bench/tree_ab.py --baseline-tree DIR --rounds 4 --heavy-mb 4 --runs 5

Make the baseline tree once: ``git worktree add --detach DIR <commit>`` and, in DIR,
``python3 -m venv .venv && .venv/bin/pip install -e '.[bench]'`` (its own compiled parts).

A machine shared with others, or one slower today than yesterday, moves every figure: a
figure of one checkout is only comparable with one of another measured beside it. Each round
runs one fresh process per checkout, in alternating order (A B, B A, ...), each with its own
interpreter, so each imports its own package. Each process builds the synthetic leak's
fingerprints (6,000 records, the same seed in both), makes ``bench/speed.py``'s leak-heavy
corpus and times, as ``bench/speed.py`` does (CPU time, median of ``--runs``), ``scan_text``
(the engine) and ``scan_bytes`` (the library), cold and warm. The figure of a checkout is the
median of its rounds; the records found must be the same in both (else the A/B compares two
different jobs and says so).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROWS = ("engine, cold", "engine, warm", "library, cold", "library, warm")


def probe(heavy_mb: float, runs: int) -> dict:
    """This interpreter's package: leak-heavy MB/s per row, and the records each row found."""
    sys.path.insert(0, str(HERE))
    from speed import KEY, MB, engine_cpu, heavy_texts, library_cpu, median_of

    import leaktrack
    from leaktrack import synthetic
    from leaktrack.fingerprints import build_fingerprint_set

    leak = synthetic.generate_leak(6000, seed=1)
    fingerprints = build_fingerprint_set(leak.columns, leak.rows, leak.ids, KEY)
    texts = heavy_texts(leak, heavy_mb)
    size = sum(map(len, texts)) / MB
    figures, found = {}, {}
    for row in ROWS:
        scan = engine_cpu if row.startswith("engine") else library_cpu
        cold = row.endswith("cold")
        if not cold:
            scan(texts, fingerprints, True)  # the memo of one full pass

        def timed(scan=scan, cold=cold):
            return scan(texts, fingerprints, cold)

        seconds, found[row] = median_of(runs, timed)
        figures[row] = size / seconds
    return {"package": str(Path(leaktrack.__file__).parent), "mb": size, "mbps": figures, "found": found}


def run_probe(python: str, heavy_mb: float, runs: int) -> dict:
    done = subprocess.run(
        [python, __file__, "--probe", "--heavy-mb", str(heavy_mb), "--runs", str(runs)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{python}: {done.stderr[-800:]}")
    return json.loads(done.stdout.splitlines()[-1])


def commit_of(tree: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(tree), "status", "--porcelain", "-uno"], capture_output=True, text=True
    )
    return done.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-tree", type=Path, help="the other checkout (its package root)")
    parser.add_argument("--baseline-python", help="its interpreter (default: TREE/.venv/bin/python)")
    parser.add_argument("--heavy-mb", type=float, default=4, help="size of the leak-heavy corpus")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure in each process (median)")
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per checkout, alternating")
    parser.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        print(json.dumps(probe(args.heavy_mb, args.runs)))
        return
    if args.baseline_tree is None:
        parser.error("--baseline-tree is needed")
    trees = {
        "this": (HERE.parent, sys.executable),
        "baseline": (
            args.baseline_tree.resolve(),
            args.baseline_python or str(args.baseline_tree / ".venv/bin/python"),
        ),
    }
    commits = {label: commit_of(tree) for label, (tree, _) in trees.items()}
    started, load_at_start = dt.datetime.now(dt.UTC), load()
    results: dict[str, list[dict]] = {label: [] for label in trees}
    for round_number in range(args.rounds):
        order = list(trees) if round_number % 2 == 0 else list(reversed(trees))
        for label in order:
            tree, python = trees[label]
            result = run_probe(python, args.heavy_mb, args.runs)
            if Path(result["package"]).resolve() != tree:
                raise SystemExit(f"{python} imports leaktrack from {result['package']}, not {tree}")
            results[label].append(result)
            mbps = "  ".join(f"{row} {result['mbps'][row]:5.1f}" for row in ROWS)
            print(f"round {round_number + 1} {label:8} {commits[label]:>16}: {mbps}", flush=True)
    print(
        f"\nleak-heavy {results['this'][0]['mb']:.1f} MB, {started:%Y-%m-%d %H:%M} UTC, load {load_at_start} at start, "
        f"{load()} at end; MB/s of CPU time, median of {args.rounds} processes (each the median of {args.runs} runs)"
    )
    print(
        f"{'':16} {'this ' + commits['this']:>22} {'baseline ' + commits['baseline']:>24} {'ratio':>7}  records"
    )
    for row in ROWS:
        this, base = (statistics.median(r["mbps"][row] for r in results[label]) for label in trees)
        found = {r["found"][row] for label in trees for r in results[label]}
        same = f"{found.pop()}, same" if len(found) == 1 else f"DIFFER: {sorted(found)}"
        print(f"{row:16} {this:22.1f} {base:24.1f} {this / base:7.3f}  {same}")


if __name__ == "__main__":
    main()
