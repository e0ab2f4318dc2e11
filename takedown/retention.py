"""Retention: purge what is no longer needed, after a set time, with a dry run and an audit entry.

- ``dismissed``: matches dismissed (false matches) longer ago than the cut, with their records,
  history, notices and track (``MatchStore.delete_matches``).
- ``evidence``: kept evidence files of copies that are gone or dismissed and were last seen
  before the cut (a copy still up keeps its evidence: the takedown may still need it).
- ``crawl-state``: URLs the crawler last saw before the cut (so a later sweep fetches them
  afresh); done by a callable the caller gives, since the crawl state belongs to ``spiders``.

Every real purge is recorded in the store's audit trail (who, when, what, how many).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..errors import LeaktrackError
from ..index import MatchStore
from ..index.desk import AuditEntry

PURGE_KINDS = ("evidence", "crawl-state", "dismissed")
# Statuses whose copies are no longer online (their evidence may go after the cut).
GONE_STATUSES = ("removed", "dismissed")
_AGE = re.compile(r"^\s*(\d+)\s*([dwmy]?)\s*$")
_UNIT_DAYS = {"": 1, "d": 1, "w": 7, "m": 30, "y": 365}


class RetentionError(LeaktrackError):
    """A purge was asked for in a way that cannot be done (a bad age, an unknown kind)."""

    exit_code = 2


def parse_age(text: str) -> timedelta:
    """``90d``, ``12w``, ``6m`` (30 days), ``1y`` (365 days); a bare number is days."""
    found = _AGE.match(text)
    if not found or int(found.group(1)) == 0:
        raise RetentionError(f"--older-than {text!r}: use a number of days like 90d (or 12w, 6m, 1y)")
    return timedelta(days=int(found.group(1)) * _UNIT_DAYS[found.group(2)])


def parse_kinds(text: str) -> list[str]:
    kinds = [kind.strip() for kind in text.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in PURGE_KINDS]
    if unknown or not kinds:
        raise RetentionError(f"--what {text!r}: choose from {', '.join(PURGE_KINDS)}")
    return kinds


@dataclass
class PurgeReport:
    cut: datetime
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"cut": self.cut.isoformat(), "dry_run": self.dry_run, "counts": self.counts} | (
            {"problems": self.problems} if self.problems else {}
        )


def purge(
    store: MatchStore,
    older_than: timedelta,
    kinds: list[str],
    now: datetime,
    by: str,
    dry_run: bool = False,
    forget_crawl_state: Callable[[datetime, bool], int] | None = None,
) -> PurgeReport:
    report = PurgeReport(cut=now - older_than, dry_run=dry_run)
    if "dismissed" in kinds:
        old = [
            match.id
            for match in store.list_matches(status="dismissed", limit=None)
            if (match.status_changed_at or match.last_seen) < report.cut
        ]
        report.counts["dismissed"] = len(old) if dry_run else store.delete_matches(old)
    if "evidence" in kinds:
        report.counts["evidence"] = _purge_evidence(store, report, dry_run)
    if "crawl-state" in kinds:
        if forget_crawl_state is None:
            raise RetentionError("crawl-state: no crawl state to purge here")
        report.counts["crawl-state"] = forget_crawl_state(report.cut, dry_run)
    if not dry_run:
        store.record_audit(
            AuditEntry(
                user=by, action="purge", target=None, details=report.as_dict() | {"what": kinds}, at=now
            )
        )
    return report


def _purge_evidence(store: MatchStore, report: PurgeReport, dry_run: bool) -> int:
    removed = 0
    for match in store.iter_matches():
        if not match.evidence_path or match.status not in GONE_STATUSES or match.last_seen >= report.cut:
            continue
        path = Path(match.evidence_path)
        if not path.is_file():
            continue
        if not dry_run:
            try:
                os.remove(path)
            except OSError as error:
                report.problems.append(f"{path}: {error.strerror}")
                continue
        removed += 1
    return removed
