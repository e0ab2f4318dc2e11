"""recheck: copies whose takedown was requested are fetched again and judged gone or still up."""

from fixtures_sites import home_store, home_workspace, paste_source, sources_for, sweep_with, urls_source

from leaktrack.index import match_id_for_url
from leaktrack.spiders.recheck import recheck
from leaktrack.spiders.sites import add_pastes
from leaktrack.web.recheck import recheck_one

FILES = ("gone", "gone410", "withheld451", "emptied", "moved", "still", "broken")


def publish_and_request_takedowns(site, leak_fingerprints, crawl_settings) -> dict[str, str]:
    """Every file is a leak copy, swept, and in status takedown_sent. Returns name -> match id."""
    data = leak_fingerprints.copies["excerpt_10_rows"].data
    for name in FILES:
        site.put(f"/files/{name}.csv", data)
    sweep_with(
        sources_for(urls_source(site, [f"/files/{name}.csv" for name in FILES])),
        leak_fingerprints,
        crawl_settings,
    )
    ids = {name: match_id_for_url(site.url(f"/files/{name}.csv")) for name in FILES}
    with home_store() as store:
        for match_id in ids.values():
            store.change_status(match_id, "confirmed", by="test")
            store.record_takedown_sent(match_id, to="abuse@127.0.0.1", ref="T-1", by="test")
    return ids


def take_down(site) -> None:
    site.remove("/files/gone.csv")
    site.put("/files/gone410.csv", "Gone", status=410)
    site.put("/files/withheld451.csv", "Repository unavailable due to DMCA takedown.", status=451)
    site.put(
        "/files/emptied.csv",
        "<html><title>Removed</title><body>This paste was removed by a moderator.</body></html>",
        "text/html",
    )
    site.put("/files/moved.csv", redirect_to="/removed-notice")
    site.put("/removed-notice", "<html><body>Content removed following a privacy complaint.</body></html>")
    site.put("/files/broken.csv", "Internal error", status=500)


def run_recheck(leak_fingerprints, crawl_settings):
    return {
        result.url.rsplit("/", 1)[-1].removesuffix(".csv"): result
        for result in recheck(
            home_workspace().with_files(
                fingerprints=leak_fingerprints.path, key_file=leak_fingerprints.key_file
            ),
            allow_private_networks=True,
            settings=crawl_settings,
        )
    }


def test_recheck_marks_gone_copies_removed_and_keeps_the_rest(local_site, crawl_settings, leak_fingerprints):
    ids = publish_and_request_takedowns(local_site, leak_fingerprints, crawl_settings)
    take_down(local_site)

    results = run_recheck(leak_fingerprints, crawl_settings)

    verdicts = {name: (result.verdict, result.http_status, result.status) for name, result in results.items()}
    assert verdicts == {
        "gone": ("gone", 404, "removed"),
        "gone410": ("gone", 410, "removed"),
        "withheld451": ("gone", 451, "removed"),
        "emptied": ("gone", 200, "removed"),
        "moved": ("gone", 200, "removed"),
        "still": ("still up", 200, "takedown_sent"),
        "broken": ("could not check", None, "takedown_sent"),
    }
    with home_store() as store:
        assert store.get(ids["gone"]).status == "removed"
        assert store.get(ids["still"]).status == "takedown_sent"


def test_desk_recheck_now_judges_one_copy_as_recheck_does(local_site, crawl_settings, leak_fingerprints):
    ids = publish_and_request_takedowns(local_site, leak_fingerprints, crawl_settings)
    take_down(local_site)
    workspace = home_workspace().with_files(
        fingerprints=leak_fingerprints.path, key_file=leak_fingerprints.key_file
    )

    gone = recheck_one(ids["gone"], workspace, allow_private_networks=True, settings=crawl_settings)
    still = recheck_one(ids["still"], workspace, allow_private_networks=True, settings=crawl_settings)

    assert (gone.verdict, gone.http_status, gone.status) == ("gone", 404, "removed")
    assert (still.verdict, still.http_status, still.status) == ("still up", 200, "takedown_sent")
    with home_store() as store:
        assert store.get(ids["gone"]).status == "removed"
        assert store.get(ids["still"]).status == "takedown_sent"


def test_recheck_reports_days_outstanding_for_copies_still_up(local_site, crawl_settings, leak_fingerprints):
    publish_and_request_takedowns(local_site, leak_fingerprints, crawl_settings)

    results = run_recheck(leak_fingerprints, crawl_settings)

    assert results["still"].days_outstanding == 0
    assert results["still"].status == "takedown_sent"


def test_recheck_writes_who_and_why_into_the_history(local_site, crawl_settings, leak_fingerprints):
    ids = publish_and_request_takedowns(local_site, leak_fingerprints, crawl_settings)
    take_down(local_site)

    run_recheck(leak_fingerprints, crawl_settings)

    with home_store() as store:
        last = store.history(ids["gone"])[-1]
    assert (last.from_status, last.to_status, last.by, last.note) == (
        "takedown_sent",
        "removed",
        "recheck",
        "recheck: HTTP 404",
    )


