"""Cases: several leaks in one home, each with its own fingerprints, key, store and queue."""

from __future__ import annotations

import json

import pytest
from es_backends import shared_standin
from fixtures_store import found_copy
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.cli.workspace import resolve_workspace
from leaktrack.fingerprints import FingerprintSet
from leaktrack.index import open_workspace_store
from leaktrack.index.sqlite import SQLiteStore

CASE_ENV = "LEAKTRACK_CASE"


def case_store(case: str):
    """The store of ``case`` as the CLI resolves it (home, LEAKTRACK_STORE, ...)."""
    return open_workspace_store(resolve_workspace(case=case))


def dataset_of(folder) -> str:
    return FingerprintSet.load(folder / "fingerprints.ltfp", folder / "fingerprint.key").dataset_id


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_each_case_has_its_own_fingerprints_key_and_store_folder(leaktrack_home, small_leak_csv):
    for case in ("roster-2026", "visas"):
        result = invoke("--case", case, "fingerprint", str(small_leak_csv))
        assert result.exit_code == 0, result.output
    for case in ("roster-2026", "visas"):
        folder = leaktrack_home / "cases" / case
        assert (folder / "fingerprints.ltfp").is_file() and (folder / "fingerprint.key").is_file()
    assert not (leaktrack_home / "fingerprints.ltfp").exists()
    first, second = (dataset_of(leaktrack_home / "cases" / case) for case in ("roster-2026", "visas"))
    assert first != second


def test_a_second_leak_is_fingerprinted_as_a_new_case_while_the_first_holds_matches(
    leaktrack_home, small_leak_csv
):
    assert invoke("fingerprint", str(small_leak_csv)).exit_code == 0
    with SQLiteStore(leaktrack_home / "matches.db") as store:
        store.upsert_copies([found_copy("https://paste.example/1", ["r1"])])
    refused = invoke("fingerprint", str(small_leak_csv))
    assert refused.exit_code != 0 and "--case NAME" in refused.stderr
    assert invoke("--case", "second-leak", "fingerprint", str(small_leak_csv)).exit_code == 0


def test_queue_and_exposure_are_per_case(leaktrack_home, monkeypatch):
    for case, url in (("a", "https://paste.example/a"), ("b", "https://paste.example/b")):
        with case_store(case) as store:
            store.upsert_copies([found_copy(url, ["r1"])])
    listed = invoke("--case", "a", "queue", "list", "--json")
    assert [m["url"] for m in json.loads(listed.stdout)] == ["https://paste.example/a"]
    exposed = invoke("--case", "b", "exposure", "r1", "--json")
    assert "https://paste.example/b" in exposed.stdout and "paste.example/a" not in exposed.stdout


def test_the_case_comes_from_leaktrack_case_too(leaktrack_home, monkeypatch):
    with case_store("a") as store:
        store.upsert_copies([found_copy("https://paste.example/a", ["r1"])])
    assert (leaktrack_home / "cases" / "a" / "matches.db").is_file()
    monkeypatch.setenv(CASE_ENV, "a")
    listed = invoke("queue", "list", "--json")
    assert [m["url"] for m in json.loads(listed.stdout)] == ["https://paste.example/a"]


@pytest.mark.parametrize("name", ["Upper", "../escape", "a b", "-dash", "x" * 49])
def test_a_case_name_that_cannot_name_a_folder_is_a_one_line_error(leaktrack_home, name):
    result = invoke("--case", name, "queue", "list")
    assert result.exit_code == 1
    assert "cannot name a case" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (leaktrack_home / "cases").exists()


def test_cases_lists_each_case_with_its_dataset_and_matches(leaktrack_home, small_leak_csv, monkeypatch):
    assert invoke("--case", "a", "fingerprint", str(small_leak_csv)).exit_code == 0
    assert invoke("--case", "b", "fingerprint", str(small_leak_csv)).exit_code == 0
    with case_store("b") as store:
        store.upsert_copies([found_copy("https://paste.example/b", ["r1"])])
    rows = json.loads(invoke("cases", "--json").stdout)
    dataset_b = dataset_of(leaktrack_home / "cases" / "b")
    assert [(r["case"], r["matches"]) for r in rows] == [("a", 0), ("b", 1)]
    assert rows[1]["dataset_id"] == dataset_b


