"""An evidence report's JSON (``EvidenceReport.to_json``, what a sweep writes for each leak) is
the dataclasses' own fields as ``dataclasses.asdict`` gives them, and reads back as the report;
written directly from a scan (``evidence_report_json``), it is the same text."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from leaktrack.fingerprints.evidence import (
    EvidenceReport,
    FieldMark,
    RecordEvidence,
    evidence_report,
    evidence_report_json,
)
from leaktrack.fingerprints.scan import find_record_matches

REPORT = EvidenceReport(
    [
        RecordEvidence("R-1", 0, 0.97, ["full_name", "date_of_birth"], [FieldMark(0, 11, "full_name")]),
        RecordEvidence("R-2", 3, 0.5, ["a_number"]),
    ],
    {0: "Oscar Silva, 1951-01-05", 3: "A-214-572-509 Željko"},
)


def test_the_json_of_a_report_holds_each_record_as_asdict_gives_it():
    written = json.loads(REPORT.to_json())
    assert written["records"] == [asdict(record) for record in REPORT.records]
    assert written["lines"] == {"0": "Oscar Silva, 1951-01-05", "3": "A-214-572-509 Željko"}


def test_the_json_of_a_report_reads_back_as_the_report():
    assert EvidenceReport.from_json(REPORT.to_json()) == REPORT


def test_the_json_keeps_non_ascii_text_as_written():
    assert "Željko" in REPORT.to_json()


@pytest.mark.parametrize("keep_lines", [False, True])
def test_the_report_written_as_json_directly_is_the_reports_own_json(
    small_leak, small_leak_copies, small_leak_fingerprints, keep_lines
):
    """``evidence_report_json`` (what a sweep writes for each leak) is, character for character,
    ``evidence_report(...).to_json()``: on every kind of copy, and on text around the records
    that is not ASCII and needs escaping in JSON (quotes, backslashes, control characters)."""
    odd = 'Željko "the \\ quoted" \u2028 \x07 \t 李鑫'
    texts = [c.data.decode("utf-8", "replace") for c in small_leak_copies]
    texts.append("\n".join(f"{odd} {','.join(row)} {odd}" for row in small_leak.rows[:40]))
    pairs = 0
    for text in texts:
        matches = find_record_matches(text, small_leak_fingerprints)
        direct = evidence_report_json(text, small_leak_fingerprints, keep_lines=keep_lines, matches=matches)
        report = evidence_report(text, small_leak_fingerprints, keep_lines=keep_lines, matches=matches)
        assert direct == report.to_json()
        pairs += len(report.records)
    assert pairs > 2000


def test_the_report_of_a_text_without_matches_is_written_as_an_empty_report(small_leak_fingerprints):
    text = "nothing of the leak here\n"
    assert evidence_report_json(text, small_leak_fingerprints) == EvidenceReport([]).to_json()
