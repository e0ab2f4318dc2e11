"""The wayback source kind: a Wayback Machine stand-in (CDX API and id_ captures) on 127.0.0.1,
swept by real Scrapy crawls."""

import pytest
from fixtures_sites import home_store, home_workspace, sweep_with
from mockserver.scripted import too_many_requests, unavailable
from mockserver.wayback import WaybackArchive, wayback_server

from leaktrack.errors import SourcesError
from leaktrack.spiders.sources import parse_sources
from leaktrack.spiders.state import CrawlState

LEAK_URL = "https://agency.example/files/cases.csv"
MIRROR = "https://mirror.example/leak/"
CONTACT = "mailto:response@agency.example"


def wayback_config(server, **options):
    source = {"name": "wayback", "kind": "wayback", "urls": [LEAK_URL], "api_url": server.url, **options}
    return parse_sources({"allow_private_networks": True, "contact": CONTACT, "sources": [source]})


def stored_matches() -> dict[str, set[str]]:
    with home_store() as store:
        return {match.url: set(match.matched_records) for match in store.list_matches(limit=None)}


@pytest.fixture
def archive():
    return WaybackArchive()


@pytest.fixture
def wayback(archive):
    with wayback_server(archive) as server:
        yield server


def test_a_captured_leak_is_matched_with_its_record_ids_and_a_clean_capture_is_not(
    archive, wayback, crawl_settings, leak_fingerprints
):
    leak = leak_fingerprints.copies["excerpt_10_rows"]
    archive.add("20261115093000", LEAK_URL, leak.data)
    archive.add(
        "20261116120000",
        MIRROR + "notes.txt",
        "minutes of the weekly meeting\nnothing else",
        mimetype="text/plain",
    )
    config = wayback_config(wayback, url_prefixes=[MIRROR])

    summary = sweep_with(config, leak_fingerprints, crawl_settings)

    assert stored_matches() == {f"{wayback.url}/web/20261115093000/{LEAK_URL}": leak.expected_records}
    assert summary.per_source["wayback"]["documents"] == 2
    assert summary.per_source["wayback"]["errors"] == 0
    assert summary.dark_sources == []
    captures = wayback.requests_for("/web/")
    assert sorted(request.path for request in captures) == [
        f"/web/20261115093000id_/{LEAK_URL}",
        f"/web/20261116120000id_/{MIRROR}notes.txt",
    ]


def test_the_cdx_query_asks_for_successful_distinct_captures_as_json_and_names_us(
    archive, wayback, crawl_settings, leak_fingerprints
):
    archive.add("20261115093000", LEAK_URL, "a,b\n1,2\n")

    sweep_with(
        wayback_config(wayback, url_prefixes=[MIRROR], since="2026-11-01"), leak_fingerprints, crawl_settings
    )

    queries = {request.param("matchType"): request for request in wayback.requests_for("/cdx/")}
    assert queries["exact"].param("url") == LEAK_URL
    assert queries["prefix"].param("url") == MIRROR
    exact = queries["exact"]
    assert (exact.param("output"), exact.param("filter"), exact.param("collapse")) == (
        "json",
        "statuscode:200",
        "digest",
    )
    assert exact.param("from") == "20261101000000"
    assert exact.param("showResumeKey") == "true"
    assert all(CONTACT in request.headers["User-Agent"] for request in wayback.requests)


def test_cdx_pages_are_followed_by_resume_key_to_the_last(
    archive, wayback, crawl_settings, leak_fingerprints
):
    for day in range(10, 15):
        archive.add(f"202611{day}000000", LEAK_URL, f"version {day}\n")

    summary = sweep_with(
        wayback_config(wayback), leak_fingerprints, {**crawl_settings, "LEAKTRACK_WAYBACK_PAGE_ROWS": 2}
    )

    resume_keys = [request.param("resumeKey") for request in wayback.requests_for("/cdx/")]
    assert resume_keys == [None, "2", "4"]
    assert summary.per_source["wayback"]["documents"] == 5


