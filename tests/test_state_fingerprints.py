"""The crawl state belongs to the fingerprints it was written with. "Unchanged since the last
sweep, not scanned again" holds only for documents scanned with the same fingerprints: after a
rebuild (a new dataset id), every URL seen before is fetched and scanned again, so a copy of a
record the old fingerprints lacked is found where it has been all along."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest
from fixtures_sites import (
    LeakFingerprints,
    home_store,
    home_workspace,
    paste_source,
    sources_for,
    sweep_with,
    text_of,
    urls_source,
)

from leaktrack.spiders.sites import add_pastes
from leaktrack.spiders.state import CleanContent, CrawlState, SeenUrl
from leaktrack.synthetic import generate_leak

CLEAN_PAGE = SeenUrl("https://example.test/a", "mirror", "11" * 32, '"etag-a"', None, False)
LEAK_PAGE = SeenUrl(
    "https://example.test/b", "pastes", "22" * 32, '"etag-b"', "Mon, 30 Nov 2026 10:00:00 GMT", True,
    content_url="https://example.test/raw/b", extraction="document",
)  # fmt: skip


@pytest.fixture(scope="module")
def other_fingerprints(leak_fingerprints, tmp_path_factory) -> LeakFingerprints:
    """Fingerprints of another synthetic leak, sharing no record with the session's."""
    from leaktrack.fingerprints import fingerprint_dataset_file

    folder = tmp_path_factory.mktemp("other-fingerprints")
    dataset = generate_leak(60, seed=4242, n_facilities=10).write(folder / "other.csv")
    _, path = fingerprint_dataset_file(dataset, folder / "other.ltfp", folder / "other.key")
    return replace(leak_fingerprints, path=path, key_file=folder / "other.key")


def written_state(path, dataset_id: str | None) -> CrawlState:
    """A state that saw a clean page and a leak, a feed's cursor and a clean screenshot, written
    by sweeps with the fingerprints of ``dataset_id`` (None: a state that never named them)."""
    state = CrawlState(path)
    if dataset_id is not None:
        state.adopt_dataset(dataset_id)
    state.remember(CLEAN_PAGE)
    state.remember(LEAK_PAGE)
    state.set_cursor("feed:news", "2026-11-30T10:00:00+00:00")
    state.remember_clean("ab" * 32, CleanContent(records_in_document=0, bytes_scanned=99))
    return state


def test_a_new_state_has_nothing_to_forget(tmp_path):
    state = CrawlState(tmp_path / "state.db")
    assert state.adopt_dataset("dataset-a") == 0
    state.close()


def test_a_state_kept_by_the_same_fingerprints_keeps_everything(tmp_path):
    state = written_state(tmp_path / "state.db", "dataset-a")

    assert state.adopt_dataset("dataset-a") == 0

    assert state.get(CLEAN_PAGE.url) == CLEAN_PAGE and state.get(LEAK_PAGE.url) == LEAK_PAGE
    assert state.cursor("feed:news") == "2026-11-30T10:00:00+00:00"
    state.close()


def test_other_fingerprints_forget_what_the_state_saw_but_what_recheck_needs_of_a_leak(tmp_path):
    state = written_state(tmp_path / "state.db", "dataset-a")

    assert state.adopt_dataset("dataset-b") == 2

    assert state.get(CLEAN_PAGE.url) is None and not state.has_seen(CLEAN_PAGE.url)
    leak = state.get(LEAK_PAGE.url)
    assert (leak.content_sha256, leak.etag, leak.last_modified) == ("", None, None)  # scanned afresh
    assert (leak.content_url, leak.extraction, leak.was_leak) == (LEAK_PAGE.content_url, "document", True)
    assert state.cursor("feed:news") is None
    assert state.clean_content("ab" * 32) is None
    assert state.adopt_dataset("dataset-b") == 0  # and it is now theirs
    state.close()


def test_a_state_that_never_named_its_fingerprints_starts_afresh(tmp_path):
    """Written before this check, or by sweeps that did not scan: which fingerprints scanned
    its URLs, if any, is unknown."""
    written_state(tmp_path / "state.db", None).close()
    assert sqlite3.connect(tmp_path / "state.db").execute("SELECT COUNT(*) FROM state_facts").fetchone() == (
        0,
    )

    state = CrawlState(tmp_path / "state.db")
    assert state.adopt_dataset("dataset-a") == 2
    assert state.get(CLEAN_PAGE.url) is None
    state.close()


def test_a_sweep_with_rebuilt_fingerprints_scans_every_document_seen_before(
    local_site, crawl_settings, leak_fingerprints, other_fingerprints
):
    copy = leak_fingerprints.copies["excerpt_10_rows"]
    local_site.put("/files/a.csv", copy.data)
    add_pastes(local_site, {"leak0": text_of(leak_fingerprints.copies["uppercase"])}, per_page=4)
    config = sources_for(urls_source(local_site, ["/files/a.csv"]), paste_source(local_site))
    first = sweep_with(config, other_fingerprints, crawl_settings)
    assert (first.per_source["known"]["documents"], first.per_source["pastes"]["documents"]) == (1, 1)
    with home_store() as store:
        assert store.list_matches(limit=None) == []  # nothing of the other dataset in them

    again = sweep_with(config, leak_fingerprints, crawl_settings)

    assert again.per_source["known"]["unchanged"] == 0 and again.per_source["known"]["documents"] == 1
    assert again.per_source["pastes"]["skipped_seen"] == 0 and again.per_source["pastes"]["documents"] == 1
    with home_store() as store:
        found = {match.url: set(match.matched_records) for match in store.list_matches(limit=None)}
    assert found == {
        local_site.url("/files/a.csv"): copy.expected_records,
        local_site.url("/p/leak0"): leak_fingerprints.copies["uppercase"].expected_records,
    }

    third = sweep_with(config, leak_fingerprints, crawl_settings)  # the same fingerprints: incremental again

    assert third.per_source["known"]["unchanged"] == 1 and third.per_source["pastes"]["skipped_seen"] == 1
    state = CrawlState(home_workspace().crawl_state)
    assert state.adopt_dataset("another-id") == 2
    state.close()
