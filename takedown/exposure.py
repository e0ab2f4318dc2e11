"""The people affected: every exposed record id with the copies that exposed it, for notifying them.

For each record: each copy (URL, host, status), when it was first seen, how long it stayed up
(until its removal, or until now if it is still up) and the record's own status ("exposed" while
any copy is still up, else "removed"). Dismissed copies (false matches) expose nothing.

``dataset``: the responder's own copy of the dataset, read here, locally, to put the person's
details (the chosen columns) beside their record id. It is never written to the store, the logs
or anywhere but the output the caseworker asked for.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from ..fingerprints.readers import open_dataset
from ..index import Match, MatchStore
from ..index.base import sorted_record_ids

EXPOSURE_FORMATS = ("jsonl", "csv")
COPY_FIELDS = ("match_id", "url", "host", "source", "copy_status", "first_seen", "days_up")


@dataclass
class ExposedCopy:
    match_id: str
    url: str
    host: str
    source: str
    copy_status: str
    first_seen: datetime
    days_up: float

    def as_dict(self) -> dict:
        return {
            name: getattr(self, name).isoformat() if name == "first_seen" else getattr(self, name)
            for name in COPY_FIELDS
        } | {"days_up": round(self.days_up, 2)}


def _copy_of(match: Match, now: datetime) -> ExposedCopy:
    ended = match.status_changed_at if match.status == "removed" and match.status_changed_at else now
    return ExposedCopy(
        match.id,
        match.url,
        match.host,
        match.source,
        match.status,
        match.first_seen,
        max(0.0, (ended - match.first_seen).total_seconds() / 86400),
    )


def exposed_records(store: MatchStore, now: datetime) -> dict[str, list[ExposedCopy]]:
    """Record id -> the copies that exposed it (oldest first), over the whole store."""
    by_record: dict[str, list[ExposedCopy]] = {}
    for match in store.iter_matches():
        if match.status == "dismissed":
            continue
        copy = _copy_of(match, now)
        for record_id in match.matched_records:
            by_record.setdefault(record_id, []).append(copy)
    for copies in by_record.values():
        copies.sort(key=lambda copy: copy.first_seen)
    return {record_id: by_record[record_id] for record_id in sorted_record_ids(by_record)}


def record_status(copies: list[ExposedCopy]) -> str:
    return "removed" if all(copy.copy_status == "removed" for copy in copies) else "exposed"


def people_from_dataset(
    path: Path, record_ids: Iterable[str], id_column: str | None, columns: list[str] | None
) -> tuple[list[str], dict[str, list[str]]]:
    """The chosen columns of the exposed records, read from the responder's own file (in memory only)."""
    wanted = set(record_ids)
    source = open_dataset(path, id_column, columns)
    people: dict[str, list[str]] = {}
    for ids, rows in source.chunks(10_000):
        people.update((record_id, row) for record_id, row in zip(ids, rows) if record_id in wanted)
    return list(source.columns), people


def write_jsonl(
    records: dict[str, list[ExposedCopy]], stream: TextIO, people: tuple[list[str], dict] | None = None
) -> int:
    for record_id, copies in records.items():
        line: dict[str, object] = {
            "record_id": record_id,
            "status": record_status(copies),
            "first_seen": copies[0].first_seen.isoformat(),
            "copies": [copy.as_dict() for copy in copies],
        }
        if people is not None:
            columns, rows = people
            line["person"] = dict(zip(columns, rows.get(record_id, [""] * len(columns))))
        stream.write(json.dumps(line, ensure_ascii=False) + "\n")
    return len(records)


def write_csv(
    records: dict[str, list[ExposedCopy]], stream: TextIO, people: tuple[list[str], dict] | None = None
) -> int:
    """One row per (record, copy), for mail merges and spreadsheets."""
    columns = people[0] if people else []
    writer = csv.writer(stream)
    writer.writerow(["record_id", "record_status", *COPY_FIELDS, *columns])
    for record_id, copies in records.items():
        person = people[1].get(record_id, [""] * len(columns)) if people else []
        for copy in copies:
            fields = copy.as_dict()
            writer.writerow(
                [
                    record_id,
                    record_status(copies),
                    *(fields[name] for name in COPY_FIELDS),
                    *map(_cell, person),
                ]
            )
    return len(records)


def _cell(value: str) -> str:
    # A cell starting with = + - @ is run as a formula by spreadsheets (OWASP "CSV injection").
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


WRITERS = {"jsonl": write_jsonl, "csv": write_csv}
