"""Issue 8, "Personal data in page titles": every text a sweep keeps or logs from a fetched page
(file names in URLs, link text, archive member names in ``skipped`` reasons, refusal messages)
is read for dataset values; a real mirror crawl of a local site whose file and member names are
a leaked person's name (``Varga.Ilona`` form) and A-number (``A 227 904 006`` form) leaves none
of them in the stored row (other than the copy's URL, its address), the logs, the sweep record
or the evidence report."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from fixtures_data import person_of
from fixtures_sites import home_store, home_workspace, mirror_source, sources_for, sweep_with

from leaktrack.fingerprints.stored_text import (
    WITHHELD_PART,
    withhold_dataset_values,
    withhold_url_parts,
)
from leaktrack.spiders.sites import add_mirror

ROW = 1  # Monika Nowotnik, A-261-973-069 in the small synthetic leak


def plaintext_values(small_leak) -> list[str]:
    """What must not appear anywhere but in the copy's URL: the names, and the A-number's digits
    in every grouping a log line could show."""
    given, surname, a_number = person_of(small_leak, ROW)
    digits = a_number.split("-")[1:]
    return [given, surname, "".join(digits), " ".join(digits), "_".join(digits)]


def leak_csv(small_leak) -> bytes:
    rows = [small_leak.columns, *small_leak.rows[:12]]
    return ("\n".join(",".join(row) for row in rows) + "\n").encode()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_url_parts_and_member_names_quoting_values_are_withheld(small_leak, small_leak_fingerprints):
    given, surname, a_number = person_of(small_leak, ROW)
    digits = " ".join(a_number.split("-")[1:])
    url = f"http://127.0.0.1:8080/share/{surname}.{given}/scan.zip?ref=A%20{digits.replace(' ', '%20')}"

    assert withhold_url_parts(url, small_leak_fingerprints) == (
        f"http://127.0.0.1:8080/share/{WITHHELD_PART}/scan.zip?{WITHHELD_PART}"
    )
    reason = f"http://127.0.0.1:8080/f/x.zip::{surname}{given}.zip: corrupt zip (File is not a zip file)"
    assert withhold_dataset_values(reason, small_leak_fingerprints) == (
        f"http://127.0.0.1:8080/f/x.zip::{WITHHELD_PART}: corrupt zip (File is not a zip file)"
    )
    quoted = f"Bad CRC-32 for file 'A {digits}.csv'"
    assert (
        withhold_dataset_values(quoted, small_leak_fingerprints) == f"Bad CRC-32 for file '{WITHHELD_PART}'"
    )
    ordinary = "http://127.0.0.1:8080/pub/2024/roster.zip::q3/report.csv: unreadable archive member"
    assert withhold_dataset_values(ordinary, small_leak_fingerprints) == ordinary


def test_a_mirror_sweep_keeps_no_dataset_value_from_file_and_member_names(
    local_site, crawl_settings, leak_fingerprints, small_leak, capfd
):
    given, surname, a_number = person_of(small_leak, ROW)
    digits = " ".join(a_number.split("-")[1:])
    archive = zip_of(
        {
            "roster.csv": leak_csv(small_leak),
            # Unreadable members: each is named in a ``skipped`` reason.
            f"{surname}_{given}_scans.zip": b"this is not a zip file at all",
            f"A {digits}.zip": b"neither is this one",
        }
    )
    # The file name, the link text of the listing and the member names all quote the person.
    add_mirror(
        local_site,
        {f"pub/{surname}.{given}.zip": archive, f"pub/A_{digits.replace(' ', '_')}.zip": b"PK\x03\x04broken"},
    )
    capfd.readouterr()

    summary = sweep_with(
        sources_for(mirror_source(local_site)), leak_fingerprints, {**crawl_settings, "LOG_LEVEL": "DEBUG"}
    )

    logs = capfd.readouterr().err
    assert "skipped part of" in logs and WITHHELD_PART in logs  # the reasons were logged, names withheld
    with home_store() as store:
        [match] = [m for m in store.list_matches(limit=None) if m.url.endswith(".zip") and surname in m.url]
        sweeps = store.list_sweeps(limit=5)
    assert match.matched_records  # the copy was found and stored, its URL verbatim (its address)
    row = {key: value for key, value in vars(match).items() if key != "url"}
    evidence_files = sorted(Path(home_workspace().evidence_dir).glob("*.evidence.json"))
    assert evidence_files
    kept = {
        "stored row": json.dumps(row, default=str),
        "logs": logs,
        "sweep record": json.dumps([vars(s) if hasattr(s, "__dict__") else s for s in sweeps], default=str),
        "sweep errors": "\n".join(summary.errors),
        "evidence report": "\n".join(path.read_text() for path in evidence_files),
    }
    for where, text in kept.items():
        for value in plaintext_values(small_leak):
            assert value not in text, (where, value)


def test_error_messages_of_a_sweep_name_no_dataset_value(
    local_site, crawl_settings, leak_fingerprints, small_leak, capfd
):
    """A link to a file named after a person that answers 404: the error is counted and its
    message kept in the sweep record, with the file name withheld."""
    given, surname, _ = person_of(small_leak, ROW)
    add_mirror(local_site, {"pub/readme.txt": "nothing here"})
    local_site.put(
        "/mirror/pub/",
        f'<html><body><a href="{surname}.{given}.pdf">{surname}.{given}.pdf</a></body></html>',
    )
    capfd.readouterr()

    summary = sweep_with(sources_for(mirror_source(local_site)), leak_fingerprints, crawl_settings)

    logs = capfd.readouterr().err
    assert summary.per_source["mirror"]["errors"] == 1
    [error] = summary.errors
    assert "404" in error and WITHHELD_PART in error
    with home_store() as store:
        record = json.dumps(
            [vars(s) if hasattr(s, "__dict__") else s for s in store.list_sweeps(limit=5)], default=str
        )
    for where, text in {"sweep errors": error, "sweep record": record, "logs": logs}.items():
        for value in (given, surname):
            assert value not in text, (where, value)
