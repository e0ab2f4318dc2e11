"""The evidence of a copy in the terminal: matched lines with the matched fields highlighted
(when the evidence was kept), else which fields of which records matched."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..fingerprints.evidence import EvidenceReport, marked_segments

HIGHLIGHT = "bold black on yellow"


def evidence_view(report: EvidenceReport | None, warc: Path | None = None) -> Group:
    if report is None:
        return Group(
            Text("No evidence report for this copy (found before evidence reports existed).", style="dim")
        )
    parts: list = []
    for record in report.records:
        line = report.lines.get(record.line)
        if line is None:
            continue
        text = Text(f"line {record.line + 1}, record {record.record_id} ({record.confidence:.2f}): ")
        for piece, column in marked_segments(line, record):
            text.append(piece, style=HIGHLIGHT if column else None)
            if column:
                text.append(f"[{column}]", style="yellow")
        parts.append(text)
    table = Table(
        "record", "line", "confidence", "fields that matched", title="Evidence", title_justify="left"
    )
    for record in report.records:
        table.add_row(
            record.record_id, str(record.line + 1), f"{record.confidence:.2f}", ", ".join(record.fields)
        )
    parts.append(table)
    if warc is not None:
        parts.append(Text(f"capture (WARC): {warc}"))
    return Group(*parts)
