"""Faults of the crawl itself: a source's server that dies in the middle of a sweep."""

from __future__ import annotations

import threading

from fixtures_sites import home_store, paste_source, sources_for, sweep_with
from site_process import SiteProcess
from test_sweep import decoy_pastes, expected, leak_pastes

from leaktrack.spiders.sites import add_pastes


def test_a_source_whose_server_dies_mid_sweep_records_its_errors_and_the_others_finish(
    local_site, leak_fingerprints, crawl_settings
):
    dying = SiteProcess(
        {
            "pastes": {f"note{n}": f"shopping list {n}" for n in range(12)},
            "per_page": 4,
            "held": ["/raw/note11"],
        }
    )
    add_pastes(local_site, {**decoy_pastes(leak_fingerprints, 4), **leak_pastes(leak_fingerprints)})
    outcome = {}

    def sweep() -> None:
        config = sources_for(
            {**paste_source(local_site, name="alive"), "start_urls": [local_site.url("/archive")]},
            {
                "name": "dying",
                "kind": "paste",
                "start_urls": [dying.url("/archive")],
                "item_links": "/p/[A-Za-z0-9]+$",
                "next_page": r"page=\d+",
                "raw_url": dying.url("/raw/{id}"),
            },
        )
        outcome["summary"] = sweep_with(config, leak_fingerprints, crawl_settings)

    sweeping = threading.Thread(target=sweep)
    sweeping.start()
    try:
        assert dying.wait_for_request("/raw/note11"), "the sweep never reached the held paste"
    finally:
        dying.kill()  # in the middle of a download, with the archive's later pages not yet read
        sweeping.join(timeout=300)

    summary = outcome["summary"]
    dead, alive = summary.per_source["dying"], summary.per_source["alive"]
    assert dead["errors"] >= 1 and dead.get("errors_connection", 0) >= 1, dead
    assert any(error.startswith("dying: ") and "note11" in error for error in summary.errors), summary.errors
    assert alive["errors"] == 0 and alive["documents"] == len(leak_pastes(leak_fingerprints)) + 4
    with home_store() as store:
        found = {match.url: set(match.matched_records) for match in store.list_matches(limit=None)}
        (record,) = store.list_sweeps()
    assert found == expected(local_site, leak_fingerprints)
    assert record.per_source["dying"]["errors"] == dead["errors"]


def test_a_document_whose_pipeline_raised_is_an_error_of_its_source_not_a_quiet_zero():
    from scrapy import signals
    from scrapy.utils.test import get_crawler
    from twisted.python.failure import Failure

    from leaktrack.spiders.crawl import PipelineFailures, counts_of
    from leaktrack.spiders.items import FetchedDocument

    crawler = get_crawler(settings_dict={"LEAKTRACK_MAX_ERROR_MESSAGES": 5})
    crawler.stats.open_spider()
    extension = PipelineFailures.from_crawler(crawler)  # kept: signals hold handlers weakly
    item = FetchedDocument(url="http://paste.example/raw/abc", body=b"x", source="pastes")
    try:
        raise AttributeError("module has no attribute chunk_keys")
    except AttributeError:
        failure = Failure()
    crawler.signals.send_catch_log(
        signal=signals.item_error, item=item, response=None, spider=None, failure=failure
    )

    counts = counts_of(crawler)
    assert extension.limit == 5
    assert counts["errors"] == 1 and counts["errors_pipeline"] == 1
    (message,) = crawler.stats.get_value("leaktrack/error_messages")
    assert "http://paste.example/raw/abc" in message and "AttributeError" in message
