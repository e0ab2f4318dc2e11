"""Fixtures for sweeps: local paste sites and mirrors on 127.0.0.1, fingerprints, sources.

The sites are real HTTP servers (``leaktrack.spiders.sites``) crawled through Scrapy's real
downloader in a child process, exactly as ``leaktrack sweep`` does.
"""

from __future__ import annotations

import pytest

from leaktrack.spiders.settings import LOCAL_SITE_SETTINGS
from leaktrack.spiders.sites import LocalSite
from leaktrack.spiders.sources import SourcesConfig, parse_sources

# Our own server answers at once; a page slower than this is "slow" in the tests.
TEST_DOWNLOAD_TIMEOUT = 2
FAST_CRAWL_SETTINGS = {
    **LOCAL_SITE_SETTINGS,
    "DOWNLOAD_TIMEOUT": TEST_DOWNLOAD_TIMEOUT,
    "LEAKTRACK_RETRY_BACKOFF_BASE": 0.05,
}


@pytest.fixture
def local_site():
    """A running LocalSite on 127.0.0.1, stopped after the test."""
    with LocalSite() as site:
        yield site


@pytest.fixture
def crawl_settings() -> dict:
    """Scrapy settings for crawling our own 127.0.0.1 sites quickly (no politeness delays)."""
    return dict(FAST_CRAWL_SETTINGS)


def sources_for(*sources: dict, allow_private_networks: bool = True) -> SourcesConfig:
    return parse_sources({"allow_private_networks": allow_private_networks, "sources": list(sources)})


def paste_source(site: LocalSite, name: str = "pastes", raw: bool = True) -> dict:
    source = {
        "name": name,
        "kind": "paste",
        "start_urls": [site.url("/archive")],
        "item_links": "/p/[A-Za-z0-9]+$",
        "next_page": r"page=\d+",
    }
    if raw:
        source["raw_url"] = site.url("/raw/{id}")
    return source


def mirror_source(site: LocalSite, name: str = "mirror", root: str = "/mirror/", max_depth: int = 3) -> dict:
    return {"name": name, "kind": "mirror", "start_urls": [site.url(root)], "max_depth": max_depth}


def urls_source(site: LocalSite, paths: list[str], name: str = "known") -> dict:
    return {"name": name, "kind": "urls", "urls": [site.url(path) for path in paths]}
