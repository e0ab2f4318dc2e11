"""What every match store backend promises (runs once per backend in STORE_BACKENDS)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fixtures_store import T0, found_copy

from leaktrack.errors import (
    ConcurrentUpdateError,
    DatasetMismatchError,
    InvalidTransitionError,
    NotFoundError,
    StoreError,
)
from leaktrack.index import STATUSES, TRANSITIONS, SweepRecord, match_id_for_url

URL_A = "https://pastebin.com/aaaa"
URL_B = "https://gist.github.com/someone/bbbb"
URL_C = "https://mirror.example.org/files/cccc.csv"

# How to bring a fresh match to each status with allowed steps; "reappeared" needs a sweep.
PATH_TO = {
    "new": [],
    "confirmed": ["confirmed"],
    "dismissed": ["dismissed"],
    "takedown_sent": ["confirmed", "takedown_sent"],
    "removed": ["confirmed", "takedown_sent", "removed"],
    "reappeared": ["confirmed", "takedown_sent", "removed"],
}


def bring_to(store, status: str, url: str = URL_A):
    (match,) = store.upsert_copies([found_copy(url, ["r1", "r2"])])
    for step in PATH_TO[status]:
        match = store.change_status(match.id, step, by="tester")
    if status == "reappeared":
        (match,) = store.upsert_copies([found_copy(url, ["r1", "r2"], minutes=60)])
    assert match.status == status
    return match


# -- upsert ----------------------------------------------------------------------------


def test_record_ids_are_kept_in_natural_order_row_numbers_as_numbers(store):
    store.upsert_copies([found_copy(URL_A, ["10", "2", "A-1", "1", "2"])])
    (match,) = store.upsert_copies([found_copy(URL_A, ["100", "3"], minutes=5)])

    assert match.matched_records == ["1", "2", "3", "10", "100", "A-1"]
    assert store.get(match.id).matched_records == ["1", "2", "3", "10", "100", "A-1"]


def test_upsert_of_a_new_url_creates_a_match_in_status_new_with_its_records(store):
    (match,) = store.upsert_copies([found_copy(URL_A, ["r2", "r1"], source="pastes", title="dump")])
    stored = store.get(match_id_for_url(URL_A))
    assert stored.status == "new"
    assert stored.url == URL_A
    assert stored.host == "pastebin.com"
    assert stored.source == "pastes"
    assert stored.title == "dump"
    assert sorted(stored.matched_records) == ["r1", "r2"]
    assert stored.matched_count == 2
    assert stored.first_seen == stored.last_seen == T0


def test_upsert_of_a_known_url_updates_sighting_and_hash_and_keeps_one_match(store):
    store.upsert_copies([found_copy(URL_A, ["r1"], sha="a" * 64)])
    store.upsert_copies([found_copy(URL_A, ["r1"], sha="b" * 64, minutes=30)])
    matches = store.list_matches(limit=None)
    assert len(matches) == 1
    assert matches[0].content_sha256 == "b" * 64
    assert matches[0].first_seen == T0
    assert matches[0].last_seen == T0 + timedelta(minutes=30)


def test_records_seen_in_a_copy_stay_exposed_when_the_copy_is_edited(store):
    store.upsert_copies([found_copy(URL_A, ["r1", "r2"])])
    store.upsert_copies([found_copy(URL_A, ["r2", "r3"], minutes=5)])
    match = store.get(match_id_for_url(URL_A))
    assert sorted(match.matched_records) == ["r1", "r2", "r3"]
    assert match.matched_count == 3


def test_re_upserting_the_same_copy_changes_neither_count_status_records_nor_history(store):
    copy = found_copy(URL_A, ["r1", "r2"])
    store.upsert_copies([copy])
    store.upsert_copies([copy])
    (match,) = store.list_matches(limit=None)
    assert match.status == "new"
    assert sorted(match.matched_records) == ["r1", "r2"]
    assert store.history(match.id) == []
    assert store.stats().by_status == {"new": 1}


def test_the_same_url_twice_in_one_batch_gives_one_match(store):
    returned = store.upsert_copies([found_copy(URL_A, ["r1"]), found_copy(URL_A, ["r2"], minutes=1)])
    assert [m.id for m in returned] == [match_id_for_url(URL_A)] * 2
    assert len(store.list_matches(limit=None)) == 1
    assert sorted(store.get(match_id_for_url(URL_A)).matched_records) == ["r1", "r2"]


def test_upsert_returns_the_stored_matches_in_input_order(store):
    returned = store.upsert_copies([found_copy(URL_B, ["r1"]), found_copy(URL_A, ["r2"])])
    assert [m.url for m in returned] == [URL_B, URL_A]


def test_a_removed_copy_found_again_reappears_with_a_history_entry_by_sweep(store):
    removed = bring_to(store, "removed")
    store.upsert_copies([found_copy(URL_A, ["r1", "r2"], minutes=90)])
    match = store.get(removed.id)
    assert match.status == "reappeared"
    last = store.history(match.id)[-1]
    assert (last.from_status, last.to_status, last.by) == ("removed", "reappeared", "sweep")


@pytest.mark.parametrize("status", ["dismissed", "takedown_sent", "confirmed"])
def test_a_copy_found_again_keeps_a_status_other_than_removed(store, status):
    match = bring_to(store, status)
    store.upsert_copies([found_copy(URL_A, ["r1", "r2"], minutes=90)])
    assert store.get(match.id).status == status


# -- the workflow -----------------------------------------------------------------------

ALLOWED = sorted((source, target) for source, targets in TRANSITIONS.items() for target in targets)
DISALLOWED = sorted(
    (source, target) for source in STATUSES for target in STATUSES if target not in TRANSITIONS[source]
)


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_every_allowed_transition_moves_the_match(store, from_status, to_status):
    match = bring_to(store, from_status)
    changed = store.change_status(match.id, to_status, by="tester")
    assert changed.status == to_status
    assert store.get(match.id).status == to_status


@pytest.mark.parametrize(("from_status", "to_status"), DISALLOWED)
def test_a_disallowed_transition_raises_and_changes_nothing(store, from_status, to_status):
    match = bring_to(store, from_status)
    history_before = store.history(match.id)
    with pytest.raises(InvalidTransitionError):
        store.change_status(match.id, to_status, by="tester")
    assert store.get(match.id).status == from_status
    assert store.history(match.id) == history_before


def test_an_unknown_status_is_refused(store):
    match = bring_to(store, "new")
    with pytest.raises(InvalidTransitionError, match="unknown status"):
        store.change_status(match.id, "deleted", by="tester")


def test_a_status_change_is_recorded_in_history_with_who_when_and_note(store):
    match = bring_to(store, "new")
    changed = store.change_status(match.id, "confirmed", by="alice", note="names visible")
    (entry,) = store.history(match.id)
    assert (entry.from_status, entry.to_status, entry.by, entry.note) == (
        "new",
        "confirmed",
        "alice",
        "names visible",
    )
    assert entry.at == changed.status_changed_at
    assert entry.at.tzinfo is not None


def test_history_lists_changes_oldest_first(store):
    match = bring_to(store, "removed")
    steps = [(entry.from_status, entry.to_status) for entry in store.history(match.id)]
    assert steps == [("new", "confirmed"), ("confirmed", "takedown_sent"), ("takedown_sent", "removed")]


def test_takedown_sent_stores_recipient_and_ticket_on_match_and_in_history(store):
    match = bring_to(store, "confirmed")
    sent = store.record_takedown_sent(match.id, to="abuse@pastebin.com", by="bob", ref="T-42")
    assert (sent.status, sent.takedown_to, sent.takedown_ref) == (
        "takedown_sent",
        "abuse@pastebin.com",
        "T-42",
    )
    assert store.history(match.id)[-1].details == {"to": "abuse@pastebin.com", "ref": "T-42"}


def test_days_outstanding_counts_from_the_takedown_notice(store):
    sent = store.record_takedown_sent(bring_to(store, "confirmed").id, to="abuse@x.org", by="bob")
    assert sent.days_outstanding(now=sent.status_changed_at + timedelta(days=3, hours=2)) == 3
    assert store.change_status(sent.id, "removed", by="bob").days_outstanding() is None


def test_every_write_bumps_the_version(store):
    match = bring_to(store, "new")
    confirmed = store.change_status(match.id, "confirmed", by="alice")
    (resighted,) = store.upsert_copies([found_copy(URL_A, ["r1", "r2"], minutes=5)])
    assert match.version < confirmed.version < resighted.version


def test_a_decision_on_a_match_that_changed_since_it_was_shown_fails_and_changes_nothing(store):
    shown = bring_to(store, "new")
    store.change_status(shown.id, "dismissed", by="alice")
    with pytest.raises(ConcurrentUpdateError):
        store.change_status(shown.id, "confirmed", by="bob", expected_version=shown.version)
    assert store.get(shown.id).status == "dismissed"


def test_a_decision_with_the_current_version_succeeds(store):
    shown = bring_to(store, "new")
    assert (
        store.change_status(shown.id, "confirmed", by="bob", expected_version=shown.version).status
        == "confirmed"
    )


def test_unknown_match_ids_raise_not_found(store):
    with pytest.raises(NotFoundError):
        store.get("0000000000000000")
    with pytest.raises(NotFoundError):
        store.change_status("0000000000000000", "confirmed", by="tester")
    with pytest.raises(NotFoundError):
        store.history("0000000000000000")


# -- queries ----------------------------------------------------------------------------


def test_exposure_lists_every_copy_of_a_record_newest_first_with_status(store):
    store.upsert_copies([found_copy(URL_A, ["r1", "r2"], minutes=0)])
    store.upsert_copies([found_copy(URL_B, ["r2"], minutes=10)])
    store.upsert_copies([found_copy(URL_C, ["r3"], minutes=20)])
    store.change_status(match_id_for_url(URL_A), "dismissed", by="alice")
    exposed = store.exposure("r2")
    assert [(m.url, m.status) for m in exposed] == [(URL_B, "new"), (URL_A, "dismissed")]


def test_exposure_of_a_record_in_no_copy_is_empty(store):
    store.upsert_copies([found_copy(URL_A, ["r1"])])
    assert store.exposure("r999") == []


def test_queue_lists_most_records_first_then_newest_first(store):
    store.upsert_copies(
        [
            found_copy(URL_A, ["r1"], minutes=30),
            found_copy(URL_B, ["r1", "r2", "r3"], minutes=0),
            found_copy(URL_C, ["r1"], minutes=60),
        ]
    )
    assert [m.url for m in store.list_matches()] == [URL_B, URL_C, URL_A]


def test_queue_filters_by_status_source_and_minimum_records_and_limits(store):
    store.upsert_copies(
        [
            found_copy(URL_A, ["r1"], source="pastes"),
            found_copy(URL_B, ["r1", "r2", "r3"], source="gists"),
            found_copy(URL_C, ["r1", "r2"], source="mirrors"),
        ]
    )
    store.change_status(match_id_for_url(URL_C), "confirmed", by="alice")
    assert [m.url for m in store.list_matches(status="confirmed")] == [URL_C]
    assert [m.url for m in store.list_matches(source="pastes")] == [URL_A]
    assert [m.url for m in store.list_matches(min_records=2)] == [URL_B, URL_C]
    assert [m.url for m in store.list_matches(limit=1)] == [URL_B]


def test_search_finds_matches_by_title_words_and_by_url_host(store):
    store.upsert_copies(
        [
            found_copy(URL_A, ["r1"], title="Detention roster leaked"),
            found_copy(URL_B, ["r2"], title="random notes"),
        ]
    )
    assert [m.url for m in store.search("roster")] == [URL_A]
    assert [m.url for m in store.search("gist")] == [URL_B]
    assert store.search("nothing-like-this") == []


def test_export_streams_every_match(store):
    urls = [f"https://mirror.example.org/copy/{n}" for n in range(2_100)]
    store.upsert_copies(found_copy(url, [f"r{n % 7}"]) for n, url in enumerate(urls))
    exported = [match.url for match in store.iter_matches()]
    assert sorted(exported) == sorted(urls)


def test_stats_count_statuses_sources_records_exposed_and_copies_still_up(store):
    store.upsert_copies(
        [
            found_copy(URL_A, ["r1", "r2"], source="pastes"),
            found_copy(URL_B, ["r2", "r3"], source="gists"),
            found_copy(URL_C, ["r9"], source="pastes"),
        ]
    )
    store.change_status(match_id_for_url(URL_C), "dismissed", by="alice")  # r9 was a false match
    stats = store.stats()
    assert stats.by_status == {"new": 2, "dismissed": 1}
    assert stats.by_source == {"pastes": 2, "gists": 1}
    assert stats.records_exposed == 3
    assert stats.copies_still_up == 2


def test_sweeps_are_listed_most_recent_first_and_re_recording_one_replaces_it(store):
    first = SweepRecord("sweep-1", T0, None, {"pastes": {"pages": 1}})
    second = SweepRecord("sweep-2", T0 + timedelta(hours=1), None, {"pastes": {"pages": 2}})
    store.record_sweep(first)
    store.record_sweep(second)
    finished = SweepRecord(
        "sweep-1", T0, T0 + timedelta(minutes=5), {"pastes": {"pages": 9}}, errors=["timeout"]
    )
    store.record_sweep(finished)
    sweeps = store.list_sweeps()
    assert [s.id for s in sweeps] == ["sweep-2", "sweep-1"]
    assert sweeps[1].finished_at == T0 + timedelta(minutes=5)
    assert sweeps[1].per_source == {"pastes": {"pages": 9}}
    assert sweeps[1].errors == ["timeout"]
    assert store.list_sweeps(limit=1)[0].id == "sweep-2"


def test_stats_count_every_source_not_only_the_first_thousand(store):
    """1,001 sources: a bounded terms aggregation would drop one without a word."""
    store.upsert_copies(
        found_copy(f"https://mirror{n}.example.org/copy", [f"r{n}"], source=f"source-{n:04d}")
        for n in range(1_001)
    )
    stats = store.stats()
    assert len(stats.by_source) == 1_001
    assert stats.by_source["source-1000"] == 1
    assert stats.records_exposed == 1_001


# -- text no backend can keep -----------------------------------------------------------------

NOT_UTF8 = b"seen by \xff".decode("utf-8", "surrogateescape")  # what Python makes of such a shell argument


@pytest.mark.parametrize("field", ["note", "by", "to"])
def test_text_that_is_not_utf8_is_refused_alike_and_changes_nothing(store, field):
    match = bring_to(store, "confirmed")
    with pytest.raises(StoreError, match="not valid UTF-8"):
        if field == "to":
            store.record_takedown_sent(match.id, to=NOT_UTF8, by="alice")
        else:
            store.change_status(match.id, "takedown_sent", **{"by": "alice", field: NOT_UTF8})
    assert store.get(match.id).status == "confirmed"
    assert len(store.history(match.id)) == 1


def test_a_copy_with_a_title_that_is_not_utf8_is_refused_alike_and_nothing_is_stored(store):
    with pytest.raises(StoreError, match="not valid UTF-8"):
        store.upsert_copies([found_copy(URL_A, ["r1"], title=NOT_UTF8)])
    assert store.list_matches(limit=None) == []


# -- one dataset per store ---------------------------------------------------------------------

DATASET_A, DATASET_B = "a" * 32, "b" * 32


def partly_read(copy):
    copy.partly_read = True
    return copy


def test_a_copy_read_only_in_part_is_stored_flagged_and_a_full_read_clears_the_flag(store):
    (match,) = store.upsert_copies([partly_read(found_copy(URL_A, ["r1"]))])
    assert match.partly_read and store.get(match.id).partly_read
    assert match.export_dict()["partly_read"] is True
    assert [m.partly_read for m in store.iter_matches()] == [True]

    (again,) = store.upsert_copies([found_copy(URL_A, ["r1", "r2"], minutes=5)])
    assert not again.partly_read and not store.get(match.id).partly_read


def of_dataset(copy, dataset_id: str):
    copy.dataset_id = dataset_id
    return copy


def test_every_match_keeps_the_dataset_id_it_was_found_with(store):
    (match,) = store.upsert_copies([of_dataset(found_copy(URL_A, ["r1"]), DATASET_A)])
    assert match.dataset_id == DATASET_A
    assert store.get(match.id).dataset_id == DATASET_A
    assert [m.dataset_id for m in store.iter_matches()] == [DATASET_A]
    assert store.dataset_ids() == [DATASET_A]


def test_an_empty_store_holds_no_dataset(store):
    assert store.dataset_ids() == []


def test_copies_of_another_dataset_are_refused_and_nothing_is_written(store):
    store.upsert_copies([of_dataset(found_copy(URL_A, ["r1"]), DATASET_A)])
    with pytest.raises(DatasetMismatchError, match="holds the matches of one dataset"):
        store.upsert_copies([of_dataset(found_copy(URL_B, ["r1"]), DATASET_B)])
    with pytest.raises(DatasetMismatchError):
        store.upsert_copies([of_dataset(found_copy(URL_A, ["r7"], minutes=5), DATASET_B)])
    assert [(m.url, m.matched_records) for m in store.list_matches(limit=None)] == [(URL_A, ["r1"])]
    assert store.dataset_ids() == [DATASET_A]


def test_a_batch_found_with_two_datasets_is_refused_whole(store):
    with pytest.raises(DatasetMismatchError, match="2 datasets"):
        store.upsert_copies(
            [
                of_dataset(found_copy(URL_A, ["r1"]), DATASET_A),
                of_dataset(found_copy(URL_B, ["r1"]), DATASET_B),
            ]
        )
    assert store.list_matches(limit=None) == []


def test_a_match_stored_before_dataset_ids_takes_the_one_it_is_found_again_with(store):
    store.upsert_copies([found_copy(URL_A, ["r1"])])  # no dataset id: an older leaktrack's match
    (match,) = store.upsert_copies([of_dataset(found_copy(URL_A, ["r1"], minutes=5), DATASET_A)])
    assert store.get(match.id).dataset_id == DATASET_A
