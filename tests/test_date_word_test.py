"""The date-word test (``first_pass.DateWordTest``) asked of the file's (date, word) pairs,
or from the words' side, gives what reading every entry of the date's records gives.

A line whose only numbers are dates is kept for the matcher when some record holds one of its
dates and one of its words. A file built with the (date, word) pairs of its records
(``FingerprintSet.date_word_keys``) answers that in a few lookups a line. An older file is
asked the postings for records listed under the line's tokens and runs of tokens (cheap), and
the entries of the date's records are read only for the lines left (hundreds of records a
date at 10 million records). Here birth dates are
shared by dozens of records and first names and surnames by dozens too (so that tokens are not
listed on their own, as at scale), and the lines mix every case: a person's name beside their
own date, the name turned round, initials, another person's date, rare names beside a date of
others, words of no record."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import numpy as np
import pytest

from leaktrack.fingerprints import FingerprintSet, build_fingerprint_set, first_pass, params
from leaktrack.fingerprints.first_pass import DateWordTest
from leaktrack.fingerprints.keys import KeyedHasher
from leaktrack.fingerprints.normalize import fold_text, token_bytes

KEY = bytes(range(32))
GIVEN = [
    f"{a}{b}"
    for a in ("ma", "jo", "lu", "ka", "se", "ni", "ra", "te")
    for b in ("ria", "sef", "kas", "rin", "na", "ko", "mon", "dor", "lia", "vin")
]
FAMILY = [
    f"{a}{b}"
    for a in ("gar", "lo", "ba", "ko", "mu", "fe", "sa", "du", "ri", "to")
    for b in (
        "cia",
        "pez",
        "rros",
        "walski",
        "ller",
        "rnandez",
        "nchez",
        "bois",
        "vera",
        "rres",
        "mberg",
        "stova",
        "lind",
        "ccio",
        "nova",
    )
]


@pytest.fixture(scope="module")
def dataset():
    rng = random.Random(11)
    first_day = dt.date(1960, 1, 1).toordinal()
    rows = []
    for i in range(12_000):
        if i % 20 == 0:  # a rare person: tokens no other record has
            name = f"{rng.choice(GIVEN)}x{i} q{i}son"
        else:
            name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
        if i % 7 == 0:
            name = name.replace("a", "á", 1)  # written with an accent: the line without it must fold the same
        # Most dates shared by a few records (listed among the candidates), a tenth of the
        # people born on 25 days (~50 records a date: listed among the paired values).
        clustered = i % 10 == 0
        day = dt.date.fromordinal(first_day + (rng.randrange(25) * 400 if clustered else rng.randrange(9000)))
        rows.append(
            [name, day.isoformat(), rng.choice(["A", "B", "C"]), rng.choice(["open", "closed", "appeal"])]
        )
    return ["full_name", "date_of_birth", "nationality", "case_status"], rows


@pytest.fixture(scope="module")
def fingerprints(dataset):
    columns, rows = dataset
    return build_fingerprint_set(columns, rows, [str(i + 1) for i in range(len(rows))], KEY)


@pytest.fixture(scope="module")
def fingerprints_with_common_dates(dataset):
    """The same records with the clustered birth dates (~50 records each) too common to be
    listed in the postings: such a date keeps its line whatever its words."""
    columns, rows = dataset
    with pytest.MonkeyPatch.context() as smaller:
        smaller.setattr(params, "PAIRED_MAX_DF", 30)
        return build_fingerprint_set(columns, rows, [str(i + 1) for i in range(len(rows))], KEY)


def _without_pairs(fingerprints: FingerprintSet) -> FingerprintSet:
    """The fingerprints as a file built before the (date, word) pairs loads them."""
    return dataclasses.replace(
        fingerprints, date_word_keys=np.empty(0, np.uint64), date_word_bits=np.empty(0, np.uint8)
    )


def _lines(rows) -> list[str]:
    rng = random.Random(5)
    lines = []
    for _ in range(600):
        name, date = rng.choice(rows)[:2]
        other = rng.choice(rows)
        words = name.split()
        day = dt.date.fromisoformat(date)
        lines += [
            f"{name}, born {date}",
            f"{' '.join(reversed(words))} {day:%d.%m.%Y}",
            f"{words[0][0]}. {words[-1]} ({day.day} {day:%B} {day.year})",
            f"{name} was seen on {other[1]}",
            f"meeting of the {rng.choice(['board', 'club', 'committee'])} on {date}",
            f"{words[-1]} {other[1]}",
        ]
    return lines


def _every_entry(fingerprints: FingerprintSet, lines: list[bytes]) -> np.ndarray:
    """``held`` read from the date's records' entries alone (no pairs, no words' side)."""
    test = DateWordTest(_without_pairs(fingerprints), KeyedHasher(KEY))
    test._lines_with_a_listed_value_of = lambda *args: np.empty(0, dtype=np.int64)  # type: ignore[method-assign]
    return test.held(lines)


@pytest.mark.parametrize("built", ["fingerprints", "fingerprints_with_common_dates"])
def test_the_date_word_pairs_give_what_every_entry_of_the_dates_records_gives(
    built, dataset, request, monkeypatch
):
    fingerprints = request.getfixturevalue(built)
    lines = [token_bytes(fold_text(line)) for line in _lines(dataset[1])]
    test = DateWordTest(fingerprints, KeyedHasher(KEY))
    assert test.date_word_bits is not None and len(fingerprints.date_word_keys) > len(fingerprints)
    held = test.held(lines)
    assert np.array_equal(held, _every_entry(fingerprints, lines))
    # each way is taken: lines held by a pair, lines held by a date too common to be listed
    # (only in the second file), lines not held at all
    monkeypatch.setattr(test, "_listed", lambda keys: np.ones(len(keys), dtype=bool))
    held_by_a_pair = test.held(lines)
    assert held_by_a_pair.sum() > 1000
    assert (~held).sum() > 1000
    too_common = (held & ~held_by_a_pair).sum()
    assert too_common > 100 if built == "fingerprints_with_common_dates" else too_common == 0


def test_a_file_without_the_pairs_is_asked_from_its_entries(fingerprints, dataset):
    lines = [token_bytes(fold_text(line)) for line in _lines(dataset[1])]
    old = DateWordTest(_without_pairs(fingerprints), KeyedHasher(KEY))
    assert old.date_word_bits is None
    assert np.array_equal(old.held(lines), DateWordTest(fingerprints, KeyedHasher(KEY)).held(lines))


def test_the_words_side_gives_what_every_entry_of_the_dates_records_gives(fingerprints, dataset, monkeypatch):
    assert [c.kind for c in fingerprints.columns][:2] == ["text", "date"]
    lines = [token_bytes(fold_text(line)) for line in _lines(dataset[1])]
    test = DateWordTest(_without_pairs(fingerprints), KeyedHasher(KEY))
    words_side: list[np.ndarray] = []
    found = test._lines_with_a_listed_value_of

    def watched(*args):
        words_side.append(found(*args))
        return words_side[-1]

    monkeypatch.setattr(test, "_lines_with_a_listed_value_of", watched)
    held = test.held(lines)
    monkeypatch.setattr(test, "_lines_with_a_listed_value_of", lambda *args: np.empty(0, dtype=np.int64))
    every_entry = test.held(lines)
    assert np.array_equal(held, every_entry)
    monkeypatch.setattr(first_pass, "_RECORDS_AT_ONCE", 7)  # the entries read a few records at a time
    assert np.array_equal(test.held(lines), every_entry)
    by_words = np.zeros(len(lines), dtype=bool)
    by_words[np.concatenate(words_side)] = True
    # each way is taken: lines held from the words' side, lines held only by reading the
    # entries, lines not held at all
    assert by_words.sum() > 300
    assert (held & ~by_words).sum() > 300
    assert (~held).sum() > 300
