"""Sweeps of real local paste sites and mirrors through Scrapy's real downloader.

Each test serves synthetic copies of the small leak (and unrelated documents) on 127.0.0.1,
sweeps them, and checks what landed in the store, what the summary says and what the server
was asked for.
"""

import gzip
import io
import os
import stat
import subprocess
import threading
import zipfile

import pytest
from fixtures_sites import (
    TEST_DOWNLOAD_TIMEOUT,
    home_store,
    home_workspace,
    mirror_source,
    paste_source,
    sources_for,
    sweep_with,
    sweep_worker_command,
    text_of,
    urls_source,
)

from leaktrack.index import match_id_for_url, open_store
from leaktrack.spiders.scanning import WITHHELD_TITLE
from leaktrack.spiders.sites import add_mirror, add_pastes
from leaktrack.spiders.sweep import SweepLockedError, sweep_lock

PASTE_KINDS = ("embedded_in_paste", "excerpt_10_rows", "uppercase")


def stored_matches() -> dict[str, set[str]]:
    """URL -> matched record ids of every match in the (home folder's) store."""
    with home_store() as store:
        return {match.url: set(match.matched_records) for match in store.list_matches(limit=None)}


def leak_pastes(leak_fingerprints, kinds=PASTE_KINDS) -> dict[str, str]:
    return {f"leak{index}": text_of(leak_fingerprints.copies[kind]) for index, kind in enumerate(kinds)}


def decoy_pastes(leak_fingerprints, count: int) -> dict[str, str]:
    texts = [sample.data.decode("utf-8", "replace") for sample in leak_fingerprints.negatives]
    return {f"other{index}": texts[index % len(texts)] for index in range(count)}


def expected(site, leak_fingerprints, kinds=PASTE_KINDS) -> dict[str, set[str]]:
    return {
        site.url(f"/p/leak{index}"): leak_fingerprints.copies[kind].expected_records
        for index, kind in enumerate(kinds)
    }


def test_sweep_finds_leaked_pastes_with_their_record_ids(local_site, crawl_settings, leak_fingerprints):
    add_pastes(
        local_site, {**decoy_pastes(leak_fingerprints, 8), **leak_pastes(leak_fingerprints)}, per_page=5
    )

    summary = sweep_with(sources_for(paste_source(local_site)), leak_fingerprints, crawl_settings)

    assert stored_matches() == expected(local_site, leak_fingerprints)
    assert summary.per_source["pastes"]["matches"] == 3
    assert summary.per_source["pastes"]["documents"] == 11


def test_sweep_scanning_in_worker_processes_finds_the_same(local_site, crawl_settings, leak_fingerprints):
    add_pastes(
        local_site, {**decoy_pastes(leak_fingerprints, 8), **leak_pastes(leak_fingerprints)}, per_page=5
    )

    summary = sweep_with(
        sources_for(paste_source(local_site)),
        leak_fingerprints,
        {**crawl_settings, "LEAKTRACK_SCAN_WORKERS": 2},
    )

    assert stored_matches() == expected(local_site, leak_fingerprints)
    assert summary.per_source["pastes"]["documents"] == 11


def test_sweep_follows_pagination_to_the_last_archive_page(local_site, crawl_settings, leak_fingerprints):
    # Listed newest first: the leak, added first, ends up alone on the last of five pages.
    add_pastes(local_site, leak_pastes(leak_fingerprints, ["excerpt_10_rows"]), per_page=3)
    add_pastes(local_site, decoy_pastes(leak_fingerprints, 12), per_page=3)

    sweep_with(sources_for(paste_source(local_site)), leak_fingerprints, crawl_settings)

    assert "/archive?page=5" in local_site.requests
    assert stored_matches() == expected(local_site, leak_fingerprints, ["excerpt_10_rows"])


def test_sweep_takes_paste_text_from_html_pages_without_raw_url(
    local_site, crawl_settings, leak_fingerprints
):
    add_pastes(
        local_site, {**decoy_pastes(leak_fingerprints, 3), **leak_pastes(leak_fingerprints)}, per_page=10
    )

    sweep_with(sources_for(paste_source(local_site, raw=False)), leak_fingerprints, crawl_settings)

    assert local_site.requests_for("/raw/") == []
    assert stored_matches() == expected(local_site, leak_fingerprints)


