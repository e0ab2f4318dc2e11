"""Crawl throughput: pages per second of a sweep over a large local paste site, scanning on vs off.

    .venv/bin/python bench/crawl.py [--pastes 5000] [--records 6000] [--per-page 50]
    .venv/bin/python bench/crawl.py --workers 1,2,4 [--pastes 1500]   # distributed, through Redis

Serves a synthetic paste site (archive pages + raw endpoints) on 127.0.0.1, a few pastes
being altered copies of a synthetic leak and the rest unrelated text, and sweeps it twice
from scratch through the real crawler: once with scanning off (the baseline: crawl only) and
once with every paste scanned against the leak's fingerprints. Target: scanning costs under
20% of crawl throughput. Everything happens in a temporary folder, deleted afterwards.

With ``--workers 1,2,4`` it measures distributed sweeps instead: for each worker count, that
many ``leaktrack sweep --redis-url`` processes share one sweep of the same site through a
redis-server the benchmark starts on 127.0.0.1, scanning off and on (each worker scans inline,
one process per worker). It prints documents/s (all workers' documents over the wall time from
the first start to the last exit), the speed-up over one worker measured in the same run, and
the CPU seconds the workers used (theirs and their children's, per 1000 documents), beside the
machine's core count and load. Target: near-linear up to the cores available.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from proc_cpu import cpu_seconds
from static_site import NginxSite, nginx_available

TARGET_MAX_SLOWDOWN = 0.20
TARGET_SCAN_SHARE = 0.25  # issue 10: scanning under 25% of a mirror sweep's CPU
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
    import signal

    # Stopped by SIGTERM (timeout, kill): unwind, so the site and redis-server stop with us.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
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
        "--pager",
        type=int,
        default=1,
        help="archive pages each archive page links to ahead (default 1: a 'next' link only, one "
        "chain of pages found one after another; 10: a numbered pager of the next ten)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="off/on pairs to run; medians are reported (default 3)"
    )
    parser.add_argument(
        "--workers",
        default=None,
        help="comma-separated worker counts for distributed sweeps through Redis (e.g. 1,2,4)",
    )
    parser.add_argument(
        "--site",
        choices=("nginx", "python"),
        default="nginx" if nginx_available() else "python",
        help="who serves the local site: nginx from pre-rendered files (default when installed: "
        "apt-get install nginx-light), or the Python stand-in (its CPU shares the workers' cores)",
    )
    parser.add_argument(
        "--mirror",
        action="store_true",
        help="instead: the CPU share of scanning in a sweep of a mirror of mixed documents "
        "(bench/quality.py's mix), scanning off and on",
    )
    parser.add_argument(
        "--no-forms",
        action="store_true",
        help="with --mirror: the one-record-a-row copies and text negatives only (no PDFs, office "
        "files, screenshots: no OCR), as bench/quality.py --no-forms",
    )
    parser.add_argument(
        "--baseline-python",
        default=None,
        metavar="PYTHON",
        help="with --mirror: in each round, also the scanning sweep made by this interpreter's "
        "leaktrack (another tree's venv, e.g. a worktree of the commit to compare with: "
        "git worktree add --detach DIR COMMIT; python3 -m venv DIR/.venv; DIR/.venv/bin/pip install "
        "-e DIR), right after this tree's, on the same site: a same-run A/B",
    )
    parser.add_argument(
        "--other-cases",
        type=int,
        default=0,
        metavar="N",
        help="with --mirror: the scanning sweeps are all-cases sweeps (sweep --all-cases) with N "
        "other cases, each of a leak of its own (default 0: the sweep's own case alone)",
    )
    parser.add_argument("--one-mirror-sweep", default=None, help=argparse.SUPPRESS)  # (--baseline-python's)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="with --workers: a setting for every worker (-s NAME=VALUE), e.g. LEAKTRACK_REDIS_MAX_CLAIMS=8",
    )
    parser.add_argument(
        "--scan-workers",
        type=int,
        default=None,
        help="scanning worker processes (default: LEAKTRACK_SCAN_WORKERS, cores - 1)",
    )
    return parser.parse_args()


def run(options: argparse.Namespace, workdir: Path) -> int:
    if options.one_mirror_sweep:
        return one_mirror_sweep(options.one_mirror_sweep)
    if options.mirror:
        return run_mirror(options, workdir)
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
        f"{LOOKALIKE_SHARE:.0%} look-alike people lists), {options.per_page} per archive page, "
        f"each linking to the next {options.pager}; "
        f"leak: {options.records} records, {len(leak_ids)} altered copies hidden; "
        f"scan workers: {scan_workers(options)}"
    )
    if options.workers:
        return run_distributed(options, workdir, pastes, fingerprints)
    with LocalSite() as site:
        add_pastes(site, pastes, per_page=options.per_page, pager=options.pager)
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


def sweep_once(
    site, home: Path, fingerprints: Path, settings: dict, kind: str = "paste", root: str = "/mirror/"
):
    from leaktrack.home import Workspace
    from leaktrack.spiders.sources import parse_sources
    from leaktrack.spiders.sweep import run_sweep

    paste = {
        "kind": "paste",
        "start_urls": [site.url("/archive")],
        "item_links": "/p/[A-Za-z0-9]+$",
        "next_page": r"page=\d+",
        "raw_url": site.url("/raw/{id}"),
    }
    mirror = {"kind": "mirror", "start_urls": [site.url(root)]}
    source = {"name": "bench", **(paste if kind == "paste" else mirror)}
    config = parse_sources({"allow_private_networks": True, "sources": [source]})
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


def run_distributed(
    options: argparse.Namespace, workdir: Path, pastes: dict[str, str], fingerprints: Path
) -> int:
    counts = [int(count) for count in options.workers.split(",")]
    extra = dict(setting.split("=", 1) for setting in options.set)
    print(
        f"machine: {os.cpu_count()} cores shared by the workers, the site ({options.site}) and "
        f"redis-server; load {load_text()}; each worker scans inline (1 process); commit {commit()}"
        + (f"; settings {extra}" if extra else "")
    )
    results: dict[tuple[int, bool], list[dict]] = {}
    startup: dict[bool, list[float]] = {}
    with RedisServer(workdir) as redis, paste_site(options, pastes, workdir) as site:
        sources = paste_sources(site, workdir / "sources.toml")
        with paste_site(options, {"P000000": "a one-line paste"}, workdir / "tiny") as tiny:
            tiny_sources = paste_sources(tiny, workdir / "tiny.toml")
            # A worker's start-up (and its end): one worker sweeping a one-paste site.
            for run_number in range(3):
                for scanning in (False, True):
                    folder = workdir / f"startup{run_number}-{'on' if scanning else 'off'}"
                    tiny_run = distributed_sweep(
                        tiny_sources, folder, fingerprints, redis.url, 1, scanning, extra
                    )
                    startup.setdefault(scanning, []).append(tiny_run["cpu"])
        print(
            "  one worker's start-up and end (a one-paste sweep), CPU s, median of 3: scanning off "
            f"{statistics.median(startup[False]):.2f}, on {statistics.median(startup[True]):.2f}",
            flush=True,
        )
        # Rounds alternate over every configuration, so load from other jobs hits all alike.
        for round_number in range(options.repeat):
            for count in counts:
                for scanning in (False, True):
                    folder = workdir / f"r{round_number}-w{count}-{'on' if scanning else 'off'}"
                    site_before, redis_before = site.cpu_seconds(), redis.cpu_seconds()
                    result = distributed_sweep(
                        sources, folder, fingerprints, redis.url, count, scanning, extra
                    )
                    result["site_cpu"] = site.cpu_seconds() - site_before
                    result["redis_cpu"] = redis.cpu_seconds() - redis_before
                    results.setdefault((count, scanning), []).append(result)
                    each = ", ".join(
                        f"{w['documents']} docs {w['cpu']:.1f} CPU s {w['seconds']:.1f} s"
                        for w in result["workers"]
                    )
                    print(
                        f"  round {round_number + 1}: {count} worker(s), scanning {'on ' if scanning else 'off'}: "
                        f"{result['documents']} documents in {result['seconds']:.1f} s; CPU s: workers "
                        f"{result['cpu']:.1f} ({each}), site {result['site_cpu']:.1f}, "
                        f"redis {result['redis_cpu']:.1f}; load {load_text()}",
                        flush=True,
                    )
    startups = {scanning: statistics.median(cpu) for scanning, cpu in startup.items()}
    return report_distributed(results, counts, len(pastes), options.site, startups)


def paste_sources(site, path: Path) -> Path:
    """A sources file with one paste source crawling ``site``'s archive."""
    path.write_text(
        "allow_private_networks = true\n[[sources]]\nname = 'bench'\nkind = 'paste'\n"
        f"start_urls = ['{site.url('/archive')}']\nitem_links = '/p/[A-Za-z0-9]+$'\n"
        f"next_page = 'page=\\d+'\nraw_url = '{site.url('/raw/{id}')}'\n"
    )
    return path


