"""``queue export``: every match as JSON lines or CSV, streamed from the store."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TextIO

from . import settings
from .base import Match, MatchStore

CSV_COLUMNS = (
    "id",
    "url",
    "source",
    "host",
    "title",
    "status",
    "matched_records",
    "matched_count",
    "containment",
    "first_seen",
    "last_seen",
    "content_sha256",
    "status_changed_at",
    "takedown_to",
    "takedown_ref",
)


# Columns whose text comes from people (a page's author, a responder's --to/--ref, a web form):
# a spreadsheet must never run them as formulas.
FREE_TEXT_COLUMNS = ("title", "takedown_to", "takedown_ref")


def matches_to_export(store: MatchStore, status: str | None = None) -> Iterable[Match]:
    return (match for match in store.iter_matches() if status is None or match.status == status)


def write_jsonl(matches: Iterable[Match], out: TextIO) -> int:
    count = 0
    for count, match in enumerate(matches, start=1):  # noqa: B007 (the count is the result)
        out.write(json.dumps(match.export_dict(), ensure_ascii=False) + "\n")
    return count


def write_csv(matches: Iterable[Match], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for count, match in enumerate(matches, start=1):  # noqa: B007
        row = match.export_dict()
        row["matched_records"] = settings.CSV_RECORD_SEPARATOR.join(row["matched_records"])
        for column in FREE_TEXT_COLUMNS:
            row[column] = _as_spreadsheet_text(row[column])
        writer.writerow(row)
    return count


def _as_spreadsheet_text(value: str | None) -> str | None:
    # A page title comes from whoever posted the copy; a spreadsheet would run "=..." as a formula.
    # (OWASP "CSV injection"; --to and --ref are typed or pasted by people, and reach the same sheet.)
    if value and value[0] in settings.CSV_FORMULA_STARTS:
        return "'" + value
    return value


WRITERS = {"jsonl": write_jsonl, "csv": write_csv}
