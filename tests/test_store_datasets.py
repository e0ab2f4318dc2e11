"""Fingerprints, key and matches tied together by the dataset id: a store keeps one leak's matches.

Record ids are row ids of one dataset. Matches of dataset A next to fingerprints of dataset B
would point their record ids into the wrong people's rows, so leaktrack refuses every way of
mixing them, with one line that says how to keep the other leak apart.
"""

from __future__ import annotations

from fixtures_sites import home_store
from fixtures_store import found_copy
from test_cli_sweep import publish, sweep_args, write_sources
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.fingerprints import FingerprintSet
from leaktrack.index.sqlite import SQLiteStore

OTHER_DATASET = "f" * 32


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def assert_one_line_error(result, text: str) -> None:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert text in result.stderr


def store_a_match_of(leaktrack_home, dataset_id: str | None) -> None:
    copy = found_copy("https://paste.example/earlier", ["r1"])
    copy.dataset_id = dataset_id
    with SQLiteStore(leaktrack_home / "matches.db") as store:
        store.upsert_copies([copy])


def test_fingerprint_refuses_to_replace_the_fingerprints_of_a_home_whose_store_holds_matches(
    leaktrack_home, small_leak_csv
):
    assert invoke("fingerprint", str(small_leak_csv)).exit_code == 0
    first = (leaktrack_home / "fingerprints.ltfp").read_bytes()
    store_a_match_of(
        leaktrack_home,
        FingerprintSet.load(
            leaktrack_home / "fingerprints.ltfp", leaktrack_home / "fingerprint.key"
        ).dataset_id,
    )
    result = invoke("fingerprint", str(small_leak_csv))
    assert_one_line_error(result, "holds the matches of one dataset")
    assert (leaktrack_home / "fingerprints.ltfp").read_bytes() == first


def test_fingerprint_refuses_a_home_whose_store_holds_matches_from_before_dataset_ids(
    leaktrack_home, small_leak_csv
):
    store_a_match_of(leaktrack_home, None)
    assert_one_line_error(invoke("fingerprint", str(small_leak_csv)), "the fingerprints there now")
    assert not (leaktrack_home / "fingerprints.ltfp").exists()


def test_fingerprint_into_a_home_with_an_empty_or_no_store_works(leaktrack_home, small_leak_csv):
    assert invoke("fingerprint", str(small_leak_csv)).exit_code == 0
    SQLiteStore(leaktrack_home / "matches.db").close()  # a store, but no match yet
    assert invoke("fingerprint", str(small_leak_csv)).exit_code == 0


def test_fingerprint_to_another_file_leaves_the_homes_store_alone(leaktrack_home, small_leak_csv, tmp_path):
    store_a_match_of(leaktrack_home, OTHER_DATASET)
    result = invoke("fingerprint", str(small_leak_csv), "--out", str(tmp_path / "other.ltfp"))
    assert result.exit_code == 0, result.output


def test_a_sweep_with_another_datasets_fingerprints_is_refused_before_it_crawls(
    leaktrack_home, local_site, leak_fingerprints, tmp_path
):
    store_a_match_of(leaktrack_home, OTHER_DATASET)
    publish(local_site, leak_fingerprints)
    result = invoke(*sweep_args(write_sources(tmp_path, local_site), leak_fingerprints))
    assert_one_line_error(result, "holds matches of dataset ffffffffffff")
    with home_store() as store:
        assert [m.url for m in store.list_matches()] == ["https://paste.example/earlier"]


def test_a_sweep_stores_the_dataset_id_of_its_fingerprints_on_every_match(
    leaktrack_home, local_site, leak_fingerprints, tmp_path
):
    publish(local_site, leak_fingerprints)
    result = invoke(*sweep_args(write_sources(tmp_path, local_site), leak_fingerprints))
    assert result.exit_code == 0, result.output
    dataset_id = FingerprintSet.load(leak_fingerprints.path, leak_fingerprints.key_file).dataset_id
    with home_store() as store:
        matches = store.list_matches()
        assert matches
        assert {m.dataset_id for m in matches} == {dataset_id}
        assert store.dataset_ids() == [dataset_id]
