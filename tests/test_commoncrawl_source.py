"""The commoncrawl source kind: a Common Crawl stand-in (index server and WARC files served with
Range requests) on 127.0.0.1, swept by real Scrapy crawls."""

import gzip

import pytest
from fixtures_sites import home_store, sweep_with
from mockserver.commoncrawl import CommonCrawl, commoncrawl_server
from mockserver.scripted import Reply, too_many_requests, unavailable

from leaktrack.errors import SourcesError
from leaktrack.spiders.commoncrawl import warc_record_url, warc_response_payload
from leaktrack.spiders.sources import parse_sources

LEAK_URL = "https://agency.example/files/cases.csv"
MIRROR = "https://mirror.example/leak/"
CONTACT = "mailto:response@agency.example"
CRAWL = "CC-MAIN-2026-47"


def commoncrawl_config(server, **options):
    source = {
        "name": "cc",
        "kind": "commoncrawl",
        "urls": [LEAK_URL],
        "api_url": server.url,
        "data_url": server.url,
        **options,
    }
    return parse_sources({"allow_private_networks": True, "contact": CONTACT, "sources": [source]})


def stored_matches() -> dict[str, set[str]]:
    with home_store() as store:
        return {match.url: set(match.matched_records) for match in store.list_matches(limit=None)}


def location(server, record) -> str:
    return warc_record_url(server.url, record.filename, record.offset, record.length)


@pytest.fixture
def crawl():
    return CommonCrawl()


@pytest.fixture
def index(crawl):
    with commoncrawl_server(crawl) as server:
        yield server


def test_a_crawled_leak_is_matched_with_its_record_ids_and_a_clean_record_is_not(
    crawl, index, crawl_settings, leak_fingerprints
):
    leak = leak_fingerprints.copies["excerpt_10_rows"]
    # Both captures in one WARC file: only the Range request tells them apart.
    clean = crawl.add(
        CRAWL, MIRROR + "notes.txt", "20261120101010", "weekly minutes\nnothing else\n", "text/plain"
    )
    leaked = crawl.add(CRAWL, LEAK_URL, "20261121111111", leak.data)

    summary = sweep_with(commoncrawl_config(index, url_prefixes=[MIRROR]), leak_fingerprints, crawl_settings)

    assert stored_matches() == {location(index, leaked): leak.expected_records}
    counts = summary.per_source["cc"]
    assert (counts["documents"], counts["matches"], counts["errors"]) == (2, 1, 0)
    ranges = sorted(request.headers["Range"] for request in index.requests_for("/crawl-data/"))
    assert ranges == sorted(
        f"bytes={record.offset}-{record.offset + record.length - 1}" for record in (clean, leaked)
    )
    with home_store() as store:
        (match,) = store.list_matches(limit=None)
    assert match.title == f"Common Crawl capture of {LEAK_URL} at 20261121111111"


def test_the_newest_crawl_is_asked_by_default_with_the_documented_parameters(
    crawl, index, crawl_settings, leak_fingerprints
):
    crawl.crawls = ["CC-MAIN-2026-40", "CC-MAIN-2026-47", "CC-MAIN-2026-43"]

    sweep_with(commoncrawl_config(index, since="2026-11-01"), leak_fingerprints, crawl_settings)

    (count_query,) = index.requests_for("/CC-MAIN-")
    assert count_query.path == "/CC-MAIN-2026-47-index"
    params = {
        name: count_query.param(name) for name in ("url", "matchType", "output", "showNumPages", "from")
    }
    assert params == {
        "url": LEAK_URL,
        "matchType": "exact",
        "output": "json",
        "showNumPages": "true",
        "from": "20261101000000",
    }
    assert all(CONTACT in request.headers["User-Agent"] for request in index.requests)


