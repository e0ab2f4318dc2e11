"""Sweeps on Scrapyd (spiders/scrapyd.py): the egg built by scrapyd-client and deployed through
addversion.json to two real Scrapyd daemons, a sweep scheduled on both, sharing one Redis,
followed to its end and recorded like a local sweep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures_sites import home_store, redis_sweep_args, sweep_args
from scrapyd_server import ScrapydServer
from test_cli_sweep import invoke
from test_distributed import paste_site_sources
from test_sweep import decoy_pastes, expected, leak_pastes

import leaktrack
from leaktrack.spiders.sites import add_pastes

PROJECT_ROOT = Path(leaktrack.__file__).parent


@pytest.fixture(scope="module")
def egg(tmp_path_factory):
    pytest.importorskip("scrapyd_client")
    if not (PROJECT_ROOT / "scrapy.cfg").exists() or not (PROJECT_ROOT / "setup.py").exists():
        pytest.skip("leaktrack is not installed from a checkout: no project to build an egg from")
    from leaktrack.spiders.scrapyd import build_egg

    return build_egg(PROJECT_ROOT, tmp_path_factory.mktemp("egg") / "leaktrack.egg")


@pytest.fixture
def two_scrapyds(tmp_path, egg):
    from leaktrack.spiders.scrapyd import deploy_egg

    daemons = []
    try:
        for name in ("scrapyd-a", "scrapyd-b"):
            daemons.append(ScrapydServer(tmp_path / name))
            assert deploy_egg(daemons[-1].url, egg, "r1") > 0  # its spiders were found in the egg
        yield [daemon.url for daemon in daemons]
    finally:
        for daemon in daemons:
            daemon.stop()


def test_a_sweep_runs_on_two_scrapyds_sharing_one_redis_and_is_recorded_like_a_local_one(
    local_site, leak_fingerprints, redis_url, two_scrapyds, tmp_path
):
    pastes = {**decoy_pastes(leak_fingerprints, 10), **leak_pastes(leak_fingerprints)}
    add_pastes(local_site, pastes, per_page=5)
    for paste_id, text in pastes.items():  # slow enough that both daemons' jobs are at it together
        local_site.put(f"/raw/{paste_id}", text, "text/plain; charset=utf-8", delay=0.1)
    sources = paste_site_sources(local_site, tmp_path)
    scrapyd_options = [option for url in two_scrapyds for option in ("--scrapyd", url)]

    result = invoke(
        *redis_sweep_args(sources, leak_fingerprints, redis_url, "scrapyd-round-1", *scrapyd_options)
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    counts = summary["per_source"]["pastes"]
    assert counts["documents"] == len(pastes) and counts["matches"] == 3 and counts["errors"] == 0
    assert sorted(local_site.requests_for("/raw/")) == sorted(f"/raw/{paste_id}" for paste_id in pastes)
    with home_store() as store:
        found = {match.url: set(match.matched_records) for match in store.list_matches(limit=None)}
        (record,) = store.list_sweeps()
    assert found == expected(local_site, leak_fingerprints)
    assert record.id == summary["id"] and record.per_source["pastes"]["documents"] == len(pastes)


def test_an_unreachable_scrapyd_is_a_one_line_error(local_site, leak_fingerprints, tmp_path):
    pytest.importorskip("scrapyd_client")
    sources = paste_site_sources(local_site, tmp_path)
    result = invoke(*sweep_args(sources, leak_fingerprints, "--scrapyd", "http://127.0.0.1:1"))

    assert result.exit_code != 0
    assert "cannot reach Scrapyd at http://127.0.0.1:1" in result.output
    assert "Traceback" not in result.output


def test_every_source_kind_has_a_spider_scrapy_crawl_and_scrapyd_can_find():
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.misc import load_object

    from leaktrack.spiders.crawl import SPIDERS

    settings = Settings()
    settings.setmodule("leaktrack.spiders.settings")
    loader = SpiderLoader.from_settings(settings)

    for kind, path in SPIDERS.items():
        spider = load_object(path)
        assert loader.load(spider.name) is spider, kind
