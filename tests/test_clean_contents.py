"""Images and PDFs that scanned clean are remembered by a keyed hash of their bytes (the crawl
state's ``clean_contents``), so the same screenshot at another URL, in the same sweep or a later
one, is not OCR'd again; the scan it gets is the one its bytes gave. Leaks, and scans that skipped
or did not read a part, are always scanned afresh. Nothing of the text is kept."""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from fixtures_sites import home_store, mirror_source, sources_for, sweep_with

from leaktrack.fingerprints.formats import images
from leaktrack.spiders.scanning import (
    DocumentScanner,
    clean_content_of,
    recalled_clean_scan,
    scan_document,
)
from leaktrack.spiders.sites import add_mirror
from leaktrack.spiders.state import CleanContent, CrawlState
from leaktrack.synthetic_forms import drawable, render_pdf, render_table_image

needs_ocr = pytest.mark.skipif(not images.ocr_available(), reason="tesseract is not installed")
GROCERIES = [["apples", "3", "crate"], ["pears", "12", "box"], ["plums", "7", "bag"], ["figs", "20", "tray"]]


def clean_screenshot() -> bytes:
    return render_table_image(["fruit", "count", "packed in"], GROCERIES)


def leak_screenshot(small_leak) -> bytes:
    rows = [row for row in small_leak.rows if drawable(row[1]) and row[1].isascii()][:6]
    return render_table_image(small_leak.columns, rows)


def scanner_of(leak_fingerprints) -> DocumentScanner:
    return DocumentScanner(str(leak_fingerprints.path), str(leak_fingerprints.key_file), 0)


def stored_urls() -> set[str]:
    with home_store() as store:
        return {match.url for match in store.list_matches(limit=None)}


@needs_ocr
def test_a_clean_screenshot_at_a_new_url_is_not_read_again(
    local_site, crawl_settings, leak_fingerprints, small_leak
):
    clean, leak = clean_screenshot(), leak_screenshot(small_leak)
    add_mirror(local_site, {"a/fruit.png": clean, "a/roster.png": leak})
    sources = sources_for(mirror_source(local_site))

    first = sweep_with(sources, leak_fingerprints, crawl_settings).per_source["mirror"]
    add_mirror(
        local_site, {"a/fruit.png": clean, "a/roster.png": leak, "b/copy.png": clean, "b/re.png": leak}
    )
    second = sweep_with(sources, leak_fingerprints, crawl_settings).per_source["mirror"]

    assert (first["documents"], first["known_clean"], first["matches"]) == (2, 0, 1)
    # a/ unchanged; b/copy.png known clean by its bytes; b/re.png, a leak, scanned again.
    assert (second["unchanged"], second["known_clean"], second["documents"]) == (2, 1, 1)
    assert stored_urls() == {local_site.url("/mirror/a/roster.png"), local_site.url("/mirror/b/re.png")}


@needs_ocr
def test_the_remembered_scan_of_a_clean_screenshot_is_its_scan(leak_fingerprints):
    scanner = scanner_of(leak_fingerprints)
    scanned = scan_document(clean_screenshot(), scanner.fingerprints, "http://127.0.0.1/fruit.png", None)

    clean = clean_content_of(scanned.result)

    assert clean is not None and not scanned.result.is_leak
    recalled = recalled_clean_scan("http://127.0.0.1/fruit.png", clean)
    assert recalled == dataclasses.replace(scanned.result, seconds=0.0)


@needs_ocr
def test_leaks_and_scans_that_skipped_a_part_are_not_remembered(leak_fingerprints, small_leak):
    scanner = scanner_of(leak_fingerprints)
    leak = scan_document(leak_screenshot(small_leak), scanner.fingerprints, "roster.png", None).result
    broken = scan_document(clean_screenshot()[:400], scanner.fingerprints, "cut.png", None).result

    assert leak.is_leak and clean_content_of(leak) is None
    assert broken.skipped and clean_content_of(broken) is None
    assert clean_content_of(dataclasses.replace(broken, skipped=[], partly_read=True)) is None


def test_only_images_and_pdfs_get_a_content_key_and_it_is_keyed(leak_fingerprints, small_leak):
    scanner = scanner_of(leak_fingerprints)
    screenshot, pdf = clean_screenshot(), render_pdf(["fruit", "count", "packed in"], GROCERIES)
    csv = b"fruit,count\napples,3\n"

    def key_of(body: bytes) -> str | None:
        return scanner.content_key(body, hashlib.sha256(body).hexdigest())

    assert key_of(csv) is None
    assert key_of(screenshot) == key_of(screenshot) != key_of(pdf)
    assert key_of(screenshot) != hashlib.sha256(screenshot).hexdigest()
    ours = key_of(screenshot)
    scanner.fingerprints = dataclasses.replace(scanner.fingerprints, key=bytes(32))  # another key
    assert key_of(screenshot) not in (None, ours)


def test_the_state_keeps_only_the_keyed_hash_and_the_counts_and_purges_them(tmp_path):
    state = CrawlState(tmp_path / "state.db")
    state.remember_clean("ab" * 32, CleanContent(records_in_document=0, bytes_scanned=1234))

    assert state.clean_content("ab" * 32) == CleanContent(0, 1234)
    assert state.clean_content("cd" * 32) is None
    row = sqlite3.connect(tmp_path / "state.db").execute("SELECT * FROM clean_contents").fetchone()
    assert row[:3] == ("ab" * 32, 0, 1234)
    state.forget_last_seen_before(datetime.now(UTC) + timedelta(days=1))
    assert state.clean_content("ab" * 32) is None
    state.close()


def test_a_sweep_without_its_crawl_state_scans_every_copy(local_site, crawl_settings, leak_fingerprints):
    add_mirror(local_site, {"a/fruit.pdf": render_pdf(["fruit", "count"], [r[:2] for r in GROCERIES])})
    sources = sources_for(mirror_source(local_site))

    sweep_with(sources, leak_fingerprints, crawl_settings)
    again = sweep_with(sources, leak_fingerprints, {**crawl_settings, "LEAKTRACK_INCREMENTAL": False})

    assert (again.per_source["mirror"]["documents"], again.per_source["mirror"]["known_clean"]) == (1, 0)
