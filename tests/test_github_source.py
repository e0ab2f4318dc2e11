"""The github source kind: code search and public gists through a GitHub REST API stand-in on
127.0.0.1 (tests/mockserver/github.py), swept by real Scrapy crawls in a child process."""

import pytest
from fixtures_sites import home_store, home_workspace, sources_for, sweep_args, sweep_with, text_of
from mockserver.github import TOKEN, GitHubApi, malformed_json, secondary_rate_limit, server_error
from mockserver.scripted import Reply

from leaktrack.errors import SourcesError
from leaktrack.spiders.github import code_search_queries, gists_cursor_name
from leaktrack.spiders.sources import parse_sources
from leaktrack.spiders.state import CrawlState

SECRETS = {"GITHUB_TOKEN": TOKEN}
HEADER_ROW = "case_no;surname;given_names;status;facility"


@pytest.fixture
def github():
    with GitHubApi() as server:
        yield server


def github_source(server: GitHubApi, **keys) -> dict:
    return {
        "name": "github",
        "kind": "github",
        "api_url": server.url,
        # raw bytes from another origin, as raw.githubusercontent.com is: the token must not go there
        "raw_base_url": server.url.replace("127.0.0.1", "localhost") + "/raw",
        "token_env": "GITHUB_TOKEN",
        **keys,
    }


def sweep(server_source: dict, leak_fingerprints, crawl_settings, secrets=SECRETS):
    return sweep_with(sources_for(server_source), leak_fingerprints, crawl_settings, secrets=secrets)


def leak_text(leak_fingerprints) -> str:
    return text_of(leak_fingerprints.copies["excerpt_10_rows"])


def test_code_search_by_file_name_header_row_and_string_finds_and_scans_the_files(
    github, leak_fingerprints, crawl_settings
):
    github.add_file("someone/dump", "data/asylum_cases_2026.csv", leak_text(leak_fingerprints))
    github.add_file("other/notes", "README.md", f"columns: {HEADER_ROW}\nno rows here\n")
    github.add_file("third/tool", "export.py", "# Case Status Export v2\nprint('hello')\n")
    github.add_file("unrelated/repo", "main.c", "int main(void) { return 0; }\n")
    source = github_source(
        github,
        filenames=["asylum_cases_2026.csv"],
        header_rows=[HEADER_ROW],
        queries=['"Case Status Export v2"'],
    )

    summary = sweep(source, leak_fingerprints, crawl_settings)

    counts = summary.per_source["github"]
    assert counts["documents"] == 3
    assert counts["matches"] == 1
    assert counts["errors"] == 0
    assert summary.dark_sources == []
    searches = github.requests_for("/search/code")
    assert sorted(request.param("q") for request in searches) == sorted(
        code_search_queries(parse_source(source))
    )
    assert all(request.headers.get("Authorization") == f"Bearer {TOKEN}" for request in searches)
    assert all(request.headers.get("X-Github-Api-Version") for request in searches)
    assert searches[0].headers["User-Agent"].startswith("leaktrack/")
    # the raw bytes come from another host in real life: the token never goes there
    assert all("Authorization" not in request.headers for request in github.requests_for("/raw/"))
    with home_store() as store:
        urls = {match.url for match in store.list_matches()}
    assert urls == {
        f"https://github.example/someone/dump/blob/{github.files[0].commit}/data/asylum_cases_2026.csv"
    }


def parse_source(source: dict):
    return parse_sources({"sources": [source]}).sources[0]


def test_code_search_follows_link_header_pages_up_to_max_pages(github, leak_fingerprints, crawl_settings):
    github.page_size = 2
    for number in range(5):
        github.add_file(f"owner{number}/repo", "leak.csv", f"note {number}\n")

    summary = sweep(
        github_source(github, filenames=["leak.csv"], max_pages=2), leak_fingerprints, crawl_settings
    )

    assert summary.per_source["github"]["documents"] == 4
    assert [request.param("page", "1") for request in github.requests_for("/search/code")] == ["1", "2"]


