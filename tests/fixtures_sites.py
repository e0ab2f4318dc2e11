"""Fixtures for sweeps: local paste sites and mirrors on 127.0.0.1, fingerprints, sources.

The sites are real HTTP servers (``leaktrack.spiders.sites``) crawled through Scrapy's real
downloader in a child process, exactly as ``leaktrack sweep`` does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from leaktrack.home import Workspace
from leaktrack.index import MatchStore, open_store
from leaktrack.spiders.settings import LOCAL_SITE_SETTINGS
from leaktrack.spiders.sites import LocalSite
from leaktrack.spiders.sources import SourcesConfig, parse_sources
from leaktrack.spiders.sweep import run_sweep
from leaktrack.synthetic import Sample

# Our own server answers at once, but a loaded 2-core machine may keep a crawl waiting for
# seconds: the tests' downloads time out late, never by chance. A test of a slow page sets
# TEST_DOWNLOAD_TIMEOUT and holds the page (Page.hold) so that it surely times out.
TEST_DOWNLOAD_TIMEOUT = 2
GENEROUS_DOWNLOAD_TIMEOUT = 120
FAST_CRAWL_SETTINGS = {
    **LOCAL_SITE_SETTINGS,
    "DOWNLOAD_TIMEOUT": GENEROUS_DOWNLOAD_TIMEOUT,
    "LEAKTRACK_RETRY_BACKOFF_BASE": 0.05,
    # Inline scanning: a worker process costs a second of start-up per sweep, and the
    # documents here are few (test_sweep has one test with workers).
    "LEAKTRACK_SCAN_WORKERS": 0,
}


def fast_settings_args() -> list[str]:
    """FAST_CRAWL_SETTINGS as the command line's -s NAME=VALUE options."""
    return [arg for name, value in FAST_CRAWL_SETTINGS.items() for arg in ("-s", f"{name}={value}")]


def fingerprint_args(fingerprints) -> list[str]:
    """A test's fingerprint set (``leak_fingerprints``) as every command's options."""
    return ["--fingerprints", str(fingerprints.path), "--key-file", str(fingerprints.key_file)]


def crawl_args(command: str, sources, fingerprints, *extra: str) -> list[str]:
    """``sweep`` or ``watch`` over a sources file, with FAST_CRAWL_SETTINGS, then ``extra``."""
    return [
        command,
        "--sources",
        str(sources),
        *fingerprint_args(fingerprints),
        *fast_settings_args(),
        *extra,
    ]


def sweep_args(sources, fingerprints, *extra: str) -> list[str]:
    """The CLI arguments of ``leaktrack sweep`` for a test (for CliRunner or a child process)."""
    return crawl_args("sweep", sources, fingerprints, *extra)


def redis_sweep_args(sources, fingerprints, redis_url: str, job: str, *extra: str) -> list[str]:
    """A distributed sweep: job ``job`` shared through Redis, the summary as JSON.
    FAST_CRAWL_SETTINGS' generous download timeout matters here: "exactly once" is the
    claim, and a timeout under load would retry and fetch twice."""
    return sweep_args(sources, fingerprints, "--redis-url", redis_url, "--redis-job", job, "--json", *extra)


def sweep_worker_command(
    sources, fingerprints, store: str, redis_url: str, job: str, *extra: str
) -> list[str]:
    """One worker of a distributed sweep into the shared ``store``, as a child process."""
    arguments = redis_sweep_args(sources, fingerprints, redis_url, job, "--store", store, *extra)
    return [sys.executable, "-m", "leaktrack.cli.app", *arguments]


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


@dataclass
class LeakFingerprints:
    """A fingerprinted synthetic leak: the files a sweep needs, and the samples to hide."""

    path: Path
    key_file: Path
    copies: dict[str, Sample]  # transformed copy kind -> sample (expected record ids inside)
    negatives: list[Sample]


@pytest.fixture(scope="session")
def leak_fingerprints(
    small_leak, small_leak_csv, small_leak_copies, small_leak_negatives, tmp_path_factory
) -> LeakFingerprints:
    """The small synthetic leak, fingerprinted once per session with its own key."""
    from leaktrack.fingerprints import fingerprint_dataset_file

    folder = tmp_path_factory.mktemp("fingerprints")
    _, path = fingerprint_dataset_file(small_leak_csv, folder / "leak.ltfp", folder / "leak.key")
    return LeakFingerprints(
        path,
        folder / "leak.key",
        {sample.kind: sample for sample in small_leak_copies},
        list(small_leak_negatives),
    )


def home_workspace() -> Workspace:
    """The test's home folder (the autouse ``leaktrack_home`` fixture names it), created."""
    workspace = Workspace.in_folder(os.environ["LEAKTRACK_HOME"])
    workspace.ensure_home()
    return workspace


def home_store() -> MatchStore:
    """The store of the test's home folder."""
    return open_store(home_workspace().store_url)


def sweep_with(config: SourcesConfig, fingerprints: LeakFingerprints, settings: dict, **options):
    """One real sweep of ``config`` with the session's fingerprints, in the test's home folder."""
    workspace = home_workspace().with_files(fingerprints=fingerprints.path, key_file=fingerprints.key_file)
    return run_sweep(config, workspace, settings=settings, **options)


def text_of(sample: Sample) -> str:
    return sample.data.decode("utf-8")


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server on a free loopback port, for distributed sweeps; skipped if absent."""
    from redis_server import RedisServer

    server = RedisServer(tmp_path)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(params=["password", "password+tls"])
def secure_redis(request, tmp_path):
    """A real redis-server that requires a password, and in turn also serves TLS only."""
    from redis_server import RedisServer

    server = RedisServer(tmp_path, password="s3cret-redis-Pa55", tls=request.param.endswith("tls"))
    try:
        yield server
    finally:
        server.stop()


def scrapy_crawl(tmp_path, *args: str, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``scrapy crawl`` as a responder runs it, in ``tmp_path``, with leaktrack's settings
    module (scrapy.cfg), and ``environ`` over this process's environment."""
    (tmp_path / "scrapy.cfg").write_text("[settings]\ndefault = leaktrack.spiders.settings\n")
    inherited = {key: value for key, value in os.environ.items() if key != "SCRAPY_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", *args],
        cwd=tmp_path,
        env={**inherited, **(environ or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def scrapy_crawl_options(tmp_path, fingerprints, **overrides) -> list[str]:
    """The -s options that give ``scrapy crawl`` a test's sources file (``tmp_path/sources.toml``),
    fingerprints, store, crawl state and evidence folder, private networks allowed (the sources
    file's allow_private_networks is the sweep's; scrapy crawl takes the setting); an override
    of None leaves a setting out."""
    settings = {
        **FAST_CRAWL_SETTINGS,
        "LEAKTRACK_SOURCES": tmp_path / "sources.toml",
        "LEAKTRACK_FINGERPRINTS": fingerprints.path,
        "LEAKTRACK_KEY_FILE": fingerprints.key_file,
        "LEAKTRACK_STORE": f"sqlite:///{tmp_path / 'matches.db'}",
        "LEAKTRACK_STATE": tmp_path / "state.db",
        "LEAKTRACK_EVIDENCE_DIR": tmp_path / "evidence",
        "LEAKTRACK_ALLOW_PRIVATE_NETWORKS": "true",
        **overrides,
    }
    return [arg for name, value in settings.items() if value is not None for arg in ("-s", f"{name}={value}")]
