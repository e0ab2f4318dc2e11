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
    from leaktrack.spiders.scanning import close_shared_scanners

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
        close_shared_scanners()
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


@pytest.fixture(scope="module")
def second_leak_fingerprints(tmp_path_factory):
    """Another leak than the session's (other people, another key), fingerprinted to a file."""
    from leaktrack.fingerprints import fingerprint_dataset_file
    from leaktrack.synthetic import generate_leak

    leak = generate_leak(300, seed=13, n_facilities=20)
    folder = tmp_path_factory.mktemp("second-leak")
    _, path = fingerprint_dataset_file(
        leak.write(folder / "leak.csv"), folder / "leak.ltfp", folder / "leak.key"
    )
    return leak, path, folder / "leak.key"


def documents_for_two_cases(small_leak, small_leak_copies, small_leak_negatives, second_leak) -> dict:
    """Documents (name -> bytes) holding one leak, the other, both, neither; text, office, PDF,
    archives with a skipped part, and (with tesseract) scanned pages and screenshots."""
    import io
    import zipfile

    from leaktrack.fingerprints.formats import images
    from leaktrack.synthetic import transformed_copies
    from leaktrack.synthetic_forms import drawable, render_pdf, render_scanned_pdf, render_table_image

    both_rows = small_leak.rows[:15] + second_leak.rows[:15]
    documents = {f"first-{sample.filename}": sample.data for sample in small_leak_copies}
    documents |= {f"second-{s.filename}": s.data for s in transformed_copies(second_leak, seed=13)[:12]}
    documents |= {f"none-{sample.filename}": sample.data for sample in small_leak_negatives}
    documents["both.csv"] = "\n".join(",".join(row) for row in both_rows).encode()
    documents["both.pdf"] = render_pdf(small_leak.columns, both_rows)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as members:
        members.writestr("both.csv", documents["both.csv"])
        members.writestr("bomb.png", _png_of_pixels(100_000, 100_000))  # skipped: a pixel bomb
    documents["both-and-a-bomb.zip"] = archive.getvalue()
    if images.ocr_available():
        drawn = [row for row in both_rows if all(drawable(value) and value.isascii() for value in row)]
        documents["both-scanned.pdf"] = render_scanned_pdf(small_leak.columns, drawn[:12])
        documents["both.png"] = render_table_image(small_leak.columns, drawn[:8])
        # Names misread by one letter beside whole birth dates: found only in lines read by OCR.
        misread = [[one_letter_off(row[1]), row[3]] for row in drawn[:6] + drawn[-6:]]
        documents["misread.png"] = render_table_image(["name", "born"], misread)
    return documents


def one_letter_off(name: str) -> str:
    """``name`` with the next-to-last letter of its last word replaced (an OCR misreading)."""
    *first, last = name.split()
    return " ".join([*first, last[:-2] + ("z" if last[-2] == "x" else "x") + last[-1]])


