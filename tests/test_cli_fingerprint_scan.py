"""``leaktrack fingerprint`` and ``leaktrack scan`` through the CLI: output, exit codes, errors."""

import json
import zipfile

import pytest
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.cli.fingerprint_cmds import LEAK_FOUND_EXIT_CODE
from leaktrack.errors import ExitCode
from leaktrack.fingerprints import FingerprintSet


def run(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *words: str):
    """Every error here is about an input: a dataset, document, fingerprint or key file."""
    assert result.exit_code == ExitCode.UNREADABLE_INPUT
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    for word in words:
        assert word in lines[0]


@pytest.fixture
def fingerprinted(small_leak_csv, leaktrack_home):
    result = run("fingerprint", small_leak_csv)
    assert result.exit_code == 0, result.output
    return leaktrack_home


@pytest.fixture
def copy_file(small_leak_copies, tmp_path):
    sample = next(c for c in small_leak_copies if c.kind == "name_and_id_only")
    path = tmp_path / sample.filename
    path.write_bytes(sample.data)
    return path, sample.expected_records


@pytest.fixture
def clean_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Meeting notes\nNothing to see here, move along.\n")
    return path


def test_fingerprint_writes_file_and_key_to_the_home_folder(fingerprinted):
    assert (fingerprinted / "fingerprints.ltfp").stat().st_size > 0
    assert (fingerprinted / "fingerprint.key").exists()


def test_fingerprint_prints_column_kinds(small_leak_csv):
    result = run("fingerprint", small_leak_csv)
    assert "400 records fingerprinted" in result.output
    assert "a_number" in result.output and "common" in result.output


def test_fingerprint_json_summary(small_leak_csv, tmp_path):
    out = tmp_path / "x.ltfp"
    result = run("fingerprint", small_leak_csv, "--out", out, "--key-file", tmp_path / "k", "--json")
    summary = json.loads(result.output)
    assert summary["records"] == 400 and summary["fingerprints"] == str(out)
    assert {c["name"]: c["kind"] for c in summary["columns"]}["date_of_birth"] == "date"


def test_fingerprint_of_chosen_columns_only(small_leak_csv):
    result = run("fingerprint", small_leak_csv, "--columns", "full_name,date_of_birth", "--json")
    assert [c["name"] for c in json.loads(result.output)["columns"]] == ["full_name", "date_of_birth"]


def test_scan_json_prints_one_object_per_input(fingerprinted, copy_file, clean_file):
    path, expected = copy_file
    result = run("scan", path, clean_file, "--json")
    assert result.exit_code == 0
    leak, clean = [json.loads(line) for line in result.output.splitlines()]
    assert (leak["input"], leak["verdict"], set(leak["matched_records"])) == (str(path), "leak", expected)
    assert leak["matched_count"] == len(expected) and leak["containment"] > 0.9
    assert (clean["verdict"], clean["matched_records"], clean["containment"]) == ("clean", [], 0.0)


def test_scan_table_shows_each_input_and_verdict(fingerprinted, copy_file, clean_file):
    result = run("scan", copy_file[0], clean_file)
    assert result.exit_code == 0
    assert "leak" in result.output and "clean" in result.output


def test_scan_of_a_folder_scans_every_file_in_it(fingerprinted, copy_file, clean_file, tmp_path):
    result = run("scan", tmp_path, "--json")
    inputs = {json.loads(line)["input"] for line in result.output.splitlines()}
    assert {str(copy_file[0]), str(clean_file)} <= inputs


def test_scan_exits_zero_on_a_leak_by_default(fingerprinted, copy_file):
    assert run("scan", copy_file[0]).exit_code == 0


def test_scan_fail_on_leak_exits_with_the_leak_code(fingerprinted, copy_file):
    assert run("scan", copy_file[0], "--fail-on-leak").exit_code == LEAK_FOUND_EXIT_CODE


def test_scan_fail_on_leak_exits_zero_when_all_clean(fingerprinted, clean_file):
    assert run("scan", clean_file, "--fail-on-leak").exit_code == 0


def test_scan_with_explicit_fingerprints_and_key(small_leak_csv, copy_file, tmp_path):
    out, key = tmp_path / "a.ltfp", tmp_path / "a.key"
    run("fingerprint", small_leak_csv, "--out", out, "--key-file", key)
    result = run("scan", copy_file[0], "--fingerprints", out, "--key-file", key, "--json")
    assert json.loads(result.output)["verdict"] == "leak"


def test_scan_reports_ids_of_the_id_column(small_leak, small_leak_csv, copy_file):
    run("fingerprint", small_leak_csv, "--id-column", "a_number")
    path, expected = copy_file
    found = json.loads(run("scan", path, "--json").output)["matched_records"]
    assert set(found) == small_leak.a_numbers_of(expected)


# -- errors: one line, non-zero exit, no traceback ---------------------------------------------


def test_missing_dataset_is_a_one_line_error(tmp_path):
    assert_one_line_error(run("fingerprint", tmp_path / "nope.csv"), "not found")


def test_empty_dataset_is_a_one_line_error(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    assert_one_line_error(run("fingerprint", tmp_path / "empty.csv"), "empty")


def test_dataset_with_header_only_is_a_one_line_error(tmp_path):
    (tmp_path / "header.csv").write_text("name,dob\n")
    assert_one_line_error(run("fingerprint", tmp_path / "header.csv"))


def test_unknown_id_column_is_a_one_line_error(small_leak_csv):
    assert_one_line_error(run("fingerprint", small_leak_csv, "--id-column", "case_no"), "case_no")


def test_duplicate_ids_are_a_one_line_error(small_leak_csv):
    assert_one_line_error(run("fingerprint", small_leak_csv, "--id-column", "nationality"))


def test_unreadable_encoding_is_a_one_line_error(tmp_path):
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 40)
    assert_one_line_error(run("fingerprint", tmp_path / "binary.csv"))


