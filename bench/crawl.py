"""Crawl throughput: pages per second of a sweep over a large local paste site, scanning on vs off.

    .venv/bin/python bench/crawl.py [--pastes 5000] [--records 6000] [--per-page 50]

Serves a synthetic paste site (archive pages + raw endpoints) on 127.0.0.1, a few pastes
being altered copies of a synthetic leak and the rest unrelated text, and sweeps it twice
from scratch through the real crawler: once with scanning off (the baseline: crawl only) and
once with every paste scanned against the leak's fingerprints. Target: scanning costs under
20% of crawl throughput. Everything happens in a temporary folder, deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
from datetime import date
from pathlib import Path

TARGET_MAX_SLOWDOWN = 0.20
LEAK_COPIES = 20
LOOKALIKE_SHARE = 0.10
LOOKALIKE_KINDS = {
    "other_people_same_schema",
    "other_people_json",
    "other_people_html",
    "facility_directory",
    "common_names",
    "names_with_nationality",
}


def main() -> int:
    options = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="leaktrack-bench-crawl-"))
    try:
        return run(options, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pastes", type=int, default=5000, help="pastes on the site (default 5000)")
    parser.add_argument(
        "--records", type=int, default=6000, help="records in the synthetic leak (default 6000)"
    )
    parser.add_argument("--per-page", type=int, default=50, help="pastes per archive page (default 50)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="off/on pairs to run; medians are reported (default 3)"
    )
    parser.add_argument(
        "--scan-workers",
        type=int,
        default=None,
        help="scanning worker processes (default: LEAKTRACK_SCAN_WORKERS, cores - 1)",
    )
    return parser.parse_args()


def run(options: argparse.Namespace, workdir: Path) -> int:
    from leaktrack.spiders.demo import fingerprint_dataset
    from leaktrack.spiders.settings import LOCAL_SITE_SETTINGS
    from leaktrack.spiders.sites import LocalSite, add_pastes
    from leaktrack.synthetic import generate_leak, negative_samples, transformed_copies

    leak = generate_leak(options.records, seed=5)
    fingerprints = workdir / "leak.ltfp"
    fingerprint_dataset(leak.write(workdir / "leak.csv"), fingerprints, workdir / "leak.key")
    pastes, leak_ids = make_pastes(
        options.pastes, leak, negative_samples(leak, seed=5, count=150), transformed_copies(leak, seed=5)
    )
    bytes_total = sum(len(text.encode("utf-8")) for text in pastes.values())
    print(
        f"site: {len(pastes)} pastes ({bytes_total / 1e6:.1f} MB; code, logs, configs, prose and "
        f"{LOOKALIKE_SHARE:.0%} look-alike people lists), {options.per_page} per archive page; "
        f"leak: {options.records} records, {len(leak_ids)} altered copies hidden; "
        f"scan workers: {scan_workers(options)}"
    )
    with LocalSite() as site:
        add_pastes(site, pastes, per_page=options.per_page)
        workers = {} if options.scan_workers is None else {"LEAKTRACK_SCAN_WORKERS": options.scan_workers}
        runs = []
        # Alternating off/on runs, each from scratch: load from other jobs hits both alike.
        for run_number in range(options.repeat):
            off = sweep_once(
                site,
                workdir / f"off{run_number}",
                fingerprints,
                {**LOCAL_SITE_SETTINGS, "LEAKTRACK_SCAN": False},
            )
            on = sweep_once(
                site, workdir / f"on{run_number}", fingerprints, {**LOCAL_SITE_SETTINGS, **workers}
            )
            runs.append((off, on))
        found = matched_paste_ids(workdir / "on0")
    print(
        f"leak copies found: {len(found & leak_ids)} of {len(leak_ids)}; other pastes flagged: {len(found - leak_ids)}"
    )
    return report(runs)


def matched_paste_ids(home: Path) -> set[str]:
    from leaktrack.index import open_store

    with open_store(f"sqlite:///{home / 'matches.db'}") as store:
        return {match.url.rsplit("/", 1)[-1] for match in store.list_matches(limit=None)}


def scan_workers(options: argparse.Namespace) -> int:
    from leaktrack.spiders import settings

    return settings.LEAKTRACK_SCAN_WORKERS if options.scan_workers is None else options.scan_workers


def make_pastes(count: int, leak, negatives, copies) -> tuple[dict[str, str], set[str]]:
    """The site's pastes (id -> text) and the ids of the leak copies among them.

    The mix stands for a paste site's archive: mostly code, logs, configs and prose, with
    LOOKALIKE_SHARE of lists of other people and facilities (the scanner's hardest negatives).
    """
    rng = random.Random(5)
    lookalike = [text_of(sample) for sample in negatives if sample.kind in LOOKALIKE_KINDS]
    everyday = [text_of(sample) for sample in negatives if sample.kind not in LOOKALIKE_KINDS]
    leak_texts = [text for text in map(utf8_or_none, copies) if text is not None]
    pastes, leak_ids = {}, set()
    for index in range(count):
        paste_id = f"P{index:06d}"
        if index % max(1, count // LEAK_COPIES) == 0:
            pastes[paste_id] = leak_texts[index % len(leak_texts)]
            leak_ids.add(paste_id)
        else:
            pastes[paste_id] = rng.choice(lookalike if rng.random() < LOOKALIKE_SHARE else everyday)
    return pastes, leak_ids


def text_of(sample) -> str:
    return sample.data.decode("utf-8", "replace")


def utf8_or_none(sample) -> str | None:
    """Pastes are text: the copies that are UTF-8 text (not XLSX, zip, UTF-16, cp1252)."""
    try:
        return sample.data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def sweep_once(site, home: Path, fingerprints: Path, settings: dict):
    from leaktrack.home import Workspace
    from leaktrack.spiders.sources import parse_sources
    from leaktrack.spiders.sweep import run_sweep

    config = parse_sources(
        {
            "allow_private_networks": True,
            "sources": [
                {
                    "name": "bench",
                    "kind": "paste",
                    "start_urls": [site.url("/archive")],
                    "item_links": "/p/[A-Za-z0-9]+$",
                    "next_page": r"page=\d+",
                    "raw_url": site.url("/raw/{id}"),
                }
            ],
        }
    )
    workspace = Workspace.in_folder(
        home, fingerprints=fingerprints, key_file=fingerprints.with_suffix(".key")
    )
    return run_sweep(config, workspace, settings=settings)


def pages_per_second(summary) -> float:
    return summary.totals()["pages"] / summary.seconds


def report(runs) -> int:
    print(
        f"\n{'sweep':<30}{'pages':>8}{'seconds':>10}{'pages/s':>10}{'documents':>11}{'matches':>9}{'errors':>8}"
    )
    for run_number, pair in enumerate(runs, 1):
        for label, summary in zip(("scanning off (baseline)", "scanning on"), pair):
            totals = summary.totals()
            print(
                f"{label + f' #{run_number}':<30}{totals['pages']:>8}{summary.seconds:>10.1f}"
                f"{pages_per_second(summary):>10.1f}{totals['documents']:>11}{totals['matches']:>9}{totals['errors']:>8}"
            )
    off_rate = statistics.median(pages_per_second(off) for off, _ in runs)
    on_rate = statistics.median(pages_per_second(on) for _, on in runs)
    print(f"\nmedian pages/s: scanning off {off_rate:.1f}, scanning on {on_rate:.1f}")
    slowdown = 1 - on_rate / off_rate
    verdict = "PASS" if slowdown < TARGET_MAX_SLOWDOWN else "MISS"
    print(
        f"\nscanning cost: {slowdown:.1%} of crawl throughput (target < {TARGET_MAX_SLOWDOWN:.0%}): {verdict}  "
        f"[{date.today().isoformat()}, {os.cpu_count()} cores]"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
