"""A leak's evidence report is made from its scan (spiders/scanning.py ``scan_document``): the
text the scan extracted and the (record, line) matches it found, so a sweep extracts and matches
each leak once. The report is the one ``evidence_report`` makes afresh from the document."""

from __future__ import annotations

import pytest
from scrapy.utils.test import get_crawler
from test_scan_forms import ids, ocr_rows

import leaktrack.fingerprints.evidence as evidence_module
from leaktrack.fingerprints.documents import extract_texts
from leaktrack.fingerprints.evidence import evidence_report
from leaktrack.fingerprints.scan import ScanDetail, scan_text
from leaktrack.spiders.crawl import RECHECK_PIPELINES
from leaktrack.spiders.pipelines import ScanPipeline
from leaktrack.spiders.scanning import scan_document


def leak_copies(copies, fingerprints):
    found = [c for c in copies if scan_document(c.data, fingerprints, c.filename, None).result.is_leak]
    assert len(found) >= 20  # every kind of copy the scanner reads, in text and binary forms
    return found


@pytest.mark.parametrize("keep_lines", [False, True])
def test_the_evidence_of_every_kind_of_copy_is_the_report_made_afresh(
    small_leak_copies, small_leak_fingerprints, keep_lines
):
    for copy in leak_copies(small_leak_copies, small_leak_fingerprints):
        scanned = scan_document(
            copy.data, small_leak_fingerprints, copy.filename, None, evidence=True, keep_lines=keep_lines
        )
        text = extract_texts(copy.data, name=copy.filename).text
        afresh = evidence_report(text, small_leak_fingerprints, keep_lines=keep_lines)
        assert scanned.evidence is not None and scanned.evidence.to_json() == afresh.to_json(), copy.kind
        assert {r.record_id for r in scanned.evidence.records} == set(scanned.result.matched_records)


def test_the_evidence_step_does_not_match_the_text_again(
    small_leak_copies, small_leak_fingerprints, monkeypatch
):
    copy = next(c for c in small_leak_copies if c.kind == "excerpt_10_rows")

    def matched_again(*args, **kwargs):
        raise AssertionError("evidence_report matched the text again")

    monkeypatch.setattr(evidence_module, "find_record_matches", matched_again)
    scanned = scan_document(copy.data, small_leak_fingerprints, copy.filename, None, evidence=True)

    assert {r.record_id for r in scanned.evidence.records} == set(copy.expected_records)


def test_a_clean_document_or_a_scan_without_evidence_has_no_report(
    small_leak_copies, small_leak_negatives, small_leak_fingerprints
):
    negative = small_leak_negatives[0]
    copy = next(c for c in small_leak_copies if c.kind == "excerpt_10_rows")

    clean = scan_document(negative.data, small_leak_fingerprints, negative.filename, None, evidence=True)
    unasked = scan_document(copy.data, small_leak_fingerprints, copy.filename, None)

    assert not clean.result.is_leak and clean.evidence is None
    assert unasked.result.is_leak and unasked.evidence is None


def test_the_evidence_of_text_read_by_ocr_names_every_record_its_scan_matched(
    small_leak, small_leak_fingerprints
):
    # Names with one letter misread match only in lines read by OCR: a report made afresh from
    # the text alone (as before) left those records out of the evidence of the copy.
    rows, text = ocr_rows(small_leak, seed=14)
    detail = ScanDetail()
    result = scan_text(text, small_leak_fingerprints, ocr_line_ranges=[(0, len(rows))], detail=detail)

    report = evidence_report(detail.text, small_leak_fingerprints, matches=detail.matches)

    assert set(result.matched_records) == ids(rows)
    assert {r.record_id for r in report.records} == ids(rows)


def scan_pipeline(tmp_path, **settings) -> ScanPipeline:
    crawler = get_crawler(
        settings_dict={
            "LEAKTRACK_SCAN": True,
            "LEAKTRACK_EVIDENCE_DIR": str(tmp_path / "evidence"),
            "LEAKTRACK_INCREMENTAL": False,
            "ITEM_PIPELINES": {"leaktrack.spiders.evidence.EvidencePipeline": 350},
            **settings,
        }
    )
    return ScanPipeline(crawler)


def test_the_scan_pipeline_asks_for_evidence_only_where_the_evidence_pipeline_writes_it(
    tmp_path, leak_fingerprints
):
    files = {
        "LEAKTRACK_FINGERPRINTS": str(leak_fingerprints.path),
        "LEAKTRACK_KEY_FILE": str(leak_fingerprints.key_file),
        "LEAKTRACK_SCAN_WORKERS": 0,
    }

    assert scan_pipeline(tmp_path, **files).evidence
    assert scan_pipeline(tmp_path, **files, LEAKTRACK_KEEP_EVIDENCE=True).keep_evidence_lines
    assert not scan_pipeline(tmp_path, **files, ITEM_PIPELINES=RECHECK_PIPELINES).evidence  # a recheck
    assert not scan_pipeline(tmp_path, **files, LEAKTRACK_EVIDENCE_DIR=None).evidence
