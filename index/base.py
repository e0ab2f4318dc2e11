"""The match store interface: what every backend (SQLite, Elasticsearch) provides.

A *copy* is one document on the web that exposes leaked records; the store keeps one
*match* per URL (its id is derived from the URL, so a re-sweep updates, never duplicates),
with the takedown status and a history of every status change.
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import islice
from urllib.parse import urlsplit

from ..errors import DatasetMismatchError, InvalidTransitionError, StoreError
from . import settings
from .desk import DeskRecords
from .takedown_records import TakedownRecords

# The takedown workflow. Every change is stored with who/when/note in the history.
STATUSES = ("new", "confirmed", "dismissed", "takedown_sent", "removed", "reappeared")
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"confirmed", "dismissed"}),
    "confirmed": frozenset({"takedown_sent", "dismissed"}),
    "dismissed": frozenset({"confirmed"}),
    "takedown_sent": frozenset({"removed"}),
    "removed": frozenset({"reappeared"}),
    "reappeared": frozenset({"confirmed", "takedown_sent", "dismissed"}),
}
# A copy in one of these statuses is (as far as we know) still online.
STILL_UP_STATUSES = ("new", "confirmed", "takedown_sent", "reappeared")
# Statuses waiting for a responder's decision: what ``queue review`` walks through.
NEEDS_REVIEW_STATUSES = ("new", "reappeared")
# Who a status change made by a sweep (e.g. removed -> reappeared) is recorded as.
SWEEP_ACTOR = "sweep"


def check_transition(from_status: str, to_status: str) -> None:
    """Raise InvalidTransitionError unless the workflow allows ``from_status -> to_status``."""
    if to_status not in STATUSES:
        raise InvalidTransitionError(f"unknown status {to_status!r} (known: {', '.join(STATUSES)})")
    if to_status not in TRANSITIONS.get(from_status, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(from_status, ()))) or "none"
        raise InvalidTransitionError(
            f"cannot move a match from {from_status!r} to {to_status!r} (allowed: {allowed})"
        )


def utcnow() -> datetime:
    return datetime.now(UTC)


def sorted_record_ids(record_ids: Iterable[str]) -> list[str]:
    """Distinct record ids in natural order: row numbers as numbers (2 before 10), then the rest."""
    return sorted(set(record_ids), key=lambda rid: (0, int(rid), "") if rid.isdigit() else (1, 0, rid))


def match_id_for_url(url: str) -> str:
    """Deterministic match id: the same URL always maps to the same match."""
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:16]


def host_of_url(url: str) -> str:
    """The lower-case host name of a URL ("" if it has none): what abuse contacts are keyed by."""
    return (urlsplit(url.strip()).hostname or "").lower()


def as_utc(moment: datetime) -> datetime:
    """Timestamps are stored and compared in UTC; a naive datetime is taken to be UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def time_text(moment: datetime | None) -> str | None:
    """How every backend stores a timestamp: UTC ISO 8601, fixed width, so it also sorts as text."""
    return as_utc(moment).isoformat(timespec="microseconds") if moment else None


def time_from_text(text: str | None) -> datetime | None:
    """A stored timestamp back as an aware UTC datetime; StoreError if it was damaged (hand-edited)."""
    if not text:
        return None
    try:
        return as_utc(datetime.fromisoformat(text))
    except (TypeError, ValueError):
        raise StoreError(f"damaged timestamp {str(text)[:60]!r}") from None


def required_time_from_text(text: str | None) -> datetime:
    """A timestamp the store always writes (first/last seen, a change's time): a missing one is
    damage too, a StoreError rather than a None handed on to code that needs a datetime."""
    when = time_from_text(text)
    if when is None:
        raise StoreError(f"damaged timestamp {text!r} (missing)")
    return when


def check_text(value: str | None, what: str) -> None:
    """Refuse text that no backend can store as it is: every backend gets the same answer.

    A shell argument with bytes that are not UTF-8 reaches Python as lone surrogates
    (``surrogateescape``); SQLite refuses to encode them, Elasticsearch would keep mangled text.
    """
    if value is None:
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise StoreError(f"{what} {value!r} is not valid UTF-8") from None


