"""``leaktrack demo``: the whole job on synthetic data, on this machine only.

Generates a synthetic leak (Faker: no real people), fingerprints it, serves a paste site and
a mirror on 127.0.0.1 with a few altered copies hidden among unrelated pastes and files,
sweeps them through the real crawler, and returns the queue. Everything lives in the home
folder of the workspace given (the CLI makes one in a temporary folder unless given ``--home``);
its store is always the folder's own, never a store the configuration names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LeaktrackError
from ..home import FINGERPRINTS_FILE, STORE_FILE, Workspace
from ..index import Match, open_workspace_store
from ..synthetic import Sample, generate_leak, negative_samples, transformed_copies
from .settings import LOCAL_SITE_SETTINGS
from .sites import LocalSite, add_mirror, add_pastes
from .sweep import ProgressCallback, SweepSummary, run_sweep

DEMO_SEED = 2026
# Altered copies hidden in the demo: where they go and which kind of alteration.
PASTE_COPIES = ("embedded_in_paste", "uppercase", "transliterated_names")
MIRROR_COPIES = {"zipped_csv": "exports/2024/", "xlsx": "exports/2024/q3/"}
DECOY_PASTES = 12
DECOY_FILES = 4
DEMO_DATASET_FILE = "demo-leaked-dataset.csv"


@dataclass
class DemoReport:
    home: str
    site: str
    steps: list[str]
    hidden: list[dict]  # url, kind, records: the copies a sweep should find
    summary: SweepSummary
    queue: list[Match] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "home": self.home,
            "site": self.site,
            "steps": list(self.steps),
            "hidden": self.hidden,
            "summary": self.summary.to_dict(),
            "queue": [match.export_dict() for match in self.queue],
        }


def run_demo(home: Path, records: int = 300, on_progress: ProgressCallback | None = None) -> DemoReport:
    """The demo in the folder ``home``: its own workspace, whatever the configuration says."""
    workspace = Workspace.in_folder(home)
    home = workspace.ensure_home()
    refuse_a_responders_home(home)
    forget_an_earlier_demos_matches(home)
    steps: list[str] = []
    leak = generate_leak(records, seed=DEMO_SEED, n_facilities=max(10, records // 10))
    dataset = leak.write(home / DEMO_DATASET_FILE)
    steps.append(f"generated a synthetic leak of {records} records (no real people): {dataset}")
    fingerprint_dataset(dataset, workspace.fingerprints, workspace.key_file)
    steps.append(f"fingerprinted it (keyed hashes + MinHash, no plaintext): {workspace.fingerprints}")
    copies = {sample.kind: sample for sample in transformed_copies(leak, seed=DEMO_SEED)}
    decoys = negative_samples(leak, seed=DEMO_SEED, count=DECOY_PASTES + DECOY_FILES)
    with LocalSite() as site:
        hidden = publish(site, copies, decoys)
        steps.append(
            f"serving a paste site and a mirror on {site.base_url} with {len(hidden)} altered copies "
            f"hidden among {len(decoys)} unrelated documents"
        )
        sources = write_sources(home / "demo-sources.toml", site)
        steps.append(f"swept them with the sources file {sources}")
        summary = run_sweep(sources, workspace, settings=LOCAL_SITE_SETTINGS, on_progress=on_progress)
    with open_workspace_store(workspace) as store:
        queue = store.list_matches(limit=None)
    found = {match.url for match in queue} & {copy["url"] for copy in hidden}
    steps.append(f"found {len(found)} of the {len(hidden)} hidden copies; the takedown queue follows")
    return DemoReport(str(home), site.base_url, steps, hidden, summary, queue)


def refuse_a_responders_home(home: Path) -> None:
    """The demo overwrites the fingerprints of its home folder and adds to its store: only in a
    new folder or one an earlier demo made (it holds the demo's dataset)."""
    theirs = [name for name in (FINGERPRINTS_FILE, STORE_FILE) if (home / name).exists()]
    if theirs and not (home / DEMO_DATASET_FILE).exists():
        raise LeaktrackError(
            f"{home} holds {' and '.join(theirs)} the demo did not make; give --home a new folder"
        )


def forget_an_earlier_demos_matches(home: Path) -> None:
    """This run fingerprints a new synthetic dataset; an earlier demo's matches name rows of its
    own, and a store keeps one dataset's matches. Only ever in a demo's home (see above)."""
    if (home / DEMO_DATASET_FILE).exists():
        for name in (STORE_FILE, f"{STORE_FILE}-wal", f"{STORE_FILE}-shm"):
            (home / name).unlink(missing_ok=True)


def fingerprint_dataset(dataset: Path, out: Path, key_file: Path) -> None:
    from ..fingerprints import fingerprint_dataset_file

    fingerprint_dataset_file(dataset, out, key_file)


def publish(site: LocalSite, copies: dict[str, Sample], decoys: list[Sample]) -> list[dict]:
    """Put decoys and copies on the site; returns where each copy is and what it exposes."""
    rng = random.Random(DEMO_SEED)
    pastes = {paste_id(rng): decoy.data.decode("utf-8", "replace") for decoy in decoys[:DECOY_PASTES]}
    hidden = []
    for kind in PASTE_COPIES:
        identifier = paste_id(rng)
        pastes[identifier] = copies[kind].data.decode("utf-8")
        hidden.append(
            {"url": site.url(f"/p/{identifier}"), "kind": kind, "records": len(copies[kind].expected_records)}
        )
    shuffled = dict(sorted(pastes.items(), key=lambda item: rng.random()))
    add_pastes(site, shuffled, per_page=5)
    files = {f"misc/{decoy.filename}": decoy.data for decoy in decoys[DECOY_PASTES:]}
    for kind, directory in MIRROR_COPIES.items():
        files[directory + copies[kind].filename] = copies[kind].data
        hidden.append(
            {
                "url": site.url("/mirror/" + directory + copies[kind].filename),
                "kind": kind,
                "records": len(copies[kind].expected_records),
            }
        )
    add_mirror(site, files)
    return hidden


def paste_id(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789") for _ in range(8))


def write_sources(path: Path, site: LocalSite) -> Path:
    path.write_text(
        "# Written by `leaktrack demo`: a local paste site and mirror on 127.0.0.1.\n"
        "allow_private_networks = true   # local testing only\n"
        'contact = "demo@localhost"\n\n'
        "[[sources]]\n"
        'name = "demo-pastes"\nkind = "paste"\n'
        f'start_urls = ["{site.url("/archive")}"]\n'
        'item_links = "/p/[A-Za-z0-9]+$"\n'
        'next_page = "page=\\\\d+"\n'
        f'raw_url = "{site.url("/raw/{id}")}"\n\n'
        "[[sources]]\n"
        'name = "demo-mirror"\nkind = "mirror"\n'
        f'start_urls = ["{site.url("/mirror/")}"]\n'
        "max_depth = 4\n",
        encoding="utf-8",
    )
    return path
