"""The feed source kind: RSS and Atom feeds served on 127.0.0.1, swept by real Scrapy crawls."""

import pytest
from fixtures_sites import home_workspace, sources_for, sweep_with, text_of

from leaktrack.errors import SourcesError
from leaktrack.spiders.feed import cursor_name
from leaktrack.spiders.sites import add_pastes
from leaktrack.spiders.sources import parse_sources
from leaktrack.spiders.state import CrawlState


def rss(site, entries: list[tuple[str, str]]) -> str:
    items = "".join(
        f"<item><title>{paste_id}</title><link>{site.url('/p/' + paste_id)}</link>"
        f"<pubDate>{date}</pubDate></item>"
        for paste_id, date in entries
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>new</title>{items}</channel></rss>'


def atom(entries: list[tuple[str, str]]) -> str:
    items = "".join(
        f'<entry><title>{paste_id}</title><link rel="alternate" href="/p/{paste_id}"/>'
        f"<updated>{date}</updated></entry>"
        for paste_id, date in entries
    )
    return f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>new</title>{items}</feed>'


def feed_source(site, path: str = "/feed.xml") -> dict:
    return {"name": "feed", "kind": "feed", "start_urls": [site.url(path)], "raw_url": site.url("/raw/{id}")}


def test_rss_feed_entries_are_fetched_and_scanned(local_site, crawl_settings, leak_fingerprints):
    add_pastes(local_site, {"leak0": text_of(leak_fingerprints.copies["excerpt_10_rows"]), "note": "eggs"})
    entries = [("leak0", "Mon, 30 Nov 2026 01:00:00 +0000"), ("note", "Mon, 30 Nov 2026 00:00:00 +0000")]
    local_site.put("/feed.xml", rss(local_site, entries), "application/rss+xml")

    summary = sweep_with(sources_for(feed_source(local_site)), leak_fingerprints, crawl_settings)

    assert summary.per_source["feed"]["documents"] == 2
    assert summary.per_source["feed"]["matches"] == 1
    assert summary.dark_sources == []


def test_atom_feed_cursor_skips_old_entries_and_takes_only_new_ones(
    local_site, crawl_settings, leak_fingerprints
):
    config = sources_for(feed_source(local_site, "/atom.xml"))
    add_pastes(local_site, {"a": "first note", "b": "second note"})
    older = [("a", "2026-11-29T10:00:00Z"), ("b", "2026-11-29T11:00:00Z")]
    local_site.put("/atom.xml", atom(older), "application/atom+xml")
    sweep_with(config, leak_fingerprints, crawl_settings)
    state = CrawlState(home_workspace().crawl_state)
    try:
        assert state.cursor(cursor_name("feed", local_site.url("/atom.xml"))) == "2026-11-29T11:00:00+00:00"
        for paste_id in ("a", "b"):  # only the cursor can skip them now, not the seen URLs
            state.forget(local_site.url(f"/p/{paste_id}"))
    finally:
        state.close()

    add_pastes(local_site, {"c": "third note"})
    local_site.put("/atom.xml", atom([("c", "2026-11-29T12:00:00Z"), *older]), "application/atom+xml")
    local_site.reset_requests()
    summary = sweep_with(config, leak_fingerprints, crawl_settings)

    assert summary.per_source["feed"]["documents"] == 1
    assert summary.per_source["feed"]["skipped_seen"] == 2
    assert local_site.requests_for("/raw/") == ["/raw/c"]


def test_a_feed_without_entries_is_a_dark_source(local_site, crawl_settings, leak_fingerprints):
    local_site.put("/feed.xml", rss(local_site, []), "application/rss+xml")

    summary = sweep_with(sources_for(feed_source(local_site)), leak_fingerprints, crawl_settings)

    assert summary.dark_sources[0].reasons == ["1 listing page(s) with no item links"]


def test_a_feed_source_needs_start_urls():
    with pytest.raises(SourcesError, match="a feed source needs start_urls"):
        parse_sources({"sources": [{"name": "f", "kind": "feed"}]})
