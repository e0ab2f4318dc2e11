"""Scanning files and folders (``scan_paths``): every file below a folder, every core, the
results in the order of the files whatever order the workers finish them in."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from leaktrack.errors import DocumentError
from leaktrack.fingerprints import scan
from leaktrack.fingerprints.scan import _files_below, scan_paths
from leaktrack.synthetic import render_delimited, unrelated_paste_text


@pytest.fixture
def folder_of_sizes(tmp_path, small_leak):
    """Files whose names sort smallest first: a leak excerpt in the largest, the last one."""
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    for number in range(6):
        (folder / f"{number}-notes.txt").write_text(
            unrelated_paste_text(random.Random(number)) * (number + 1)
        )
    (folder / "sub" / "z-leak.csv").write_text(
        render_delimited(small_leak.columns, small_leak.rows[:40], ",") * 30
    )
    return folder


def test_scan_paths_in_workers_gives_every_file_in_name_order_like_one_process(
    folder_of_sizes, small_leak_fingerprints
):
    one = list(scan_paths([folder_of_sizes], small_leak_fingerprints, workers=1))
    two = list(scan_paths([folder_of_sizes], small_leak_fingerprints, workers=2))
    names = [r.input for r in two]
    assert names == [r.input for r in one] == sorted(names)
    assert [(r.verdict, r.matched_records) for r in two] == [(r.verdict, r.matched_records) for r in one]
    assert [r.verdict for r in two] == ["clean"] * 6 + ["leak"]


def test_the_largest_files_are_handed_to_the_workers_first_and_small_ones_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(scan, "BATCH_BYTES", 1000)
    sizes = {"a.txt": 10, "b.txt": 3000, "c.txt": 0, "d.txt": 200, "e.txt": 900}
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(b"x" * size)
    jobs = [(str(tmp_path / name), False) for name in sizes] + [(str(tmp_path / "gone.txt"), False)]
    batches = [[jobs[n][0].rsplit("/", 1)[1] for n in batch] for batch in scan._file_batches(jobs)]
    assert batches == [["b.txt"], ["e.txt"], ["d.txt", "a.txt", "c.txt", "gone.txt"]]


def test_a_file_that_cannot_be_scanned_is_listed_and_the_others_are_scanned_in_workers(
    folder_of_sizes, small_leak_fingerprints
):
    (folder_of_sizes / "3-bomb.gz").write_bytes(gzip.compress(bytes(20 * 2**20)))
    errors: list[str] = []
    results = list(scan_paths([folder_of_sizes], small_leak_fingerprints, errors, workers=2))
    assert len(results) == 7 and [r.verdict for r in results].count("leak") == 1
    assert len(errors) == 1 and "3-bomb.gz" in errors[0] and "bomb" in errors[0]


def test_a_missing_path_is_reported_before_anything_is_scanned(folder_of_sizes, small_leak_fingerprints):
    with pytest.raises(DocumentError, match="file not found"):
        next(scan_paths([folder_of_sizes, folder_of_sizes / "nope.txt"], small_leak_fingerprints, workers=2))


def test_the_files_below_a_folder_are_those_rglob_and_is_file_list_in_path_order(tmp_path):
    """Hidden files, symlinks to files (not to folders, which are not entered), names whose
    order as strings is not their order as paths ("b-c" and "b/x"), empty and deep folders;
    a broken symlink and a symlink loop are no files."""
    root = tmp_path / "root"
    for name in ["a.txt", ".hidden", "b-c", "b/x", "b/y/z.txt", "B", "deep/1/2/3/4.txt", "é.txt"]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    (root / "empty").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.txt").write_text("o")
    (root / "link-to-file").symlink_to(root / "a.txt")
    (root / "link-to-folder").symlink_to(outside)
    (root / "broken").symlink_to(tmp_path / "gone")
    (root / "loop").symlink_to(root / "loop")
    expected = sorted(p for p in root.rglob("*") if p.is_file())
    assert _files_below([root]) == [str(p) for p in expected]
    assert root / "link-to-file" in expected and root / "b-c" in expected
    assert not any("outside" in str(p) or "link-to-folder" in str(p) for p in expected)


def test_the_files_below_are_named_as_their_paths_write_them(tmp_path, monkeypatch):
    """The names results carry are ``str`` of each file's Path, from any way of naming the
    folder: the current folder, a trailing slash, "./", a doubled slash, a file itself."""
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    for name in ["a.txt", "sub/b.txt"]:
        (root / name).write_text("x")
    monkeypatch.chdir(root)
    for given in [".", "", "./", "./sub/..", "sub/", "./sub", f"{root}//sub", str(root) + "/", "sub//b.txt"]:
        path = Path(given)
        paths = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        assert _files_below([given]) == [str(p) for p in paths], given
