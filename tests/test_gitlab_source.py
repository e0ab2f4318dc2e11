"""The gitlab source kind: public snippets through a GitLab API v4 stand-in on 127.0.0.1
(tests/mockserver/gitlab.py), swept by real Scrapy crawls."""

import pytest
from fixtures_sites import home_store, sources_for, sweep_with, text_of
from mockserver.github import malformed_json, server_error
from mockserver.gitlab import TOKEN, GitLabApi, rate_limited

SECRETS = {"GITLAB_TOKEN": TOKEN}


@pytest.fixture
def gitlab():
    with GitLabApi(page_size=2) as server:
        yield server


def gitlab_source(server) -> dict:
    return {
        "name": "gitlab",
        "kind": "gitlab",
        "api_url": server.url + "/api/v4",
        "token_env": "GITLAB_TOKEN",
    }


def sweep(server, leak_fingerprints, crawl_settings, secrets=SECRETS):
    return sweep_with(sources_for(gitlab_source(server)), leak_fingerprints, crawl_settings, secrets=secrets)


def test_public_snippets_on_every_page_are_fetched_and_scanned(gitlab, leak_fingerprints, crawl_settings):
    gitlab.add_snippet(1, "2026-11-29T10:00:00.000Z", {"a.txt": "a note"})
    gitlab.add_snippet(
        2,
        "2026-11-29T11:00:00.000Z",
        {"b.txt": "b note", "leak.csv": text_of(leak_fingerprints.copies["excerpt_10_rows"])},
    )
    gitlab.add_snippet(3, "2026-11-29T12:00:00.000Z", {"c.txt": "c note"})

    summary = sweep(gitlab, leak_fingerprints, crawl_settings)

    counts = summary.per_source["gitlab"]
    assert (counts["documents"], counts["matches"], counts["errors"]) == (4, 1, 0)
    assert [request.param("page", "1") for request in gitlab.requests_for("/api/v4/")] == ["1", "2"]
    assert all(request.headers.get("Private-Token") == TOKEN for request in gitlab.requests_for("/api/v4/"))
    with home_store() as store:
        assert {match.url for match in store.list_matches()} == {f"{gitlab.url}/-/snippets/2#leak.csv"}


def test_a_second_sweep_asks_only_for_snippets_created_after_the_cursor(
    gitlab, leak_fingerprints, crawl_settings
):
    gitlab.add_snippet(1, "2026-11-29T10:00:00.000Z", {"a.txt": "a note"})
    sweep(gitlab, leak_fingerprints, crawl_settings)
    gitlab.add_snippet(2, "2026-11-29T11:00:00.000Z", {"b.txt": "b note"})

    summary = sweep(gitlab, leak_fingerprints, crawl_settings)

    assert gitlab.requests_for("/api/v4/")[-1].param("created_after") == "2026-11-29T10:00:00.000Z"
    assert summary.per_source["gitlab"]["documents"] == 1


def test_a_429_is_waited_out_as_retry_after_says(gitlab, leak_fingerprints, crawl_settings):
    gitlab.add_snippet(1, "2026-11-29T10:00:00.000Z", {"a.txt": "a note"})
    gitlab.fail_next("/api/v4/", rate_limited(retry_after=1))

    summary = sweep(gitlab, leak_fingerprints, crawl_settings)

    assert summary.per_source["gitlab"]["rate_limit_waits"] == 1
    assert (summary.per_source["gitlab"]["documents"], summary.per_source["gitlab"]["errors"]) == (1, 0)


def test_a_bad_token_a_server_error_and_malformed_json(gitlab, leak_fingerprints, crawl_settings):
    gitlab.add_snippet(1, "2026-11-29T10:00:00.000Z", {"a.txt": "a note"})

    refused = sweep(gitlab, leak_fingerprints, crawl_settings, secrets={"GITLAB_TOKEN": "glpat-wrong"})
    gitlab.fail_next("/api/v4/", server_error(500))
    retried = sweep(gitlab, leak_fingerprints, crawl_settings)
    gitlab.fail_next("/api/v4/", malformed_json())
    malformed = sweep(gitlab, leak_fingerprints, crawl_settings)

    assert refused.dark_sources[0].reasons == ["refused by the site: HTTP 401 x1"]
    assert (retried.per_source["gitlab"]["documents"], retried.per_source["gitlab"]["errors"]) == (1, 0)
    assert malformed.per_source["gitlab"]["errors_malformed"] == 1