def paste_site(options: argparse.Namespace, pastes: dict[str, str], workdir: Path):
    """The paste site: nginx serving the stand-in's pages from files, or the stand-in itself
    (then its CPU is this process's, which does nothing else while the workers crawl)."""
    from leaktrack.spiders.sites import LocalSite, add_pastes

    site = LocalSite()
    add_pastes(site, pastes, per_page=options.per_page, pager=options.pager)
    return served_site(options, site, workdir)


def process_cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def distributed_sweep(
    sources: Path, folder: Path, fingerprints: Path, redis_url: str, count: int, scanning: bool, extra: dict
) -> dict:
    """``count`` sweep workers sharing one Redis job: wall time, documents and CPU seconds, in all
    and per worker (each worker's own process tree: its ``sweep`` command and crawl child)."""
    import json
    import subprocess
    import threading
    import time

    from leaktrack.spiders.settings import LOCAL_SITE_SETTINGS

    settings = {**LOCAL_SITE_SETTINGS, "LEAKTRACK_SCAN_WORKERS": 0, "LEAKTRACK_SCAN": scanning, **extra}
    command = [
        sys.executable, "-m", "leaktrack.cli.app", "sweep", "--sources", str(sources),
        "--store", f"sqlite:///{folder / 'shared-matches.db'}",
        "--fingerprints", str(fingerprints), "--key-file", str(fingerprints.with_suffix(".key")),
        "--redis-url", redis_url, "--redis-job", folder.name, "--json",
        *[arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]
    ]  # fmt: skip
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            command,
            env={**os.environ, "LEAKTRACK_HOME": str(folder / f"worker{n}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(count)
    ]
    outputs: dict[int, tuple[str, str]] = {}
    ended: dict[int, tuple[float, float]] = {}

    def follow(number: int, worker: subprocess.Popen) -> None:
        """Read the worker's output to its end, then take its exit status and CPU (os.wait4: the
        worker and the crawl child it waited for) and the wall time from the common start."""
        errors: list[str] = []
        error_reader = threading.Thread(target=lambda: errors.append(worker.stderr.read()))
        error_reader.start()
        output = worker.stdout.read()
        error_reader.join()
        _, status, usage = os.wait4(worker.pid, 0)
        worker.returncode = os.waitstatus_to_exitcode(status)
        ended[number] = (usage.ru_utime + usage.ru_stime, time.perf_counter() - started)
        outputs[number] = (output, errors[0])

    followers = [threading.Thread(target=follow, args=(n, w)) for n, w in enumerate(workers)]
    for follower in followers:
        follower.start()
    for follower in followers:
        follower.join()
    seconds = time.perf_counter() - started
    if any(worker.returncode for worker in workers):
        raise SystemExit(
            f"a worker failed: {[worker.returncode for worker in workers]}: {outputs[count - 1][1][-2000:]}"
        )
    summaries = [json.loads(outputs[n][0]) for n in range(count)]
    per_worker = []
    for number, summary in enumerate(summaries):
        totals = summary["totals"]
        documents = totals["documents"] + totals["unchanged"] if scanning else totals["pages"]
        per_worker.append({"documents": documents, "cpu": ended[number][0], "seconds": ended[number][1]})
    return {
        "documents": sum(worker["documents"] for worker in per_worker),
        "seconds": seconds,
        "cpu": sum(worker["cpu"] for worker in per_worker),
        "workers": per_worker,
    }


def report_distributed(
    results: dict, counts: list[int], pastes: int, site: str, startups: dict[bool, float]
) -> int:
    """Medians over the rounds. Besides documents/s and the speed-up (which a loaded machine
    distorts: other jobs take the workers' cores), what load does not distort: documents per
    CPU second of the workers (constant when adding workers costs no CPU of its own), the same
    after each worker's start-up (measured on its own in the same run: what a long sweep comes
    to), and the cores the workers kept busy (their CPU seconds over the wall time)."""

    def median(key: tuple[int, bool], value) -> float:
        return statistics.median(value(result) for result in results[key])

    def rate(result: dict) -> float:
        return result["documents"] / result["seconds"]

    def per_cpu(result: dict) -> float:
        return result["documents"] / result["cpu"]

    def per_cpu_after_startup(result: dict, scanning: bool) -> float:
        return result["documents"] / (result["cpu"] - len(result["workers"]) * startups[scanning])

    print(
        f"\n{'workers':>7}  {'scanning':<9}{'docs/s':>9}{'speed-up':>10}{'wall s':>8}{'CPU s':>8}"
        f"{'docs/CPU s':>12}{'vs 1':>7}{'after start-up':>16}{'vs 1':>7}{'cores busy':>12}"
        f"{'CPU s per worker':>24}{'site, redis CPU s':>19}"
    )
    for scanning in (False, True):
        reference = (counts[0], scanning)
        for count in counts:
            key = (count, scanning)

            def steady(result: dict, scanning: bool = scanning) -> float:
                return per_cpu_after_startup(result, scanning)

            per_worker = " ".join(
                f"{median(key, lambda r, n=n: r['workers'][n]['cpu']):.1f}" for n in range(count)
            )
            print(
                f"{count:>7}  {'on' if scanning else 'off':<9}{median(key, rate):>9.1f}"
                f"{median(key, rate) / median(reference, rate):>9.2f}x"
                f"{median(key, lambda r: r['seconds']):>8.1f}{median(key, lambda r: r['cpu']):>8.1f}"
                f"{median(key, per_cpu):>12.1f}{median(key, per_cpu) / median(reference, per_cpu):>6.2f}x"
                f"{median(key, steady):>16.1f}{median(key, steady) / median(reference, steady):>6.2f}x"
                f"{median(key, lambda r: r['cpu'] / r['seconds']):>12.2f}{per_worker:>24}"
                f"{median(key, lambda r: r['site_cpu']):>10.1f}, {median(key, lambda r: r['redis_cpu']):.1f}"
            )
    print(
        f"\n{pastes} pastes per sweep (scanning off counts pages fetched: archive pages and pastes); "
        f"site: {site}; medians of {len(next(iter(results.values())))} run(s); speed-up against "
        f"{counts[0]} worker(s) in the same run; CPU: each worker's process tree (its sweep command "
        f"and crawl child), start-up included; after start-up: documents per CPU s less each "
        f"worker's start-up and end, measured alone above (scanning off {startups[False]:.2f} CPU s, "
        f"on {startups[True]:.2f}); cores busy: workers' CPU s / wall s "
        f"[{date.today().isoformat()}, commit {commit()}, {os.cpu_count()} cores, load {load_text()}]"
    )
    return 0


def commit() -> str:
    """The commit of the leaktrack the workers run (the imported package's checkout)."""
    import subprocess

    import leaktrack

    found = subprocess.run(
        ["git", "-C", str(Path(leaktrack.__file__).parent), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    )
    return found.stdout.strip() or "unknown"


def run_mirror(options: argparse.Namespace, workdir: Path) -> int:
    """The CPU share of scanning in a sweep of a mirror of mixed documents: bench/quality.py's
    mix (one altered copy per kind and per form, screenshots and scanned PDFs included, and its
    look-alike negatives), swept from scratch with scanning off and on, the CPU of the sweep
    (its crawl process and scan workers) measured each time.

    Then, in the scanning sweep's home, the sweeps that follow it: the same mirror again (an
    incremental sweep: unchanged documents are not scanned) and the same files at new URLs (a
    copy of the mirror: every document is new to the crawl state, but images and PDFs that
    scanned clean are known by their bytes and not OCR'd again). Their shares are against the
    scanning-off sweep of the same round."""
    from leaktrack.spiders.demo import fingerprint_dataset
    from leaktrack.spiders.settings import LOCAL_SITE_SETTINGS
    from leaktrack.spiders.sites import LocalSite, add_mirror
    from leaktrack.synthetic import (
        form_copies,
        form_negative_samples,
        generate_leak,
        negative_samples,
        transformed_copies,
    )

    leak = generate_leak(options.records, seed=0)
    fingerprints = workdir / "leak.ltfp"
    fingerprint_dataset(leak.write(workdir / "leak.csv"), fingerprints, workdir / "leak.key")
    samples = [*transformed_copies(leak, seed=0), *negative_samples(leak, seed=0, count=150)]
    if not options.no_forms:
        samples += [*form_copies(leak, seed=0), *form_negative_samples(leak, seed=0, count=52)]
    files = {f"{n:04d}-{sample.filename}": sample.data for n, sample in enumerate(samples)}
    other_cases = []
    for case in range(options.other_cases):  # each another leak, fingerprinted once
        other = generate_leak(options.records, seed=100 + case)
        other_cases.append(workdir / f"case{case}.ltfp")
        fingerprint_dataset(
            other.write(workdir / f"case{case}.csv"), other_cases[-1], workdir / f"case{case}.key"
        )
    print(
        f"mirror: {len(files)} documents ({sum(map(len, files.values())) / 1e6:.1f} MB), bench/quality.py's mix"
        f"{' without its forms (--no-forms)' if options.no_forms else ''}; "
        f"leak: {options.records} records; other cases: {len(other_cases)}; scan workers: {scan_workers(options)}; "
        f"site: {options.site}; {os.cpu_count()} cores, load {load_text()}"
    )
    site = LocalSite()
    add_mirror(site, files)
    add_mirror(site, files, root=MIRROR_COPY)
    settings = {} if options.scan_workers is None else {"LEAKTRACK_SCAN_WORKERS": options.scan_workers}
    runs = []
    with served_site(options, site, workdir) as served:
        for run_number in range(options.repeat):
            sweeps = {}
            for label, home, scanning, root in MIRROR_SWEEPS:
                folder = workdir / f"mirror{run_number}-{home}"
                summary, sweeps[label] = mirror_sweep(
                    served, folder, fingerprints,
                    {**LOCAL_SITE_SETTINGS, **settings, **all_cases(folder, other_cases), "LEAKTRACK_SCAN": scanning},
                    root,
                )  # fmt: skip
                totals = summary.totals()
                print(
                    f"  round {run_number + 1}: {label + ':':<22}{totals['pages']} pages, {totals['documents']} scanned, "
                    f"{totals['unchanged']} unchanged, {totals['known_clean']} known clean, {totals['matches']} matches, "
                    f"{summary.seconds:.1f} s, sweep CPU {sweeps[label]['cpu']:.2f} s, site CPU "
                    f"{sweeps[label]['site_cpu']:.1f} s, load {load_text()}",
                    flush=True,
                )
                if options.baseline_python and label == "scanning on":
                    folder = workdir / f"mirror{run_number}-baseline"
                    sweeps[BASELINE] = baseline_mirror_sweep(
                        options.baseline_python, served, folder, fingerprints,
                        {**LOCAL_SITE_SETTINGS, **settings, **all_cases(folder, other_cases)},
                    )  # fmt: skip
                    print(
                        f"  round {run_number + 1}: {'baseline, scanning on:':<22}{sweeps[BASELINE]['documents']} "
                        f"scanned, {sweeps[BASELINE]['matches']} matches, sweep CPU {sweeps[BASELINE]['cpu']:.2f} s "
                        f"(commit {sweeps[BASELINE]['commit']}), load {load_text()}",
                        flush=True,
                    )
            runs.append(sweeps)
    return report_mirror(runs)


BASELINE = "baseline, scanning on"


def all_cases(home: Path, other_cases: list[Path]) -> dict:
    """The settings of an all-cases sweep in ``home`` with these other cases' fingerprints (as
    ``sweep --all-cases`` makes them: each case's store, crawl state and evidence in its folder)."""
    from leaktrack.spiders.cases import OTHER_CASES_SETTING, CaseLane, lanes_to_setting

    if not other_cases:
        return {}
    lanes = []
    for number, fingerprints in enumerate(other_cases):
        folder = home / "cases" / f"case{number}"
        folder.mkdir(parents=True, exist_ok=True)
        lanes.append(
            CaseLane(
                f"case{number}",
                str(fingerprints),
                str(fingerprints.with_suffix(".key")),
                f"sqlite:///{folder / 'matches.db'}",
                str(folder / "crawl-state.db"),
                str(folder / "evidence"),
            )  # fmt: skip
        )
    return {OTHER_CASES_SETTING: lanes_to_setting(lanes)}


def baseline_mirror_sweep(python: str, site, home: Path, fingerprints: Path, settings: dict) -> dict:
    """The scanning sweep of the mirror made by ``python``'s leaktrack (``--one-mirror-sweep`` in a
    process of that interpreter): its CPU (its crawl and scan workers), totals and commit."""
    import json
    import subprocess

    job = {
        "base_url": site.url(""),
        "home": str(home),
        "fingerprints": str(fingerprints),
        "settings": settings,
    }
    done = subprocess.run(
        [python, __file__, "--one-mirror-sweep", json.dumps(job)], capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"the baseline sweep failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


class _SiteAt:
    """A served site known by its base URL (in a ``--one-mirror-sweep`` process)."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def url(self, path: str) -> str:
        return self.base_url + path

    def cpu_seconds(self) -> float:
        return 0.0  # (the site's CPU is measured by the process that serves it)


def one_mirror_sweep(job_json: str) -> int:
    """One scanning sweep of a mirror served elsewhere, by this interpreter's leaktrack; prints
    ``mirror_sweep``'s figures and the commit as one JSON line."""
    import json

    job = json.loads(job_json)
    _, measured = mirror_sweep(
        _SiteAt(job["base_url"]), Path(job["home"]), Path(job["fingerprints"]),
        {**job["settings"], "LEAKTRACK_SCAN": True}, "/mirror/",
    )  # fmt: skip
    print(json.dumps({**measured, "commit": commit()}))
    return 0


MIRROR_COPY = "/copy/"
# (label, home folder, scanning, mirror root): each round's sweeps, in order; the last two
# follow the scanning sweep in its home (its crawl state).
MIRROR_SWEEPS = (
    ("scanning off", "off", False, "/mirror/"),
    ("scanning on", "on", True, "/mirror/"),
    ("again (incremental)", "on", True, "/mirror/"),
    ("copy at new URLs", "on", True, MIRROR_COPY),
)


def mirror_sweep(site, home: Path, fingerprints: Path, settings: dict, root: str):
    """One sweep of the mirror at ``root``: its summary, and the CPU s it took (the sweep's
    processes: its crawl and scan workers) and the site's."""
    import resource

    before, site_before = resource.getrusage(resource.RUSAGE_CHILDREN), site.cpu_seconds()
    summary = sweep_once(site, home, fingerprints, settings, kind="mirror", root=root)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return summary, {"cpu": cpu, "site_cpu": site.cpu_seconds() - site_before, **summary.totals()}


def report_mirror(runs: list[dict]) -> int:
    """Medians over the rounds: each sweep's CPU, and scanning's share of it against the
    scanning-off sweep of its round (the target is the first scanning sweep's)."""

    def median(value) -> float:
        return statistics.median(value(sweeps) for sweeps in runs)

    def cpu(label: str) -> float:
        return median(lambda sweeps: sweeps[label]["cpu"])

    def share(label: str) -> float:
        return median(lambda sweeps: 1 - sweeps["scanning off"]["cpu"] / sweeps[label]["cpu"])

    first = share("scanning on")
    scan_cpu = median(lambda sweeps: sweeps["scanning on"]["cpu"] - sweeps["scanning off"]["cpu"])
    documents = median(lambda sweeps: sweeps["scanning on"]["documents"])
    print(f"\nsweep CPU, median of {len(runs)} round(s):")
    for label in [label for label, *_ in MIRROR_SWEEPS] + ([BASELINE] if BASELINE in runs[0] else []):
        shown = "" if label == "scanning off" else f", scanning {share(label):.1%} of it"
        print(f"  {label:<22}{cpu(label):6.2f} s{shown}")
    if BASELINE in runs[0]:
        print(
            f"  this tree's scanning sweep against the baseline's (commit {runs[0][BASELINE]['commit']}), "
            f"median of the rounds' ratios: {median(lambda s: s['scanning on']['cpu'] / s[BASELINE]['cpu']):.3f}"
        )
    verdict = "PASS" if first < TARGET_SCAN_SHARE else "MISS"
    print(
        f"scanning is {first:.1%} of a first sweep's CPU ({cpu('scanning off'):.2f} s off; target < {TARGET_SCAN_SHARE:.0%}): "
        f"{verdict}; {scan_cpu / documents * 1000:.0f} ms of CPU a scanned document  "
        f"[{date.today().isoformat()}, commit {commit()}, {os.cpu_count()} cores, load {load_text()}]"
    )
    return 0


@contextmanager
def served_site(options: argparse.Namespace, site, workdir: Path):
    """``site`` (a LocalSite laid out, not started) served by nginx from files, or by itself."""
    if options.site == "nginx":
        with NginxSite(site, workdir / "nginx") as served:
            yield served
        return
    if not nginx_available():
        print("nginx is not installed (apt-get install nginx-light): the Python site serves instead")
    with site:
        site.cpu_seconds = process_cpu_seconds
        yield site


def load_text() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


class RedisServer:
    """A redis-server on a free port of 127.0.0.1 for the distributed runs (no persistence)."""

    def __init__(self, folder: Path):
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.folder = folder

    def __enter__(self) -> RedisServer:
        import subprocess

        if not shutil.which("redis-server"):
            raise SystemExit("--workers needs redis-server (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=self.folder,
        )
        for line in self.process.stdout:
            if "Ready to accept connections" in line:
                self.url = f"redis://127.0.0.1:{self.port}/0"
                return self
        raise SystemExit("redis-server exited at start")

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main())
