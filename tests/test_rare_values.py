"""What counts as a rare value does not grow with the dataset (issue 10).

The limits are counts of records (``params.CANDIDATE_MAX_DF``, ``PREFILTER_MAX_DF``,
``PAIRED_MAX_DF``), so a dataset of a million records behaves as one of six thousand where
values are shared alike. The dataset here is small, but it holds what a big one holds: ten
names each shared by 30 records and 30 birth dates each shared by 10, every (name, date)
pair held by exactly one record. Before, such a date (shared by more than 8 records in a
dataset under 160,000) was not looked for and proposed no record, so these people's
name + birth date lines were missed; in a big dataset, the limit grew so that every line
with a date compared itself with dozens or hundreds of records.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from leaktrack.fingerprints import build_fingerprint_set, params, scan_text
from leaktrack.fingerprints.keys import KeyedHasher
from leaktrack.synthetic import generate_leak

KEY = bytes(range(32))
# Invented names (no real people): ten full names, each given to 30 records.
SHARED_NAMES = [
    "Velka Orandis",
    "Tomir Quelbeck",
    "Anouk Straveli",
    "Dorin Paskalev",
    "Ilse Marquendt",
    "Oskar Wendeling",
    "Juna Tiravska",
    "Pavo Renkildt",
    "Sela Dumorange",
    "Egon Fraskovic",
]
SHARED_DATES = [(dt.date(1961, 1, 1) + dt.timedelta(days=401 * i)).isoformat() for i in range(30)]


@pytest.fixture(scope="module")
def crowded():
    """400 ordinary records, then the 300 records of the name x date grid."""
    leak = generate_leak(400, seed=11)
    columns = leak.columns
    rows = [list(row) for row in leak.rows]
    first_number = 900_000_000
    for n, (name, born) in enumerate((name, born) for name in SHARED_NAMES for born in SHARED_DATES):
        row = list(rows[n])  # nationality, status, facility of an ordinary record
        row[columns.index("a_number")] = f"A{first_number + n}"
        row[columns.index("full_name")] = name
        row[columns.index("date_of_birth")] = born
        rows.append(row)
    ids = [str(i + 1) for i in range(len(rows))]
    fingerprints = build_fingerprint_set(columns, rows, ids, KEY, workers=1)
    return fingerprints, rows, columns


def _grid_id(name: str, born: str) -> str:
    return str(401 + SHARED_NAMES.index(name) * len(SHARED_DATES) + SHARED_DATES.index(born))


def test_the_name_and_date_columns_stay_distinctive(crowded):
    fingerprints, _, _ = crowded
    kinds = {c.name: c.kind for c in fingerprints.columns}
    assert kinds["full_name"] == "text" and kinds["date_of_birth"] == "date"


@pytest.mark.parametrize(
    "name, born", [(SHARED_NAMES[0], SHARED_DATES[0]), (SHARED_NAMES[7], SHARED_DATES[19])]
)
def test_a_shared_name_and_a_shared_birth_date_find_the_one_record_holding_both(crowded, name, born):
    fingerprints, _, _ = crowded
    result = scan_text(f"{name}, born {born}", fingerprints)
    assert result.matched_records == [_grid_id(name, born)]


def test_every_name_and_birth_date_line_of_the_grid_is_found(crowded):
    fingerprints, _, _ = crowded
    lines = [f"{name} (born {born})" for name in SHARED_NAMES for born in SHARED_DATES[::3]]
    found = scan_text("\n".join(lines), fingerprints).matched_records
    assert sorted(found, key=int) == sorted((_grid_id(*line_of(line)) for line in lines), key=int)


def line_of(line: str) -> tuple[str, str]:
    name, born = line.removesuffix(")").split(" (born ")
    return name, born


def test_a_shared_name_with_the_date_of_someone_else_matches_nothing(crowded):
    fingerprints, rows, columns = crowded
    ordinary_dates = [row[columns.index("date_of_birth")] for row in rows[:400]]
    lines = [f"{name}, born {born}" for name, born in zip(SHARED_NAMES, ordinary_dates)]
    for line in lines:
        assert scan_text(line, fingerprints).matched_records == [], line


def test_shared_values_propose_records_only_in_pairs(crowded):
    """A date shared by 10 records is in the paired table, not among the values that propose
    records on their own; the prefilter still looks for it (dates at any frequency)."""
    fingerprints, _, _ = crowded
    date_key = np.uint64(KeyedHasher(KEY).date(SHARED_DATES[4]))
    assert not np.isin(date_key, fingerprints.candidate_keys)
    assert np.count_nonzero(fingerprints.paired_keys == date_key) >= len(SHARED_NAMES)
    assert np.isin(date_key, fingerprints.prefilter_keys)


def test_the_limits_are_counts_of_records_not_shares_of_the_dataset():
    assert not hasattr(params, "RARE_MAX_SHARE")
    assert params.CANDIDATE_MAX_DF < params.PAIRED_MAX_DF
