"""Scanning: find altered copies with the exact record ids, stay silent on look-alikes."""

import json
import random

import pytest

from leaktrack.fingerprints import build_fingerprint_set, holds_dataset_values, params, scan_bytes, scan_text
from leaktrack.synthetic import (
    COLUMNS,
    generate_leak,
    negative_samples,
    render_delimited,
    transformed_copies,
    unrelated_paste_text,
)

KEY = bytes(range(32))
TYPO_KINDS = {"typos_10pct_cells"}
# With ~10% of cells one character off, a record whose name AND id number are both hit
# has too little left to be told apart from a namesake; the rest must be found.
TYPO_MIN_RECALL = 0.95


@pytest.fixture(scope="module")
def fingerprints(small_leak):
    return build_fingerprint_set(small_leak.columns, small_leak.rows, small_leak.ids, KEY)


def _copy(copies, kind):
    return next(c for c in copies if c.kind == kind)


def _lines(leak, indexes, columns=COLUMNS):
    positions = [leak.columns.index(c) for c in columns]
    return "\n".join(",".join(leak.rows[i][p] for p in positions) for i in indexes)


def _copy_kinds() -> list[str]:
    """Every kind of altered copy the synthetic generator makes (from a tiny leak)."""
    return [s.kind for s in transformed_copies(generate_leak(60, seed=1), seed=1)]


@pytest.mark.parametrize("kind", [k for k in _copy_kinds() if k not in TYPO_KINDS])
def test_scan_finds_altered_copy_with_exactly_its_record_ids(kind, small_leak_copies, fingerprints):
    sample = _copy(small_leak_copies, kind)
    result = scan_bytes(sample.data, fingerprints, name=sample.filename)
    assert result.verdict == "leak"
    assert set(result.matched_records) == sample.expected_records


def test_scan_finds_typod_copy_with_high_recall_and_no_wrong_record(small_leak_copies, fingerprints):
    sample = _copy(small_leak_copies, "typos_10pct_cells")
    found = set(scan_bytes(sample.data, fingerprints, name=sample.filename).matched_records)
    assert found <= sample.expected_records
    assert len(found) >= TYPO_MIN_RECALL * len(sample.expected_records)


def test_scan_finds_ten_row_excerpt_in_a_long_unrelated_paste(small_leak, fingerprints):
    rng = random.Random(3)
    text = "\n".join(
        [
            unrelated_paste_text(rng, 2000),
            _lines(small_leak, range(200, 210)),
            unrelated_paste_text(rng, 2000),
        ]
    )
    result = scan_text(text, fingerprints)
    assert result.matched_records == [str(i) for i in range(201, 211)]


def test_containment_is_share_of_record_lines_that_match(small_leak, fingerprints):
    others = generate_leak(30, seed=99)
    text = _lines(small_leak, range(10)) + "\n" + "\n".join(",".join(r) for r in others.rows)
    result = scan_text(text, fingerprints)
    assert result.matched_count == 10
    assert result.records_in_document == 40
    assert result.containment == pytest.approx(10 / 40)


def test_scan_of_a_full_copy_has_containment_near_one(small_leak, fingerprints):
    result = scan_bytes(small_leak.to_csv_bytes(), fingerprints, name="leak.csv")
    assert result.containment >= 0.99  # the header line looks like a record too


@pytest.mark.parametrize(
    "columns",
    [
        ["full_name"],
        ["full_name", "nationality"],
        ["date_of_birth", "facility", "case_status", "nationality"],
        ["facility", "case_status", "nationality"],
    ],
)
def test_scan_ignores_lines_with_too_little_evidence(columns, small_leak, fingerprints):
    result = scan_text(_lines(small_leak, range(100), columns), fingerprints)
    assert result.matched_records == []


@pytest.mark.parametrize(
    "columns", [["full_name", "a_number"], ["full_name", "date_of_birth"], ["a_number", "facility"]]
)
def test_scan_matches_two_independent_fields(columns, small_leak, fingerprints):
    result = scan_text(_lines(small_leak, range(100), columns), fingerprints)
    assert result.matched_records == [str(i) for i in range(1, 101)]


def _negative_kinds() -> list[str]:
    """Every kind of look-alike document the synthetic generator makes."""
    return sorted({s.kind for s in negative_samples(generate_leak(60, seed=1), seed=1, count=14)})


@pytest.mark.parametrize("kind", _negative_kinds())
def test_scan_stays_silent_on_look_alike_documents(kind, small_leak_negatives, fingerprints):
    samples = [s for s in small_leak_negatives if s.kind == kind]
    assert samples
    assert [scan_bytes(s.data, fingerprints, name=s.filename).matched_records for s in samples] == [
        [] for _ in samples
    ]


def test_scan_of_clean_text_has_no_records_and_zero_containment(fingerprints):
    result = scan_text(unrelated_paste_text(random.Random(1), 500), fingerprints, name="paste")
    assert (result.verdict, result.matched_records, result.containment) == ("clean", [], 0.0)


def test_every_match_has_a_confidence_in_the_unit_interval(small_leak_copies, fingerprints):
    sample = _copy(small_leak_copies, "name_facility_dob")
    result = scan_bytes(sample.data, fingerprints, name=sample.filename)
    assert set(result.confidences) == set(result.matched_records)
    assert all(0 < c <= 1 for c in result.confidences.values())


def test_scan_result_as_json_has_the_documented_fields(small_leak, fingerprints):
    result = scan_text(_lines(small_leak, range(5)), fingerprints, name="five.csv")
    document = json.loads(json.dumps(result.to_dict()))
    assert document["input"] == "five.csv"
    assert document["verdict"] == "leak"
    assert document["matched_records"] == ["1", "2", "3", "4", "5"]
    assert document["matched_count"] == 5
    assert document["containment"] == 1.0


