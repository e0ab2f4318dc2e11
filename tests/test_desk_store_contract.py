"""What every store backend promises the review desk: accounts, audit trail, queue pages, dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fixtures_store import T0, found_copy

from leaktrack.errors import NotFoundError, StoreError
from leaktrack.index.desk import AuditEntry, QueueFilter, UserAccount


def test_a_saved_user_is_read_back_and_replaced_by_name(store):
    store.save_user(UserAccount("ana", "reviewer", "hash-1", created_at=T0))
    store.save_user(UserAccount("bo", "admin", "hash-2", created_at=T0))
    store.save_user(UserAccount("ana", "admin", "hash-3", created_at=T0, disabled=True))

    ana = store.get_user("ana")
    assert (ana.role, ana.password_hash, ana.disabled, ana.created_at) == ("admin", "hash-3", True, T0)
    assert [user.name for user in store.list_users()] == ["ana", "bo"]


def test_an_unknown_user_is_not_found_and_an_unknown_role_is_refused(store):
    with pytest.raises(NotFoundError):
        store.get_user("nobody")
    with pytest.raises(StoreError, match="unknown role"):
        store.save_user(UserAccount("eve", "root", "hash"))


def test_the_audit_trail_lists_newest_first_by_target_and_by_user(store):
    for minute, (user, action, target) in enumerate(
        [("ana", "view_evidence", "m1"), ("bo", "confirmed", "m1"), ("ana", "view_evidence", "m2")]
    ):
        store.record_audit(AuditEntry(user, action, target, {"note": "n"}, at=T0 + timedelta(minutes=minute)))

    assert [(e.user, e.action) for e in store.list_audit(target="m1")] == [
        ("bo", "confirmed"),
        ("ana", "view_evidence"),
    ]
    assert [e.target for e in store.list_audit(user="ana")] == ["m2", "m1"]
    assert len(store.list_audit(limit=2)) == 2
    assert store.list_audit(target="m1")[0].details == {"note": "n"}


def _many(store, count: int):
    copies = [
        found_copy(
            f"https://h{i % 3}.example/{i}",
            [str(r) for r in range(i % 5 + 1)],
            source=f"s{i % 2}",
            minutes=i * 60 * 24 // 4,
        )
        for i in range(count)
    ]
    return store.upsert_copies(copies)


@pytest.mark.parametrize("sort", ["records", "first_seen", "last_seen"])
def test_queue_pages_walk_every_match_once_in_order(store, sort):
    _many(store, 23)
    seen, after = [], None
    while True:
        page = store.queue_page(QueueFilter(), sort=sort, after=after, limit=5)
        seen.extend(page.matches)
        if page.next_after is None:
            break
        after = page.next_after
    assert len({m.id for m in seen}) == len(seen) == 23
    key = {"records": "matched_count", "first_seen": "first_seen", "last_seen": "last_seen"}[sort]
    values = [(getattr(m, key), m.id) for m in seen]
    assert values == sorted(values, reverse=True)


def test_queue_page_filters_by_status_source_host_records_and_first_seen(store):
    matches = _many(store, 12)
    store.change_status(matches[0].id, "confirmed", by="ana")
    assert [m.id for m in store.queue_page(QueueFilter(status="confirmed")).matches] == [matches[0].id]
    by_host = store.queue_page(QueueFilter(host="h1.example"), limit=100).matches
    assert by_host and all(m.host == "h1.example" for m in by_host)
    by_source = store.queue_page(QueueFilter(source="s0"), limit=100).matches
    assert len(by_source) == 6 and all(m.source == "s0" for m in by_source)
    big = store.queue_page(QueueFilter(min_records=5), limit=100).matches
    assert big and all(m.matched_count >= 5 for m in big)
    window = QueueFilter(first_seen_from=T0 + timedelta(days=1), first_seen_to=T0 + timedelta(days=2))
    in_window = store.queue_page(window, limit=100).matches
    assert sorted(m.first_seen for m in in_window) == [T0 + timedelta(hours=h) for h in (24, 30, 36, 42)]


def test_exposure_pages_walk_every_copy_of_the_record_once_by_id_with_the_total(store):
    _many(store, 23)  # record "0" is in every copy, "4" in the copies i % 5 == 4 (4 of 23)
    seen, after = [], None
    while True:
        page = store.exposure_page("0", after=after, limit=5)
        assert page.total == 23
        assert len(page.matches) == 5 or page.next_after is None
        seen.extend(page.matches)
        if page.next_after is None:
            break
        assert page.next_after == page.matches[-1].id
        after = page.next_after
    ids = [m.id for m in seen]
    assert ids == sorted({m.id for m in store.exposure("0")}, reverse=True)  # no gap, no repeat
    assert all("0" in m.matched_records for m in seen)

    four = store.exposure_page("4", limit=4)
    assert (len(four.matches), four.next_after, four.total) == (4, None, 4)
    assert store.exposure_page("4", after=four.matches[1].id).matches == four.matches[2:]
    nobody = store.exposure_page("r999")
    assert (nobody.matches, nobody.next_after, nobody.total) == ([], None, 0)


def test_an_unknown_sort_is_refused(store):
    with pytest.raises(StoreError, match="unknown sort"):
        store.queue_page(QueueFilter(), sort="rowid; DROP TABLE matches")


def test_the_dashboard_counts_copies_per_day_exposure_still_up_and_removal_medians(store):
    a, b, c = store.upsert_copies(
        [
            found_copy("https://h1.example/a", ["1", "2"], source="s0"),
            found_copy("https://h1.example/b", ["2", "3"], source="s1", minutes=60 * 24),
            found_copy("https://h2.example/c", ["9"], source="s1", minutes=60 * 24),
        ]
    )
    for step in ("confirmed", "takedown_sent", "removed"):
        store.change_status(a.id, step, by="ana")
    store.change_status(c.id, "dismissed", by="ana")

    figures = store.dashboard()
    day0, day1 = T0.date(), (T0 + timedelta(days=1)).date()
    assert figures.found_per_day == {day0: {"removed": 1}, day1: {"new": 1, "dismissed": 1}}
    assert figures.exposed_per_day == {day0: 2, day1: 1}  # record 2 counts on the day first exposed
    assert figures.still_up == 1
    assert set(figures.removal_days_by_host) == {"h1.example"}
    assert set(figures.removal_days_by_source) == {"s0"}
    assert figures.removal_days_by_host["h1.example"] > 0


def test_an_alert_is_claimed_once_per_copy_and_event_and_a_released_claim_can_be_retaken(store):
    assert store.claim_alert("m1", "new") is True
    assert store.claim_alert("m1", "new") is False
    assert store.claim_alert("m1", "reappeared@2026-03-01T09:00:00") is True
    assert store.claim_alert("m2", "new") is True
    store.release_alert("m1", "new")
    assert store.claim_alert("m1", "new") is True
    store.release_alert("nothing", "new")  # releasing what was never claimed is no error