def test_paste_title_is_stored_with_the_match(local_site, crawl_settings, leak_fingerprints):
    add_pastes(
        local_site, leak_pastes(leak_fingerprints, ["uppercase"]), titles={"leak0": "case list (copy)"}
    )

    sweep_with(sources_for(paste_source(local_site, raw=False)), leak_fingerprints, crawl_settings)

    with home_store() as store:
        assert store.get(match_id_for_url(local_site.url("/p/leak0"))).title == "case list (copy)"


def test_paste_title_quoting_a_leaked_name_is_withheld_from_the_store(
    local_site, crawl_settings, leak_fingerprints, small_leak
):
    leaked_name = small_leak.rows[0][small_leak.columns.index("full_name")]
    add_pastes(
        local_site,
        leak_pastes(leak_fingerprints, ["uppercase"]),
        titles={"leak0": f"list incl. {leaked_name}"},
    )

    sweep_with(sources_for(paste_source(local_site, raw=False)), leak_fingerprints, crawl_settings)

    with home_store() as store:
        title = store.get(match_id_for_url(local_site.url("/p/leak0"))).title
    assert title == WITHHELD_TITLE
    assert leaked_name not in title


def test_paste_title_with_a_leaked_name_run_together_is_withheld_from_the_store(
    local_site, crawl_settings, leak_fingerprints, small_leak
):
    given, surname = small_leak.rows[1][small_leak.columns.index("full_name")].split()
    add_pastes(
        local_site,
        leak_pastes(leak_fingerprints, ["uppercase"]),
        titles={"leak0": f"{surname}.{given} and {surname}{given}"},
    )

    sweep_with(sources_for(paste_source(local_site, raw=False)), leak_fingerprints, crawl_settings)

    with home_store() as store:
        assert store.get(match_id_for_url(local_site.url("/p/leak0"))).title == WITHHELD_TITLE


MIRROR_KINDS = {
    "zipped_csv": "pub/2024/",
    "gzipped_csv": "pub/2024/q3/",
    "xlsx": "pub/archive/old/",
    "json_renamed_keys": "",
}


def publish_mirror(site, leak_fingerprints) -> dict[str, set[str]]:
    files = {"pub/readme.txt": "Public data mirror. Nothing to see.", "pub/2024/notes.csv": "a,b\n1,2\n"}
    wanted = {}
    for kind, directory in MIRROR_KINDS.items():
        sample = leak_fingerprints.copies[kind]
        files[directory + sample.filename] = sample.data
        wanted[site.url("/mirror/" + directory + sample.filename)] = sample.expected_records
    add_mirror(site, files)
    return wanted


def test_mirror_sweep_finds_zip_gz_xlsx_and_json_in_nested_listings(
    local_site, crawl_settings, leak_fingerprints
):
    wanted = publish_mirror(local_site, leak_fingerprints)

    summary = sweep_with(
        sources_for(mirror_source(local_site, max_depth=4)), leak_fingerprints, crawl_settings
    )

    assert stored_matches() == wanted
    assert summary.per_source["mirror"]["errors"] == 0
    assert not any("?C=" in path for path in local_site.requests)  # listing sort links skipped


def test_mirror_sweep_stops_at_max_depth(local_site, crawl_settings, leak_fingerprints):
    # Files in pub/2024/q3/ and pub/archive/old/ are four links away from /mirror/.
    wanted = publish_mirror(local_site, leak_fingerprints)

    sweep_with(sources_for(mirror_source(local_site, max_depth=3)), leak_fingerprints, crawl_settings)

    assert stored_matches() == {
        url: ids for url, ids in wanted.items() if "/q3/" not in url and "/old/" not in url
    }
    assert "/mirror/pub/2024/q3/" in local_site.requests
    assert local_site.requests_for("/mirror/pub/2024/q3/cases") == []


def test_urls_source_fetches_exactly_its_urls(local_site, crawl_settings, leak_fingerprints):
    sample = leak_fingerprints.copies["verbatim"]
    local_site.put("/files/leak.csv", sample.data)
    local_site.put("/files/other.csv", sample.data)

    sweep_with(sources_for(urls_source(local_site, ["/files/leak.csv"])), leak_fingerprints, crawl_settings)

    assert stored_matches() == {local_site.url("/files/leak.csv"): sample.expected_records}
    assert local_site.requests_for("/files/") == ["/files/leak.csv"]