def test_every_index_page_is_read(crawl, index, crawl_settings, leak_fingerprints):
    crawl.lines_per_page = 2
    for second in range(5):
        crawl.add(
            CRAWL, f"{MIRROR}part{second}.txt", f"2026112010101{second}", f"part {second}\n", "text/plain"
        )

    summary = sweep_with(
        commoncrawl_config(index, url_prefixes=[MIRROR], collections=[CRAWL]),
        leak_fingerprints,
        crawl_settings,
    )

    pages = sorted(
        request.param("page") for request in index.requests_for(f"/{CRAWL}-index") if request.param("page")
    )
    assert pages == ["0", "1", "2"]
    assert summary.per_source["cc"]["documents"] == 5


def test_no_captures_is_the_index_404_and_not_an_error(crawl, index, crawl_settings, leak_fingerprints):
    crawl.lines_per_page = 1
    index.fail_next(f"/{CRAWL}-index", Reply.json({"pages": 1, "pageSize": 5, "blocks": 1}))
    # then page 0: {"error": "No Captures found for: ..."} with 404, as the index answers

    summary = sweep_with(commoncrawl_config(index, collections=[CRAWL]), leak_fingerprints, crawl_settings)

    counts = summary.per_source["cc"]
    assert (counts["requests"], counts["documents"], counts["errors"]) == (2, 0, 0)
    assert summary.dark_sources == []


def test_no_captures_as_an_empty_200_is_not_an_error_either(crawl, index, crawl_settings, leak_fingerprints):
    index.fail_next(f"/{CRAWL}-index", Reply.text("", content_type="text/plain"))  # pywb 2.5+

    summary = sweep_with(commoncrawl_config(index, collections=[CRAWL]), leak_fingerprints, crawl_settings)

    counts = summary.per_source["cc"]
    assert (counts["requests"], counts["errors"]) == (1, 0)
    assert summary.dark_sources == []


def test_rate_limits_and_outages_of_index_and_data_are_retried(
    crawl, index, crawl_settings, leak_fingerprints
):
    leak = leak_fingerprints.copies["excerpt_10_rows"]
    leaked = crawl.add(CRAWL, LEAK_URL, "20261121111111", leak.data)
    index.fail_next(f"/{CRAWL}-index", too_many_requests(retry_after=1))
    index.fail_next("/crawl-data/", unavailable())

    summary = sweep_with(
        commoncrawl_config(index, collections=[CRAWL]),
        leak_fingerprints,
        {**crawl_settings, "RETRY_TIMES": 2},
    )

    assert summary.per_source["cc"]["errors"] == 0
    assert len(index.requests_for("/crawl-data/")) == 2
    assert stored_matches() == {location(index, leaked): leak.expected_records}


def test_malformed_index_lines_and_records_are_counted_and_the_rest_taken(
    crawl, index, crawl_settings, leak_fingerprints
):
    crawl.add(CRAWL, LEAK_URL, "20261121111111", "a,b\n1,2\n")
    crawl.malformed_lines[LEAK_URL] = [
        "<html>not json</html>",
        '{"url": "' + LEAK_URL + '", "timestamp": "20261121111112", "digest": "X", "filename": "x.warc.gz"}',
        '{"url": "' + LEAK_URL + '", "timestamp": "1", "digest": "Y", "offset": "0", "length": "10",'
        ' "filename": "../../etc/passwd"}',
    ]
    # A record whose bytes are not a WARC record (a CDN error page at that range).
    bogus = crawl.add(CRAWL, LEAK_URL, "20261121111113", "x", file="00001")
    crawl.files[bogus.filename] = b"<html>Slow down</html>".ljust(bogus.length, b" ")

    summary = sweep_with(commoncrawl_config(index, collections=[CRAWL]), leak_fingerprints, crawl_settings)

    counts = summary.per_source["cc"]
    assert (counts["documents"], counts["errors_malformed"]) == (1, 4)