def test_a_second_sweep_asks_with_if_none_match_and_an_unchanged_search_costs_nothing(
    github, leak_fingerprints, crawl_settings
):
    github.add_file("someone/dump", "leak.csv", "a harmless note\n")
    source = github_source(github, filenames=["leak.csv"])
    sweep(source, leak_fingerprints, crawl_settings)
    first_etag = github.requests_for("/search/code")[0]
    assert "If-None-Match" not in first_etag.headers

    summary = sweep(source, leak_fingerprints, crawl_settings)

    second = github.requests_for("/search/code")[-1]
    assert second.headers.get("If-None-Match", "").startswith('W/"')
    assert len(github.requests_for("/raw/")) == 1  # only the first sweep fetched the file
    assert summary.per_source["github"]["unchanged"] == 1
    assert summary.dark_sources == []


def test_public_gists_after_the_cursor_are_taken_and_older_ones_are_not_asked_for_again(
    github, leak_fingerprints, crawl_settings
):
    github.add_gist("g1", "2026-11-29T10:00:00Z", {"notes.txt": "first note", "todo.md": "- eggs"})
    github.add_gist("g2", "2026-11-29T11:00:00Z", {"leak.csv": leak_text(leak_fingerprints)})
    source = github_source(github, gists=True)

    first = sweep(source, leak_fingerprints, crawl_settings)

    assert first.per_source["github"]["documents"] == 3
    assert first.per_source["github"]["matches"] == 1
    state = CrawlState(home_workspace().crawl_state)
    try:
        assert state.cursor(gists_cursor_name("github")) == "2026-11-29T11:00:00Z"
    finally:
        state.close()

    github.add_gist("g3", "2026-11-29T12:00:00Z", {"new.txt": "third note"})
    second = sweep(source, leak_fingerprints, crawl_settings)

    assert github.requests_for("/gists/public")[-1].param("since") == "2026-11-29T11:00:00Z"
    assert second.per_source["github"]["documents"] == 1
    assert [request.path for request in github.requests_for("/gist-raw/g3")] != []
    assert len(github.requests_for("/gist-raw/")) == 4


def test_an_exhausted_rate_limit_window_is_waited_out_and_nothing_is_lost(
    github, leak_fingerprints, crawl_settings
):
    github.set_window("search", limit=2, seconds=2)
    for number in range(4):
        github.add_file(f"owner{number}/repo", f"file{number}.csv", f"note {number}\n")
    source = github_source(github, filenames=[f"file{number}.csv" for number in range(4)])

    summary = sweep(source, leak_fingerprints, crawl_settings)

    assert summary.per_source["github"]["documents"] == 4
    assert summary.per_source["github"]["errors"] == 0
    # Every refusal the API had to send was waited out and asked again (the crawl also pauses
    # on its own once a window says nothing is left, so most sweeps see no refusal at all).
    assert len(github.requests_for("/search/code")) - len(github.rate_limited) == 4


def test_a_secondary_rate_limit_is_retried_after_its_retry_after(github, leak_fingerprints, crawl_settings):
    github.add_file("someone/dump", "leak.csv", "a harmless note\n")
    github.fail_next("/search/code", secondary_rate_limit(retry_after=1))

    summary = sweep(github_source(github, filenames=["leak.csv"]), leak_fingerprints, crawl_settings)

    assert len(github.requests_for("/search/code")) == 2
    assert summary.per_source["github"]["documents"] == 1
    assert summary.per_source["github"]["errors"] == 0
    assert summary.per_source["github"]["rate_limit_waits"] == 1


