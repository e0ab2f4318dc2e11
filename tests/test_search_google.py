"""The search source kind, Google provider: a Custom Search JSON API stand-in on 127.0.0.1
(tests/mockserver/google_cse.py) and the pages its results point to, swept by real Scrapy
crawls. The API key never appears in a URL, a log line, an error message, the counts or the
sweep's record."""

import json
from datetime import UTC, datetime

import pytest
from fixtures_sites import home_store, sources_for, sweep_with, text_of
from mockserver.github import header, malformed_json
from mockserver.google_cse import ENGINE_ID, KEY, GoogleCustomSearchApi, permission_denied, quota_exceeded

from leaktrack.errors import SourcesError
from leaktrack.spiders.sources import parse_sources

SECRETS = {"GOOGLE_CSE_KEY": KEY}
QUERY = '"Case Status Export v2" filetype:csv'


@pytest.fixture
def google():
    with GoogleCustomSearchApi(page_size=2) as server:
        yield server


def google_source(server, **keys) -> dict:
    return {
        "name": "google",
        "kind": "search",
        "profile": "google",
        "engine_id": ENGINE_ID,
        "api_url": server.url + "/customsearch/v1",
        "token_env": "GOOGLE_CSE_KEY",
        "queries": [QUERY],
        **keys,
    }


def sweep(server, leak_fingerprints, crawl_settings, secrets=SECRETS, **keys):
    return sweep_with(
        sources_for(google_source(server, **keys)), leak_fingerprints, crawl_settings, secrets=secrets
    )


def searches(server):
    return server.requests_for("/customsearch/v1")


def test_every_result_page_is_fetched_and_scanned_paging_by_the_next_page_start_index(
    google, leak_fingerprints, crawl_settings
):
    google.add_result(QUERY, "one", "a note")
    google.add_result(QUERY, "two", text_of(leak_fingerprints.copies["excerpt_10_rows"]))
    google.add_result(QUERY, "three", "another note")

    summary = sweep(google, leak_fingerprints, crawl_settings)

    counts = summary.per_source["google"]
    assert (counts["documents"], counts["matches"], counts["errors"]) == (3, 1, 0)
    # the stand-in serves 2 results a page: the second page starts where nextPage says, at 3
    assert [(r.param("q"), r.param("cx"), r.param("start"), r.param("num")) for r in searches(google)] == [
        (QUERY, ENGINE_ID, "1", "10"),
        (QUERY, ENGINE_ID, "3", "10"),
    ]
    with home_store() as store:
        assert {match.url for match in store.list_matches()} == {f"{google.url}/site/two"}


def test_the_key_goes_in_a_header_to_the_api_only_never_in_a_url(google, leak_fingerprints, crawl_settings):
    google.add_result(QUERY, "one", "a note")

    sweep(google, leak_fingerprints, crawl_settings)

    assert all(header(request, "X-Goog-Api-Key") == KEY for request in searches(google))
    assert all("key" not in request.query for request in google.requests)
    assert all(header(request, "X-Goog-Api-Key") is None for request in google.requests_for("/site/"))


def test_the_key_is_in_no_log_line_error_count_or_sweep_record(
    google, leak_fingerprints, crawl_settings, capfd
):
    google.add_result(QUERY, "one", "a note")
    google.fail_next("/customsearch/v1", permission_denied())
    capfd.readouterr()

    summary = sweep(google, leak_fingerprints, {**crawl_settings, "LOG_LEVEL": "DEBUG"})

    logs = capfd.readouterr()
    assert "customsearch/v1" in logs.err  # the crawl did log its requests, at DEBUG
    assert summary.errors and "PERMISSION_DENIED" in " ".join(summary.errors)
    with home_store() as store:
        [record] = store.list_sweeps()
    shown = [
        logs.out,
        logs.err,
        json.dumps(summary.per_source),
        json.dumps(summary.errors),
        json.dumps(record.per_source),
        json.dumps(record.errors),
        " ".join(summary.warnings),
    ]
    assert not [text for text in shown if KEY in text]


def test_a_search_of_a_few_pages_asks_only_for_pages_found_since_the_last_sweep(
    google, leak_fingerprints, crawl_settings
):
    google.add_result(QUERY, "one", "a note")
    sweep(google, leak_fingerprints, crawl_settings)

    summary = sweep(google, leak_fingerprints, crawl_settings)

    assert searches(google)[0].param("dateRestrict") is None
    assert searches(google)[-1].param("dateRestrict") == "d1"  # since today, today included
    assert google.requests_for("/site/one")[-1].headers.get("If-None-Match") == '"one"'
    assert summary.per_source["google"]["unchanged"] == 1


def test_an_invalid_key_is_refused_access_in_googles_words_and_the_source_is_dark(
    google, leak_fingerprints, crawl_settings
):
    summary = sweep(google, leak_fingerprints, crawl_settings, secrets={"GOOGLE_CSE_KEY": "AIza-wrong"})

    counts = summary.per_source["google"]
    assert (counts["errors"], counts["errors_access_refused"]) == (1, 1)
    assert summary.errors == [
        f"google: the search engine refused {google.url}/customsearch/v1?cx={ENGINE_ID}&q=%22Case+Status+Export"
        "+v2%22+filetype%3Acsv&num=10&start=1: HTTP 400 INVALID_ARGUMENT: API key not valid. Please pass a valid API key."
    ]
    assert summary.dark_sources[0].source == "google"