def test_a_crawl_read_once_is_not_asked_again_and_content_taken_is_skipped(
    crawl, index, crawl_settings, leak_fingerprints
):
    crawl.add(CRAWL, LEAK_URL, "20261121111111", "same content\n")
    config = commoncrawl_config(index)
    sweep_with(config, leak_fingerprints, crawl_settings)

    newer = "CC-MAIN-2026-51"
    crawl.crawls.append(newer)
    crawl.add(newer, LEAK_URL, "20261215000000", "same content\n")
    crawl.add(newer, LEAK_URL, "20261216000000", "new content\n", file="00001")
    index.requests.clear()
    summary = sweep_with(
        commoncrawl_config(index, collections=[CRAWL, newer]), leak_fingerprints, crawl_settings
    )

    assert {request.path for request in index.requests_for("/CC-MAIN-")} == {f"/{newer}-index"}
    assert len(index.requests_for("/crawl-data/")) == 1
    assert summary.per_source["cc"]["skipped_seen"] == 2  # the crawl read before, the same content


def test_sweeps_with_nothing_new_to_read_leave_the_source_alive(
    crawl, index, crawl_settings, leak_fingerprints
):
    for second in range(6):
        crawl.add(
            CRAWL, f"{MIRROR}part{second}.txt", f"2026112010101{second}", f"part {second}\n", "text/plain"
        )
    config = commoncrawl_config(index, url_prefixes=[MIRROR], collections=[CRAWL])
    sweep_with(config, leak_fingerprints, crawl_settings)

    summary = sweep_with(config, leak_fingerprints, crawl_settings)

    assert summary.per_source["cc"]["documents"] == 0
    assert summary.dark_sources == []


def test_a_record_decompressing_past_the_limit_is_refused():
    from mockserver.commoncrawl import warc_response_member

    member = warc_response_member(LEAK_URL, b"0" * 100_000, "text/csv")
    assert len(member) < 2_000  # zeros compress: the bytes fetched say nothing of the size inside

    with pytest.raises(ValueError, match="payload over 50000 bytes"):
        warc_response_payload(member, limit=50_000)
    assert warc_response_payload(member, limit=200_000) == (b"0" * 100_000, "text/csv")
    with pytest.raises(ValueError):
        warc_response_payload(gzip.compress(b"not a warc record"), limit=1000)


def test_a_commoncrawl_source_needs_urls_or_prefixes_and_real_crawl_names():
    with pytest.raises(SourcesError, match="a commoncrawl source needs urls or url_prefixes"):
        parse_sources({"sources": [{"name": "c", "kind": "commoncrawl"}]})
    source = {"name": "c", "kind": "commoncrawl", "urls": [LEAK_URL], "collections": ["latest"]}
    with pytest.raises(SourcesError, match="collections has 'latest', not a crawl name like CC-MAIN-2026-47"):
        parse_sources({"sources": [source]})


def test_recheck_reads_the_same_record_by_range_and_says_gone_once_it_is_removed(
    crawl, index, crawl_settings, leak_fingerprints
):
    from fixtures_sites import home_workspace

    from leaktrack.spiders.recheck import recheck

    leak = leak_fingerprints.copies["excerpt_10_rows"]
    kept = crawl.add(CRAWL, LEAK_URL, "20261121111111", leak.data)
    removed = crawl.add(CRAWL, MIRROR + "cases.csv", "20261121111112", leak.data + b"\n", file="00001")
    sweep_with(
        commoncrawl_config(index, url_prefixes=[MIRROR], collections=[CRAWL]),
        leak_fingerprints,
        crawl_settings,
    )
    with home_store() as store:
        for match in store.list_matches(limit=None):
            store.change_status(match.id, "confirmed", by="test")
            store.record_takedown_sent(match.id, to="info@commoncrawl.example", ref="T-1", by="test")
    del crawl.files[removed.filename]  # Common Crawl honoured the request: the record is gone
    index.requests.clear()

    results = recheck(
        home_workspace().with_files(fingerprints=leak_fingerprints.path, key_file=leak_fingerprints.key_file),
        allow_private_networks=True,
        settings=crawl_settings,
    )

    verdicts = {result.url: result.verdict for result in results}
    assert verdicts == {location(index, kept): "still up", location(index, removed): "gone"}
    assert {request.headers.get("Range") for request in index.requests_for("/crawl-data/")} == {
        f"bytes={record.offset}-{record.offset + record.length - 1}" for record in (kept, removed)
    }
