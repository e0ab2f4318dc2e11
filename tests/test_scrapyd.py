"""Sweeps on Scrapyd (spiders/scrapyd.py): the egg built by scrapyd-client and deployed through
addversion.json to two real Scrapyd daemons, a sweep scheduled on both, sharing one Redis,
followed to its end and recorded like a local sweep; an API source's token read by each job from
its Scrapyd host's environment, and written nowhere else."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import requests
from fixtures_sites import home_store, redis_sweep_args, sweep_args, text_of
from mockserver.github import header
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


def github_sources(github, tmp_path) -> Path:
    """A sources file with one GitHub code search source whose token is in GITHUB_TOKEN."""
    sources = tmp_path / "sources.toml"
    sources.write_text(
        "allow_private_networks = true\n[[sources]]\nname = 'github'\nkind = 'github'\n"
        f"api_url = '{github.url}'\nraw_base_url = '{github.url}/raw'\ntoken_env = 'GITHUB_TOKEN'\n"
        "filenames = ['asylum_cases_2026.csv']\n"
    )
    return sources


@pytest.fixture
def scrapyd_folder(tmp_path, egg):
    """A Scrapyd (with leaktrack deployed) started by ``start(env)`` in the test's folder."""
    from leaktrack.spiders.scrapyd import deploy_egg

    started = []

    def start(env: dict[str, str]) -> ScrapydServer:
        started.append(ScrapydServer(tmp_path / "scrapyd", env=env))
        assert deploy_egg(started[-1].url, egg, "r1") > 0
        return started[-1]

    yield start
    for daemon in started:
        daemon.stop()


def files_holding(folder: Path, secret: str) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file() and secret.encode() in path.read_bytes()]


def test_a_token_source_on_scrapyd_reads_its_token_from_the_scrapyd_hosts_environment_only(
    leak_fingerprints, scrapyd_folder, tmp_path, monkeypatch
):
    from mockserver.github import TOKEN, GitHubApi

    monkeypatch.delenv("GITHUB_TOKEN", raising=False)  # the sweeping machine has no token
    host_env = {**os.environ, "GITHUB_TOKEN": TOKEN}
    with GitHubApi() as github:
        github.add_file(
            "someone/dump", "data/asylum_cases_2026.csv", text_of(leak_fingerprints.copies["excerpt_10_rows"])
        )
        scrapyd = scrapyd_folder(host_env)

        result = invoke(
            *sweep_args(
                github_sources(github, tmp_path), leak_fingerprints, "--scrapyd", scrapyd.url, "--json"
            )
        )
        searches = github.requests_for("/search/code")

        assert result.exit_code == 0, result.output
        counts = json.loads(result.stdout)["per_source"]["github"]
        assert counts["matches"] == 1 and counts["errors"] == 0
        assert searches and all(header(request, "Authorization") == f"Bearer {TOKEN}" for request in searches)
        listing = requests.get(
            f"{scrapyd.url}/listjobs.json", params={"project": "leaktrack"}, timeout=30
        ).text
        scrapyd.stop()
    # Nowhere on the Scrapyd host but its environment: not in its job database, logs or eggs,
    # nor in what it says of its jobs; nor in the sweep's output.
    assert files_holding(tmp_path / "scrapyd", TOKEN) == []
    assert TOKEN not in "".join(scrapyd.log_lines) and TOKEN not in listing
    assert TOKEN not in result.output


def test_a_scrapyd_host_without_the_token_makes_it_an_error_of_the_source(
    leak_fingerprints, scrapyd_folder, tmp_path, monkeypatch
):
    from mockserver.github import TOKEN, GitHubApi

    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)  # set here, where the sweep runs: never sent
    host_env = {key: value for key, value in os.environ.items() if key != "GITHUB_TOKEN"}
    with GitHubApi() as github:
        scrapyd = scrapyd_folder(host_env)

        result = invoke(
            *sweep_args(
                github_sources(github, tmp_path), leak_fingerprints, "--scrapyd", scrapyd.url, "--json"
            )
        )

        assert not github.requests_for("/search/code")
    summary = json.loads(result.stdout)
    assert summary["per_source"]["github"]["errors"] == 1
    assert summary["errors"] == [
        "github: source 'github': the environment variable GITHUB_TOKEN (its token_env) is not set where"
        " this crawl runs; a Scrapyd job reads it from its host's environment: start scrapyd with"
        " GITHUB_TOKEN set"
    ]
