"""The first pass alone, in package trees side by side: its speed cold and warm (a same-run
A/B), and its candidate lines (an exactness check of a change to ``_firstpass.c``).

    # speed: this tree beside a baseline tree, alternating, CPU time, median of the runs
    .venv/bin/python bench/first_pass.py speed --tree . --tree /tmp/base --real-mb 20 --runs 5
    # candidate lines of every corpus, in every way the pass runs, from one tree each
    .venv/bin/python bench/first_pass.py lines --tree /tmp/base --out /tmp/before.json
    .venv/bin/python bench/first_pass.py lines --tree . --out /tmp/after.json
    .venv/bin/python bench/first_pass.py compare /tmp/before.json /tmp/after.json

A *tree* is a checkout of the repository with its C extensions built in place, e.g. the
baseline of a change:

    git -C /work/main archive <commit> | tar -x -C /tmp/base
    (cd /tmp/base && /work/wt/<you>/.venv/bin/python setup.py -q build_ext --inplace)

(the same command in the tree under test, so that both are compiled with the same flags).

Each tree runs in its own processes (``leaktrack`` imported from it: each child prints the
module paths it loaded), over the same corpora, fingerprints and key, written once by this
process: bench/speed.py's *real* text and *names* corpus, and for ``lines`` also its
*leak-heavy* corpus and the quality mix (bench/quality.py's altered copies, form copies and
negatives, extracted once; OCR included).

``speed``: each child makes a fresh scanner per cold run (an empty chunk memo, in a process
whose per-character folding table was filled by a first, untimed run, as bench/speed.py's cold
figures are) and times ``candidate_lines_of`` over the corpus, then again warm; the trees take
turns, child after child, so a change in the machine's load falls on both.

``lines``: per corpus, the candidate lines of every document (line numbers and token bytes)
from the compiled pass cold (one scanner over the corpus, its memo kept from document to
document as in a sweep), warm (the same scanner again), with a memo of 500 chunks (cleared
again and again), and from the pure-Python pass (the definition). ``compare`` says whether two
dumps are identical and where not; ``lines`` itself fails when a tree's compiled pass and its
Python pass disagree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

MB = 1_000_000
SMALL_MEMO = 500

# Run in a child whose sys.path starts with a folder holding ``leaktrack`` -> the tree.
_CHILD = r"""
import json, pickle, resource, sys
import leaktrack
from leaktrack.fingerprints import FingerprintSet, first_pass, _firstpass
from leaktrack.fingerprints.scan import _Scanner

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

job = json.loads(sys.argv[1])
fingerprints = FingerprintSet.load(job["fp"], job["key"])
with open(job["corpora"], "rb") as f:
    corpora = pickle.load(f)
out = {"package": leaktrack.__file__, "compiled": _firstpass.__file__}

def run(scanner, texts):
    started, found = cpu(), 0
    for text in texts:
        found += len(scanner.candidate_lines_of(text))
    return cpu() - started, found

if job["mode"] == "speed":
    for label in job["labels"]:
        texts = corpora[label]
        run(_Scanner(fingerprints, compiled=True), texts)  # untimed: per-process tables filled
        figures = {"cold": [], "warm": []}
        for _ in range(job["repeats"]):
            scanner = _Scanner(fingerprints, compiled=True)
            figures["cold"].append(run(scanner, texts))
            figures["warm"].append(run(scanner, texts))
        out[label] = figures
else:
    def digest(lines):
        return [[number, line.hex()] for number, line in lines]

    for label, texts in corpora.items():
        compiled = _Scanner(fingerprints, compiled=True)
        small = _Scanner(fingerprints, compiled=True)
        small.first_pass = first_pass.CompiledFirstPass(
            small.hasher, fingerprints.prefilter_keys, small._month_keys(), fingerprints.known_keys,
            fingerprints.known_bits, small.date_words, memo_chunks=job["small_memo"],
        )
        python = _Scanner(fingerprints, compiled=False)
        ways = {"compiled cold": [digest(compiled.candidate_lines_of(t)) for t in texts]}
        ways["compiled warm"] = [digest(compiled.candidate_lines_of(t)) for t in texts]
        ways["compiled, small memo"] = [digest(small.candidate_lines_of(t)) for t in texts]
        ways["pure Python"] = [digest(python.candidate_lines_of(t)) for t in texts]
        out[label] = ways