def test_scan_without_fingerprints_is_a_one_line_error(clean_file):
    assert_one_line_error(run("scan", clean_file), "fingerprint file not found")


def test_scan_of_a_missing_file_is_a_one_line_error(fingerprinted, tmp_path):
    assert_one_line_error(run("scan", tmp_path / "gone.txt"), "not found")


def test_scan_with_a_corrupt_fingerprint_file_is_a_one_line_error(fingerprinted, clean_file):
    path = fingerprinted / "fingerprints.ltfp"
    path.write_bytes(path.read_bytes()[:5000])
    assert_one_line_error(run("scan", clean_file), "corrupt")


def test_scan_with_a_file_of_another_version_is_a_one_line_error(fingerprinted, clean_file):
    path = fingerprinted / "fingerprints.ltfp"
    data = bytearray(path.read_bytes())
    data[4] = 7
    path.write_bytes(bytes(data))
    assert_one_line_error(run("scan", clean_file), "version 7")


def test_scan_with_another_key_is_a_one_line_error(fingerprinted, clean_file, tmp_path):
    other = tmp_path / "other.key"
    other.write_text("ab" * 32)
    assert_one_line_error(run("scan", clean_file, "--key-file", other), "another key")


def test_scan_with_a_missing_key_file_is_a_one_line_error(fingerprinted, clean_file, tmp_path):
    assert_one_line_error(run("scan", clean_file, "--key-file", tmp_path / "no.key"), "key file not found")


def test_dataset_of_one_column_is_a_one_line_error(small_leak_csv):
    assert_one_line_error(run("fingerprint", small_leak_csv, "--columns", "full_name"), "2 fields")


def test_scan_reports_a_zip_bomb_and_still_scans_the_other_inputs(fingerprinted, copy_file, tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cases.csv", b"0" * 20_000_000)
    result = run("scan", bomb, copy_file[0], "--json")
    assert result.exit_code == ExitCode.UNREADABLE_INPUT
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Error: zip bomb refused")
    assert [json.loads(line)["verdict"] for line in result.stdout.splitlines()] == ["leak"]


def test_fingerprint_out_that_is_a_folder_is_a_one_line_error(small_leak_csv, tmp_path):
    folder = tmp_path / "a_folder"
    folder.mkdir()
    result = run("fingerprint", small_leak_csv, "--out", folder)
    assert_one_line_error(result, "cannot write fingerprint file", str(folder))
    assert list(tmp_path.glob("*.tmp")) == []  # no half-written file left beside it


def test_fingerprint_out_below_a_file_is_a_one_line_error(small_leak_csv, tmp_path):
    result = run("fingerprint", small_leak_csv, "--out", small_leak_csv / "fp.ltfp")
    assert_one_line_error(result, "cannot write fingerprint file")


def test_fingerprint_key_file_below_a_file_is_a_one_line_error(small_leak_csv, tmp_path):
    result = run(
        "fingerprint", small_leak_csv, "--key-file", small_leak_csv / "fp.key", "--out", tmp_path / "fp.ltfp"
    )
    assert_one_line_error(result, "cannot create key file")


def test_fingerprint_unreadable_dataset_is_a_one_line_error():
    # Root reads anything chmod forbids; reading this file fails with EIO for everyone.
    result = run("fingerprint", "/proc/self/mem")
    assert_one_line_error(result, "cannot read dataset", "/proc/self/mem")


@pytest.mark.parametrize("columns", [",", " , ", ""])
def test_fingerprint_columns_option_naming_no_column_is_a_one_line_error(small_leak_csv, tmp_path, columns):
    result = run("fingerprint", small_leak_csv, "--columns", columns, "--out", tmp_path / "fp.ltfp")
    assert_one_line_error(result, "names no column")


def test_fingerprint_with_a_memory_budget_and_workers_writes_a_scannable_file(small_leak_csv, tmp_path):
    out, key = tmp_path / "fp.ltfp", tmp_path / "fp.key"
    result = run(
        "fingerprint", small_leak_csv, "--out", out, "--key-file", key, "--memory", "100M", "--workers", "2"
    )
    assert result.exit_code == 0, result.output
    assert FingerprintSet.load(out, key).dataset_id


@pytest.mark.parametrize("budget", ["lots", "-1G", "0"])
def test_fingerprint_memory_that_is_no_size_is_refused(small_leak_csv, tmp_path, budget):
    result = run("fingerprint", small_leak_csv, "--out", tmp_path / "fp.ltfp", "--memory", budget)
    assert result.exit_code == 2 and "not a size" in result.output


def test_scan_of_a_folder_in_worker_processes_reports_what_one_process_does(
    fingerprinted, small_leak_copies, tmp_path
):
    folder = tmp_path / "docs"
    folder.mkdir()
    for i, sample in enumerate(small_leak_copies[:12]):
        (folder / f"{i:02d}-{sample.filename}").write_bytes(sample.data)
    (folder / "zz-notes.txt").write_text("nothing here\n")
    one = run("scan", folder, "--json", "--workers", "1")
    two = run("scan", folder, "--json", "--workers", "2")
    assert one.exit_code == two.exit_code == 0, two.output

    def without_seconds(output: str) -> list[dict]:
        return [{k: v for k, v in json.loads(line).items() if k != "seconds"} for line in output.splitlines()]

    assert without_seconds(one.stdout) == without_seconds(two.stdout)
    assert sum(r["verdict"] == "leak" for r in without_seconds(two.stdout)) >= 10
