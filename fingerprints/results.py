"""What a scan says about one document. Crosses into spiders, the store and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ScanResult:
    input: str  # file path, URL or archive member name
    verdict: str  # "leak" or "clean"
    matched_records: list[str]  # record ids of the leaked dataset found in the document
    containment: float  # matched_count / records in the document that look like records
    confidences: dict[str, float] = field(default_factory=dict)  # record id -> confidence in [0, 1]
    records_in_document: int = 0  # lines/rows that look like records
    bytes_scanned: int = 0
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)  # why parts were not scanned (bomb, binary, ...)
    # A limit stopped part of the document from being read (archive members, pages, bytes):
    # the matches are those of the part read, and the reason is in ``skipped``.
    partly_read: bool = False

    @property
    def matched_count(self) -> int:
        return len(self.matched_records)

    @property
    def is_leak(self) -> bool:
        return self.verdict == "leak"

    def to_dict(self) -> dict:
        return {
            "input": self.input,
            "verdict": self.verdict,
            "matched_records": list(self.matched_records),
            "matched_count": self.matched_count,
            "containment": round(self.containment, 4),
            "confidences": {rid: round(c, 3) for rid, c in self.confidences.items()},
            "records_in_document": self.records_in_document,
            "bytes_scanned": self.bytes_scanned,
            "seconds": round(self.seconds, 4),
            "skipped": list(self.skipped),
            "partly_read": self.partly_read,
        }