def test_cases_on_one_elasticsearch_cluster_keep_their_matches_apart(leaktrack_home, monkeypatch):
    monkeypatch.setenv("LEAKTRACK_STORE", shared_standin().url)
    monkeypatch.setenv("LEAKTRACK_ES_INDEX_PREFIX", f"lt-cases-{leaktrack_home.parent.name[-8:]}")
    for case, url in (("a", "https://paste.example/a"), ("b", "https://paste.example/b")):
        with case_store(case) as store:
            assert store.names.prefix.endswith(f"-case-{case}")
            store.refresh = True
            store.upsert_copies([found_copy(url, ["r1"])])
    with case_store("a") as store:
        assert [m.url for m in store.exposure("r1")] == ["https://paste.example/a"]


def test_a_sweep_in_a_case_scans_with_its_fingerprints_and_stores_in_its_store(
    leaktrack_home, local_site, leak_fingerprints, tmp_path
):
    import shutil

    from fixtures_sites import fast_settings_args
    from test_cli_sweep import publish, write_sources

    folder = leaktrack_home / "cases" / "roster"
    folder.mkdir(parents=True)
    shutil.copy(leak_fingerprints.path, folder / "fingerprints.ltfp")
    shutil.copy(leak_fingerprints.key_file, folder / "fingerprint.key")
    publish(local_site, leak_fingerprints)
    sources = write_sources(tmp_path, local_site)
    result = invoke("--case", "roster", "sweep", "--sources", str(sources), *fast_settings_args())
    assert result.exit_code == 0, result.output
    with SQLiteStore(folder / "matches.db") as store:
        assert store.list_matches()
        assert store.dataset_ids() == [dataset_of(folder)]
    assert not (leaktrack_home / "matches.db").exists()


def test_one_sweep_scans_for_every_case_and_stores_each_cases_matches_in_its_store(
    leaktrack_home, local_site, leak_fingerprints, small_leak_csv, tmp_path
):
    import shutil

    from fixtures_sites import fast_settings_args
    from test_cli_sweep import publish, write_sources

    roster = leaktrack_home / "cases" / "roster"
    roster.mkdir(parents=True)
    shutil.copy(leak_fingerprints.path, roster / "fingerprints.ltfp")
    shutil.copy(leak_fingerprints.key_file, roster / "fingerprint.key")
    assert invoke("--case", "second", "fingerprint", str(small_leak_csv)).exit_code == 0
    publish(local_site, leak_fingerprints)
    sources = write_sources(tmp_path, local_site)
    result = invoke(
        "--case", "roster", "sweep", "--all-cases", "--sources", str(sources), *fast_settings_args()
    )
    assert result.exit_code == 0, result.output
    found = {}
    for case in ("roster", "second"):
        folder = leaktrack_home / "cases" / case
        with SQLiteStore(folder / "matches.db") as store:
            found[case] = {m.url for m in store.list_matches(limit=None)}
            assert store.dataset_ids() == [dataset_of(folder)]
    assert found["roster"] and found["second"] == found["roster"]


def two_cases_and_a_published_leak(leaktrack_home, local_site, leak_fingerprints, small_leak_csv, tmp_path):
    """Case "roster" (the sweep's own) and case "second", both of the published leak; the sources."""
    import shutil

    from test_cli_sweep import publish, write_sources

    roster = leaktrack_home / "cases" / "roster"
    roster.mkdir(parents=True)
    shutil.copy(leak_fingerprints.path, roster / "fingerprints.ltfp")
    shutil.copy(leak_fingerprints.key_file, roster / "fingerprint.key")
    assert invoke("--case", "second", "fingerprint", str(small_leak_csv)).exit_code == 0
    publish(local_site, leak_fingerprints)
    return write_sources(tmp_path, local_site)


