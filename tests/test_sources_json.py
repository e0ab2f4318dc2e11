"""A source given whole as JSON (``scrapy crawl KIND -a source=<JSON>``, written by hand or
scheduled by ``sweep --scrapyd``) is checked as the sources file's sources are: what the file
refuses, the JSON refuses, in one line, and what ``Source.to_dict`` writes reads back as is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures_sites import scrapy_crawl

from leaktrack.cli.workspace import given_source_secrets
from leaktrack.errors import SourcesError
from leaktrack.spiders.base import _resolve_source
from leaktrack.spiders.sources import (
    GIVEN_SOURCE_JSON,
    is_source_json,
    load_sources,
    parse_source_dict,
    parse_source_json,
)

EXAMPLE_FILE = Path(__file__).resolve().parent.parent / "examples" / "sources.example.toml"
MIRROR = {"name": "m", "kind": "mirror", "start_urls": ["https://mirror.example/"]}


@pytest.mark.parametrize("source", load_sources(EXAMPLE_FILE).sources, ids=lambda source: source.name)
def test_a_source_written_as_json_by_to_dict_reads_back_as_the_same_source(source):
    assert parse_source_json(json.dumps(source.to_dict()), GIVEN_SOURCE_JSON) == source


def test_a_hand_written_source_may_leave_out_what_the_sources_file_may():
    source = parse_source_json(json.dumps(MIRROR), GIVEN_SOURCE_JSON)
    assert (source.name, source.kind, source.start_urls, source.obey_robots_txt) == (
        "m",
        "mirror",
        ["https://mirror.example/"],
        True,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            json.dumps({**MIRROR, "bogus": 1}),
            "-a source=<JSON>: source 'm': unknown key 'bogus'",
        ),
        (
            json.dumps([MIRROR]),
            "-a source=<JSON> must be one source, a JSON object, not list",
        ),
        (
            json.dumps({"kind": "mirror", "start_urls": ["https://mirror.example/"]}),
            "-a source=<JSON>: source #1 needs a name",
        ),
        (
            json.dumps({**MIRROR, "kind": "ftp"}),
            "-a source=<JSON>: source 'm': kind must be one of",
        ),
        (
            json.dumps({**MIRROR, "start_urls": ["file:///etc/passwd"]}),
            "-a source=<JSON>: source 'm': start_urls has 'file:///etc/passwd', not an http(s) URL",
        ),
        (
            json.dumps({**MIRROR, "token_env": "GITHUB_TOKEN"}),
            "-a source=<JSON>: source 'm': token_env is for the API kinds",
        ),
        (
            '{"name": "m", "kind": "mirror"',
            "-a source=<JSON> is not valid JSON (Expecting ',' delimiter",
        ),
    ],
    ids=["unknown key", "list", "no name", "unknown kind", "not http", "key of another kind", "not JSON"],
)
def test_a_mistaken_json_source_is_a_one_line_sources_error(text, message):
    assert is_source_json(text)
    with pytest.raises(SourcesError) as refused:
        parse_source_json(text, GIVEN_SOURCE_JSON)
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)


def test_a_source_given_as_a_dict_is_checked_as_json_is():
    with pytest.raises(SourcesError, match="unknown key 'bogus'"):
        parse_source_dict({**MIRROR, "bogus": 1}, "the spider's source")


def test_the_spider_refuses_a_json_source_of_another_kind():
    with pytest.raises(SourcesError, match="source 'm' is a mirror source, not paste"):
        _resolve_source(json.dumps(MIRROR), settings={}, kind="paste")


def test_the_token_of_a_mistaken_json_source_is_not_looked_for_the_source_is_refused_first():
    with pytest.raises(SourcesError, match="unknown key 'bogus'"):
        given_source_secrets(json.dumps({**MIRROR, "bogus": 1}))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (json.dumps({**MIRROR, "bogus": 1}), "error: -a source=<JSON>: source 'm': unknown key 'bogus'"),
        (json.dumps([MIRROR]), "error: -a source=<JSON> must be one source, a JSON object, not list"),
    ],
    ids=["unknown key", "list"],
)
def test_scrapy_crawl_of_a_mistaken_json_source_ends_in_one_line_and_exit_status_2(tmp_path, source, message):
    crawl = scrapy_crawl(tmp_path, "mirror", "-a", f"source={source}", "-s", "LEAKTRACK_SCAN=false")

    assert crawl.returncode == 2, crawl.stderr[-3000:]
    assert message in crawl.stderr.splitlines()
    assert "Traceback" not in crawl.stderr


@pytest.mark.parametrize(
    ("source", "name"),
    [
        (json.dumps({**MIRROR, "bogus": 1}), "m"),  # invalid, but named: its error report names it
        (json.dumps({**MIRROR, "name": "  "}), None),  # the sources file refuses a blank name
        (json.dumps({**MIRROR, "name": 7}), None),
        (json.dumps([MIRROR]), None),
        ("{not json", None),
        ("m", None),  # a name in the sources file, not a source given whole
    ],
    ids=["invalid", "blank name", "number", "list", "not json", "file name"],
)
def test_a_json_source_is_named_in_its_crawl_report_as_the_sources_file_names_one(source, name):
    from leaktrack.cli.scrapy_commands.crawl import given_source_name

    assert given_source_name(source) == name


def test_scrapy_crawl_of_a_mistaken_named_json_source_reports_its_error_under_its_name(tmp_path):
    from leaktrack.spiders.crawl import REPORT_MARK

    source = json.dumps({**MIRROR, "bogus": 1})
    crawl = scrapy_crawl(tmp_path, "mirror", "-a", f"source={source}", "-s", "LEAKTRACK_SCAN=false")

    reports = [
        json.loads(line.split(REPORT_MARK, 1)[1]) for line in crawl.stderr.splitlines() if REPORT_MARK in line
    ]
    assert [(report["source"], report["counts"]) for report in reports] == [("m", {"errors": 1})]