def test_recheck_with_nothing_to_check_fetches_nothing(local_site, crawl_settings, leak_fingerprints):
    assert (
        recheck(
            home_workspace().with_files(
                fingerprints=leak_fingerprints.path, key_file=leak_fingerprints.key_file
            ),
            allow_private_networks=True,
            settings=crawl_settings,
        )
        == []
    )
    assert local_site.requests == []


def test_removed_paste_that_comes_back_is_reappeared_on_the_next_sweep(
    local_site, crawl_settings, leak_fingerprints
):
    text = leak_fingerprints.copies["excerpt_10_rows"].data.decode("utf-8")
    add_pastes(local_site, {"leak0": text})
    config = sources_for(paste_source(local_site, raw=False))
    sweep_with(config, leak_fingerprints, crawl_settings)
    match_id = match_id_for_url(local_site.url("/p/leak0"))
    with home_store() as store:
        store.change_status(match_id, "confirmed", by="test")
        store.change_status(match_id, "takedown_sent", by="test")
    local_site.remove("/p/leak0")
    run_recheck(leak_fingerprints, crawl_settings)
    add_pastes(local_site, {"leak0": text})

    sweep_with(config, leak_fingerprints, crawl_settings)

    with home_store() as store:
        assert store.get(match_id).status == "reappeared"


def sweep_paste_through_raw_and_request_takedown(site, leak_fingerprints, crawl_settings) -> str:
    """A paste matched through its raw endpoint, in status takedown_sent. Returns its match id."""
    add_pastes(site, {"leak0": leak_fingerprints.copies["excerpt_10_rows"].data.decode("utf-8")})
    sweep_with(sources_for(paste_source(site, raw=True)), leak_fingerprints, crawl_settings)
    match_id = match_id_for_url(site.url("/p/leak0"))
    with home_store() as store:
        store.change_status(match_id, "confirmed", by="test")
        store.record_takedown_sent(match_id, to="abuse@127.0.0.1", ref="T-1", by="test")
    return match_id


def test_recheck_fetches_the_raw_url_that_matched_not_the_paste_page(
    local_site, crawl_settings, leak_fingerprints
):
    match_id = sweep_paste_through_raw_and_request_takedown(local_site, leak_fingerprints, crawl_settings)
    # The paste page now pretty-prints the paste so that it no longer matches; the raw text is intact.
    local_site.put("/p/leak0", '<html><body><pre>{\n  "rows": "[pretty-printed]"\n}</pre></body></html>')
    local_site.reset_requests()

    results = run_recheck(leak_fingerprints, crawl_settings)

    assert (results["leak0"].verdict, results["leak0"].status) == ("still up", "takedown_sent")
    assert local_site.requests_for("/raw/leak0") and not local_site.requests_for("/p/leak0")
    with home_store() as store:
        assert store.get(match_id).status == "takedown_sent"


def test_recheck_closes_a_paste_whose_raw_text_no_longer_matches(
    local_site, crawl_settings, leak_fingerprints
):
    match_id = sweep_paste_through_raw_and_request_takedown(local_site, leak_fingerprints, crawl_settings)
    local_site.put("/raw/leak0", "nothing personal here, just a shopping list\neggs\nmilk\n", "text/plain")

    results = run_recheck(leak_fingerprints, crawl_settings)

    assert (results["leak0"].verdict, results["leak0"].status) == ("no longer matching", "removed")
    with home_store() as store:
        assert store.history(match_id)[-1].note == "recheck: the same content URL no longer matches"


def test_recheck_that_could_not_check_keeps_the_takedown_open(local_site, crawl_settings, leak_fingerprints):
    sweep_paste_through_raw_and_request_takedown(local_site, leak_fingerprints, crawl_settings)
    local_site.put("/raw/leak0", "Service unavailable", status=503)

    results = run_recheck(leak_fingerprints, crawl_settings)

    assert (results["leak0"].verdict, results["leak0"].http_status, results["leak0"].status) == (
        "could not check",
        None,
        "takedown_sent",
    )


def test_recheck_of_a_copy_whose_content_url_is_unknown_never_closes_on_a_no_match(
    local_site, crawl_settings, leak_fingerprints
):
    """Crawl state from before content URLs were kept (or wiped): a no-match is only 'changed'."""
    from leaktrack.spiders.state import CrawlState

    match_id = sweep_paste_through_raw_and_request_takedown(local_site, leak_fingerprints, crawl_settings)
    state = CrawlState(home_workspace().crawl_state)
    state.forget(local_site.url("/p/leak0"))
    state.close()
    local_site.put("/p/leak0", "<html><body><p>a different page</p></body></html>")

    results = run_recheck(leak_fingerprints, crawl_settings)

    assert (results["leak0"].verdict, results["leak0"].status) == ("changed", "takedown_sent")
    with home_store() as store:
        assert store.get(match_id).status == "takedown_sent"
