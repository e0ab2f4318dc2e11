"""An evidence report's JSON (``EvidenceReport.to_json``, what a sweep writes for each leak) is
the dataclasses' own fields as ``dataclasses.asdict`` gives them, and reads back as the report."""

from __future__ import annotations

import json
from dataclasses import asdict

from leaktrack.fingerprints.evidence import EvidenceReport, FieldMark, RecordEvidence

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
