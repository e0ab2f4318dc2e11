"""How screenshots and scanned pages are handed to Tesseract (fingerprints/formats/images.py).

What OCR finds is specified with the formats (tests/test_formats.py, tests/test_scan_forms.py);
these say how Tesseract is run: on one thread, from memory, within its time limit, and only on
an image that may show text.
"""

from __future__ import annotations

import io
import subprocess
import tempfile

import pytest
from PIL import Image

from leaktrack.fingerprints.documents import ExtractionLimits, extract_texts
from leaktrack.fingerprints.formats import images
from leaktrack.synthetic import zip_members
from leaktrack.synthetic_forms import render_table_image

needs_ocr = pytest.mark.skipif(not images.ocr_available(), reason="tesseract-ocr is not installed")

COLUMNS = ["full_name", "date_of_birth"]
ROWS = [["Oscar Silva", "1951-01-05"], ["Jane Example", "1990-03-07"]]


def test_tesseract_is_started_on_one_thread_whatever_the_callers_environment(monkeypatch):
    monkeypatch.setenv("OMP_THREAD_LIMIT", "8")
    monkeypatch.setenv("LEAKTRACK_TEST_MARKER", "kept")
    started = subprocess.run(
        [*images.ON_ONE_THREAD, "sh", "-c", 'echo "$OMP_THREAD_LIMIT $LEAKTRACK_TEST_MARKER"'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert started.stdout == "1 kept\n"  # the rest of the environment (PATH, TESSDATA_PREFIX) as is


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


def image_bytes(image, image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


@pytest.fixture
def tesseract_runs(monkeypatch) -> list[tuple[int, int]]:
    """The size of each image handed to Tesseract (which still reads it)."""
    runs: list[tuple[int, int]] = []
    run_tesseract = images.run_tesseract

    def counted(pixels, seconds):
        runs.append(Image.open(io.BytesIO(pixels)).size)
        return run_tesseract(pixels, seconds)

    monkeypatch.setattr(images, "run_tesseract", counted)
    return runs


@needs_ocr
@pytest.mark.parametrize(
    "image",
    [Image.new("L", (1200, 800), 255), Image.new("RGB", (640, 480), (30, 30, 30)), Image.new("L", (1, 1), 0)],
    ids=["white page", "dark canvas", "tracking pixel"],
)
def test_an_image_of_one_colour_or_smaller_than_a_letter_is_not_sent_to_tesseract(image, tesseract_runs):
    extraction = extract_texts(image_bytes(image), "blank.png")
    assert (extraction.text, extraction.skipped, tesseract_runs) == ("", [], [])


@needs_ocr
def test_a_screenshot_of_text_is_sent_to_tesseract_once(tesseract_runs):
    screenshot = render_table_image(COLUMNS, ROWS)
    extraction = extract_texts(screenshot, "shot.png")
    assert "Oscar Silva" in extraction.text
    assert tesseract_runs == [Image.open(io.BytesIO(screenshot)).size]


@needs_ocr
def test_a_blank_scanned_page_is_not_sent_to_tesseract_but_a_page_of_text_is(tesseract_runs):
    blank = Image.new("L", (850, 1100), 255)
    page_of_text = Image.open(io.BytesIO(render_table_image(COLUMNS, ROWS))).convert("L")
    scan = io.BytesIO()
    blank.save(scan, format="PDF", save_all=True, append_images=[page_of_text], resolution=100)
    extraction = extract_texts(scan.getvalue(), "scan.pdf")
    assert "Oscar Silva" in extraction.text
    assert len(tesseract_runs) == 1


@needs_ocr
def test_the_same_image_twice_in_a_document_is_sent_to_tesseract_once(tesseract_runs):
    screenshot = render_table_image(COLUMNS, ROWS)
    alone = extract_texts(screenshot, "shot.png").text

    twice = extract_texts(zip_members({"shots/a.png": screenshot, "shots/b.png": screenshot}), "shots.zip")

    assert twice.text == "\n".join([alone, alone])  # each member's lines, as if each had been read
    assert len(tesseract_runs) == 2  # once alone, once for both members


@needs_ocr
def test_an_image_is_read_again_in_another_document(tesseract_runs):
    screenshot = render_table_image(COLUMNS, ROWS)
    other = render_table_image(COLUMNS, ROWS[:1])

    extract_texts(zip_members({"a.png": screenshot, "b.png": other}), "first.zip")
    extract_texts(zip_members({"c.png": screenshot}), "second.zip")

    assert len(tesseract_runs) == 3  # no OCR text outlives its document