def test_rate_limited_and_failing_cdx_answers_are_retried_after_the_wait_asked(
    archive, wayback, crawl_settings, leak_fingerprints
):
    leak = leak_fingerprints.copies["excerpt_10_rows"]
    archive.add("20261115093000", LEAK_URL, leak.data)
    wayback.fail_next("/cdx/", too_many_requests(retry_after=1), unavailable())

    summary = sweep_with(wayback_config(wayback), leak_fingerprints, {**crawl_settings, "RETRY_TIMES": 2})

    assert len(wayback.requests_for("/cdx/")) == 3
    assert summary.per_source["wayback"]["errors"] == 0
    assert stored_matches() == {f"{wayback.url}/web/20261115093000/{LEAK_URL}": leak.expected_records}


def test_an_archive_answering_429_to_the_end_is_a_dark_source(
    archive, wayback, crawl_settings, leak_fingerprints
):
    archive.add("20261115093000", LEAK_URL, "a,b\n")
    wayback.fail_next("/cdx/", *[too_many_requests(retry_after=0)] * 2)

    summary = sweep_with(wayback_config(wayback), leak_fingerprints, {**crawl_settings, "RETRY_TIMES": 1})

    assert summary.per_source["wayback"]["errors_http_429"] == 1
    assert summary.dark_sources[0].reasons == ["refused by the site: HTTP 429 x1"]


def test_malformed_rows_are_skipped_and_counted_and_good_rows_still_taken(
    archive, wayback, crawl_settings, leak_fingerprints
):
    archive.add("20261115093000", LEAK_URL, "a,b\n1,2\n")
    archive.malformed_rows[LEAK_URL] = [
        ["org,example)/x", "2026", LEAK_URL, "text/csv", "200", "ABC", "1"],  # short timestamp
        ["only", "three", "fields"],
        ["k", "20261115093001", "javascript:alert(1)", "text/html", "200", "DEF", "1"],
    ]

    summary = sweep_with(wayback_config(wayback), leak_fingerprints, crawl_settings)

    counts = summary.per_source["wayback"]
    assert (counts["documents"], counts["errors_malformed"]) == (1, 3)


def test_an_answer_that_is_not_cdx_json_is_an_error_and_a_dark_source(
    archive, wayback, crawl_settings, leak_fingerprints
):
    from mockserver.scripted import Reply

    wayback.fail_next("/cdx/", Reply.text("<html>We are down for maintenance</html>", 200, "text/html"))

    summary = sweep_with(wayback_config(wayback), leak_fingerprints, crawl_settings)

    assert summary.per_source["wayback"]["errors_malformed"] == 1
    assert summary.dark_sources[0].reasons == ["1 listing page(s) with no item links"]


@pytest.mark.parametrize("answer", ["[]", ""])
def test_no_captures_is_an_empty_answer_not_an_error(
    answer, archive, wayback, crawl_settings, leak_fingerprints
):
    from mockserver.scripted import Reply

    wayback.fail_next("/cdx/", Reply.text(answer, content_type="application/json"))

    summary = sweep_with(wayback_config(wayback), leak_fingerprints, crawl_settings)

    counts = summary.per_source["wayback"]
    assert (counts["requests"], counts["documents"], counts["errors"]) == (1, 0, 0)
    assert summary.dark_sources == []


def test_the_next_sweep_asks_from_the_newest_capture_and_skips_content_taken_before(
    archive, wayback, crawl_settings, leak_fingerprints
):
    archive.add("20261110000000", LEAK_URL, "first version\n")
    archive.add("20261112000000", LEAK_URL, "second version\n")
    config = wayback_config(wayback)
    sweep_with(config, leak_fingerprints, crawl_settings)
    state = CrawlState(home_workspace().crawl_state)
    try:
        assert state.cursor(f"wayback:wayback:exact:{LEAK_URL}") == "20261112000000"
    finally:
        state.close()

    archive.add("20261120000000", LEAK_URL, "first version\n")  # captured again, unchanged
    archive.add("20261121000000", LEAK_URL, "third version\n")
    wayback.requests.clear()
    summary = sweep_with(config, leak_fingerprints, crawl_settings)

    assert wayback.requests_for("/cdx/")[0].param("from") == "20261112000000"
    assert [request.path for request in wayback.requests_for("/web/")] == [
        f"/web/20261121000000id_/{LEAK_URL}"
    ]
    assert summary.per_source["wayback"]["skipped_seen"] == 2  # the unchanged one, and 20261112 again


