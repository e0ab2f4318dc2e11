"""Synthetic leaks, copies and negatives: deterministic, well-formed, honest about their contents."""

from __future__ import annotations

import re

from leaktrack.synthetic import (
    COLUMNS,
    generate_leak,
    is_latin_script,
    negative_samples,
    transformed_copies,
)

A_NUMBER = re.compile(r"^A-\d{3}-\d{3}-\d{3}$")


def test_same_seed_gives_the_same_leak_copies_and_negatives(small_leak):
    again = generate_leak(len(small_leak.rows), seed=7, n_facilities=40)
    assert again.rows == small_leak.rows
    assert [s.data for s in transformed_copies(again, seed=7)] == [s.data for s in transformed_copies(small_leak, seed=7)]
    assert [s.data for s in negative_samples(again, 7, 5)] == [s.data for s in negative_samples(small_leak, 7, 5)]


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
    assert any(any("\u0400" <= ch <= "\u04ff" for ch in n) for n in small_leak.column("full_name"))  # Cyrillic
    assert any(any("\u0600" <= ch <= "\u06ff" for ch in n) for n in small_leak.column("full_name"))  # Arabic script


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
