"""What the review desk (``leaktrack serve``) keeps in the match store, and asks of it.

Accounts (name, role, argon2 hash: the hashing itself is the web app's), the audit trail
(every view of evidence and every change, with the user), the takedown queue as keyset pages
(filters on status, source, host, records exposed and first seen; a page costs the same at the
millionth match as at the first) and the dashboard's figures. ``DeskRecords`` is a part of
``MatchStore``: every backend implements it, and the contract suite checks each one.

No plaintext of leaked records here either: audit entries name match ids, user names and
actions, never record values.
"""

from __future__ import annotations

import abc
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from ..errors import StoreError

if TYPE_CHECKING:  # base.py's MatchStore is built on DeskRecords: no import back at run time
    from .base import Match

ROLES = ("reviewer", "admin")


def utcnow() -> datetime:
    return datetime.now(UTC)


# How the queue can be sorted: name -> (the match field, newest/largest first). Ties are broken
# by the match id (descending), so a page boundary is one exact point of the order.
QUEUE_SORTS = {
    "records": "matched_count",
    "first_seen": "first_seen",
    "last_seen": "last_seen",
}


@dataclass
class UserAccount:
    name: str
    role: str
    password_hash: str
    created_at: datetime = field(default_factory=utcnow)
    disabled: bool = False


@dataclass
class AuditEntry:
    """One thing a user did or saw: ``action`` on ``target`` (a match id, a user name)."""

    user: str
    action: str
    target: str | None = None
    details: dict = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None
    source: str | None = None
    host: str | None = None
    min_records: int = 0
    first_seen_from: datetime | None = None  # inclusive
    first_seen_to: datetime | None = None  # exclusive


@dataclass
class QueuePage:
    matches: list[Match]
    # Where the next page starts (the last match's sort value and id), or None on the last page.
    next_after: tuple | None


@dataclass
class ExposurePage:
    """One page of the copies that exposed a record, by copy id (descending)."""

    matches: list[Match]
    # The last copy's id, where the next page starts, or None on the last page.
    next_after: str | None
    total: int  # copies exposing the record, over every page


@dataclass
class DashboardFigures:
    """What the dashboard draws, computed by the store."""

    found_per_day: dict[date, dict[str, int]]  # day first seen -> status -> copies
    exposed_per_day: dict[date, int]  # day -> records first exposed that day (non-dismissed copies)
    still_up: int
    removal_days_by_host: dict[str, float]  # median days from first seen to removed
    removal_days_by_source: dict[str, float]


def check_role(role: str) -> None:
    if role not in ROLES:
        raise StoreError(f"unknown role {role!r} (known: {', '.join(ROLES)})")


def check_sort(sort: str) -> str:
    if sort not in QUEUE_SORTS:
        raise StoreError(f"unknown sort {sort!r} (known: {', '.join(QUEUE_SORTS)})")
    return QUEUE_SORTS[sort]


def removal_medians(rows: list[tuple[str, str, float]]) -> tuple[dict[str, float], dict[str, float]]:
    """(host, source, days to removal) rows -> median days per host and per source."""
    by_host: dict[str, list[float]] = defaultdict(list)
    by_source: dict[str, list[float]] = defaultdict(list)
    for host, source, days in rows:
        by_host[host].append(days)
        by_source[source].append(days)
    return (
        {host: statistics.median(days) for host, days in sorted(by_host.items())},
        {source: statistics.median(days) for source, days in sorted(by_source.items())},
    )


def figures_from_matches(matches: Iterable[Match]) -> DashboardFigures:
    """The dashboard's figures computed in Python from the matches (backends without SQL)."""
    from .base import STILL_UP_STATUSES

    found: dict[date, Counter] = defaultdict(Counter)
    first_exposed: dict[str, date] = {}
    removal_rows = []
    still_up = 0
    for match in matches:
        still_up += match.status in STILL_UP_STATUSES
        day = match.first_seen.date()
        found[day][match.status] += 1
        if match.status != "dismissed":
            for record in match.matched_records:
                first_exposed[record] = min(first_exposed.get(record, day), day)
        if match.status == "removed" and match.status_changed_at:  # when it was marked removed
            days = (match.status_changed_at - match.first_seen).total_seconds() / 86400
            removal_rows.append((match.host, match.source, days))
    by_host, by_source = removal_medians(removal_rows)
    return DashboardFigures(
        found_per_day={day: dict(counts) for day, counts in sorted(found.items())},
        exposed_per_day=dict(sorted(Counter(first_exposed.values()).items())),
        still_up=still_up,
        removal_days_by_host=by_host,
        removal_days_by_source=by_source,
    )


class DeskRecords(abc.ABC):
    """The review desk's part of ``MatchStore``."""

    # -- accounts ---------------------------------------------------------------------------

    @abc.abstractmethod
    def save_user(self, account: UserAccount) -> None:
        """Add the account, or replace the one with its name (new password, role, disabled)."""

    @abc.abstractmethod
    def get_user(self, name: str) -> UserAccount:
        """The account, or NotFoundError."""

    @abc.abstractmethod
    def list_users(self) -> list[UserAccount]:
        """Every account, by name."""

    # -- audit ------------------------------------------------------------------------------

    @abc.abstractmethod
    def record_audit(self, entry: AuditEntry) -> None: ...

    @abc.abstractmethod
    def list_audit(
        self, target: str | None = None, user: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """Newest first; only entries about ``target`` and/or by ``user`` when given."""

    # -- alerts -----------------------------------------------------------------------------

    @abc.abstractmethod
    def claim_alert(self, match_id: str, event: str) -> bool:
        """Remember that the alert ``event`` (e.g. "new", "reappeared@<time>") about the match is
        being sent; False when it was claimed before (by this or another process): no repeats."""

    @abc.abstractmethod
    def release_alert(self, match_id: str, event: str) -> None:
        """Forget a claim whose alert could not be sent on any channel, so a later run retries it."""

    # -- the queue, paged -------------------------------------------------------------------

    @abc.abstractmethod
    def queue_page(
        self, where: QueueFilter, sort: str = "records", after: tuple | None = None, limit: int = 50
    ) -> QueuePage:
        """One page of the queue in ``sort`` order (largest/newest first, then id descending).

        ``after``: the previous page's ``next_after``. Keyset paging: no OFFSET, so page 10,000
        costs what page 1 costs.
        """

    @abc.abstractmethod
    def exposure_page(self, record_id: str, after: str | None = None, limit: int = 50) -> ExposurePage:
        """One page of the copies that exposed the record, by copy id (descending), with the total.

        ``after``: the previous page's ``next_after`` (a copy id). Keyset paging on the
        record -> copy index: a page reads ``limit`` copies, not every copy of the record.
        ``exposure`` (every copy, newest first) stays for the terminal and exports.
        """

    def dashboard(self) -> DashboardFigures:
        """The dashboard's figures. This default reads every match; SQL backends aggregate."""
        return figures_from_matches(self.iter_matches())  # type: ignore[attr-defined]
