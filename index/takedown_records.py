"""What the store keeps for the takedown wing (``leaktrack.takedown``): contact lookups with an
expiry, the notices sent, and one *track* per copy a notice went out for (where it stands in
the escalation and monitoring schedule).

The rules that decide what a track means live in ``leaktrack.takedown``; the store only keeps
and queries. Like the matches, nothing here holds leaked data: addresses of abuse desks, dates,
Message-IDs and which template was used.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # base.py imports this module: MatchStore is built on TakedownRecords
    from .base import Match

# Where a copy stands after its first notice. "notified"/"reminded": waiting for removal at the
# current contact; "monitoring": removed, re-checked until it stayed gone long enough;
# "resolved": stayed gone; "reappeared": came back after removal (a new notice is due).
TRACK_STEPS = ("notified", "reminded", "monitoring", "resolved", "reappeared")

# What ``takedown_metrics`` groups by.
METRIC_GROUPS = ("host", "source")
# Fields of notices and tracks holding a time: both backends store them as text (time_text).
TIME_FIELDS = frozenset(
    {
        "sent_at",
        "first_seen",
        "step_since",
        "first_notice_at",
        "removed_at",
        "gone_since",
        "resolved_at",
        "reappeared_at",
    }
)


@dataclass
class Notice:
    """One message sent about one copy (a first notice, a reminder or an escalation)."""

    id: str
    match_id: str
    sent_at: datetime
    kind: str  # "notice", "reminder" or "escalation"
    role: str  # the contact's role: "platform", "host", "hosting" or "registrar"
    recipient: str  # an address, or a form URL for a platform's privacy form
    contact_source: str  # where the address came from (e.g. "rdap https://rdap.example/ip/1.2.3.4")
    template: str
    by: str
    message_id: str | None = None  # the Message-ID of the sent mail (None for a form)


@dataclass
class TakedownTrack:
    """Where one copy stands in the escalation and monitoring schedule.

    ``step_since``: when the copy entered its step, or for "monitoring" when it was last checked,
    so "what is due" is one range query on (step, step_since).
    """

    match_id: str
    host: str
    source: str
    first_seen: datetime
    step: str
    step_since: datetime
    role: str  # the role of the contact last written to
    first_notice_at: datetime
    notices: int = 1
    removed_at: datetime | None = None
    gone_since: datetime | None = None  # start of the current run of rechecks that found it gone
    resolved_at: datetime | None = None
    reappeared_at: datetime | None = None


@dataclass
class TakedownMetric:
    """Time to act and time to removal for one host or source (hours, over the copies notified)."""

    key: str
    notified: int
    removed: int
    hours_to_notice_mean: float | None  # first seen -> first notice
    hours_to_notice_max: float | None
    hours_to_removal_mean: float | None  # first notice -> removal, over the removed copies
    hours_to_removal_max: float | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def hours_between(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 3600


def hours_to_notice(track: TakedownTrack) -> float:
    """First seen -> first notice, the metrics' "time to act"."""
    return hours_between(track.first_notice_at, track.first_seen)


def hours_to_removal(track: TakedownTrack) -> float | None:
    """First notice -> removal, for a removed copy."""
    return hours_between(track.removed_at, track.first_notice_at) if track.removed_at else None


class TakedownRecords(abc.ABC):
    """The takedown part of the ``MatchStore`` interface (every backend implements it)."""

    @abc.abstractmethod
    def save_lookup(self, key: str, value: dict, expires_at: datetime) -> None:
        """Cache a contact lookup's result (``value``: JSON-able) until ``expires_at``."""

    @abc.abstractmethod
    def load_lookup(self, key: str, now: datetime) -> dict | None:
        """The cached result of ``key``, or None if there is none or it expired by ``now``."""

    @abc.abstractmethod
    def add_notice(self, notice: Notice) -> None:
        """Keep a sent notice (NotFoundError if its match is unknown)."""

    @abc.abstractmethod
    def list_notices(self, match_id: str | None = None) -> list[Notice]:
        """The notices of one match (or all), oldest first."""

    @abc.abstractmethod
    def save_track(self, track: TakedownTrack) -> None:
        """Insert or replace the track of ``track.match_id``."""

    @abc.abstractmethod
    def get_track(self, match_id: str) -> TakedownTrack | None: ...

    @abc.abstractmethod
    def tracks_of(self, match_ids: list[str]) -> dict[str, TakedownTrack]:
        """The tracks of these matches (those that have one), in one query."""

    @abc.abstractmethod
    def match_states(self, match_ids: list[str]) -> dict[str, tuple[str, datetime | None]]:
        """match id -> (status, status_changed_at) of these matches, in one query."""

    @abc.abstractmethod
    def tracks_due(self, step: str, entered_by: datetime, limit: int | None = None) -> list[TakedownTrack]:
        """Tracks in ``step`` since ``entered_by`` or earlier, longest waiting first."""

    @abc.abstractmethod
    def iter_tracks(self) -> Iterator[TakedownTrack]:
        """Every track, streamed."""

    @abc.abstractmethod
    def takedown_metrics(self, group_by: str = "host") -> list[TakedownMetric]:
        """Per ``host`` or ``source`` (METRIC_GROUPS), over every track: copies notified and
        removed, ``hours_to_notice`` mean and max, ``hours_to_removal`` mean and max over the
        removed ones; most notified first, then by key."""

    @abc.abstractmethod
    def delete_matches(self, match_ids: list[str]) -> int:
        """Delete these matches with their records, history, notices and track (retention purge);
        returns how many existed. Unknown ids are skipped."""

    @abc.abstractmethod
    def matches_with_content(self, content_sha256: str) -> list[Match]:
        """Every copy whose latest content has this SHA-256 (mirrors), newest first."""
