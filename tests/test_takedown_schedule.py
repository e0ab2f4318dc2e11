"""Escalation and monitoring rules over a real store (each backend in STORE_BACKENDS)."""

from __future__ import annotations

from datetime import timedelta

from fixtures_store import T0, found_copy

from leaktrack.index.takedown_records import Notice
from leaktrack.takedown.schedule import SchedulePolicy, due_actions, record_check, track_after_notice

POLICY = SchedulePolicy(
    remind_after_days=3, escalate_after_days=3, recheck_every_days=1, resolved_after_days=7
)


def days(n: float):
    return T0 + timedelta(days=n)


def notify(store, url: str, at, kind: str = "notice", role: str = "hosting"):
    """A copy confirmed and notified at ``at`` (as sending.record_notice leaves it)."""
    match = store.upsert_copies([found_copy(url, ["r1"])])[0]
    if match.status == "new":
        match = store.change_status(match.id, "confirmed", by="t")
    notice = Notice(
        f"{match.id}-{at.isoformat()}", match.id, at, kind, role, "abuse@x", "src", "t", "t", "<m>"
    )
    store.add_notice(notice)
    if match.status != "takedown_sent":
        match = store.record_takedown_sent(match.id, to="abuse@x", by="t")
    store.save_track(track_after_notice(store.get_track(match.id), match, notice))
    return match


def actions(store, now):
    return [(a.match_id, a.action) for a in due_actions(store, now, POLICY)]


def test_a_copy_still_up_three_days_after_the_notice_is_due_for_a_reminder(store):
    a = notify(store, "https://h.example/a", days(0))
    b = notify(store, "https://h.example/b", days(1))
    assert actions(store, days(2.9)) == []
    assert actions(store, days(3)) == [(a.id, "remind")]
    assert actions(store, days(4)) == [(a.id, "remind"), (b.id, "remind")]


def test_after_the_reminder_the_next_contact_is_due(store):
    a = notify(store, "https://h.example/a", days(0))
    notify(store, "https://h.example/a", days(3), kind="reminder")
    assert actions(store, days(5)) == []
    assert actions(store, days(6)) == [(a.id, "escalate")]


def test_the_reminder_delay_is_configurable(store):
    a = notify(store, "https://h.example/a", days(0))
    assert [x.match_id for x in due_actions(store, days(1), SchedulePolicy(remind_after_days=1))] == [a.id]


def test_a_removed_copy_is_rechecked_and_resolved_after_seven_days_gone(store):
    a = notify(store, "https://h.example/a", days(0))
    track = record_check(store, store.get(a.id), gone=True, at=days(2), policy=POLICY)
    assert (track.step, track.removed_at) == ("monitoring", days(2))
    assert store.get(a.id).status == "removed"
    assert actions(store, days(2.5)) == []
    assert actions(store, days(3)) == [(a.id, "recheck")]
    for day in range(3, 9):
        track = record_check(store, store.get(a.id), gone=True, at=days(day), policy=POLICY)
        assert track.step == "monitoring"
    track = record_check(store, store.get(a.id), gone=True, at=days(9), policy=POLICY)
    assert (track.step, track.resolved_at) == ("resolved", days(9))
    assert actions(store, days(20)) == []


def test_a_copy_back_after_removal_reopens_as_reappeared_with_the_date(store):
    a = notify(store, "https://h.example/a", days(0))
    record_check(store, store.get(a.id), gone=True, at=days(2), policy=POLICY)
    track = record_check(store, store.get(a.id), gone=False, at=days(4), policy=POLICY)
    assert (track.step, track.reappeared_at) == ("reappeared", days(4))
    match = store.get(a.id)
    assert match.status == "reappeared"
    assert "2026-03-05" in store.history(a.id)[-1].note
    assert actions(store, days(4)) == [(a.id, "notify again")]


def test_a_resolved_copy_found_again_by_a_sweep_is_due_for_a_new_notice(store):
    a = notify(store, "https://h.example/a", days(0))
    record_check(store, store.get(a.id), gone=True, at=days(1), policy=POLICY)
    record_check(store, store.get(a.id), gone=True, at=days(8), policy=POLICY)
    assert store.get_track(a.id).step == "resolved"
    store.upsert_copies([found_copy("https://h.example/a", ["r1"], minutes=60 * 24 * 10)])  # a sweep sees it
    assert actions(store, days(11)) == [(a.id, "notify again")]
    assert store.get_track(a.id).reappeared_at == days(10)


def test_a_copy_marked_removed_by_recheck_is_monitored_not_reminded(store):
    a = notify(store, "https://h.example/a", days(0))
    removed = store.change_status(a.id, "removed", by="recheck")  # spiders.recheck does, at the real time
    assert actions(store, days(5)) == []  # no reminder for a removed copy
    track = store.get_track(a.id)
    assert (track.step, track.removed_at) == ("monitoring", removed.status_changed_at)
    assert actions(store, removed.status_changed_at + timedelta(days=1)) == [(a.id, "recheck")]


def test_a_copy_never_notified_has_no_track_and_checks_leave_it_alone(store):
    (match,) = store.upsert_copies([found_copy("https://h.example/z", ["r1"])])
    assert record_check(store, match, gone=True, at=days(1), policy=POLICY) is None
    assert store.get(match.id).status == "new"


def test_mirrors_are_copies_with_the_same_content_or_the_same_records(store):
    from leaktrack.takedown.mirrors import mirrors_of

    a, b, c, d = store.upsert_copies(
        [
            found_copy("https://one.example/a", ["r1", "r2"], sha="a" * 64),
            found_copy("https://two.example/b", ["r1", "r2"], sha="a" * 64),
            found_copy("https://three.example/c.txt", ["r2", "r1"], sha="c" * 64),
            found_copy("https://four.example/d", ["r1"], sha="d" * 64),
        ]
    )
    assert sorted((m.url, m.reason) for m in mirrors_of(store, a)) == [
        ("https://three.example/c.txt", "same records"),
        ("https://two.example/b", "same content"),
    ]
    assert mirrors_of(store, d) == []