print(json.dumps(out))
"""


def corpora_for(args, fingerprints, leak, with_all: bool) -> dict[str, list[str]]:
    from speed import heavy_texts, names_texts, real_texts

    real = real_texts(int(args.real_mb * MB))
    corpora = {
        "real": real,
        "names": names_texts(real[::5], leak.column("full_name"), seed=2),
    }
    if with_all:
        corpora["leak-heavy"] = heavy_texts(leak, args.heavy_mb)
    decoded = {label: [data.decode("utf-8", "replace") for data in texts] for label, texts in corpora.items()}
    if with_all:
        decoded["quality mix"] = quality_mix_texts()
    return decoded


def quality_mix_texts() -> list[str]:
    """The texts bench/quality.py scans (its copies, forms and negatives, seed 0), extracted."""
    from quality import BENCH_LIMITS

    from leaktrack.fingerprints.documents import extract_texts
    from leaktrack.synthetic import (
        form_copies,
        form_negative_samples,
        generate_leak,
        negative_samples,
        transformed_copies,
    )

    leak = generate_leak(6000, seed=0)
    samples = transformed_copies(leak, seed=0) + form_copies(leak, seed=0)
    samples += negative_samples(leak, seed=0) + form_negative_samples(leak, seed=0, count=52)
    return [extract_texts(s.data, s.filename, limits=BENCH_LIMITS).text for s in samples]


def in_tree(tree: Path, job: dict, links: Path) -> dict:
    """The child's JSON, run with ``leaktrack`` imported from ``tree``."""
    link_dir = links / hashlib.sha256(str(tree).encode()).hexdigest()[:12]
    if not link_dir.exists():
        link_dir.mkdir()
        (link_dir / "leaktrack").symlink_to(tree)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(job)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(link_dir)},
    )
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {done.stderr[-2000:]}")
    out = json.loads(done.stdout)
    if not out["package"].startswith(str(link_dir)):
        raise SystemExit(f"{tree}: leaktrack came from {out['package']}, not the tree")
    return out


def commit_of(tree: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip() or "(not a git checkout)"


def prepare(args, tmp: Path, with_all: bool) -> dict:
    from speed import KEY

    from leaktrack import synthetic
    from leaktrack.fingerprints import build_fingerprint_set

    leak = synthetic.generate_leak(args.records, seed=1)
    fingerprints = build_fingerprint_set(leak.columns, leak.rows, leak.ids, KEY)
    fp_file, key_file = fingerprints.save(tmp / "fp.ltfp"), tmp / "fp.key"
    key_file.write_text(KEY.hex())
    corpora = corpora_for(args, fingerprints, leak, with_all)
    with open(tmp / "corpora.pickle", "wb") as f:
        pickle.dump(corpora, f)
    sizes = {
        label: sum(len(t.encode("utf-8", "surrogatepass")) for t in texts) for label, texts in corpora.items()
    }
    return {"fp": str(fp_file), "key": str(key_file), "corpora": str(tmp / "corpora.pickle"), "sizes": sizes}


def speed(args) -> None:
    trees = [Path(t).resolve() for t in args.tree]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="leaktrack-first-pass-") as tmp_name:
        tmp = Path(tmp_name)
        links = tmp / "links"
        links.mkdir()
        job = prepare(args, tmp, with_all=False)
        sizes = job.pop("sizes")
        job.update(mode="speed", labels=["real", "names"], repeats=args.repeats)
        results: dict[Path, list[dict]] = {tree: [] for tree in trees}
        for run in range(args.runs):
            for tree in trees if run % 2 == 0 else reversed(trees):
                results[tree].append(in_tree(tree, job, links))
    load_after = os.getloadavg()
    print(
        f"bench/first_pass.py speed, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"load {' '.join(f'{x:.1f}' for x in load_before)} at start, "
        f"{' '.join(f'{x:.1f}' for x in load_after)} at end; {args.runs} children a tree, "
        f"{args.repeats} cold and warm runs each; MB/s of CPU time, median and best run"
    )
    base = None
    for tree in trees:
        row = [f"{tree} ({commit_of(tree)}):"]
        rates = {}
        for label in ("real", "names"):
            for how in ("cold", "warm"):
                seconds = [s for child in results[tree] for s, _ in child[label][how]]
                found = {n for child in results[tree] for _, n in child[label][how]}
                # the median, and the best run (least disturbed by other work on a busy machine)
                rate, best = sizes[label] / MB / statistics.median(seconds), sizes[label] / MB / min(seconds)
                rates[label, how] = rate, best
                versus = f" ({rate / base[label, how][0]:.3f}x)" if base else ""
                best_versus = f" ({best / base[label, how][1]:.3f}x)" if base else ""
                row.append(
                    f"{label} {how} {rate:.1f}{versus}, best {best:.1f}{best_versus} "
                    f"[{'/'.join(map(str, sorted(found)))} lines]"
                )
        base = base or rates
        print("  " + "\n    ".join(row))


