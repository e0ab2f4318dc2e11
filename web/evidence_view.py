"""A copy's evidence as the copy page shows it: per record, the fields that matched, and, when
the evidence was kept, the matched lines cut into plain and highlighted segments."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..fingerprints.evidence import EvidenceReport, RecordEvidence, marked_segments
from ..index import Match
from ..spiders.evidence import load_evidence, warc_path_for


@dataclass
class EvidenceLine:
    number: int
    segments: list[tuple[str, str | None]]  # (text, column or None), in order
    records: list[RecordEvidence]


@dataclass
class EvidencePage:
    available: bool
    records: list[RecordEvidence] = field(default_factory=list)
    lines: list[EvidenceLine] = field(default_factory=list)
    warc: Path | None = None


def evidence_for_page(evidence_dir: Path | None, match: Match) -> EvidencePage:
    if not evidence_dir:
        return EvidencePage(available=False)
    report: EvidenceReport | None = load_evidence(evidence_dir, match.id)
    if report is None:
        return EvidencePage(available=False)
    lines = []
    if report.has_lines:
        for record in report.records:
            text = report.lines.get(record.line)
            if text is not None:
                lines.append(EvidenceLine(record.line, marked_segments(text, record), [record]))
    warc = warc_path_for(evidence_dir, match.id)
    return EvidencePage(True, report.records, lines, warc if warc.exists() else None)