def test_a_spent_daily_quota_is_given_up_at_once_and_the_source_is_refused(
    google, leak_fingerprints, crawl_settings
):
    google.add_result(QUERY, "one", "a note")
    google.fail_next("/customsearch/v1", quota_exceeded(per="day"))

    summary = sweep(google, leak_fingerprints, crawl_settings)

    assert len(searches(google)) == 1  # not waited for, not retried
    counts = summary.per_source["google"]
    assert (counts["rate_limit_waits"], counts["errors_http_429"], counts["documents"]) == (0, 1, 0)
    assert (
        "RESOURCE_EXHAUSTED: Quota exceeded for quota metric 'Queries' and limit 'Queries per day'"
        in (summary.errors[0])
    )
    assert summary.dark_sources[0].reasons[-1] == "refused by the site: HTTP 429 x1"


def test_a_per_minute_quota_refusal_is_waited_out_and_asked_again(google, leak_fingerprints, crawl_settings):
    google.add_result(QUERY, "one", "a note")
    google.fail_next("/customsearch/v1", quota_exceeded(per="minute"))

    summary = sweep(google, leak_fingerprints, {**crawl_settings, "LEAKTRACK_API_SECONDARY_WAIT": 0.05})

    counts = summary.per_source["google"]
    assert (counts["rate_limit_waits"], counts["documents"], counts["errors"]) == (1, 1, 0)
    assert len(searches(google)) == 2


def test_an_answer_not_shaped_as_a_search_is_malformed_and_holds_the_cursor(
    google, leak_fingerprints, crawl_settings
):
    google.fail_next("/customsearch/v1", malformed_json())

    summary = sweep(google, leak_fingerprints, crawl_settings)

    assert summary.per_source["google"]["errors_malformed"] == 1
    assert summary.dark_sources != []
    sweep(google, leak_fingerprints, crawl_settings)
    assert searches(google)[-1].param("dateRestrict") is None  # the failed sweep moved no cursor


def test_a_google_query_with_a_name_from_the_dataset_is_refused_before_any_request(
    google, small_leak, leak_fingerprints, crawl_settings
):
    given, surname = small_leak.rows[3][small_leak.columns.index("full_name")].split()[:2]

    with pytest.raises(SourcesError, match="source 'google': queries entry #2 holds a value of the dataset"):
        sweep(google, leak_fingerprints, crawl_settings, queries=[QUERY, f'"{given} {surname}"'])

    assert google.requests == []


def test_a_google_search_source_needs_an_engine_id_and_only_it_takes_one():
    google = {"name": "g", "kind": "search", "profile": "google", "token_env": "K", "queries": ["x"]}
    with pytest.raises(SourcesError, match="a google search source needs engine_id"):
        parse_sources({"sources": [google]})
    with pytest.raises(SourcesError, match='engine_id is for search sources with profile = "google"'):
        parse_sources({"sources": [{**google, "profile": "brave", "engine_id": "abc"}]})
    with pytest.raises(SourcesError, match="engine_id must be a Programmable Search Engine ID"):
        parse_sources({"sources": [{**google, "engine_id": "a b&key=x"}]})
    assert parse_sources({"sources": [{**google, "engine_id": ENGINE_ID}]}).sources[0].engine_id == ENGINE_ID


def test_the_date_restriction_counts_days_since_the_cursor():
    from leaktrack.spiders.search import GoogleProgrammableSearch
    from leaktrack.spiders.sources import Source

    provider = GoogleProgrammableSearch(
        Source(name="g", kind="search", profile="google", engine_id=ENGINE_ID)
    )
    today = datetime(2026, 11, 30, tzinfo=UTC).date().isoformat()

    url = provider.search_url("https://www.googleapis.com/customsearch/v1", "q", 11, "2026-11-23", today)

    assert url.endswith("?cx=0123456789abcdef0&q=q&num=10&start=11&dateRestrict=d8")


def test_a_key_that_reaches_a_log_line_anyway_is_masked(google, caplog):
    """The backstop: a key pasted where a line shows it (here a message quoting it) is masked."""
    import logging

    from scrapy.utils.test import get_crawler

    from leaktrack.spiders.search import SearchSpider
    from leaktrack.spiders.sources import Source

    source = Source(**{**google_source(google), "queries": [QUERY]})
    before = logging.getLogRecordFactory()
    try:
        SearchSpider.from_crawler(get_crawler(SearchSpider), source=source, secrets=SECRETS)
        with caplog.at_level(logging.INFO):
            logging.getLogger("scrapy.core.engine").info("Crawled (200) <GET %s?key=%s>", google.url, KEY)
    finally:
        logging.setLogRecordFactory(before)

    assert KEY not in caplog.text and "?key=***" in caplog.text