def lines(args) -> None:
    tree = Path(args.tree[0]).resolve()
    with tempfile.TemporaryDirectory(prefix="leaktrack-first-pass-") as tmp_name:
        tmp = Path(tmp_name)
        links = tmp / "links"
        links.mkdir()
        job = prepare(args, tmp, with_all=True)
        job.pop("sizes")
        job.update(mode="lines", small_memo=SMALL_MEMO)
        out = in_tree(tree, job, links)
    out["tree"], out["commit"] = str(tree), commit_of(tree)
    Path(args.out).write_text(json.dumps(out))
    disagree = []
    for label, ways in out.items():
        if not isinstance(ways, dict):
            continue
        counts = {way: sum(map(len, docs)) for way, docs in ways.items()}
        print(f"{label}: {len(ways['pure Python'])} documents, candidate lines {counts}")
        for way, docs in ways.items():
            if docs != ways["pure Python"]:
                disagree.append(f"{label}: {way} is not the pure-Python pass")
    if disagree:
        raise SystemExit("\n".join(disagree))


def compare(args) -> None:
    before, after = (json.loads(Path(p).read_text()) for p in (args.before, args.after))
    differences = 0
    for label, ways in before.items():
        if not isinstance(ways, dict):
            continue
        for way, docs in ways.items():
            other = after[label][way]
            changed = [i for i, (a, b) in enumerate(zip(docs, other)) if a != b]
            if len(docs) != len(other) or changed:
                differences += 1
                print(
                    f"{label}, {way}: documents {changed[:10]} differ ({len(docs)} vs {len(other)} documents)"
                )
            else:
                print(f"{label}, {way}: identical ({len(docs)} documents, {sum(map(len, docs))} lines)")
    if differences:
        raise SystemExit(f"{differences} differences")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("speed", "lines"):
        p = sub.add_parser(name)
        p.add_argument("--tree", action="append", required=True, help="a package tree (repeat for an A/B)")
        p.add_argument("--records", type=int, default=6000)
        p.add_argument("--real-mb", type=float, default=20)
        p.add_argument("--heavy-mb", type=float, default=4)
    sub.choices["speed"].add_argument("--runs", type=int, default=5, help="children a tree (alternating)")
    sub.choices["speed"].add_argument("--repeats", type=int, default=1, help="cold+warm runs a child")
    sub.choices["lines"].add_argument("--out", required=True)
    p = sub.add_parser("compare")
    p.add_argument("before")
    p.add_argument("after")
    args = parser.parse_args()
    {"speed": speed, "lines": lines, "compare": compare}[args.command](args)


if __name__ == "__main__":
    main()