def batches(items: Iterable, size: int) -> Iterator[list]:
    """``items`` in lists of ``size`` (the last one shorter), consumed lazily."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@dataclass
class FoundCopy:
    """What a sweep or a scan reports about one document with a leak verdict."""

    source: str
    url: str
    content_sha256: str
    matched_records: list[str]
    containment: float
    seen_at: datetime = field(default_factory=utcnow)
    title: str | None = None
    evidence_path: str | None = None
    # The FingerprintSet.dataset_id the copy was found with: record ids mean rows of that dataset.
    dataset_id: str | None = None
    # A limit tripped while reading the document (an archive trap, a page nested past the
    # parser's depth): the records listed were found in what was read, and there may be more.
    partly_read: bool = False

    @property
    def matched_count(self) -> int:
        return len(self.matched_records)


@dataclass
class StatusChange:
    match_id: str
    from_status: str | None
    to_status: str
    at: datetime
    by: str
    note: str | None = None
    details: dict = field(default_factory=dict)  # e.g. {"to": "abuse@host", "ref": "T-1"}


@dataclass
class Match:
    id: str
    source: str
    url: str
    host: str
    content_sha256: str
    matched_records: list[str]
    matched_count: int
    containment: float
    status: str
    first_seen: datetime
    last_seen: datetime
    title: str | None = None
    evidence_path: str | None = None
    status_changed_at: datetime | None = None
    takedown_to: str | None = None
    takedown_ref: str | None = None
    version: int = 1  # bumped on every write; optimistic concurrency for status changes
    dataset_id: str | None = None  # whose rows matched_records name (None: stored before dataset ids)
    partly_read: bool = False  # the last read of the copy stopped at a limit (FoundCopy.partly_read)

    @property
    def still_up(self) -> bool:
        return self.status in STILL_UP_STATUSES

    def days_outstanding(self, now: datetime | None = None) -> int | None:
        """Whole days since the takedown notice was sent, while no removal is seen; else None."""
        if self.status != "takedown_sent" or self.status_changed_at is None:
            return None
        return ((now or utcnow()) - self.status_changed_at).days

    def export_dict(self) -> dict:
        """The JSON form used by ``queue export`` and ``--json`` listings."""
        return {
            "id": self.id,
            "url": self.url,
            "source": self.source,
            "host": self.host,
            "title": self.title,
            "status": self.status,
            "matched_records": list(self.matched_records),
            "matched_count": self.matched_count,
            "containment": round(self.containment, 4),
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "content_sha256": self.content_sha256,
            "status_changed_at": self.status_changed_at.isoformat() if self.status_changed_at else None,
            "takedown_to": self.takedown_to,
            "takedown_ref": self.takedown_ref,
            "dataset_id": self.dataset_id,
            "partly_read": self.partly_read,
        }


# How to keep two leaks apart, said wherever leaktrack refuses to mix them.
NEW_CASE_ADVICE = (
    "a store holds the matches of one dataset; for another leak start a new case "
    "(leaktrack --case NAME fingerprint DATASET, then --case NAME or LEAKTRACK_CASE=NAME on every command)"
)


def short_dataset_id(dataset_id: str) -> str:
    """Enough of a dataset id to tell two apart in a message."""
    return dataset_id[:12]


def check_one_dataset(held: Iterable[str], incoming_ids: Iterable[str | None]) -> None:
    """DatasetMismatchError unless everything incoming was found with the dataset the store holds.

    ``held``: the dataset ids of the matches in the store (none: an empty store, or one whose
    matches were stored before dataset ids, which takes any). ``incoming_ids``: the dataset ids
    of the copies to store (None: unknown, taken as any).
    """
    incoming = sorted({dataset_id for dataset_id in incoming_ids if dataset_id})
    held = sorted(set(held))
    if len(incoming) > 1:
        raise DatasetMismatchError(
            f"these copies were found with the fingerprints of {len(incoming)} datasets "
            f"({', '.join(map(short_dataset_id, incoming))}): {NEW_CASE_ADVICE}"
        )
    other = [dataset_id for dataset_id in held if dataset_id not in incoming]
    if incoming and other:
        raise DatasetMismatchError(
            f"this match store holds matches of dataset {short_dataset_id(other[0])}, and these copies were "
            f"found with the fingerprints of dataset {short_dataset_id(incoming[0])}: {NEW_CASE_ADVICE}"
        )


def check_copy_text(copy: FoundCopy) -> None:
    check_text(copy.source, "the source name")
    check_text(copy.url, "the URL")
    check_text(copy.title, "the title")
    check_text(copy.evidence_path, "the evidence path")
    for record_id in copy.matched_records:
        check_text(record_id, "the record id")


def apply_found_copy(known: Match | None, copy: FoundCopy) -> tuple[Match, StatusChange | None]:
    """The upsert rule every backend follows, as a pure function.

    New URL: a match in status ``new``. Known URL: ``last_seen`` is the latest sighting,
    ``first_seen`` the earliest, hash/containment/title/evidence come from the latest report,
    and ``matched_records`` is the union of every record ever seen in that copy (a record
    once exposed stays exposed, even if the copy is later edited). A ``removed`` copy found
    again moves to ``reappeared``, returned as the StatusChange to store in the history.
    ``version`` is bumped on every write.
    """
    check_copy_text(copy)
    seen_at = as_utc(copy.seen_at)
    if known is None:
        return (
            Match(
                id=match_id_for_url(copy.url),
                source=copy.source,
                url=copy.url.strip(),
                host=host_of_url(copy.url),
                content_sha256=copy.content_sha256,
                matched_records=sorted_record_ids(copy.matched_records),
                matched_count=len(set(copy.matched_records)),
                containment=copy.containment,
                status="new",
                first_seen=seen_at,
                last_seen=seen_at,
                title=copy.title,
                evidence_path=copy.evidence_path,
                status_changed_at=seen_at,
                dataset_id=copy.dataset_id,
                partly_read=copy.partly_read,
            ),
            None,
        )
    if known.dataset_id and copy.dataset_id and known.dataset_id != copy.dataset_id:
        raise DatasetMismatchError(
            f"match {known.id} holds records of dataset {short_dataset_id(known.dataset_id)}, and this copy "
            f"was found with the fingerprints of dataset {short_dataset_id(copy.dataset_id)}: {NEW_CASE_ADVICE}"
        )
    records = sorted_record_ids([*known.matched_records, *copy.matched_records])
    reappeared = known.status == "removed"
    updated = replace(
        known,
        source=copy.source,
        content_sha256=copy.content_sha256,
        matched_records=records,
        matched_count=len(records),
        containment=copy.containment,
        first_seen=min(known.first_seen, seen_at),
        last_seen=max(known.last_seen, seen_at),
        title=copy.title if copy.title is not None else known.title,
        evidence_path=copy.evidence_path if copy.evidence_path is not None else known.evidence_path,
        status="reappeared" if reappeared else known.status,
        status_changed_at=seen_at if reappeared else known.status_changed_at,
        version=known.version + 1,
        dataset_id=known.dataset_id or copy.dataset_id,
        partly_read=copy.partly_read,  # the latest read of the copy says how much of it was read
    )
    change = (
        StatusChange(
            known.id, "removed", "reappeared", seen_at, SWEEP_ACTOR, note=f"found again at {copy.url}"
        )
        if reappeared
        else None
    )
    return updated, change


def apply_status_change(
    match: Match, to_status: str, by: str, note: str | None, details: dict
) -> tuple[Match, StatusChange]:
    """The status-change rule every backend follows (see ``MatchStore.change_status``), as a pure function.

    The transition itself is checked by the caller (``check_transition``).
    """
    check_text(by, "who (--by)")
    check_text(note, "the note")
    for key, value in details.items():
        check_text(str(key), "a detail name")
        check_text(str(value), f"the {key!r} detail")
    change = StatusChange(match.id, match.status, to_status, utcnow(), by, note, details)
    sending = to_status == "takedown_sent"
    changed = replace(
        match,
        status=to_status,
        status_changed_at=change.at,
        version=match.version + 1,
        takedown_to=details.get("to") if sending else match.takedown_to,
        takedown_ref=details.get("ref") if sending else match.takedown_ref,
    )
    return changed, change


@dataclass
class SweepRecord:
    """Summary of one sweep, stored so responders can see what was looked at and when."""

    id: str
    started_at: datetime
    finished_at: datetime | None
    per_source: dict[str, dict[str, int]]  # source -> {"pages": n, "documents": n, "matches": n, "errors": n}
    errors: list[str] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for counts in self.per_source.values():
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
        return totals


@dataclass
class StoreStats:
    by_status: dict[str, int]
    by_source: dict[str, int]
    records_exposed: int  # distinct record ids exposed by at least one non-dismissed copy
    copies_still_up: int  # new, confirmed, takedown_sent or reappeared


class MatchStore(DeskRecords, TakedownRecords, abc.ABC):
    """One interface, several backends; chosen by URL in ``open_store``.

    The review desk's accounts, audit trail and queue pages are its ``DeskRecords`` part; the
    takedown wing's records (notices, schedule, contact lookups) its ``TakedownRecords`` part.
    """

    def upsert_copies(self, copies: Iterable[FoundCopy]) -> list[Match]:
        """Insert new matches (status ``new``) or update known ones (last_seen, records, hash).

        A known match in status ``removed`` that is found again moves to ``reappeared``
        (with a history entry by ``sweep``). The exact rule is ``apply_found_copy``.
        Returns the stored matches in input order. Written in batches, each batch one
        transaction, so a crash mid-sweep loses at most the batch in flight.
        Copies found with another dataset's fingerprints than the stored matches' are refused
        (DatasetMismatchError, nothing of the batch written): their record ids name other rows.
        """
        stored: list[Match] = []
        for batch in batches(copies, settings.UPSERT_BATCH_SIZE):
            incoming = {copy.dataset_id for copy in batch if copy.dataset_id}
            if self._held_datasets is None or not incoming <= self._held_datasets:
                self._held_datasets = set(self.dataset_ids())
            check_one_dataset(self._held_datasets, incoming)
            stored.extend(self._upsert_batch(batch))
            self._held_datasets |= incoming
        return stored

    _held_datasets: set[str] | None = None  # dataset ids known to be in the store (a cache per instance)

    @abc.abstractmethod
    def _upsert_batch(self, copies: list[FoundCopy]) -> list[Match]:
        """One batch of ``upsert_copies``, in one transaction (SQLite) or one bulk write (Elasticsearch)."""

    @abc.abstractmethod
    def dataset_ids(self) -> list[str]:
        """The distinct dataset ids of the stored matches, sorted (matches stored before dataset ids have none)."""

    def refuse_new_dataset(self, fingerprints: str) -> None:
        """DatasetMismatchError if the store holds any match: fingerprinting (again) makes a new
        dataset id, and the stored matches' record ids would point into a dataset no file holds."""
        held = self.dataset_ids()
        if held or self.list_matches(limit=1):
            found_with = f"dataset {short_dataset_id(held[0])}" if held else "the fingerprints there now"
            raise DatasetMismatchError(
                f"the match store holds matches found with {found_with}; fingerprinting into {fingerprints} "
                f"would leave their record ids pointing into another dataset: {NEW_CASE_ADVICE}"
            )

    def refuse_other_dataset(self, dataset_id: str) -> None:
        """DatasetMismatchError if the store holds matches of a dataset other than ``dataset_id``.

        What a sweep checks before it starts, so a mix-up is one line, not one error per copy.
        """
        check_one_dataset(self.dataset_ids(), [dataset_id])

    @abc.abstractmethod
    def get(self, match_id: str) -> Match:
        """The match, or NotFoundError."""

    @abc.abstractmethod
    def list_matches(
        self,
        status: str | None = None,
        source: str | None = None,
        min_records: int = 0,
        limit: int | None = 100,
    ) -> list[Match]:
        """The takedown queue: most records exposed first, then newest first."""

    @abc.abstractmethod
    def change_status(
        self,
        match_id: str,
        to_status: str,
        by: str,
        note: str | None = None,
        details: dict | None = None,
        expected_version: int | None = None,
    ) -> Match:
        """Move a match along the workflow (InvalidTransitionError if not allowed: ``check_transition``).

        The change and its history entry are written together, or not at all, and the
        match's ``status_changed_at`` becomes the change's time and ``version`` is bumped.
        Moving to ``takedown_sent`` also stores ``details["to"]``/``details["ref"]`` on the
        match as ``takedown_to``/``takedown_ref``.
        ``expected_version``: the version the caller looked at (e.g. shown to a reviewer);
        if the match was written since, ConcurrentUpdateError and nothing changes. Without
        it, a concurrent write is retried against the fresh match (transition re-checked).
        """

    def record_takedown_sent(
        self, match_id: str, to: str, by: str, ref: str | None = None, note: str | None = None
    ) -> Match:
        """A takedown notice went to ``to`` (with the host's ticket ``ref``, if any)."""
        if not to.strip():  # the history must say where the notice went, to follow it up
            raise StoreError("say where the takedown notice went (--to): an address or a form URL")
        details = {"to": to} | ({"ref": ref} if ref else {})
        return self.change_status(match_id, "takedown_sent", by, note=note, details=details)

    @abc.abstractmethod
    def search(self, text: str, limit: int = 50) -> list[Match]:
        """Matches whose title or URL contain the words of ``text`` (full-text), best first."""

    @abc.abstractmethod
    def history(self, match_id: str) -> list[StatusChange]:
        """Every status change of a match, oldest first."""

    @abc.abstractmethod
    def exposure(self, record_id: str) -> list[Match]:
        """Every copy that exposed the record, newest first."""

    @abc.abstractmethod
    def iter_matches(self) -> Iterator[Match]:
        """All matches, for export; streams, so it works at millions of matches."""

    @abc.abstractmethod
    def stats(self) -> StoreStats: ...

    @abc.abstractmethod
    def record_sweep(self, sweep: SweepRecord) -> None: ...

    @abc.abstractmethod
    def list_sweeps(self, limit: int = 20) -> list[SweepRecord]:
        """Most recent first."""

    def close(self) -> None:  # noqa: B027 (optional: a backend without connections keeps it)
        """Release connections."""

    def __enter__(self) -> MatchStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