def test_a_wayback_source_needs_urls_or_prefixes():
    with pytest.raises(SourcesError, match="a wayback source needs urls or url_prefixes"):
        parse_sources({"sources": [{"name": "w", "kind": "wayback"}]})


def test_since_must_be_a_date():
    source = {"name": "w", "kind": "wayback", "urls": [LEAK_URL], "since": "last week"}
    with pytest.raises(SourcesError, match="since must be a date like 2026-11-01"):
        parse_sources({"sources": [source]})


def test_a_sources_own_delay_and_concurrency_bind_its_crawler_alone():
    from scrapy.crawler import Crawler

    from leaktrack.spiders.wayback import WaybackSpider

    config = parse_sources(
        {
            "sources": [
                {
                    "name": "w",
                    "kind": "wayback",
                    "urls": [LEAK_URL],
                    "download_delay": 4,
                    "concurrent_requests": 1,
                }
            ]
        }
    )
    crawler = Crawler(WaybackSpider, {"DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS_PER_DOMAIN": 16})
    WaybackSpider.from_crawler(crawler, source=config.sources[0])  # as Crawler.crawl does, settings unfrozen

    assert crawler.settings.getfloat("DOWNLOAD_DELAY") == 4.0
    assert crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(b"120", 120.0), (b"Thu, 01 Jan 1970 00:00:00 GMT", 0.0), (b"soon", None), (None, None)],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header, seconds):
    from leaktrack.spiders.middlewares import retry_after_seconds

    assert retry_after_seconds(header) == seconds


def test_recheck_fetches_the_id_capture_again_and_says_gone_once_the_archive_removed_it(
    archive, wayback, crawl_settings, leak_fingerprints
):
    from leaktrack.spiders.recheck import recheck

    leak = leak_fingerprints.copies["excerpt_10_rows"]
    archive.add("20261115093000", LEAK_URL, leak.data)
    archive.add("20261116093000", MIRROR + "cases.csv", leak.data + b"\n")
    sweep_with(wayback_config(wayback, url_prefixes=[MIRROR]), leak_fingerprints, crawl_settings)
    with home_store() as store:
        for match in store.list_matches(limit=None):
            store.change_status(match.id, "confirmed", by="test")
            store.record_takedown_sent(match.id, to="info@archive.example", ref="T-1", by="test")
    archive.captures = [capture for capture in archive.captures if capture.original == LEAK_URL]
    wayback.requests.clear()

    results = recheck(
        home_workspace().with_files(fingerprints=leak_fingerprints.path, key_file=leak_fingerprints.key_file),
        allow_private_networks=True,
        settings=crawl_settings,
    )

    assert {result.url: result.verdict for result in results} == {
        f"{wayback.url}/web/20261115093000/{LEAK_URL}": "still up",
        f"{wayback.url}/web/20261116093000/{MIRROR}cases.csv": "gone",
    }
    assert sorted(request.path for request in wayback.requests_for("/web/")) == [
        f"/web/20261115093000id_/{LEAK_URL}",
        f"/web/20261116093000id_/{MIRROR}cases.csv",
    ]


def test_a_url_naming_a_person_of_the_dataset_is_refused_before_any_request(
    wayback, small_leak, crawl_settings, leak_fingerprints
):
    surname = small_leak.rows[1][small_leak.columns.index("full_name")].split()[-1]
    config = wayback_config(wayback, url_prefixes=[f"https://mirror.example/people/{surname.lower()}-list/"])

    with pytest.raises(SourcesError, match="url_prefixes entry #1 holds a value of the dataset") as refused:
        sweep_with(config, leak_fingerprints, crawl_settings)

    assert surname.lower() not in str(refused.value).lower()
    assert wayback.requests == []
