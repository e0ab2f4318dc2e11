"""Scrapy's own outputs hold no downloaded text: `scrapy crawl -O` exports fields without the
body, and the HTTP cache stays off (spiders/outputs.py)."""

import json

import pytest
from fixtures_sites import (
    scrapy_crawl,
    scrapy_crawl_options,
    sources_for,
    sweep_with,
    urls_source,
)
from scrapy.settings import Settings

from leaktrack.errors import LeaktrackError
from leaktrack.spiders.outputs import (
    PersonalDataOutputError,
    personal_data_outputs,
    refuse_personal_data_outputs,
)


def leaktrack_settings(**overrides) -> Settings:
    settings = Settings()
    settings.setmodule("leaktrack.spiders.settings", priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings


def test_scrapy_crawl_feed_export_writes_fields_without_the_downloaded_text(
    local_site, leak_fingerprints, small_leak, tmp_path
):
    sample = leak_fingerprints.copies["excerpt_10_rows"]
    local_site.put("/files/a.csv", sample.data)
    (tmp_path / "sources.toml").write_text(
        f"allow_private_networks = true\n[[sources]]\nname = 'known'\nkind = 'urls'\n"
        f"urls = ['{local_site.url('/files/a.csv')}']\n"
    )
    options = scrapy_crawl_options(tmp_path, leak_fingerprints)

    crawl = scrapy_crawl(tmp_path, "urls", "-a", "source=known", *options, "-O", "items.json")

    assert crawl.returncode == 0, crawl.stderr
    (item,) = json.loads((tmp_path / "items.json").read_text())
    assert item["url"] == local_site.url("/files/a.csv")
    assert item["content_sha256"] and "body" not in item and "scan" not in item
    exported = (tmp_path / "items.json").read_text()
    exposed = [row for index, row in enumerate(small_leak.rows, 1) if str(index) in sample.expected_records]
    for row in exposed:
        assert row[small_leak.columns.index("full_name")] not in exported
        assert row[small_leak.columns.index("a_number")] not in exported


def test_scrapy_crawl_refuses_an_http_cache_before_fetching_anything(local_site, tmp_path):
    local_site.put("/files/a.csv", "a note")
    (tmp_path / "sources.toml").write_text(
        f"allow_private_networks = true\n[[sources]]\nname = 'known'\nkind = 'urls'\n"
        f"urls = ['{local_site.url('/files/a.csv')}']\n"
    )

    crawl = scrapy_crawl(
        tmp_path,
        "urls",
        "-a",
        "source=known",
        "-s",
        f"LEAKTRACK_SOURCES={tmp_path / 'sources.toml'}",
        "-s",
        "LEAKTRACK_ALLOW_PRIVATE_NETWORKS=true",
        "-s",
        "HTTPCACHE_ENABLED=true",
    )

    assert "HTTPCACHE_ENABLED would keep every downloaded body" in crawl.stderr
    assert local_site.requests == []
    assert not (tmp_path / ".scrapy" / "httpcache").exists()


def test_the_http_cache_is_off_and_feeds_leave_out_body_and_scan_by_default():
    settings = leaktrack_settings()

    assert settings.getbool("HTTPCACHE_ENABLED") is False
    assert "body" not in settings.getlist("FEED_EXPORT_FIELDS")
    assert "scan" not in settings.getlist("FEED_EXPORT_FIELDS")
    assert personal_data_outputs(settings) == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"FEED_EXPORT_FIELDS": "url,body"},
        {"FEED_EXPORT_FIELDS": "*"},
        {"FEEDS": {"out.jsonl": {"format": "jsonlines", "fields": ["url", "scan"]}}},
        {"HTTPCACHE_ENABLED": "true"},
    ],
)
def test_settings_that_would_write_bodies_are_refused(overrides):
    with pytest.raises(PersonalDataOutputError, match="refused"):
        refuse_personal_data_outputs(leaktrack_settings(**overrides))


def test_a_sweep_with_the_http_cache_on_is_a_one_line_error(local_site, leak_fingerprints, crawl_settings):
    local_site.put("/files/a.csv", "a note")

    with pytest.raises(LeaktrackError, match="HTTPCACHE_ENABLED"):
        sweep_with(
            sources_for(urls_source(local_site, ["/files/a.csv"])),
            leak_fingerprints,
            {**crawl_settings, "HTTPCACHE_ENABLED": "true"},
        )
    assert local_site.requests == []
