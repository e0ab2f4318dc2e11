"""Steps of the leak-heavy scan timed against their code at another commit, in one process.

    .venv/bin/python bench/step_ab.py --baseline eb87d19 [--rounds 20] [--heavy-mb 4]

A step that costs a few ms of a ~0.3 s pass is lost in the noise of whole-scan figures on a
shared machine (``bench/tree_ab.py``): here the step alone is timed, on the very inputs the
scan gives it, old and new code alternating in one process (CPU time, median of ``--rounds``).
The old code is the step's module at ``--baseline`` (``git show``), executed beside the
installed package, so it imports today's helpers; each step's results are checked equal first.

- ``_EncodedLines._textual_date_keys`` (scan.py): the keys of spelled dates of each batch of
  the leak-heavy corpus' candidate lines;
- ``DateWordTest.held`` (first_pass.py): the date-only lines of its documents.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from speed import KEY, heavy_texts  # noqa: E402

from leaktrack import synthetic  # noqa: E402
from leaktrack.fingerprints import build_fingerprint_set, first_pass, scan, scan_text  # noqa: E402


def module_at(commit: str, path: str, name: str) -> types.ModuleType:
    """The package module at ``path`` as it was at ``commit``, run beside today's package."""
    source = subprocess.run(
        ["git", "-C", str(HERE.parent), "show", f"{commit}:{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType(f"leaktrack.fingerprints.{name}_at_{commit}")
    module.__package__ = "leaktrack.fingerprints"
    sys.modules[module.__name__] = module  # (its dataclasses look their module up)
    exec(compile(source, f"{path}@{commit}", "exec"), module.__dict__)  # noqa: S102
    return module


def recorded_calls(owner: type, method: str, texts: list[str], fingerprints) -> list[tuple]:
    """(self, args) of every call of ``owner.method`` while the texts are scanned (warm)."""
    calls: list[tuple] = []
    original = getattr(owner, method)

    def recording(self, *args):
        calls.append((self, args))
        return original(self, *args)

    setattr(owner, method, recording)
    try:
        for text in texts:
            scan_text(text, fingerprints)
    finally:
        setattr(owner, method, original)
    return calls


def alternate(rounds: int, old: Callable[[], object], new: Callable[[], object]) -> tuple[float, float]:
    times: dict[str, list[float]] = {"old": [], "new": []}
    for r in range(rounds):
        for name, run in (("old", old), ("new", new)) if r % 2 == 0 else (("new", new), ("old", old)):
            started = time.process_time()
            run()
            times[name].append(time.process_time() - started)
    return statistics.median(times["old"]), statistics.median(times["new"])


def same(a, b) -> bool:
    if isinstance(a, tuple):
        return all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool((a == b).all()) and len(a) == len(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, help="the commit whose code is the old side")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--heavy-mb", type=float, default=4)
    args = parser.parse_args()
    leak = synthetic.generate_leak(6000, seed=1)
    fingerprints = build_fingerprint_set(leak.columns, leak.rows, leak.ids, KEY)
    texts = [data.decode("utf-8", "replace") for data in heavy_texts(leak, args.heavy_mb)]
    for text in texts:  # warm: the memos of one pass
        scan_text(text, fingerprints)
    old_scan = module_at(args.baseline, "fingerprints/scan.py", "scan")
    old_first_pass = module_at(args.baseline, "fingerprints/first_pass.py", "first_pass")

    batches = [
        encoded
        for encoded, _ in recorded_calls(scan._EncodedLines, "_textual_date_keys", texts, fingerprints)
    ]
    old_keys, new_keys = old_scan._EncodedLines._textual_date_keys, scan._EncodedLines._textual_date_keys
    assert all(same(old_keys(e), new_keys(e)) for e in batches)
    before, after = alternate(
        args.rounds, lambda: [old_keys(e) for e in batches], lambda: [new_keys(e) for e in batches]
    )
    print(f"_textual_date_keys, {len(batches)} batches: {before * 1000:.2f} -> {after * 1000:.2f} ms")

    calls = recorded_calls(first_pass.DateWordTest, "held", texts, fingerprints)
    hasher = fingerprints._scanner.hasher
    old_test = old_first_pass.DateWordTest(fingerprints, hasher)
    new_test = first_pass.DateWordTest(fingerprints, hasher)
    assert all(same(old_test.held(*a), new_test.held(*a)) for _, a in calls)
    before, after = alternate(
        args.rounds,
        lambda: [old_test.held(*a) for _, a in calls],
        lambda: [new_test.held(*a) for _, a in calls],
    )
    lines = sum(len(a[0]) for _, a in calls)
    print(
        f"DateWordTest.held, {len(calls)} calls, {lines} lines: {before * 1000:.2f} -> {after * 1000:.2f} ms"
    )
    print(f"(CPU time, median of {args.rounds} alternating rounds, warm; old: {args.baseline})")


if __name__ == "__main__":
    main()