def test_scan_reports_ids_of_the_chosen_id_column(small_leak):
    a_numbers = small_leak.column("a_number")
    fingerprints = build_fingerprint_set(
        small_leak.columns, small_leak.rows, a_numbers, KEY, id_column="a_number"
    )
    result = scan_text(_lines(small_leak, [4, 9]), fingerprints)
    assert set(result.matched_records) == {a_numbers[4], a_numbers[9]}


@pytest.fixture(scope="module")
def six_thousand(tmp_path_factory):
    """A 6,000-record leak and 6,000 other people in the same schema, same facilities."""
    leak = generate_leak(6000, seed=11)
    others = generate_leak(6000, seed=12)
    facilities = sorted(set(leak.column("facility")))
    rng = random.Random(5)
    position = COLUMNS.index("facility")
    rows = [row[:position] + [rng.choice(facilities)] + row[position + 1 :] for row in others.rows]
    fingerprints = build_fingerprint_set(leak.columns, leak.rows, leak.ids, KEY)
    return leak, fingerprints, render_delimited(COLUMNS, rows)


def test_same_schema_list_of_six_thousand_other_people_is_clean(six_thousand):
    leak, fingerprints, other_people_csv = six_thousand
    assert scan_text(other_people_csv, fingerprints).matched_records == []


def test_six_thousand_record_leak_is_found_whole(six_thousand):
    leak, fingerprints, _ = six_thousand
    result = scan_bytes(leak.to_csv_bytes(), fingerprints, name="leak.csv")
    assert len(result.matched_records) == 6000


def test_namesake_born_the_same_day_with_another_a_number_is_not_matched(small_leak, fingerprints):
    name, dob = small_leak.columns.index("full_name"), small_leak.columns.index("date_of_birth")
    row = small_leak.rows[7]
    result = scan_text(
        f"A-999-888-777\t{row[name]}\t{row[dob]}\tSomewhere Else Detention Center", fingerprints
    )
    assert result.matched_records == []


def _one_digit_typo(a_number: str, kind: str) -> str:
    """A-123-456-789 with one digit substituted, inserted, deleted, or two adjacent swapped."""
    digits = a_number[2:].replace("-", "")
    if kind == "substituted":
        typo = digits[:4] + str((int(digits[4]) + 1) % 10) + digits[5:]
    elif kind == "inserted":
        typo = digits[:4] + str((int(digits[4]) + 1) % 10) + digits[4:]
    elif kind == "deleted":
        typo = digits[:4] + digits[5:]
    else:
        typo = digits[:3] + digits[4] + digits[3] + digits[5:]
    return f"A-{typo[:3]}-{typo[3:-3]}-{typo[-3:]}"


def _row_with_a_number(leak, index: int, a_number: str) -> str:
    name, dob = leak.columns.index("full_name"), leak.columns.index("date_of_birth")
    row = leak.rows[index]
    return f"{a_number}\t{row[name]}\t{row[dob]}\tSomewhere Else Detention Center"


@pytest.mark.parametrize("typo", ["substituted", "inserted", "deleted", "swapped"])
def test_row_whose_a_number_has_a_one_digit_typo_is_matched_by_name_and_birth_date(
    typo, small_leak, fingerprints
):
    true_numbers = small_leak.column("a_number")
    index = next(
        i
        for i, a in enumerate(true_numbers)  # a swap must change the number
        if a[2:].replace("-", "")[3] != a[2:].replace("-", "")[4]
    )
    a_number = _one_digit_typo(true_numbers[index], typo)
    assert a_number != true_numbers[index]
    result = scan_text(_row_with_a_number(small_leak, index, a_number), fingerprints)
    assert result.matched_records == [small_leak.ids[index]]


def test_namesake_born_the_same_day_with_an_a_number_two_digits_off_is_not_matched(small_leak, fingerprints):
    a_number = small_leak.column("a_number")[7]
    digits = [int(d) for d in a_number[2:].replace("-", "")]
    digits[1], digits[7] = (digits[1] + 1) % 10, (digits[7] + 1) % 10
    other = "".join(map(str, digits))
    result = scan_text(
        _row_with_a_number(small_leak, 7, f"A-{other[:3]}-{other[3:6]}-{other[6:]}"), fingerprints
    )
    assert result.matched_records == []


def test_lsh_proposes_records_when_no_value_is_rare_enough_to(small_leak, monkeypatch):
    monkeypatch.setattr(params, "CANDIDATE_MAX_DF", 0)  # no exact-key candidates at all
    fingerprints = build_fingerprint_set(small_leak.columns, small_leak.rows, small_leak.ids, KEY)
    assert len(fingerprints.candidate_keys) == 0
    found = set(scan_text(_lines(small_leak, range(100)), fingerprints).matched_records)
    assert found <= {str(i) for i in range(1, 101)}
    assert len(found) >= 80  # LSH banding of 32-permutation MinHashes misses a few


def test_a_text_quoting_one_leaked_surname_or_a_number_holds_dataset_values(small_leak, fingerprints):
    row = small_leak.rows[5]
    surname = row[small_leak.columns.index("full_name")].split()[-1]
    a_number = row[small_leak.columns.index("a_number")]

    assert holds_dataset_values(f"list incl. {surname.upper()}", fingerprints)
    assert holds_dataset_values(f"case {a_number}", fingerprints)


def test_an_ordinary_page_title_holds_no_dataset_values(fingerprints):
    assert not holds_dataset_values("Untitled paste - 2024-11-03 build log", fingerprints)
