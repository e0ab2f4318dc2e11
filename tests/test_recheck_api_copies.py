"""recheck of copies found through API sources (a code host's search, a search engine): each copy
is fetched again as the sweep fetched it. A search result (someone's site) under its robots.txt,
and a robots.txt that forbids it is said as such, never taken for a removal; a file the API
named (a code search hit's raw URL) without robots.txt, as the sweep took it."""

import sqlite3

from fixtures_sites import home_store, home_workspace, sources_for, sweep_with, text_of
from mockserver.brave import KEY, BraveSearchApi
from mockserver.github import TOKEN, GitHubApi

from leaktrack.spiders.recheck import recheck

QUERY = '"Case Status Export v2" filetype:csv'
DISALLOW_ALL = "User-agent: *\nDisallow: /\n"


def request_takedowns() -> None:
    with home_store() as store:
        for match in store.list_matches():
            store.change_status(match.id, "confirmed", by="test")
            store.record_takedown_sent(match.id, to="abuse@127.0.0.1", ref="T-1", by="test")


def run_recheck(leak_fingerprints, crawl_settings):
    workspace = home_workspace().with_files(
        fingerprints=leak_fingerprints.path, key_file=leak_fingerprints.key_file
    )
    return recheck(workspace, allow_private_networks=True, settings=crawl_settings)


def sweep_brave(brave: BraveSearchApi, leak_fingerprints, crawl_settings) -> None:
    """A sweep of a Brave search source asking QUERY of ``brave``."""
    source = {
        "name": "web",
        "kind": "search",
        "profile": "brave",
        "api_url": brave.url + "/res/v1",
        "token_env": "BRAVE_SEARCH_KEY",
        "queries": [QUERY],
    }
    sweep_with(sources_for(source), leak_fingerprints, crawl_settings, secrets={"BRAVE_SEARCH_KEY": KEY})


def test_recheck_of_a_search_result_whose_site_now_forbids_it_says_so_and_keeps_it_open(
    leak_fingerprints, crawl_settings
):
    with BraveSearchApi() as brave:
        result = brave.add_result(QUERY, "copy", text_of(leak_fingerprints.copies["excerpt_10_rows"]))
        sweep_brave(brave, leak_fingerprints, crawl_settings)
        request_takedowns()
        # The page no longer matches (read, that would close the takedown), but its site now
        # forbids crawlers: a recheck must not read it.
        result.text = "a shopping list\neggs\nmilk\n"
        brave.robots_txt = "User-agent: *\nDisallow: /site/\n"
        fetched_before = len(brave.requests_for("/site/copy"))

        [checked] = run_recheck(leak_fingerprints, crawl_settings)

        assert len(brave.requests_for("/site/copy")) == fetched_before
    assert (checked.verdict, checked.http_status, checked.status) == (
        "disallowed by robots.txt",
        None,
        "takedown_sent",
    )
    assert checked.reason == f"not fetched: robots.txt forbids {brave.url}/site/copy to our crawler"
    with home_store() as store:
        assert store.get(checked.match_id).status == "takedown_sent"


def sweep_github(github: GitHubApi, leak_fingerprints, crawl_settings) -> None:
    """A sweep of a GitHub code search source finding the file ``github`` holds."""
    source = {
        "name": "github",
        "kind": "github",
        "api_url": github.url,
        "raw_base_url": github.url + "/raw",
        "token_env": "GITHUB_TOKEN",
        "filenames": ["asylum_cases_2026.csv"],
    }
    swept = sweep_with(
        sources_for(source), leak_fingerprints, crawl_settings, secrets={"GITHUB_TOKEN": TOKEN}
    )
    assert swept.per_source["github"]["matches"] == 1


def test_recheck_of_a_code_search_hit_fetches_the_raw_url_the_api_named_whatever_robots_txt_says(
    leak_fingerprints, crawl_settings
):
    """The sweep took the file from the URL the API named (an API's terms govern it, not
    robots.txt), and the recheck fetches that URL again the same way: a raw host that forbids
    every crawler (raw.githubusercontent.com is not for crawlers) must not leave every GitHub
    copy "disallowed by robots.txt", never seen gone."""
    with GitHubApi() as github:
        file = github.add_file(
            "someone/dump", "data/asylum_cases_2026.csv", text_of(leak_fingerprints.copies["excerpt_10_rows"])
        )
        github.robots_txt = DISALLOW_ALL
        sweep_github(github, leak_fingerprints, crawl_settings)
        request_takedowns()

        [still_up] = run_recheck(leak_fingerprints, crawl_settings)
        github.files.remove(file)  # taken down: raw.githubusercontent.com answers 404
        [checked] = run_recheck(leak_fingerprints, crawl_settings)

        assert not github.requests_for("/robots.txt")
    assert (still_up.verdict, still_up.status) == ("still up", "takedown_sent")
    assert (checked.verdict, checked.http_status, checked.status) == ("gone", 404, "removed")


def test_recheck_of_a_copy_kept_by_an_older_crawl_state_obeys_robots_txt(leak_fingerprints, crawl_settings):
    """A crawl state written before it noted how each copy was fetched says nothing of it: the
    recheck then fetches as a crawler, under robots.txt, and says so when forbidden."""
    with GitHubApi() as github:
        github.add_file(
            "someone/dump", "data/asylum_cases_2026.csv", text_of(leak_fingerprints.copies["excerpt_10_rows"])
        )
        github.robots_txt = DISALLOW_ALL
        sweep_github(github, leak_fingerprints, crawl_settings)
        request_takedowns()
        with sqlite3.connect(home_workspace().crawl_state) as state:
            state.execute("UPDATE seen_urls SET robots_exempt = NULL")  # as an older file has it
        fetched_before = len(github.requests_for("/raw/"))

        [checked] = run_recheck(leak_fingerprints, crawl_settings)

        assert len(github.requests_for("/raw/")) == fetched_before
    assert (checked.verdict, checked.status) == ("disallowed by robots.txt", "takedown_sent")
    assert "robots.txt forbids" in checked.reason and "/raw/someone/dump/" in checked.reason


def test_recheck_of_an_allowed_search_result_reads_it_and_closes_a_removed_copy(
    leak_fingerprints, crawl_settings
):
    with BraveSearchApi() as brave:
        brave.add_result(QUERY, "copy", text_of(leak_fingerprints.copies["excerpt_10_rows"]))
        sweep_brave(brave, leak_fingerprints, crawl_settings)
        request_takedowns()
        brave.results.clear()  # the page answers 404 now
        brave.robots_txt = "User-agent: *\nDisallow: /private/\n"

        [checked] = run_recheck(leak_fingerprints, crawl_settings)

    assert (checked.verdict, checked.http_status, checked.status) == ("gone", 404, "removed")