def test_a_rate_limit_longer_than_the_longest_wait_gives_up_and_the_source_is_dark(
    github, leak_fingerprints, crawl_settings
):
    github.fail_next("/search/code", Reply.json({"message": "slow down"}, 429, {"Retry-After": "3600"}))

    summary = sweep(github_source(github, filenames=["leak.csv"]), leak_fingerprints, crawl_settings)

    assert len(github.requests_for("/search/code")) == 1  # not asked again before the hour is up
    assert summary.per_source["github"]["errors_http_429"] == 1
    assert summary.dark_sources[0].reasons == ["refused by the site: HTTP 429 x1"]


def test_a_bad_token_is_an_error_and_a_dark_source(github, leak_fingerprints, crawl_settings):
    summary = sweep(
        github_source(github, filenames=["leak.csv"]),
        leak_fingerprints,
        crawl_settings,
        secrets={"GITHUB_TOKEN": "ghp_wrong"},
    )

    assert summary.per_source["github"]["errors_http_401"] == 1
    assert summary.dark_sources[0].reasons == ["refused by the site: HTTP 401 x1"]


def test_a_server_error_is_retried(github, leak_fingerprints, crawl_settings):
    github.add_file("someone/dump", "leak.csv", "a harmless note\n")
    github.fail_next("/search/code", server_error(502))

    summary = sweep(github_source(github, filenames=["leak.csv"]), leak_fingerprints, crawl_settings)

    assert summary.per_source["github"]["documents"] == 1
    assert summary.per_source["github"]["errors"] == 0


def test_malformed_json_is_an_error_and_the_source_looks_dark(github, leak_fingerprints, crawl_settings):
    github.fail_next("/search/code", malformed_json())

    summary = sweep(github_source(github, filenames=["leak.csv"]), leak_fingerprints, crawl_settings)

    assert summary.per_source["github"]["errors_malformed"] == 1
    assert summary.dark_sources[0].reasons == ["1 listing page(s) with no item links"]


def test_the_token_is_kept_nowhere(github, leak_fingerprints, crawl_settings, capfd):
    github.add_file("someone/dump", "leak.csv", leak_text(leak_fingerprints))
    github.fail_next("/search/code", server_error(502))  # a retry copies the request
    crawl_settings["LOG_LEVEL"] = "DEBUG"  # every request and answer of the crawl in its log

    summary = sweep(github_source(github, filenames=["leak.csv"]), leak_fingerprints, crawl_settings)

    log = capfd.readouterr()
    assert "Crawled (200)" in log.err
    assert TOKEN not in log.err + log.out
    assert github.requests_for("/search/code")[-1].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(summary.to_dict())
    workspace = home_workspace()
    for path in workspace.home.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_a_query_holding_a_value_of_the_dataset_is_refused_before_any_request(
    github, small_leak, leak_fingerprints, crawl_settings
):
    surname = small_leak.rows[1][small_leak.columns.index("full_name")].split()[-1]
    source = github_source(github, queries=[f'"{surname}" filetype:csv'])

    with pytest.raises(SourcesError, match="queries entry #1 holds a value of the dataset") as refused:
        sweep(source, leak_fingerprints, crawl_settings)

    assert surname not in str(refused.value)
    assert github.requests == []


def test_a_missing_token_is_refused_before_any_request(github, leak_fingerprints, crawl_settings):
    with pytest.raises(SourcesError, match="GITHUB_TOKEN .* is not set"):
        sweep(github_source(github, filenames=["leak.csv"]), leak_fingerprints, crawl_settings, secrets={})
    assert github.requests == []


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({}, "a github source needs queries, filenames, header_rows or gists = true"),
        ({"filenames": ["a.csv"], "token_env": "ghp_abc-123"}, "never the token itself"),
        ({"filenames": ["a.csv"], "api_url": "ftp://x"}, r"api_url has .ftp://x., not an http\(s\) URL"),
        ({"filenames": ["a.csv"], "profile": "brave"}, "profile is for paste_api and search"),
    ],
)
def test_github_source_mistakes_are_one_line_errors(keys, message):
    with pytest.raises(SourcesError, match=message):
        parse_sources({"sources": [{"name": "gh", "kind": "github", **keys}]})