def test_second_sweep_fetches_only_new_pastes(local_site, crawl_settings, leak_fingerprints):
    add_pastes(local_site, decoy_pastes(leak_fingerprints, 6), per_page=4)
    config = sources_for(paste_source(local_site))
    sweep_with(config, leak_fingerprints, crawl_settings)
    assert len(local_site.requests_for("/raw/")) == 6
    add_pastes(local_site, leak_pastes(leak_fingerprints, ["excerpt_10_rows"]), per_page=4)
    local_site.reset_requests()

    summary = sweep_with(config, leak_fingerprints, crawl_settings)

    assert local_site.requests_for("/raw/") == ["/raw/leak0"]
    assert summary.per_source["pastes"]["skipped_seen"] == 6
    assert stored_matches() == expected(local_site, leak_fingerprints, ["excerpt_10_rows"])


def test_second_sweep_gets_304_for_unchanged_files_and_rescans_changed_ones(
    local_site, crawl_settings, leak_fingerprints
):
    local_site.put("/files/a.csv", leak_fingerprints.copies["excerpt_10_rows"].data)
    local_site.put("/files/b.csv", "name,city\nnobody,nowhere\n")
    config = sources_for(urls_source(local_site, ["/files/a.csv", "/files/b.csv"]))
    sweep_with(config, leak_fingerprints, crawl_settings)
    changed = leak_fingerprints.copies["shuffled_rows"]
    local_site.put("/files/b.csv", changed.data)

    summary = sweep_with(config, leak_fingerprints, crawl_settings)

    assert summary.per_source["known"]["unchanged"] == 1
    assert summary.per_source["known"]["documents"] == 1
    assert stored_matches() == {
        local_site.url("/files/a.csv"): leak_fingerprints.copies["excerpt_10_rows"].expected_records,
        local_site.url("/files/b.csv"): changed.expected_records,
    }


def test_unchanged_known_copy_moves_last_seen_forward(local_site, crawl_settings, leak_fingerprints):
    local_site.put("/files/a.csv", leak_fingerprints.copies["excerpt_10_rows"].data)
    config = sources_for(urls_source(local_site, ["/files/a.csv"]))
    sweep_with(config, leak_fingerprints, crawl_settings)
    with home_store() as store:
        first = store.get(match_id_for_url(local_site.url("/files/a.csv")))

    sweep_with(config, leak_fingerprints, crawl_settings)

    with home_store() as store:
        again = store.get(match_id_for_url(local_site.url("/files/a.csv")))
    assert again.last_seen > first.last_seen and again.first_seen == first.first_seen


def test_removed_copy_found_again_is_reappeared(local_site, crawl_settings, leak_fingerprints):
    local_site.put("/files/a.csv", leak_fingerprints.copies["excerpt_10_rows"].data)
    config = sources_for(urls_source(local_site, ["/files/a.csv"]))
    sweep_with(config, leak_fingerprints, crawl_settings)
    match_id = match_id_for_url(local_site.url("/files/a.csv"))
    with home_store() as store:
        for status in ("confirmed", "takedown_sent", "removed"):
            store.change_status(match_id, status, by="test")

    sweep_with(config, leak_fingerprints, crawl_settings)

    with home_store() as store:
        assert store.get(match_id).status == "reappeared"


