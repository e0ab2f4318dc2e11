"""The paste_api source kind, dpaste profile: dpaste.com's API stand-in on 127.0.0.1
(tests/mockserver/dpaste.py) for the accounts a responder watches, swept by real Scrapy crawls."""

import pytest
from fixtures_sites import home_store, sources_for, sweep_with, text_of
from mockserver.dpaste import TOKEN, DpasteApi
from mockserver.github import header, malformed_json

from leaktrack.errors import SourcesError
from leaktrack.spiders.sources import parse_sources


@pytest.fixture
def dpaste():
    with DpasteApi() as server:
        yield server


def dpaste_source(server, users=("77",), **keys) -> dict:
    return {
        "name": "dpaste",
        "kind": "paste_api",
        "profile": "dpaste",
        "api_url": server.url,
        "users": list(users),
        **keys,
    }


def sweep(server, leak_fingerprints, crawl_settings, secrets=None, **keys):
    return sweep_with(
        sources_for(dpaste_source(server, **keys)), leak_fingerprints, crawl_settings, secrets=secrets
    )


def test_a_watched_accounts_items_are_fetched_raw_scanned_and_reported_under_their_page(
    dpaste, leak_fingerprints, crawl_settings
):
    dpaste.add_item("77", "2SMEV9JDB", "hello world")
    dpaste.add_item("77", "7QRT4KLMN", text_of(leak_fingerprints.copies["excerpt_10_rows"]), title="list")
    dpaste.add_item("78", "9XYZ1ABCD", text_of(leak_fingerprints.copies["excerpt_10_rows"]))  # not watched

    summary = sweep(dpaste, leak_fingerprints, crawl_settings)

    counts = summary.per_source["dpaste"]
    assert (counts["documents"], counts["matches"], counts["errors"]) == (2, 1, 0)
    with home_store() as store:
        assert {match.url for match in store.list_matches()} == {f"{dpaste.url}/7QRT4KLMN"}
    fetched = sorted(request.path for request in dpaste.requests if request.path != "/robots.txt")
    assert fetched == ["/2SMEV9JDB.txt", "/7QRT4KLMN.txt", "/api/user_items_detail/77/"]
    assert all("leaktrack" in header(request, "User-Agent") for request in dpaste.requests)


def test_a_second_sweep_fetches_only_the_items_it_has_not_taken(dpaste, leak_fingerprints, crawl_settings):
    dpaste.add_item("77", "2SMEV9JDB", "hello world")
    sweep(dpaste, leak_fingerprints, crawl_settings)
    dpaste.add_item("77", "3ABCD4EFG", "a second note")

    summary = sweep(dpaste, leak_fingerprints, crawl_settings)

    assert (summary.per_source["dpaste"]["documents"], summary.per_source["dpaste"]["skipped_seen"]) == (1, 1)
    assert [request.path for request in dpaste.requests_for("/3ABCD4EFG")] == ["/3ABCD4EFG.txt"]
    assert len(dpaste.requests_for("/2SMEV9JDB")) == 1


def test_an_unknown_account_is_an_error_and_the_other_accounts_are_still_read(
    dpaste, leak_fingerprints, crawl_settings
):
    dpaste.add_item("77", "2SMEV9JDB", "hello world")

    summary = sweep(dpaste, leak_fingerprints, crawl_settings, users=["404040", "77"])

    counts = summary.per_source["dpaste"]
    assert (counts["documents"], counts["errors"], counts["errors_http_404"]) == (1, 1, 1)
    assert summary.errors == [f"dpaste: HTTP 404 from {dpaste.url}/api/user_items_detail/404040/"]


def test_a_listing_not_shaped_as_dpaste_documents_it_is_malformed_and_the_source_dark(
    dpaste, leak_fingerprints, crawl_settings
):
    dpaste.fail_next("/api/user_items_detail/", malformed_json())

    summary = sweep(dpaste, leak_fingerprints, crawl_settings)

    assert summary.per_source["dpaste"]["errors_malformed"] == 1
    assert summary.dark_sources[0].reasons[0] == "1 listing page(s) with no item links"


def test_with_a_token_the_own_accounts_private_items_are_read_too(dpaste, leak_fingerprints, crawl_settings):
    dpaste.add_item("1", "PUBL1CAAA", "public note")
    dpaste.add_item("1", "PR1VATEBB", "private note", private=True)

    summary = sweep(
        dpaste,
        leak_fingerprints,
        crawl_settings,
        secrets={"DPASTE_TOKEN": TOKEN},
        users=["1"],
        token_env="DPASTE_TOKEN",
    )

    assert summary.per_source["dpaste"]["documents"] == 2
    [listing] = dpaste.requests_for("/api/")
    assert header(listing, "Authorization") == f"Bearer {TOKEN}"


def test_a_dpaste_source_needs_account_ids_and_only_it_takes_them():
    dpaste = {"name": "d", "kind": "paste_api", "profile": "dpaste"}
    with pytest.raises(SourcesError, match="a dpaste source needs users"):
        parse_sources({"sources": [dpaste]})
    with pytest.raises(SourcesError, match='users is for paste_api sources with profile = "dpaste"'):
        parse_sources({"sources": [{**dpaste, "profile": "pastebin", "users": ["1"]}]})
    with pytest.raises(SourcesError, match="users must be dpaste.com account ids"):
        parse_sources({"sources": [{**dpaste, "users": ["../admin"]}]})
    assert parse_sources({"sources": [{**dpaste, "users": [1234]}]}).sources[0].users == ["1234"]
