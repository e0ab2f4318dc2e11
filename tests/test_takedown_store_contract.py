"""What every store backend keeps for the takedown wing (runs once per backend in STORE_BACKENDS)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fixtures_store import T0, found_copy

from leaktrack.errors import NotFoundError
from leaktrack.index import settings
from leaktrack.index.takedown_records import Notice, TakedownTrack

URL_A = "https://pastebin.com/aaaa"
URL_B = "https://mirror.example.org/a.csv"


def notice(match_id: str, hours: int, kind: str = "notice", role: str = "platform") -> Notice:
    return Notice(
        id=f"n-{match_id}-{hours}",
        match_id=match_id,
        sent_at=T0 + timedelta(hours=hours),
        kind=kind,
        role=role,
        recipient="abuse@host.example",
        contact_source="rdap https://rdap.example/ip/192.0.2.1",
        template="hosting",
        by="tester",
        message_id=f"<{hours}@leaktrack>",
    )


def track(match_id: str, host: str, step: str = "notified", **changes) -> TakedownTrack:
    fields = dict(
        match_id=match_id,
        host=host,
        source="pastes",
        first_seen=T0,
        step=step,
        step_since=T0 + timedelta(hours=2),
        role="platform",
        first_notice_at=T0 + timedelta(hours=2),
    )
    return TakedownTrack(**(fields | changes))


def test_a_cached_lookup_is_returned_until_it_expires(store):
    store.save_lookup("rdap:ip:192.0.2.1", {"contacts": [{"email": "abuse@net.example"}]}, T0)
    assert store.load_lookup("rdap:ip:192.0.2.1", T0 - timedelta(seconds=1)) == {
        "contacts": [{"email": "abuse@net.example"}]
    }
    assert store.load_lookup("rdap:ip:192.0.2.1", T0) is None
    assert store.load_lookup("rdap:ip:192.0.2.2", T0 - timedelta(days=1)) is None


def test_a_lookup_saved_again_replaces_the_old_one(store):
    store.save_lookup("k", {"v": 1}, T0)
    store.save_lookup("k", {"v": 2}, T0 + timedelta(days=1))
    assert store.load_lookup("k", T0) == {"v": 2}


def test_notices_are_kept_per_match_oldest_first_with_recipient_source_and_message_id(store):
    a, b = store.upsert_copies([found_copy(URL_A, ["r1"]), found_copy(URL_B, ["r1"])])
    store.add_notice(notice(a.id, 5, kind="reminder"))
    store.add_notice(notice(a.id, 1))
    store.add_notice(notice(b.id, 3))

    kept = store.list_notices(a.id)
    assert [n.kind for n in kept] == ["notice", "reminder"]
    assert kept[0] == notice(a.id, 1)
    assert [n.match_id for n in store.list_notices()] == [a.id, b.id, a.id]


def test_a_notice_for_an_unknown_match_is_refused(store):
    with pytest.raises(NotFoundError):
        store.add_notice(notice("0" * 16, 1))


def test_a_track_is_saved_replaced_and_read_back(store):
    (a,) = store.upsert_copies([found_copy(URL_A, ["r1"])])
    assert store.get_track(a.id) is None
    store.save_track(track(a.id, "pastebin.com"))
    moved = track(a.id, "pastebin.com", step="monitoring", removed_at=T0 + timedelta(days=1), notices=2)
    store.save_track(moved)
    assert store.get_track(a.id) == moved


def test_a_track_for_an_unknown_match_is_refused(store):
    with pytest.raises(NotFoundError):
        store.save_track(track("0" * 16, "h"))


def test_tracks_due_are_those_in_the_step_since_the_cut_or_earlier_longest_waiting_first(store):
    a, b, c = store.upsert_copies([found_copy(f"https://h.example/{n}", ["r1"]) for n in "abc"])
    store.save_track(track(a.id, "h.example", step_since=T0 + timedelta(days=2)))
    store.save_track(track(b.id, "h.example", step_since=T0))
    store.save_track(track(c.id, "h.example", step="reminded", step_since=T0))

    due = store.tracks_due("notified", T0 + timedelta(days=1))
    assert [t.match_id for t in due] == [b.id]
    due = store.tracks_due("notified", T0 + timedelta(days=2))
    assert [t.match_id for t in due] == [b.id, a.id]
    assert [t.match_id for t in store.tracks_due("notified", T0 + timedelta(days=3), limit=1)] == [b.id]


def test_metrics_per_host_and_per_source_count_notified_and_removed_with_their_hours(store):
    a, b, c = store.upsert_copies(
        [found_copy("https://one.example/a", ["r1"]), found_copy("https://one.example/b", ["r1"])]
        + [found_copy("https://two.example/c", ["r1"], source="mirrors")]
    )
    store.save_track(
        track(
            a.id, "one.example", first_notice_at=T0 + timedelta(hours=2), removed_at=T0 + timedelta(hours=12)
        )
    )
    store.save_track(track(b.id, "one.example", first_notice_at=T0 + timedelta(hours=4)))
    store.save_track(track(c.id, "two.example", source="mirrors", first_notice_at=T0 + timedelta(hours=1)))

    one, two = store.takedown_metrics("host")
    assert (one.key, one.notified, one.removed) == ("one.example", 2, 1)
    assert one.hours_to_notice_mean == pytest.approx(3.0)
    assert one.hours_to_notice_max == pytest.approx(4.0)
    assert one.hours_to_removal_mean == pytest.approx(10.0)
    assert (two.key, two.notified, two.removed, two.hours_to_removal_mean) == ("two.example", 1, 0, None)
    by_source = {m.key: m.notified for m in store.takedown_metrics("source")}
    assert by_source == {"pastes": 2, "mirrors": 1}


def test_metrics_cover_every_host_when_there_are_more_than_one_page_of_them(store, monkeypatch):
    monkeypatch.setattr(settings, "ITER_PAGE_SIZE", 2)
    copies = [found_copy(f"https://h{n}.example/a", ["r1"]) for n in range(5)]
    copies += [found_copy("https://h0.example/b", ["r1"])]
    for match in store.upsert_copies(copies):
        store.save_track(track(match.id, match.host))

    metrics = store.takedown_metrics("host")

    assert [(m.key, m.notified) for m in metrics] == [("h0.example", 2)] + [
        (f"h{n}.example", 1) for n in range(1, 5)
    ]


def test_iter_tracks_streams_every_track(store):
    matches = store.upsert_copies([found_copy(f"https://h.example/{n}", ["r1"]) for n in range(5)])
    for match in matches:
        store.save_track(track(match.id, "h.example"))
    assert sorted(t.match_id for t in store.iter_tracks()) == sorted(m.id for m in matches)


def test_matches_with_the_same_content_hash_are_found_as_mirrors(store):
    store.upsert_copies(
        [
            found_copy(URL_A, ["r1"], sha="a" * 64),
            found_copy(URL_B, ["r1"], sha="a" * 64, minutes=5),
            found_copy("https://other.example/x", ["r1"], sha="b" * 64),
        ]
    )
    assert [m.url for m in store.matches_with_content("a" * 64)] == [URL_B, URL_A]
    assert store.matches_with_content("c" * 64) == []


def test_tracks_of_and_match_states_read_many_matches_at_once(store):
    a, b, c = store.upsert_copies([found_copy(f"https://h.example/{n}", ["r1"]) for n in "abc"])
    store.save_track(track(a.id, "h.example"))
    store.save_track(track(c.id, "h.example", step="monitoring"))
    confirmed = store.change_status(b.id, "confirmed", by="t")

    tracks = store.tracks_of([a.id, b.id, c.id, "0" * 16])
    assert {match_id: t.step for match_id, t in tracks.items()} == {a.id: "notified", c.id: "monitoring"}
    states = store.match_states([a.id, b.id, "0" * 16])
    assert states == {a.id: ("new", T0), b.id: ("confirmed", confirmed.status_changed_at)}
    assert store.tracks_of([]) == {} and store.match_states([]) == {}


def test_deleted_matches_go_with_their_records_history_notices_and_track(store):
    a, b = store.upsert_copies([found_copy(URL_A, ["r1"]), found_copy(URL_B, ["r1", "r2"])])
    store.change_status(a.id, "dismissed", by="t")
    store.add_notice(notice(b.id, 1))
    store.save_track(track(b.id, "mirror.example.org"))

    assert store.delete_matches([b.id, "0" * 16]) == 1

    with pytest.raises(NotFoundError):
        store.get(b.id)
    assert store.list_notices() == [] and store.get_track(b.id) is None
    assert [m.id for m in store.exposure("r1")] == [a.id] and store.exposure("r2") == []
    assert store.history(a.id)[-1].to_status == "dismissed"