def zip_bomb() -> bytes:
    """A 300 kB zip that inflates to 300 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("cases.csv", "w", force_zip64=True) as member:
            chunk = b"0" * (1 << 20)
            for _ in range(300):
                member.write(chunk)
    return buffer.getvalue()


def gzip_bomb() -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as handle:
        chunk = b"\0" * (1 << 20)
        for _ in range(300):
            handle.write(chunk)
    return buffer.getvalue()


def test_a_long_redirect_chain_is_not_called_a_loop_and_a_redirect_to_a_fetched_page_is_no_error(
    local_site, crawl_settings, leak_fingerprints
):
    for step in range(1, 6):
        local_site.put(f"/files/chain{step}", redirect_to=f"/files/chain{step + 1}")
    local_site.put("/files/notes.txt", "a note")
    local_site.put("/files/old-notes.txt", redirect_to="/files/notes.txt")
    paths = ["/files/chain1", "/files/notes.txt", "/files/old-notes.txt"]
    settings = {**crawl_settings, "REDIRECT_MAX_TIMES": 3, "CONCURRENT_REQUESTS": 1}

    summary = sweep_with(sources_for(urls_source(local_site, paths)), leak_fingerprints, settings)

    (error,) = summary.errors
    assert "redirect chain too long" in error and "no loop" in error and "chain1" in error
    assert "loop:" not in error


def test_broken_pages_and_bombs_do_not_stop_the_sweep(local_site, crawl_settings, leak_fingerprints):
    leak = leak_fingerprints.copies["excerpt_10_rows"]
    local_site.put("/files/leak.csv", leak.data)
    never = threading.Event()  # answered only after the sweep: it surely times out
    local_site.put("/files/slow.csv", "a,b\n", hold=never)
    local_site.put("/files/broken.csv", "oops", status=500)
    local_site.put("/files/loop1", redirect_to="/files/loop2")
    local_site.put("/files/loop2", redirect_to="/files/loop1?again")
    local_site.put("/files/loop1?again", redirect_to="/files/loop2?again")
    local_site.put("/files/loop2?again", redirect_to="/files/loop1")
    local_site.put("/files/huge.txt", b"x" * (3 << 20))
    local_site.put("/files/bomb.zip", zip_bomb())
    local_site.put("/files/bomb.csv.gz", gzip_bomb())
    local_site.put("/files/noise.bin", os.urandom(64 << 10))
    paths = [
        "/files/slow.csv",
        "/files/broken.csv",
        "/files/loop1",
        "/files/huge.txt",
        "/files/bomb.zip",
        "/files/bomb.csv.gz",
        "/files/noise.bin",
        "/files/leak.csv",
    ]
    settings = {
        **crawl_settings,
        "DOWNLOAD_MAXSIZE": 2 << 20,
        "REDIRECT_MAX_TIMES": 3,
        "DOWNLOAD_TIMEOUT": TEST_DOWNLOAD_TIMEOUT,
    }

    try:
        summary = sweep_with(sources_for(urls_source(local_site, paths)), leak_fingerprints, settings)
    finally:
        never.set()

    assert stored_matches() == {local_site.url("/files/leak.csv"): leak.expected_records}
    errors = "\n".join(summary.errors)
    assert "HTTP 500" in errors and "broken.csv" in errors
    assert "slow.csv" in errors
    assert "loop" in errors and "redirect" in errors.lower()
    assert "huge.txt" in errors
    assert "zip bomb refused" in errors and "bomb.zip" in errors
    assert "bomb.csv.gz" in errors
    assert "noise.bin" not in errors  # binary garbage is skipped, not an error


def test_sweep_summary_is_stored_as_a_sweep_record(local_site, crawl_settings, leak_fingerprints):
    add_pastes(local_site, leak_pastes(leak_fingerprints, ["excerpt_10_rows"]))
    local_site.put("/gone.csv", "x", status=404)
    config = sources_for(paste_source(local_site), urls_source(local_site, ["/gone.csv"]))

    summary = sweep_with(config, leak_fingerprints, crawl_settings)

    with home_store() as store:
        (record,) = store.list_sweeps()
    assert record.id == summary.id
    assert record.per_source["pastes"]["matches"] == 1
    assert record.per_source["pastes"]["pages"] == 2
    assert record.per_source["known"]["errors"] == 1
    assert record.errors == [f"known: HTTP 404 from {local_site.url('/gone.csv')}"]
    assert record.finished_at >= record.started_at


def test_keep_evidence_writes_an_owner_only_copy(
    local_site, crawl_settings, leak_fingerprints, leaktrack_home
):
    sample = leak_fingerprints.copies["excerpt_10_rows"]
    local_site.put("/files/a.csv", sample.data)

    sweep_with(
        sources_for(urls_source(local_site, ["/files/a.csv"])),
        leak_fingerprints,
        crawl_settings,
        keep_evidence=True,
    )

    with home_store() as store:
        evidence = store.get(match_id_for_url(local_site.url("/files/a.csv"))).evidence_path
    assert open(evidence, "rb").read() == sample.data
    assert stat.S_IMODE(os.stat(evidence).st_mode) == 0o600
    assert os.path.dirname(evidence) == str((leaktrack_home / "evidence").resolve())


def test_no_evidence_is_kept_unless_asked(local_site, crawl_settings, leak_fingerprints, leaktrack_home):
    local_site.put("/files/a.csv", leak_fingerprints.copies["excerpt_10_rows"].data)

    sweep_with(sources_for(urls_source(local_site, ["/files/a.csv"])), leak_fingerprints, crawl_settings)

    match_id = match_id_for_url(local_site.url("/files/a.csv"))
    with home_store() as store:
        assert store.get(match_id).evidence_path is None
    # Only the report of which fields matched (record ids and column names, no plaintext) is written.
    kept = sorted(path.name for path in (leaktrack_home / "evidence").iterdir())
    assert kept == [f"{match_id}.evidence.json"]


def test_robots_txt_is_obeyed_unless_the_source_says_otherwise(local_site, crawl_settings, leak_fingerprints):
    local_site.put("/robots.txt", "User-agent: *\nDisallow: /files/\n", "text/plain")
    local_site.put("/files/a.csv", leak_fingerprints.copies["excerpt_10_rows"].data)
    polite = urls_source(local_site, ["/files/a.csv"])

    summary = sweep_with(sources_for(polite), leak_fingerprints, crawl_settings)
    assert local_site.requests_for("/files/") == []
    assert any("robots.txt" in error for error in summary.errors)

    sweep_with(sources_for({**polite, "obey_robots_txt": False}), leak_fingerprints, crawl_settings)
    assert local_site.requests_for("/files/") == ["/files/a.csv"]


def test_second_concurrent_sweep_is_refused_by_the_lock(local_site, crawl_settings, leak_fingerprints):
    with sweep_lock(home_workspace().sweep_lock):
        with pytest.raises(SweepLockedError, match="another sweep is running"):
            sweep_with(sources_for(urls_source(local_site, ["/x"])), leak_fingerprints, crawl_settings)
    assert local_site.requests == []


def test_distributed_sweep_workers_fetch_each_paste_once_through_redis(
    local_site, leak_fingerprints, redis_url, tmp_path
):
    pastes = {**decoy_pastes(leak_fingerprints, 16), **leak_pastes(leak_fingerprints)}
    add_pastes(local_site, pastes, per_page=5)
    for paste_id, text in pastes.items():  # slow enough that both workers are at it together
        local_site.put(f"/raw/{paste_id}", text, "text/plain; charset=utf-8", delay=0.1)
    sources = tmp_path / "sources.toml"
    sources.write_text(
        "allow_private_networks = true\n[[sources]]\nname = 'pastes'\nkind = 'paste'\n"
        f"start_urls = ['{local_site.url('/archive')}']\nitem_links = '/p/[A-Za-z0-9]+$'\n"
        f"next_page = 'page=\\d+'\nraw_url = '{local_site.url('/raw/{id}')}'\n"
    )
    store = f"sqlite:///{tmp_path / 'shared-matches.db'}"
    command = sweep_worker_command(sources, leak_fingerprints, store, redis_url, "test-round-1")
    workers = [
        subprocess.Popen(
            command,
            env={**os.environ, "LEAKTRACK_HOME": str(tmp_path / f"worker{n}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    results = [worker.communicate(timeout=180) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], results
    fetched = local_site.requests_for("/raw/")
    assert sorted(fetched) == sorted(f"/raw/{paste_id}" for paste_id in pastes)  # each exactly once
    with open_store(store) as shared:
        found = {match.url: set(match.matched_records) for match in shared.list_matches(limit=None)}
    assert found == expected(local_site, leak_fingerprints)


def test_debug_logs_of_a_sweep_hold_no_leaked_values(
    local_site, crawl_settings, leak_fingerprints, small_leak, capfd
):
    sample = leak_fingerprints.copies["excerpt_10_rows"]
    local_site.put("/files/a.csv", sample.data)
    local_site.put("/files/bomb.zip", zip_bomb())

    sweep_with(
        sources_for(urls_source(local_site, ["/files/a.csv", "/files/bomb.zip"])),
        leak_fingerprints,
        {**crawl_settings, "LOG_LEVEL": "DEBUG"},
    )

    logs = capfd.readouterr().err
    assert "Scraped from" in logs and "Dropped: refused" in logs  # items were logged, without their text
    exposed = [row for index, row in enumerate(small_leak.rows, 1) if str(index) in sample.expected_records]
    for row in exposed:
        assert row[small_leak.columns.index("a_number")] not in logs
        assert row[small_leak.columns.index("full_name")] not in logs