def test_an_all_cases_sweep_keeps_each_cases_crawl_state_and_evidence_in_its_own_folder(
    leaktrack_home, local_site, leak_fingerprints, small_leak_csv, tmp_path
):
    from fixtures_sites import fast_settings_args

    from leaktrack.spiders.state import CrawlState

    sources = two_cases_and_a_published_leak(
        leaktrack_home, local_site, leak_fingerprints, small_leak_csv, tmp_path
    )
    sweep = ["--case", "roster", "sweep", "--all-cases", "--sources", str(sources), *fast_settings_args()]
    assert invoke(*sweep).exit_code == 0
    second = leaktrack_home / "cases" / "second"
    with SQLiteStore(second / "matches.db") as store:
        matches = store.list_matches(limit=None)
    assert matches
    state = CrawlState(second / "crawl-state.db")
    try:
        for match in matches:
            seen = state.get(match.url)
            assert seen is not None and seen.was_leak and seen.content_sha256 == match.content_sha256
        assert state.adopt_dataset(dataset_of(second)) == 0  # written with that case's fingerprints
    finally:
        state.close()
    evidence = {match.id: second / "evidence" / f"{match.id}.evidence.json" for match in matches}
    for path in evidence.values():
        assert path.is_file() and path.stat().st_mode & 0o777 == 0o600
    assert (second / "evidence").stat().st_mode & 0o777 == 0o700
    written = {match_id: path.stat().st_mtime_ns for match_id, path in evidence.items()}

    assert invoke(*sweep).exit_code == 0  # nothing changed on the sites
    with SQLiteStore(second / "matches.db") as store:
        again = {match.id: match for match in store.list_matches(limit=None)}
    assert set(again) == set(written)
    for match in matches:  # not scanned again: its evidence stays as written
        assert evidence[match.id].stat().st_mtime_ns == written[match.id]
    # The known file is fetched again (a conditional request; the pastes already seen are not):
    # the case re-sights its copy from its own crawl state.
    (file_match,) = [match for match in matches if match.url.endswith("/files/leak.csv")]
    assert again[file_match.id].last_seen > file_match.last_seen


