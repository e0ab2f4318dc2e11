"""Texts kept from fetched pages (titles, link text, file names, URL parts) are checked for
dataset values in the disguises short texts use (issue 8: Varga.Ilona, VargaIlona, A 227 904 006)."""

import pytest
from fixtures_data import person_of

from leaktrack.fingerprints import holds_dataset_values
from leaktrack.fingerprints.stored_text import (
    holds_dataset_values_in_stored_text,
    url_holds_dataset_values,
    url_text_parts,
)

ROW = 1  # Monika Nowotnik, A-261-973-069 in the small synthetic leak


def disguises(small_leak) -> list[str]:
    given, surname, a_number = person_of(small_leak, ROW)
    digits = a_number.split("-")[1:]
    return [
        f"{surname}.{given}",
        f"{surname}{given}",
        f"{surname.lower()}{given.lower()}",
        f"{surname}_{given}_passport.pdf",
        f"A {' '.join(digits)}",
        f"case no. {' '.join(digits)}",
    ]


def test_the_scanner_check_alone_misses_the_disguises(small_leak, small_leak_fingerprints):
    """The finding reproduced: each of these is stored in plaintext by the scanner's check alone."""
    missed = [
        text for text in disguises(small_leak) if not holds_dataset_values(text, small_leak_fingerprints)
    ]
    assert len(missed) >= 4


@pytest.mark.parametrize("index", range(6))
def test_a_dataset_value_in_disguise_is_found_in_a_stored_text(small_leak, small_leak_fingerprints, index):
    text = disguises(small_leak)[index]
    assert holds_dataset_values_in_stored_text(text, small_leak_fingerprints), text


@pytest.mark.parametrize(
    "text",
    [
        "Untitled paste - 2024-11-03 build log",
        "Release 12 345 of ReleaseNotes",
        "Index of /mirror/data",
        "quarterly_report_final.pdf",
        "",
        None,
    ],
)
def test_ordinary_titles_and_file_names_hold_no_dataset_values(small_leak_fingerprints, text):
    assert not holds_dataset_values_in_stored_text(text, small_leak_fingerprints)


def test_url_path_segments_are_read_decoded(small_leak, small_leak_fingerprints):
    given, surname, _ = person_of(small_leak, ROW)
    url = f"https://files.example/share/{surname}%20{given}/scan.pdf?x=1"

    assert url_text_parts(url) == ["share", f"{surname} {given}", "scan.pdf", "x=1"]
    assert url_holds_dataset_values(url, small_leak_fingerprints)
    assert not url_holds_dataset_values(
        "https://files.example/share/reports/2024/q3.pdf", small_leak_fingerprints
    )