def test_api_keys_are_refused_on_other_kinds():
    with pytest.raises(SourcesError, match="token_env is for the API kinds"):
        parse_sources(
            {"sources": [{"name": "u", "kind": "urls", "urls": ["https://x.example/"], "token_env": "T"}]}
        )


def test_the_sweep_command_refuses_a_query_holding_a_dataset_value_with_one_line(
    github, small_leak, leak_fingerprints, tmp_path
):
    from typer.testing import CliRunner

    from leaktrack.cli.app import app

    a_number = small_leak.rows[5][small_leak.columns.index("a_number")]
    sources = tmp_path / "sources.toml"
    sources.write_text(
        "allow_private_networks = true\n[[sources]]\n"
        f'name = "github"\nkind = "github"\napi_url = "{github.url}"\nqueries = ["{a_number}"]\n',
        encoding="utf-8",
    )

    result = CliRunner().invoke(app, sweep_args(sources, leak_fingerprints))

    assert result.exit_code != 0
    assert "queries entry #1 holds a value of the dataset" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert a_number not in result.output
    assert github.requests == []


def test_the_sweep_command_reads_the_token_from_the_environment_variable_the_source_names(
    github, leak_fingerprints, tmp_path, monkeypatch
):
    from typer.testing import CliRunner

    from leaktrack.cli.app import app

    github.add_file("someone/dump", "leak.csv", leak_text(leak_fingerprints))
    sources = tmp_path / "sources.toml"
    sources.write_text(
        "allow_private_networks = true\n[[sources]]\n"
        f'name = "github"\nkind = "github"\napi_url = "{github.url}"\nraw_base_url = "{github.url}/raw"\n'
        'token_env = "LEAKTRACK_TEST_GH_TOKEN"\nfilenames = ["leak.csv"]\n',
        encoding="utf-8",
    )
    args = sweep_args(sources, leak_fingerprints, "--json")

    missing = CliRunner().invoke(app, args)
    monkeypatch.setenv("LEAKTRACK_TEST_GH_TOKEN", TOKEN)
    swept = CliRunner().invoke(app, args)

    assert missing.exit_code != 0
    assert "LEAKTRACK_TEST_GH_TOKEN (its token_env) is not set" in missing.output
    assert swept.exit_code == 0, swept.output
    assert '"matches": 1' in swept.output
    assert TOKEN not in swept.output


def test_requests_hold_the_token_only_while_they_are_sent():
    from scrapy.http import TextResponse
    from scrapy.utils.test import get_crawler

    from leaktrack.spiders.api_base import ApiAuthorization
    from leaktrack.spiders.github import GitHubSpider

    source = parse_source(
        {
            "name": "gh",
            "kind": "github",
            "api_url": "https://api.example",
            "token_env": "T",
            "filenames": ["a.csv"],
        }
    )
    crawler = get_crawler(GitHubSpider)
    spider = GitHubSpider(source=source, secrets={"T": "secret-token"})
    crawler.spider = spider
    middleware = ApiAuthorization(crawler)
    queued = spider.api_request("https://api.example/search/code?q=x", spider.parse_code_search, "q")
    raw = spider.content_request("https://raw.example/o/r/c/a.csv", "https://github.example/o/r", "q")
    assert b"Authorization" not in queued.headers  # what a queue (Redis) or a log could see

    middleware.process_request(queued, spider)
    middleware.process_request(raw, spider)
    sent = queued.headers.get(b"Authorization")
    middleware.process_response(queued, TextResponse(queued.url, status=500, request=queued), spider)

    assert sent == b"Bearer secret-token"
    assert b"Authorization" not in queued.headers  # a retry or redirect copies it without
    assert b"Authorization" not in raw.headers  # another origin never gets it
