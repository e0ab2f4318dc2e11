"""Synthetic leaks, copies and negatives: deterministic, well-formed, honest about their contents."""

from __future__ import annotations

import re
import time

from leaktrack.fingerprints.documents import extract_texts
from leaktrack.synthetic import (
    COLUMNS,
    a_number_digits,
    generate_leak,
    is_latin_script,
    negative_samples,
    transformed_copies,
)

A_NUMBER = re.compile(r"^A-\d{3}-\d{3}-\d{3}$")


def test_same_seed_gives_the_same_leak_copies_and_negatives(small_leak, monkeypatch):
    copies = [s.data for s in transformed_copies(small_leak, seed=7)]
    negatives = [s.data for s in negative_samples(small_leak, 7, 5)]
    # An hour later, by the clock the writers read (zip members, office documents, PDFs):
    # the bytes follow the seed, never the time they were made.
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)
    again = generate_leak(len(small_leak.rows), seed=7, n_facilities=40)
    assert again.rows == small_leak.rows
    assert [s.data for s in transformed_copies(again, seed=7)] == copies
    assert [s.data for s in negative_samples(again, 7, 5)] == negatives


def test_other_seed_gives_other_people():
    assert generate_leak(50, seed=1).rows != generate_leak(50, seed=2).rows


def test_leak_has_the_schema_and_unique_well_formed_a_numbers(small_leak):
    assert small_leak.columns == COLUMNS
    a_numbers = small_leak.column("a_number")
    assert len(set(a_numbers)) == len(a_numbers) == 400
    assert all(A_NUMBER.match(a) for a in a_numbers)
    assert all(len(row) == len(COLUMNS) and all(row) for row in small_leak.rows)


def test_leak_mixes_latin_and_native_script_names(small_leak):
    native_share = sum(small_leak.native_script) / len(small_leak.rows)
    assert 0.15 <= native_share <= 0.4
    assert small_leak.native_script == [not is_latin_script(n) for n in small_leak.column("full_name")]
    assert any(
        any("\u0400" <= ch <= "\u04ff" for ch in n) for n in small_leak.column("full_name")
    )  # Cyrillic
    assert any(
        any("\u0600" <= ch <= "\u06ff" for ch in n) for n in small_leak.column("full_name")
    )  # Arabic script


def test_leak_uses_the_asked_number_of_facilities(small_leak):
    assert len(set(small_leak.column("facility"))) <= 40
    assert len(set(small_leak.column("facility"))) >= 30


def test_dates_of_birth_are_iso(small_leak):
    assert all(re.match(r"^\d{4}-\d{2}-\d{2}$", d) for d in small_leak.column("date_of_birth"))


def test_there_are_at_least_25_distinct_copy_kinds(small_leak_copies):
    kinds = [s.kind for s in small_leak_copies]
    assert len(set(kinds)) == len(kinds) >= 25


def test_copies_expect_only_existing_record_ids(small_leak, small_leak_copies):
    for sample in small_leak_copies:
        assert sample.expected_records, sample.kind
        assert sample.expected_records <= set(small_leak.ids), sample.kind


def test_subset_copies_leave_most_records_out_so_precision_is_measurable(small_leak, small_leak_copies):
    partial = [s for s in small_leak_copies if s.kind != "verbatim"]
    assert all(len(s.expected_records) <= len(small_leak.rows) // 4 for s in partial)


def test_negatives_expect_no_records_and_reuse_no_a_number(small_leak, small_leak_negatives):
    a_numbers = set(small_leak.column("a_number"))
    for sample in small_leak_negatives:
        assert sample.expected_records == set()
        text = sample.data.decode("utf-8")
        assert not any(a in text for a in a_numbers), sample.kind


def test_negatives_cover_every_kind(small_leak_negatives):
    assert len({s.kind for s in small_leak_negatives}) >= 13


def test_a_numbers_of_maps_row_ids(small_leak):
    assert small_leak.a_numbers_of({"1", "3"}) == {small_leak.rows[0][0], small_leak.rows[2][0]}


def test_six_thousand_records_generate_with_unique_a_numbers():
    leak = generate_leak()
    assert len(leak.rows) == 6000
    assert len(set(leak.column("a_number"))) == 6000


def exposed_by_a_number(leak, text: str) -> set[str]:
    """Row ids of the leak whose A-number digits appear in ``text`` in any of its formats."""
    digits = set(re.findall(r"(?<!\d)\d{9}(?!\d)", re.sub(r"(?<=\d)-(?=\d)", "", text)))
    return {rid for rid, a in zip(leak.ids, leak.column("a_number")) if a_number_digits(a) in digits}


def test_each_copy_exposes_exactly_its_expected_records(small_leak, small_leak_copies):
    for sample in small_leak_copies:
        if sample.kind == "name_facility_dob":
            continue  # no A-numbers in it: checked by the next test
        text = extract_texts(sample.data, sample.filename).text
        exposed = exposed_by_a_number(small_leak, text)
        if sample.kind == "typos_10pct_cells":
            # a typo in an A-number hides that record from this check, never adds one
            assert exposed <= sample.expected_records
            assert len(exposed) >= 0.8 * len(sample.expected_records)
        else:
            assert exposed == sample.expected_records, sample.kind


def test_name_facility_dob_copy_holds_exactly_those_records(small_leak, small_leak_copies):
    sample = next(s for s in small_leak_copies if s.kind == "name_facility_dob")
    by_triple = {(r[1], r[5], r[3]): rid for rid, r in zip(small_leak.ids, small_leak.rows)}
    lines = extract_texts(sample.data, sample.filename).text.splitlines()[1:]
    assert {by_triple[tuple(line.split("\t"))] for line in lines} == sample.expected_records


def test_embedded_excerpt_is_surrounded_by_unrelated_text(small_leak_copies):
    sample = next(s for s in small_leak_copies if s.kind == "embedded_in_paste")
    lines = sample.data.decode().splitlines()
    assert len(sample.expected_records) == 40 and len(lines) > 200


def test_transliterated_copy_has_only_latin_names_of_native_script_records(small_leak, small_leak_copies):
    sample = next(s for s in small_leak_copies if s.kind == "transliterated_names")
    assert all(small_leak.native_script[int(rid) - 1] for rid in sample.expected_records)
    assert sample.data.decode().isascii()
