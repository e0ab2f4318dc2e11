"""How screenshots and scanned pages are handed to Tesseract (fingerprints/formats/images.py).

What OCR finds is specified with the formats (tests/test_formats.py, tests/test_scan_forms.py);
these say how Tesseract is run: on one thread, from memory, within its time limit.
"""

from __future__ import annotations

import tempfile

import pytest

from leaktrack.fingerprints.documents import ExtractionLimits, extract_texts
from leaktrack.fingerprints.formats import images
from leaktrack.synthetic_forms import render_table_image

needs_ocr = pytest.mark.skipif(not images.ocr_available(), reason="tesseract-ocr is not installed")

COLUMNS = ["full_name", "date_of_birth"]
ROWS = [["Oscar Silva", "1951-01-05"], ["Jane Example", "1990-03-07"]]


def test_tesseract_runs_on_one_thread_whatever_the_callers_environment(monkeypatch):
    monkeypatch.setenv("OMP_THREAD_LIMIT", "8")
    monkeypatch.setenv("LEAKTRACK_TEST_MARKER", "kept")
    environment = images.tesseract_environment()
    assert environment["OMP_THREAD_LIMIT"] == "1"
    assert environment["LEAKTRACK_TEST_MARKER"] == "kept"  # the rest (PATH, TESSDATA_PREFIX) as is


@needs_ocr
def test_a_screenshot_is_read_without_writing_a_copy_of_it_to_disk(monkeypatch, tmp_path):
    # A temporary file could not be made: the image must reach Tesseract through a pipe.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-folder"))
    extraction = extract_texts(render_table_image(COLUMNS, ROWS), "shot.png")
    assert extraction.skipped == []
    assert "Oscar Silva" in extraction.text
    assert "1990-03-07" in extraction.text


@needs_ocr
def test_ocr_past_its_time_limit_is_stopped_and_the_image_reported_as_skipped():
    limits = ExtractionLimits(ocr_seconds_per_image=0.001)  # Tesseract cannot even start in 1 ms
    extraction = extract_texts(render_table_image(COLUMNS, ROWS), "shot.png", limits=limits)
    assert extraction.text == ""
    assert extraction.skipped == ["shot.png: OCR stopped after 0.001 s (Tesseract process timeout)"]
