"""Distributed sweeps through a real Redis (spiders/distributed.py): a password (and TLS),
never in Scrapy's settings or a log line; idle handling; a worker killed mid-sweep."""

from __future__ import annotations

import os
import subprocess
import sys

from fixtures_sites import fast_settings_args
from test_sweep import decoy_pastes, expected, leak_pastes

from leaktrack.index import open_store
from leaktrack.spiders.crawl import CrawlJob, crawl_settings
from leaktrack.spiders.distributed import split_credentials, with_password
from leaktrack.spiders.sites import add_pastes
from leaktrack.spiders.sources import Source


def paste_site_sources(site, tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(
        "allow_private_networks = true\n[[sources]]\nname = 'pastes'\nkind = 'paste'\n"
        f"start_urls = ['{site.url('/archive')}']\nitem_links = '/p/[A-Za-z0-9]+$'\n"
        f"next_page = 'page=\\d+'\nraw_url = '{site.url('/raw/{id}')}'\n"
    )
    return sources


def worker_command(
    sources, store: str, leak_fingerprints, redis_url: str, job: str, *extra: str
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "leaktrack.cli.app",
        "sweep",
        "--sources",
        str(sources),
        "--store",
        store,
        "--fingerprints",
        str(leak_fingerprints.path),
        "--key-file",
        str(leak_fingerprints.key_file),
        "--redis-url",
        redis_url,
        "--redis-job",
        job,
        "--json",
        *fast_settings_args(),
        # "Exactly once" is the claim: a timeout under load would retry and fetch twice.
        "-s",
        "DOWNLOAD_TIMEOUT=60",
        *extra,
    ]


def worker_env(tmp_path, name: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "LEAKTRACK_HOME": str(tmp_path / name), **extra}


def test_workers_share_a_sweep_through_redis_that_requires_a_password(
    local_site, leak_fingerprints, secure_redis, tmp_path
):
    pastes = {**decoy_pastes(leak_fingerprints, 10), **leak_pastes(leak_fingerprints)}
    add_pastes(local_site, pastes, per_page=5)
    sources = paste_site_sources(local_site, tmp_path)
    store = f"sqlite:///{tmp_path / 'shared-matches.db'}"
    command = worker_command(
        sources, store, leak_fingerprints, secure_redis.url, "round-1", "-v", "-s", "LOG_LEVEL=DEBUG"
    )
    password = {"LEAKTRACK_REDIS_PASSWORD": secure_redis.password}
    workers = [
        subprocess.Popen(
            command,
            env=worker_env(tmp_path, f"worker{n}", **password),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert sorted(local_site.requests_for("/raw/")) == sorted(f"/raw/{paste_id}" for paste_id in pastes)
    with open_store(store) as shared:
        found = {match.url: set(match.matched_records) for match in shared.list_matches(limit=None)}
    assert found == expected(local_site, leak_fingerprints)
    for stdout, stderr in outputs:  # debug logs of both workers, Scrapy's own included
        assert "DEBUG" in stderr
        assert secure_redis.password not in stdout + stderr


def test_a_wrong_redis_password_is_a_one_line_error_that_does_not_echo_it(
    local_site, leak_fingerprints, secure_redis, tmp_path
):
    sources = paste_site_sources(local_site, tmp_path)
    store = f"sqlite:///{tmp_path / 'matches.db'}"

    worker = subprocess.run(
        worker_command(sources, store, leak_fingerprints, secure_redis.url, "round-1"),
        env=worker_env(tmp_path, "worker", LEAKTRACK_REDIS_PASSWORD="not-the-password"),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert worker.returncode != 0
    assert "refused our credentials" in worker.stderr and "Traceback" not in worker.stderr
    assert "not-the-password" not in worker.stderr
    assert local_site.requests == []


def test_the_redis_password_never_enters_scrapy_settings(tmp_path):
    url = with_password("rediss://127.0.0.1:6380/0?ssl_ca_certs=/etc/ca.pem", "pa:ss@word")
    job = CrawlJob(
        sources=[Source(name="known", kind="urls", urls=["https://files.example/a.csv"])],
        fingerprints_path="f",
        key_file="k",
        store_url="sqlite:///x",
        state_path="s",
        evidence_dir="e",
        redis_url=url,
        redis_job="round-1",
    )

    settings = crawl_settings(job)

    assert split_credentials(url) == (
        "rediss://127.0.0.1:6380/0?ssl_ca_certs=/etc/ca.pem",
        None,
        "pa:ss@word",
    )
    assert settings.get("REDIS_URL") == "rediss://127.0.0.1:6380/0?ssl_ca_certs=/etc/ca.pem"
    everything = repr({name: settings.get(name) for name in settings.attributes})
    assert "pa:ss@word" not in everything and "pa%3Ass%40word" not in everything
