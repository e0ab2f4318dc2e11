"""`leaktrack scan` on hostile inputs and new formats: one-line errors, notes for partly read
inputs and for images left unread without OCR."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from leaktrack.cli.app import app
from leaktrack.errors import ExitCode
from leaktrack.fingerprints.formats import images
from leaktrack.synthetic import zip_members
from leaktrack.synthetic_forms import render_table_image


def run(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def fingerprinted(small_leak_csv, leaktrack_home):
    result = run("fingerprint", small_leak_csv)
    assert result.exit_code == 0, result.output
    return leaktrack_home


def one_line_error(result) -> str:
    """An unreadable input: one line, exit code 6 (errors.ExitCode.UNREADABLE_INPUT)."""
    assert result.exit_code == ExitCode.UNREADABLE_INPUT and "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_scan_of_dev_zero_is_a_one_line_refusal(fingerprinted):
    assert "is a character device, not a regular file" in one_line_error(run("scan", "/dev/zero"))
    assert "too large: more than 52,428,800 bytes" in one_line_error(
        run("scan", "/dev/zero", "--special-files")
    )


def test_scan_of_a_named_pipe_is_refused_without_blocking(fingerprinted, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert "is a named pipe, not a regular file" in one_line_error(run("scan", fifo))


def test_scan_of_a_zip_trap_finds_the_leak_and_says_partly_read(fingerprinted, small_leak, tmp_path):
    trap = tmp_path / "trap.zip"
    trap.write_bytes(zip_members({"zeros.bin": bytes(2 * 2**20), "cases.csv": small_leak.to_csv_bytes()}))

    as_json = json.loads(run("scan", trap, "--json").stdout)
    assert as_json["verdict"] == "leak" and as_json["partly_read"] is True
    assert as_json["matched_count"] == len(small_leak.ids)

    table = run("scan", trap)
    assert table.exit_code == 0
    assert f"note: {trap} was partly read" in table.stderr


def test_scan_says_how_to_enable_ocr_when_tesseract_is_missing(
    fingerprinted, small_leak, tmp_path, monkeypatch
):
    shot = tmp_path / "shot.png"
    shot.write_bytes(render_table_image(small_leak.columns, small_leak.rows[:2]))
    monkeypatch.setenv("PATH", "/nonexistent")
    images.ocr_available.cache_clear()
    try:
        result = run("scan", shot)
    finally:
        images.ocr_available.cache_clear()
    assert result.exit_code == 0
    assert (
        "note: 1 image(s) or scanned page(s) not read: OCR not available (install Debian's tesseract-ocr"
        in (result.stderr)
    )
