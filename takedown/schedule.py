"""Escalation and monitoring: what to do next about each copy a notice went out for.

A copy's *track* (``TakedownTrack``, kept by the store) moves through these steps:

- ``notified``: a notice went to a contact. Still up ``remind_after_days`` later -> a reminder is due.
- ``reminded``: still up ``escalate_after_days`` after the reminder -> escalate to the next
  contact in line (platform -> site -> hosting network -> registrar), which makes it ``notified``.
- ``monitoring``: a recheck found it gone. It is re-checked every ``recheck_every_days``; once it
  has stayed gone for ``resolved_after_days`` in a row it is ``resolved``.
- ``reappeared``: a recheck (or a sweep) found it back after removal, with the date; a new
  notice is due.

The rules are functions of the track, the match and the time; the store keeps the tracks and
answers "which tracks entered step S before T" with one index range scan, so ``due`` stays fast
at millions of matches.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..index import Match, MatchStore
from ..index.takedown_records import Notice, TakedownTrack
from . import settings

MONITOR_ACTOR = "takedown monitor"


@dataclass(frozen=True)
class SchedulePolicy:
    remind_after_days: float = settings.REMIND_AFTER_DAYS
    escalate_after_days: float = settings.ESCALATE_AFTER_DAYS
    recheck_every_days: float = settings.RECHECK_EVERY_DAYS
    resolved_after_days: float = settings.RESOLVED_AFTER_DAYS


@dataclass
class DueAction:
    match_id: str
    action: str  # "remind", "escalate", "recheck" or "notify again"
    role: str  # the role last written to
    waiting_since: datetime
    host: str
    source: str

    def days_waiting(self, now: datetime) -> int:
        return (now - self.waiting_since).days

    def as_dict(self, now: datetime) -> dict:
        return {
            "match_id": self.match_id,
            "action": self.action,
            "role": self.role,
            "waiting_since": self.waiting_since.isoformat(),
            "days_waiting": self.days_waiting(now),
            "host": self.host,
            "source": self.source,
        }


def next_kind(track: TakedownTrack | None) -> str:
    """What the next notice about a copy is: a first notice, a reminder or an escalation."""
    if track is None or track.step in ("reappeared", "monitoring", "resolved"):
        return "notice"
    return "reminder" if track.step == "notified" else "escalation"


def track_after_notice(track: TakedownTrack | None, match: Match, notice: Notice) -> TakedownTrack:
    """The track once ``notice`` went out."""
    if track is None:
        return TakedownTrack(
            match_id=match.id,
            host=match.host,
            source=match.source,
            first_seen=match.first_seen,
            step="notified",
            step_since=notice.sent_at,
            role=notice.role,
            first_notice_at=notice.sent_at,
        )
    step = "reminded" if notice.kind == "reminder" else "notified"
    return replace(
        track,
        step=step,
        step_since=notice.sent_at,
        role=notice.role,
        notices=track.notices + 1,
        gone_since=None,
        resolved_at=None,
    )


def track_after_check(
    track: TakedownTrack, gone: bool, at: datetime, policy: SchedulePolicy
) -> TakedownTrack:
    """The track once a recheck at ``at`` found the copy gone (``gone``) or still there."""
    if gone:
        if track.step in ("notified", "reminded", "reappeared"):
            return replace(
                track, step="monitoring", step_since=at, removed_at=track.removed_at or at, gone_since=at
            )
        if track.step == "monitoring":
            gone_since = track.gone_since or at
            if at - gone_since >= timedelta(days=policy.resolved_after_days):
                return replace(track, step="resolved", step_since=at, gone_since=gone_since, resolved_at=at)
            return replace(track, step_since=at, gone_since=gone_since)
        return track
    if track.step in ("monitoring", "resolved"):
        return replace(track, step="reappeared", step_since=at, reappeared_at=at, gone_since=None)
    return track


def record_check(
    store: MatchStore, match: Match, gone: bool, at: datetime, policy: SchedulePolicy
) -> TakedownTrack | None:
    """Apply one recheck to a notified copy's track; a copy back after removal reopens as
    ``reappeared``. Copies never notified have no track and are left alone (None)."""
    track = store.get_track(match.id)
    if track is None:
        return None
    after = track_after_check(track, gone, at, policy)
    if after.step == "reappeared" and track.step != "reappeared" and match.status == "removed":
        store.change_status(
            match.id, "reappeared", by=MONITOR_ACTOR, note=f"back online, found by a recheck on {at:%Y-%m-%d}"
        )
    if gone and match.status == "takedown_sent":
        store.change_status(match.id, "removed", by=MONITOR_ACTOR, note=f"gone at a recheck on {at:%Y-%m-%d}")
    if after != track:
        store.save_track(after)
    return after


def _reconciled(track: TakedownTrack, status: str, changed_at: datetime | None) -> TakedownTrack:
    """A track brought in line with its match when someone else moved the match (a sweep found
    it again, ``recheck`` marked it removed); the same track if nothing changed."""
    if status == "reappeared" and track.step != "reappeared":
        at = changed_at or track.step_since
        return replace(track, step="reappeared", step_since=at, reappeared_at=at, gone_since=None)
    if status == "removed" and track.step in ("notified", "reminded"):
        at = changed_at or track.step_since
        return replace(
            track, step="monitoring", step_since=at, removed_at=track.removed_at or at, gone_since=at
        )
    return track


ACTIONS = {
    "notified": "remind",
    "reminded": "escalate",
    "monitoring": "recheck",
    "reappeared": "notify again",
}


def due_actions(
    store: MatchStore, now: datetime, policy: SchedulePolicy, limit: int | None = None
) -> list[DueAction]:
    """What needs action by ``now``: reminders, escalations, rechecks, copies back online.

    Longest waiting first within each kind; at most ``limit`` of each kind. Tracks whose match
    was moved by someone else (a sweep, ``recheck``) are brought in line first and saved.
    """
    waits = {
        "notified": timedelta(days=policy.remind_after_days),
        "reminded": timedelta(days=policy.escalate_after_days),
        "monitoring": timedelta(days=policy.recheck_every_days),
        "reappeared": timedelta(0),
    }
    reappeared = [match.id for match in store.list_matches(status="reappeared", limit=limit)]
    _reconcile(store, list(store.tracks_of(reappeared).values()))
    actions: list[DueAction] = []
    for step, wait in waits.items():
        for track in _reconcile(store, store.tracks_due(step, now - wait, limit)):
            if track.step != step and now - track.step_since < waits.get(track.step, timedelta(0)):
                continue  # moved to a step whose wait has not run out
            actions.append(
                DueAction(
                    track.match_id,
                    ACTIONS[track.step],
                    track.role,
                    track.step_since,
                    track.host,
                    track.source,
                )
            )
    return actions


def _reconcile(store: MatchStore, tracks: list[TakedownTrack]) -> list[TakedownTrack]:
    states = store.match_states([track.match_id for track in tracks])
    reconciled = []
    for track in tracks:
        after = _reconciled(track, *states.get(track.match_id, (None, None)))
        if after != track:
            store.save_track(after)
        reconciled.append(after)
    return reconciled