def _png_of_pixels(width: int, height: int) -> bytes:
    """A PNG header claiming ``width`` x ``height`` pixels (refused unread as an image bomb)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_document_read_once_for_every_case_gets_each_case_the_scan_it_gets_alone(
    leak_fingerprints, small_leak, small_leak_copies, small_leak_negatives, second_leak_fingerprints
):
    import dataclasses

    from leaktrack.spiders.scanning import CaseScan, case_fingerprints, scan_document, scan_document_for_cases

    second_leak, second_path, second_key = second_leak_fingerprints
    cases = [
        CaseScan(
            str(leak_fingerprints.path), str(leak_fingerprints.key_file), evidence=True, keep_lines=True
        ),
        CaseScan(str(second_path), str(second_key), evidence=True),
        CaseScan(str(leak_fingerprints.path), str(leak_fingerprints.key_file)),  # no evidence asked
    ]
    documents = documents_for_two_cases(small_leak, small_leak_copies, small_leak_negatives, second_leak)

    def findings(scanned) -> tuple:  # what a scan found, not what it took
        return dataclasses.replace(scanned.result, seconds=0.0), scanned.evidence_json

    leaks = []
    for name, body in documents.items():
        together = scan_document_for_cases(body, name, None, cases)
        alone = [
            scan_document(
                body, case_fingerprints(c.fingerprints_path, c.key_file), name, None, c.evidence, c.keep_lines
            )
            for c in cases
        ]
        assert [findings(s) for s in together] == [findings(s) for s in alone], name
        leaks.append(tuple(scanned.result.is_leak for scanned in together))
    # Both leaks found, in documents of their own and together; some documents hold neither.
    assert (True, False, True) in leaks and (False, True, False) in leaks
    assert (True, True, True) in leaks and (False, False, False) in leaks
    archive = scan_document_for_cases(documents["both-and-a-bomb.zip"], "both.zip", None, cases)
    assert all(scanned.result.skipped for scanned in archive)
    if "misread.png" in documents:  # found by the OCR repair alone (lines not read by OCR: none)
        misread = scan_document_for_cases(documents["misread.png"], "misread.png", None, cases)
        assert all(scanned.result.matched_count > 0 for scanned in misread)


def test_a_document_refused_for_one_case_is_refused_for_every_case(
    leak_fingerprints, second_leak_fingerprints
):
    import gzip

    from leaktrack.errors import DocumentError
    from leaktrack.spiders.scanning import CaseScan, scan_document_for_cases

    _, second_path, second_key = second_leak_fingerprints
    cases = [
        CaseScan(str(leak_fingerprints.path), str(leak_fingerprints.key_file)),
        CaseScan(str(second_path), str(second_key)),
    ]
    bomb = gzip.compress(b"\0" * (64 << 20))

    with pytest.raises(DocumentError, match="zip bomb refused"):
        scan_document_for_cases(bomb, "bomb.gz", None, cases)


def test_an_all_cases_sweep_reads_each_document_once_for_every_case(
    tmp_path, leak_fingerprints, small_leak, second_leak_fingerprints, monkeypatch
):
    import asyncio
    import hashlib

    from scrapy.utils.test import get_crawler

    from leaktrack.fingerprints import documents
    from leaktrack.spiders.cases import OTHER_CASES_SETTING, CaseLane, OtherCasesPipeline, lanes_to_setting
    from leaktrack.spiders.items import FetchedDocument
    from leaktrack.spiders.pipelines import ScanPipeline
    from leaktrack.spiders.scanning import close_shared_scanners
    from leaktrack.synthetic_forms import render_pdf

    second_leak, second_path, second_key = second_leak_fingerprints
    lane = CaseLane(
        "second", str(second_path), str(second_key), f"sqlite:///{tmp_path / 'second.db'}",
        str(tmp_path / "second-state.db"), str(tmp_path / "second-evidence"),
    )  # fmt: skip
    crawler = get_crawler(
        settings_dict={
            "LEAKTRACK_FINGERPRINTS": str(leak_fingerprints.path),
            "LEAKTRACK_KEY_FILE": str(leak_fingerprints.key_file),
            "LEAKTRACK_SCAN": True,
            "LEAKTRACK_SCAN_WORKERS": 0,
            OTHER_CASES_SETTING: lanes_to_setting([lane]),
        }
    )
    read = []
    extract_texts = documents.extract_texts
    monkeypatch.setattr(
        documents, "extract_texts", lambda data, **how: read.append(data) or extract_texts(data, **how)
    )
    served = {
        "first.csv": small_leak.to_csv_bytes(),
        "both.pdf": render_pdf(small_leak.columns, small_leak.rows[:10] + second_leak.rows[:10]),
        "second.csv": second_leak.to_csv_bytes(),
    }
    scanning, other_cases = ScanPipeline.from_crawler(crawler), OtherCasesPipeline.from_crawler(crawler)
    own = {}
    try:
        for name, body in served.items():
            item = FetchedDocument(source="mirror", url=f"https://mirror.example/{name}", body=body)
            asyncio.run(scanning.process_item(item))
            asyncio.run(other_cases.process_item(item))
            own[name] = item.scan.is_leak
    finally:
        other_cases.close_spider()
        scanning.close_spider()
        close_shared_scanners()

    names = {body: name for name, body in served.items()}
    assert [names[data] for data in read] == list(served)  # each document read once, for both cases
    assert own == {"first.csv": True, "both.pdf": True, "second.csv": False}
    with SQLiteStore(tmp_path / "second.db") as store:
        stored = {m.url.rsplit("/", 1)[1]: m.content_sha256 for m in store.list_matches(limit=None)}
    assert stored == {name: hashlib.sha256(served[name]).hexdigest() for name in ("both.pdf", "second.csv")}


ALL_CASES_CRAWL_PIPELINES = """
    import asyncio, json, os, sys
    from scrapy.utils.test import get_crawler
    from leaktrack.spiders.cases import OTHER_CASES_SETTING, CaseLane, OtherCasesPipeline, lanes_to_setting
    from leaktrack.spiders.items import FetchedDocument
    from leaktrack.spiders.pipelines import ScanPipeline
    from leaktrack.spiders.scanning import close_shared_scanners

    first, first_key, second, second_key, folder, document = sys.argv[1:]
    lane = CaseLane("second", second, second_key, f"sqlite:///{folder}/second.db", f"{folder}/state.db", folder)
    crawler = get_crawler(settings_dict={
        "LEAKTRACK_FINGERPRINTS": first, "LEAKTRACK_KEY_FILE": first_key, "LEAKTRACK_SCAN": True,
        "LEAKTRACK_SCAN_WORKERS": 1, OTHER_CASES_SETTING: lanes_to_setting([lane]),
    })
    scanning, other_cases = ScanPipeline.from_crawler(crawler), OtherCasesPipeline.from_crawler(crawler)
    scanners = [scanning.scanner, other_cases.lanes[0].scanner]
    item = FetchedDocument(source="s", url="https://mirror.example/both.csv", body=open(document, "rb").read())
    asyncio.run(scanning.process_item(item))
    asyncio.run(other_cases.process_item(item))
    found = {
        "start_methods": [scanner.start_method for scanner in scanners],
        "pools": len({id(scanner.pool) for scanner in scanners}),
        "worker_pids": {scanners[0].pool.submit(os.getpid).result() for _ in range(4)},
        "own_pid": os.getpid(),
        "leak_for": [item.scan.is_leak, crawler.stats.get_value("leaktrack/matches_other_cases")],
    }
    other_cases.close_spider()
    close_shared_scanners()
    print(json.dumps(found, default=list))
"""


def test_an_all_cases_crawl_scans_every_case_in_one_pool_of_forked_workers(
    tmp_path, leak_fingerprints, small_leak, second_leak_fingerprints
):
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    second_leak, second_path, second_key = second_leak_fingerprints
    document = tmp_path / "both.csv"
    document.write_text("\n".join(",".join(row) for row in small_leak.rows[:10] + second_leak.rows[:10]))

    # A fresh interpreter: one thread, as a crawl process when Scrapy builds its pipelines.
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(ALL_CASES_CRAWL_PIPELINES), str(leak_fingerprints.path),
         str(leak_fingerprints.key_file), str(second_path), str(second_key), str(tmp_path), str(document)],
        capture_output=True, text=True, timeout=600, cwd=Path(__file__).parent,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    # The other case's scanner shares the pool forked for the sweep's own (a second pool would be
    # spawned: the first runs a thread), and the document is a leak of both cases.
    assert found["start_methods"] == ["fork", "fork"] and found["pools"] == 1
    assert found["own_pid"] not in found["worker_pids"]
    assert found["leak_for"] == [True, 1]