def test_watch_all_cases_sweeps_for_every_case(
    leaktrack_home, local_site, leak_fingerprints, small_leak_csv, tmp_path
):
    from fixtures_sites import fast_settings_args

    sources = two_cases_and_a_published_leak(
        leaktrack_home, local_site, leak_fingerprints, small_leak_csv, tmp_path
    )
    result = invoke(
        "--case", "roster", "watch", "--all-cases", "--every", "1s", "--max-sweeps", "1",
        "--sources", str(sources), *fast_settings_args(),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    found = {}
    for case in ("roster", "second"):
        with SQLiteStore(leaktrack_home / "cases" / case / "matches.db") as store:
            found[case] = {m.url for m in store.list_matches(limit=None)}
    assert found["roster"] and found["second"] == found["roster"]
    assert (leaktrack_home / "cases" / "second" / "crawl-state.db").is_file()


@pytest.mark.parametrize(
    "command",
    [["sweep", "--all-cases"], ["watch", "--all-cases", "--max-sweeps", "1"]],
    ids=["sweep", "watch"],
)
def test_an_all_cases_run_refuses_a_case_whose_store_holds_another_dataset_before_crawling(
    command, leaktrack_home, small_leak_csv, tmp_path
):
    assert invoke("--case", "a", "fingerprint", str(small_leak_csv)).exit_code == 0
    assert invoke("--case", "b", "fingerprint", str(small_leak_csv)).exit_code == 0
    copy = found_copy("https://paste.example/x", ["r1"])
    copy.dataset_id = "e" * 32  # not case b's dataset
    with SQLiteStore(leaktrack_home / "cases" / "b" / "matches.db") as store:
        store.upsert_copies([copy])
    sources = tmp_path / "sources.toml"
    sources.write_text('[[sources]]\nname = "known"\nkind = "urls"\nurls = ["https://example.org/x"]\n')
    result = invoke("--case", "a", *command, "--sources", str(sources))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: case b: this match store holds matches of dataset eeeeeeeeeeee")
    assert len(result.stderr.strip().splitlines()) == 1


def test_other_case_lanes_are_every_case_with_fingerprints_but_the_sweeps_own(tmp_path):
    from leaktrack.spiders.cases import other_case_lanes

    for folder in (tmp_path, tmp_path / "cases" / "a", tmp_path / "cases" / "b"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "fingerprints.ltfp").write_bytes(b"LTFP")
    (tmp_path / "cases" / "no-fingerprints").mkdir()
    lanes = other_case_lanes(tmp_path, "a", "sqlite:///ignored.db")
    assert [lane.case for lane in lanes] == ["", "b"]
    assert lanes[1].store_url == f"sqlite:///{tmp_path / 'cases' / 'b' / 'matches.db'}"
    shared = other_case_lanes(tmp_path, None, "http://es.example:9200")
    assert [(lane.case, lane.store_url) for lane in shared] == [
        ("a", "http://es.example:9200"),
        ("b", "http://es.example:9200"),
    ]


def _case_b_lane(tmp_path, fingerprints):
    """Another case, "b", of the same fingerprints, its store, crawl state and evidence in
    ``tmp_path``."""
    from leaktrack.spiders.cases import CaseLane

    return CaseLane(
        "b",
        str(fingerprints.path),
        str(fingerprints.key_file),
        f"sqlite:///{tmp_path / 'b.db'}",
        str(tmp_path / "b-state.db"),
        str(tmp_path / "b-evidence"),
    )


def _other_cases_pipeline_run(lane, scan_workers: int, items) -> dict:
    """The items through an ``OtherCasesPipeline`` of the one other case ``lane`` (built as a
    sweep's settings build it, closed after); the crawl's stats."""
    import asyncio

    from scrapy.utils.test import get_crawler

    from leaktrack.spiders.cases import OTHER_CASES_SETTING, OtherCasesPipeline, lanes_to_setting

    settings = {
        OTHER_CASES_SETTING: lanes_to_setting([lane]),
        "LEAKTRACK_SCAN": True,
        "LEAKTRACK_SCAN_WORKERS": scan_workers,
    }
    crawler = get_crawler(settings_dict=settings)
    pipeline = OtherCasesPipeline.from_crawler(crawler)
    try:
        for item in items:
            asyncio.run(pipeline.process_item(item))
    finally:
        pipeline.close_spider()
    return crawler.stats.get_stats()


def test_a_304_re_sights_what_another_case_holds_and_is_counted_unscanned_where_it_holds_nothing(
    tmp_path, leak_fingerprints
):
    from leaktrack.spiders.items import FetchedDocument
    from leaktrack.spiders.state import CrawlState, SeenUrl

    known, unseen = "https://paste.example/known", "https://paste.example/unseen"
    lane = _case_b_lane(tmp_path, leak_fingerprints)
    copy = found_copy(known, ["r1"])
    with SQLiteStore(tmp_path / "b.db") as store:
        (held,) = store.upsert_copies([copy])
    state = CrawlState(lane.crawl_state)
    state.remember(SeenUrl(known, "pastes", copy.content_sha256, None, None, True))
    state.close()
    # 304 answers: no body to scan
    items = [
        FetchedDocument(source="pastes", url=url, body=b"", not_modified=True) for url in (known, unseen)
    ]
    stats = _other_cases_pipeline_run(lane, 1, items)

    assert stats.get("leaktrack/other_cases_not_scanned") == 1
    with SQLiteStore(tmp_path / "b.db") as store:
        assert store.get(held.id).last_seen > held.last_seen  # re-sighted
        assert [m.url for m in store.list_matches(limit=None)] == [known]


def test_another_case_reads_a_clean_pdf_once_however_many_urls_serve_its_bytes(
    tmp_path, leak_fingerprints, small_leak
):
    import hashlib

    from leaktrack.spiders.items import FetchedDocument
    from leaktrack.synthetic_forms import render_pdf

    clean = render_pdf(["fruit", "count"], [["apples", "3"], ["pears", "12"]])
    leak = render_pdf(small_leak.columns, small_leak.rows[:20])
    served = [("a/fruit.pdf", clean), ("b/fruit.pdf", clean), ("a/roster.pdf", leak), ("b/roster.pdf", leak)]
    items = [
        FetchedDocument(
            source="mirror",
            url=f"https://mirror.example/{path}",
            body=body,
            content_type="application/pdf",
            content_sha256=hashlib.sha256(body).hexdigest(),
        )
        for path, body in served
    ]
    stats = _other_cases_pipeline_run(_case_b_lane(tmp_path, leak_fingerprints), 0, items)

    # The second clean copy is known by its bytes; the leak is scanned (and stored) at both URLs.
    assert stats.get("leaktrack/other_cases_known_clean") == 1
    with SQLiteStore(tmp_path / "b.db") as store:
        assert sorted(m.url for m in store.list_matches(limit=None)) == [
            "https://mirror.example/a/roster.pdf",
            "https://mirror.example/b/roster.pdf",
        ]
