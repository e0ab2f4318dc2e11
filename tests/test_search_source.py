"""The search source kind, Brave provider: a Brave Search API stand-in on 127.0.0.1
(tests/mockserver/brave.py) and the pages its results point to, swept by real Scrapy crawls."""

from datetime import UTC, datetime

import pytest
from fixtures_sites import home_store, sources_for, sweep_with, text_of
from mockserver.brave import KEY, BraveSearchApi, rate_limited
from mockserver.github import malformed_json

from leaktrack.errors import SourcesError
from leaktrack.spiders.sources import parse_sources

SECRETS = {"BRAVE_SEARCH_KEY": KEY}
QUERY = '"Case Status Export v2" filetype:csv'


@pytest.fixture
def brave():
    with BraveSearchApi(count_cap=2) as server:
        yield server


def search_source(server, **keys) -> dict:
    return {
        "name": "web",
        "kind": "search",
        "profile": "brave",
        "api_url": server.url + "/res/v1",
        "token_env": "BRAVE_SEARCH_KEY",
        "queries": [QUERY],
        **keys,
    }


def sweep(server, leak_fingerprints, crawl_settings, secrets=SECRETS, **keys):
    return sweep_with(
        sources_for(search_source(server, **keys)), leak_fingerprints, crawl_settings, secrets=secrets
    )


def test_every_result_page_is_fetched_and_scanned_without_the_key(brave, leak_fingerprints, crawl_settings):
    brave.add_result(QUERY, "one", "a note")
    brave.add_result(QUERY, "two", text_of(leak_fingerprints.copies["excerpt_10_rows"]))
    brave.add_result(QUERY, "three", "another note")

    summary = sweep(brave, leak_fingerprints, crawl_settings)

    counts = summary.per_source["web"]
    assert (counts["documents"], counts["matches"], counts["errors"]) == (3, 1, 0)
    searches = brave.requests_for("/res/v1/web/search")
    assert [(request.param("q"), request.param("offset")) for request in searches] == [
        (QUERY, "0"),
        (QUERY, "1"),
    ]
    assert all(request.headers.get("X-Subscription-Token") == KEY for request in searches)
    assert all("X-Subscription-Token" not in request.headers for request in brave.requests_for("/site/"))
    with home_store() as store:
        assert {match.url for match in store.list_matches()} == {f"{brave.url}/site/two"}


def test_a_second_sweep_asks_for_pages_found_since_and_fetches_known_results_conditionally(
    brave, leak_fingerprints, crawl_settings
):
    brave.add_result(QUERY, "one", "a note")
    sweep(brave, leak_fingerprints, crawl_settings)

    summary = sweep(brave, leak_fingerprints, crawl_settings)

    today = datetime.now(UTC).date().isoformat()
    assert brave.requests_for("/res/v1/web/search")[-1].param("freshness") == f"{today}to{today}"
    assert brave.requests_for("/site/one")[-1].headers.get("If-None-Match") == '"one"'
    assert summary.per_source["web"]["unchanged"] == 1


def test_a_rate_limited_answer_is_waited_out_by_its_window_reset(brave, leak_fingerprints, crawl_settings):
    brave.add_result(QUERY, "one", "a note")
    brave.fail_next("/res/v1/web/search", rate_limited())

    summary = sweep(brave, leak_fingerprints, crawl_settings)

    assert summary.per_source["web"]["rate_limit_waits"] == 1
    assert (summary.per_source["web"]["documents"], summary.per_source["web"]["errors"]) == (1, 0)


def test_an_invalid_key_and_a_malformed_answer_make_the_source_dark(brave, leak_fingerprints, crawl_settings):
    refused = sweep(brave, leak_fingerprints, crawl_settings, secrets={"BRAVE_SEARCH_KEY": "wrong"})
    brave.fail_next("/res/v1/web/search", malformed_json())
    malformed = sweep(brave, leak_fingerprints, crawl_settings)

    assert refused.dark_sources[0].reasons == ["refused by the site: HTTP 401 x1"]
    assert malformed.per_source["web"]["errors_malformed"] == 1
    assert malformed.dark_sources != []


def test_a_search_query_with_a_name_from_the_dataset_is_refused_before_any_request(
    brave, small_leak, leak_fingerprints, crawl_settings
):
    given, surname = small_leak.rows[3][small_leak.columns.index("full_name")].split()[:2]

    with pytest.raises(SourcesError, match="source 'web': queries entry #2 holds a value of the dataset"):
        sweep(brave, leak_fingerprints, crawl_settings, queries=[QUERY, f"{surname}.{given} passport"])

    assert brave.requests == []


def test_a_search_source_needs_queries_and_a_key():
    with pytest.raises(SourcesError, match="a search source needs queries"):
        parse_sources({"sources": [{"name": "s", "kind": "search", "token_env": "K"}]})
    with pytest.raises(SourcesError, match="a search source needs token_env"):
        parse_sources({"sources": [{"name": "s", "kind": "search", "queries": ["x"]}]})
