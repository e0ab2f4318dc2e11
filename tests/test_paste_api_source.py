"""The paste_api source kind, Pastebin profile: the scraping API's stand-in on 127.0.0.1
(tests/mockserver/pastebin.py), swept by real Scrapy crawls."""

import pytest
from fixtures_sites import home_store, sources_for, sweep_with, text_of
from mockserver.github import malformed_json, server_error
from mockserver.pastebin import PastebinScrapingApi

from leaktrack.errors import SourcesError
from leaktrack.spiders.sources import parse_sources


@pytest.fixture
def pastebin():
    with PastebinScrapingApi() as server:
        yield server


def pastebin_source(server) -> dict:
    return {"name": "pastebin", "kind": "paste_api", "profile": "pastebin", "api_url": server.url}


def test_newest_pastes_are_fetched_raw_scanned_and_reported_under_their_page(
    pastebin, leak_fingerprints, crawl_settings
):
    pastebin.add_paste("AAAA1111", 1_790_000_000, "shopping list: eggs")
    pastebin.add_paste("BBBB2222", 1_790_000_060, text_of(leak_fingerprints.copies["excerpt_10_rows"]))

    summary = sweep_with(sources_for(pastebin_source(pastebin)), leak_fingerprints, crawl_settings)

    counts = summary.per_source["pastebin"]
    assert (counts["documents"], counts["matches"], counts["errors"]) == (2, 1, 0)
    assert pastebin.requests_for("/api_scraping.php")[0].param("limit") == "250"
    with home_store() as store:
        assert {match.url for match in store.list_matches()} == {"https://pastebin.example/BBBB2222"}


def test_a_second_sweep_takes_only_pastes_newer_than_the_cursor(pastebin, leak_fingerprints, crawl_settings):
    config = sources_for(pastebin_source(pastebin))
    pastebin.add_paste("AAAA1111", 1_790_000_000, "first note")
    sweep_with(config, leak_fingerprints, crawl_settings)
    pastebin.add_paste("CCCC3333", 1_790_000_120, "second note")

    summary = sweep_with(config, leak_fingerprints, crawl_settings)

    assert summary.per_source["pastebin"]["documents"] == 1
    assert summary.per_source["pastebin"]["skipped_seen"] == 1
    assert [request.param("i") for request in pastebin.requests_for("/api_scrape_item.php")] == [
        "AAAA1111",
        "CCCC3333",
    ]


def test_an_address_that_is_not_whitelisted_is_an_error_and_a_dark_source(
    pastebin, leak_fingerprints, crawl_settings
):
    pastebin.whitelisted = False

    summary = sweep_with(sources_for(pastebin_source(pastebin)), leak_fingerprints, crawl_settings)

    assert summary.per_source["pastebin"]["errors_access_refused"] == 1
    assert "not whitelisted" in summary.errors[0]
    assert summary.dark_sources[0].source == "pastebin"


def test_an_empty_listing_makes_the_source_dark(pastebin, leak_fingerprints, crawl_settings):
    summary = sweep_with(sources_for(pastebin_source(pastebin)), leak_fingerprints, crawl_settings)

    assert summary.dark_sources[0].reasons == ["1 listing page(s) with no item links"]


def test_a_server_error_is_retried_and_malformed_json_is_an_error(
    pastebin, leak_fingerprints, crawl_settings
):
    pastebin.add_paste("AAAA1111", 1_790_000_000, "a note")
    pastebin.fail_next("/api_scraping.php", server_error(503))
    config = sources_for(pastebin_source(pastebin))

    retried = sweep_with(config, leak_fingerprints, crawl_settings)
    pastebin.fail_next("/api_scraping.php", malformed_json())
    malformed = sweep_with(config, leak_fingerprints, crawl_settings)

    assert (retried.per_source["pastebin"]["documents"], retried.per_source["pastebin"]["errors"]) == (1, 0)
    assert malformed.per_source["pastebin"]["errors_malformed"] == 1


def test_pastebin_takes_no_key_and_paste_api_takes_no_queries():
    with pytest.raises(SourcesError, match="takes no queries"):
        parse_sources({"sources": [{"name": "p", "kind": "paste_api", "queries": ["x"]}]})
    with pytest.raises(SourcesError, match="profile must be one of pastebin"):
        parse_sources({"sources": [{"name": "p", "kind": "paste_api", "profile": "ghostbin"}]})
    with pytest.raises(SourcesError, match="takes no key"):
        parse_sources({"sources": [{"name": "p", "kind": "paste_api", "token_env": "PASTEBIN_KEY"}]})


def test_pastebins_own_api_gets_its_one_request_a_second_unless_the_source_says_otherwise():
    from leaktrack.spiders.paste_api import PasteApiSpider

    def spider(**keys):
        source = parse_sources({"sources": [{"name": "p", "kind": "paste_api", **keys}]}).sources[0]
        return PasteApiSpider(source=source)

    assert spider().download_delay == 1.0
    assert not hasattr(spider(api_url="http://127.0.0.1:9/"), "download_delay")
    assert not hasattr(spider(download_delay=5.0), "download_delay")  # the setting applies instead
