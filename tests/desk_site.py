"""A review desk over a real SQLite store with a few copies and their evidence, for the web tests.

Used by test_web_desk.py (Starlette's TestClient, in process) and test_web_browser.py (uvicorn
on 127.0.0.1 driven by Chromium). The evidence reports are written with the real
``evidence_report`` over a real fingerprinted synthetic leak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fixtures_store import found_copy

from leaktrack.fingerprints.evidence import evidence_report, save_report
from leaktrack.fingerprints.fingerprint_set import FingerprintSet
from leaktrack.index.sqlite import SQLiteStore
from leaktrack.spiders.evidence import evidence_path_for
from leaktrack.web.app import DeskConfig, create_app
from leaktrack.web.auth import add_user

REVIEWER, ADMIN = ("ana", "reviewer-password-1"), ("root", "admin-password-12")
KEPT_URL = "https://pastebin.com/kept"  # evidence kept: lines with highlights
BARE_URL = "https://mirror.example.org/dump.csv"  # evidence without lines
OTHER_URL = "https://gist.github.com/x/other"


@dataclass
class DeskSite:
    store_path: Path
    evidence_dir: Path
    kept_line: str  # the leaked line in the kept copy (to check highlighting)
    kept_record: str
    kept_field_value: str  # one marked value of that line

    def config(self, **changes) -> DeskConfig:
        values = {
            "open_store": lambda: SQLiteStore(self.store_path),
            "secret": b"k" * 64,
            "evidence_dir": self.evidence_dir,
        } | changes
        return DeskConfig(**values)

    def app(self, **changes):
        return create_app(self.config(**changes))


def make_site(tmp_path: Path, leak, leak_fingerprints) -> DeskSite:
    fingerprints = FingerprintSet.load(leak_fingerprints.path, leak_fingerprints.key_file)
    row = leak.rows[5]
    line = " ; ".join(row)
    text = f"some paste\n{line}\nthe end"
    kept = evidence_report(text, fingerprints, keep_lines=True)
    bare = evidence_report(text, fingerprints, keep_lines=False)
    assert kept.records and kept.records[0].marks, "the synthetic line must match with marked fields"
    mark = kept.records[0].marks[0]
    record = kept.records[0].record_id

    store_path = tmp_path / "desk.db"
    evidence_dir = tmp_path / "evidence"
    with SQLiteStore(store_path) as store:
        kept_match, bare_match, _ = store.upsert_copies(
            [
                found_copy(KEPT_URL, [record, "7"], source="pastes", title="kept paste"),
                found_copy(BARE_URL, [record], source="mirrors", minutes=60 * 30),
                found_copy(OTHER_URL, ["7", "8", "9"], source="pastes", minutes=60 * 50),
            ]
        )
        add_user(store, *REVIEWER[:1], "reviewer", REVIEWER[1], by="test")
        add_user(store, *ADMIN[:1], "admin", ADMIN[1], by="test")
    save_report(kept, evidence_path_for(evidence_dir, kept_match.id))
    save_report(bare, evidence_path_for(evidence_dir, bare_match.id))
    return DeskSite(store_path, evidence_dir, line, record, line[mark.start : mark.end])


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)
