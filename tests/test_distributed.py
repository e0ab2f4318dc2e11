"""Distributed sweeps through a real Redis (spiders/distributed.py): a password (and TLS),
never in Scrapy's settings or a log line; idle handling; a worker killed mid-sweep."""

from __future__ import annotations

import os
import subprocess

from fixtures_sites import sweep_worker_command
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


def worker_env(tmp_path, name: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "LEAKTRACK_HOME": str(tmp_path / name), **extra}


def test_workers_share_a_sweep_through_redis_that_requires_a_password(
    local_site, leak_fingerprints, secure_redis, tmp_path
):
    pastes = {**decoy_pastes(leak_fingerprints, 10), **leak_pastes(leak_fingerprints)}
    add_pastes(local_site, pastes, per_page=5)
    sources = paste_site_sources(local_site, tmp_path)
    store = f"sqlite:///{tmp_path / 'shared-matches.db'}"
    command = sweep_worker_command(
        sources, leak_fingerprints, store, secure_redis.url, "round-1", "-v", "-s", "LOG_LEVEL=DEBUG"
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


def test_a_worker_holds_no_more_claims_than_its_bound_however_many_requests_it_may_send(
    local_site, leak_fingerprints, redis_url, tmp_path
):
    # Without the bound, a worker took as many requests as its downloader and Scrapy's scraper
    # queue hold (16 at a time here), fetched faster than it scans them, and left a worker started
    # later with nothing to do.
    pastes = decoy_pastes(leak_fingerprints, 30)
    add_pastes(local_site, pastes, per_page=10, pager=3)
    for paste_id, text in pastes.items():  # slow answers: requests pile up unless the bound holds
        local_site.put(f"/raw/{paste_id}", text, "text/plain; charset=utf-8", delay=0.05)
    store = f"sqlite:///{tmp_path / 'matches.db'}"
    command = sweep_worker_command(
        paste_site_sources(local_site, tmp_path), leak_fingerprints, store, redis_url, "bounded",
        "-s", "LEAKTRACK_REDIS_MAX_CLAIMS=3", "-s", "CONCURRENT_REQUESTS=16",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    )  # fmt: skip

    worker = subprocess.run(
        command, env=worker_env(tmp_path, "worker"), capture_output=True, text=True, timeout=300
    )

    assert worker.returncode == 0, worker.stderr[-2000:]
    assert sorted(local_site.requests_for("/raw/")) == sorted(f"/raw/{paste_id}" for paste_id in pastes)
    # the pager (each archive page links to the next three) fetched each archive page once
    assert sorted(local_site.requests_for("/archive")) == ["/archive", "/archive?page=2", "/archive?page=3"]
    assert local_site.most_serving <= 3


def test_a_wrong_redis_password_is_a_one_line_error_that_does_not_echo_it(
    local_site, leak_fingerprints, secure_redis, tmp_path
):
    sources = paste_site_sources(local_site, tmp_path)
    store = f"sqlite:///{tmp_path / 'matches.db'}"

    worker = subprocess.run(
        sweep_worker_command(sources, leak_fingerprints, store, secure_redis.url, "round-1"),
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


def claims_in_redis(redis_url: str, job: str) -> set[str]:
    """The URLs of the requests every worker of ``job`` has claimed (taken, not finished)."""
    import json

    import redis

    client = redis.Redis.from_url(with_password(redis_url, None))
    try:
        return {
            json.loads(member)["url"]
            for key in client.scan_iter(match=f"leaktrack:{job}:*:claims")
            for member in client.hkeys(key)
        }
    finally:
        client.close()


def test_a_worker_killed_mid_sweep_leaves_its_work_to_the_others_and_nothing_is_lost(
    local_site, leak_fingerprints, redis_url, tmp_path
):
    import signal
    import threading

    from test_sweep_processes import children_of, wait_for_exit

    pastes = {**decoy_pastes(leak_fingerprints, 8), **leak_pastes(leak_fingerprints)}
    add_pastes(local_site, pastes, per_page=5)
    release = threading.Event()
    local_site.put("/raw/leak0", pastes["leak0"], "text/plain; charset=utf-8", hold=release)
    sources = paste_site_sources(local_site, tmp_path)
    store = f"sqlite:///{tmp_path / 'shared-matches.db'}"
    # A short heartbeat lifetime, so the surviving worker takes over within seconds.
    command = sweep_worker_command(
        sources, leak_fingerprints, store, redis_url, "round-1", "-s", "LEAKTRACK_REDIS_WORKER_TTL=5"
    )

    def start(name: str) -> subprocess.Popen:
        return subprocess.Popen(
            command, env=worker_env(tmp_path, name), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    doomed = start("doomed")
    survivor = None
    try:
        assert local_site.wait_for_request("/raw/leak0"), "the first worker never reached the held paste"
        survivor = start("survivor")  # joins while the doomed worker holds the paste open
        (crawler,) = children_of(doomed.pid)
        os.kill(crawler, signal.SIGSTOP)  # frozen: what it has claimed can be read, then it dies
        taken = claims_in_redis(redis_url, "round-1")
        os.kill(crawler, signal.SIGKILL)
        assert wait_for_exit(crawler)
        release.set()
        doomed.communicate(timeout=300)
        survivor_out, survivor_err = survivor.communicate(timeout=300)
    finally:
        release.set()
        for worker in (doomed, survivor):
            if worker is not None and worker.poll() is None:
                worker.kill()
                worker.wait()

    assert doomed.returncode != 0
    assert survivor.returncode == 0, survivor_err
    assert local_site.url("/raw/leak0") in taken
    fetched = local_site.requests_for("/raw/")
    assert sorted(set(fetched)) == sorted(f"/raw/{paste_id}" for paste_id in pastes)  # nothing lost
    fetched_twice = {local_site.url(path) for path in set(fetched) if fetched.count(path) > 1}
    assert local_site.url("/raw/leak0") in fetched_twice and fetched_twice <= taken  # only unfinished work
    with open_store(store) as shared:
        found = {match.url: set(match.matched_records) for match in shared.list_matches(limit=None)}
    assert found == expected(local_site, leak_fingerprints)  # each copy stored once, whole


def test_queued_requests_are_json_and_a_foreign_class_in_one_is_refused():
    import pytest
    from scrapy import Request
    from scrapy.utils.request import request_from_dict

    from leaktrack.spiders import redis_codec

    request = Request(
        "https://paste.example/raw/a",
        headers={"If-None-Match": "abc"},
        meta={"leaktrack_source": "pastes", "record": Source(name="a", kind="urls", urls=["https://x"])},
    )

    written = redis_codec.dumps(request.to_dict())
    again = request_from_dict(redis_codec.loads(written))

    assert written.startswith("{")  # JSON, never a pickle
    assert again.url == request.url and again.headers == request.headers and again.meta == request.meta
    forged = written.replace("leaktrack.spiders.sources:Source", "os:system")
    with pytest.raises(ValueError, match="not a leaktrack dataclass"):
        redis_codec.loads(forged)


def test_watch_workers_on_one_schedule_share_each_ticks_job_and_each_tick_is_a_new_one():
    from datetime import UTC, datetime

    from leaktrack.spiders.distributed import tick_job_name

    early = tick_job_name("hourly", 1800, datetime(2026, 11, 30, 3, 1, 5, tzinfo=UTC))
    late = tick_job_name("hourly", 1800, datetime(2026, 11, 30, 3, 29, 59, tzinfo=UTC))
    next_tick = tick_job_name("hourly", 1800, datetime(2026, 11, 30, 3, 30, 0, tzinfo=UTC))

    assert early == late == "hourly.20261130T030000"
    assert next_tick == "hourly.20261130T033000"


def test_workers_share_a_wayback_sweep_each_capture_fetched_once_and_the_cdx_cursor_paged(
    leak_fingerprints, redis_url, tmp_path
):
    """An archive kind through Redis: its queued requests carry the spider's own records (the
    CDX query, the capture) as JSON, the CDX pages (resumeKey) and every capture are fetched by
    one worker or the other, exactly once, and each leaked capture is stored whole."""
    from mockserver.wayback import WaybackArchive, wayback_server

    archive = WaybackArchive()
    mirror = "https://mirror.example/leak/"
    leaked = {
        f"{mirror}copy{n}.csv": leak_fingerprints.copies[kind]
        for n, kind in enumerate(("excerpt_10_rows", "reordered_columns"))
    }
    for n, (original, copy) in enumerate(leaked.items()):
        archive.add(f"2026111509300{n}", original, copy.data)
    for n in range(12):  # clean captures: more CDX rows than one page holds
        archive.add(f"202611161200{n:02d}", f"{mirror}notes{n}.txt", f"minutes {n}", mimetype="text/plain")
    sources = tmp_path / "sources.toml"
    with wayback_server(archive) as server:
        sources.write_text(
            "allow_private_networks = true\n[[sources]]\nname = 'wayback'\nkind = 'wayback'\n"
            f"url_prefixes = ['{mirror}']\napi_url = '{server.url}'\n"
        )
        store = f"sqlite:///{tmp_path / 'shared-matches.db'}"
        command = sweep_worker_command(
            sources, leak_fingerprints, store, redis_url, "archive-1", "-s", "LEAKTRACK_WAYBACK_PAGE_ROWS=5"
        )
        workers = [
            subprocess.Popen(
                command,
                env=worker_env(tmp_path, f"worker{n}"),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in (1, 2)
        ]
        outputs = [worker.communicate(timeout=300) for worker in workers]
        captures = [request.path for request in server.requests_for("/web/")]
        cdx_pages = [request.param("resumeKey") for request in server.requests_for("/cdx/")]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert sorted(captures) == sorted(
        f"/web/{capture.timestamp}id_/{capture.original}" for capture in archive.captures
    )  # every capture, each once
    assert sorted(cdx_pages, key=str) == sorted([None, "5", "10"], key=str)  # each page once
    with open_store(store) as shared:
        found = {match.url: set(match.matched_records) for match in shared.list_matches(limit=None)}
    assert found == {
        f"{server.url}/web/{capture.timestamp}/{capture.original}": leaked[capture.original].expected_records
        for capture in archive.captures
        if capture.original in leaked
    }
