"""`scrapy crawl <kind>` of an API source: its token comes from the environment variable the
source's token_env names (never a setting, a spider argument, a log line or an output), its
queries are checked against the fingerprints first, and a user's error is one line."""

import json

import pytest
from fixtures_sites import scrapy_crawl, scrapy_crawl_options, text_of
from mockserver.github import header
from mockserver.google_cse import ENGINE_ID, KEY, GoogleCustomSearchApi

QUERY = '"Case Status Export v2" filetype:csv'


@pytest.fixture
def google():
    with GoogleCustomSearchApi() as server:
        yield server


def write_sources(tmp_path, server, queries=(QUERY,)) -> None:
    (tmp_path / "sources.toml").write_text(
        "allow_private_networks = true\n[[sources]]\nname = 'google'\nkind = 'search'\nprofile = 'google'\n"
        f"engine_id = '{ENGINE_ID}'\napi_url = '{server.url}/customsearch/v1'\ntoken_env = 'LT_TEST_CSE_KEY'\n"
        f"queries = {json.dumps(list(queries))}\n"
    )


def test_scrapy_crawl_of_a_search_source_takes_its_key_from_the_environment_and_shows_it_nowhere(
    google, leak_fingerprints, tmp_path
):
    google.add_result(QUERY, "copy", text_of(leak_fingerprints.copies["excerpt_10_rows"]))
    google.add_result(QUERY, "note", "a note")
    write_sources(tmp_path, google)

    crawl = scrapy_crawl(
        tmp_path,
        "search",
        "-a",
        "source=google",
        *scrapy_crawl_options(tmp_path, leak_fingerprints, LOG_LEVEL="DEBUG"),
        "-O",
        "items.json",
        environ={"LT_TEST_CSE_KEY": KEY},
    )

    assert crawl.returncode == 0, crawl.stderr[-3000:]
    exported = (tmp_path / "items.json").read_text()
    assert {item["url"] for item in json.loads(exported)} == {
        f"{google.url}/site/copy",
        f"{google.url}/site/note",
    }
    searches = google.requests_for("/customsearch/v1")
    assert searches and all(header(request, "X-Goog-Api-Key") == KEY for request in searches)
    assert "customsearch/v1" in crawl.stderr  # Scrapy logged the API requests, at DEBUG
    assert [
        name for name, text in (("log", crawl.stderr + crawl.stdout), ("-O", exported)) if KEY in text
    ] == []


def test_scrapy_crawl_of_a_token_source_without_its_variable_is_one_line(google, leak_fingerprints, tmp_path):
    write_sources(tmp_path, google)

    crawl = scrapy_crawl(
        tmp_path,
        "search",
        "-a",
        "source=google",
        *scrapy_crawl_options(tmp_path, leak_fingerprints),
        environ={},
    )

    assert crawl.returncode == 2
    assert crawl.stderr.strip().splitlines()[-1] == (
        "error: source 'google': environment variable LT_TEST_CSE_KEY (token_env) is not set;"
        " export LT_TEST_CSE_KEY before leaktrack sweep or scrapy crawl"
    )
    assert "Traceback" not in crawl.stderr
    assert google.requests == []


def test_scrapy_crawl_refuses_a_query_holding_a_dataset_value_before_any_request(
    google, small_leak, leak_fingerprints, tmp_path
):
    given, surname = small_leak.rows[3][small_leak.columns.index("full_name")].split()[:2]
    write_sources(tmp_path, google, queries=[QUERY, f'"{given} {surname}"'])

    crawl = scrapy_crawl(
        tmp_path,
        "search",
        "-a",
        "source=google",
        *scrapy_crawl_options(tmp_path, leak_fingerprints),
        environ={"LT_TEST_CSE_KEY": KEY},
    )

    assert crawl.returncode == 2
    assert "error: source 'google': queries entry #2 holds a value of the dataset" in crawl.stderr
    assert given not in crawl.stderr and surname not in crawl.stderr
    assert "Traceback" not in crawl.stderr
    assert google.requests == []


def test_scrapy_crawl_without_fingerprints_refuses_to_send_unchecked_queries(
    google, leak_fingerprints, tmp_path
):
    write_sources(tmp_path, google)
    options = scrapy_crawl_options(
        tmp_path,
        leak_fingerprints,
        LEAKTRACK_FINGERPRINTS=None,
        LEAKTRACK_KEY_FILE=None,
        LEAKTRACK_SCAN="false",
    )

    crawl = scrapy_crawl(
        tmp_path, "search", "-a", "source=google", *options, environ={"LT_TEST_CSE_KEY": KEY}
    )

    assert crawl.returncode == 2
    assert "checked against the fingerprints first: give -s LEAKTRACK_FINGERPRINTS=FILE" in crawl.stderr
    assert google.requests == []
