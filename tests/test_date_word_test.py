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
others, words of no record.

The second half: the test knowing the matcher's rules (the file's ``date_word_reach`` and
``date_name_keys``, made by ``build.date_name_facts``) drops the lines the matcher would take
for no record, and changes no match. At 10 million records ~450 people share each birth date,
so a line of ordinary text naming someone beside a date ("Maria Lopez was seen on 1988-04-02")
nearly always holds the date and a word of some record (a Maria born that day): the pairs keep
it, and the matcher rejects it. Its records have every kind of name the rules know of (one
token, one token twice, three tokens, rare ones; a facility, for the MinHash rescue), and its
lines every rule the matcher has for a line without an id number: a name whole beside its date
(in order, turned round, split by other words), initials with a date and a common field, a
typo'd name with its date and common fields, and a person's name beside another person's
date."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable

import numpy as np
import pytest

from leaktrack.fingerprints import FingerprintSet, build_fingerprint_set, first_pass, params, scan_text
from leaktrack.fingerprints.build import date_name_arrays
from leaktrack.fingerprints.evidence import evidence_report
from leaktrack.fingerprints.first_pass import DateWordTest
from leaktrack.fingerprints.keys import KeyedHasher
from leaktrack.fingerprints.normalize import fold_text, token_bytes
from leaktrack.fingerprints.scan import _Scanner, find_record_matches

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


def _people(
    name_of: Callable[[int, random.Random], str], common_fields: Callable[[random.Random], list[str]]
) -> list[list[str]]:
    """12,000 records: the i-th person's name (``name_of``), date of birth, and common fields.
    Every seventh name is written with an accent (the line without it must fold the same).
    Most dates are shared by a few records (listed among the candidates), a tenth of the
    people are born on 25 days (~50 records a date: listed among the paired values)."""
    rng = random.Random(11)
    first_day = dt.date(1960, 1, 1).toordinal()
    rows = []
    for i in range(12_000):
        name = name_of(i, rng)
        if i % 7 == 0:
            name = name.replace("a", "á", 1)
        day = first_day + (rng.randrange(25) * 400 if i % 10 == 0 else rng.randrange(9000))
        rows.append([name, dt.date.fromordinal(day).isoformat(), *common_fields(rng)])
    return rows


@pytest.fixture(scope="module")
def dataset():
    def name_of(i: int, rng: random.Random) -> str:
        if i % 20 == 0:  # a rare person: tokens no other record has
            return f"{rng.choice(GIVEN)}x{i} q{i}son"
        return f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"

    rows = _people(
        name_of, lambda rng: [rng.choice(["A", "B", "C"]), rng.choice(["open", "closed", "appeal"])]
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


def _lines(rows, count: int = 600) -> list[str]:
    """Lines of every kind for ``count`` records of ``rows`` (name, date, common fields...)."""
    rng = random.Random(5)
    lines = []
    for _ in range(count):
        row = rng.choice(rows)
        name, date, common = row[0], row[1], row[2:]
        other = rng.choice(rows)
        words = name.split()
        day = dt.date.fromisoformat(date)
        lines += [
            f"{name}, born {date}",
            f"{' '.join(reversed(words))} {day:%d.%m.%Y}",
            f"{words[0][0]}. {words[-1]} ({day.day} {day:%B} {day.year})",
            f"{words[-1]}, {words[0]} ({day.day} {day:%B} {day.year})",
            f"{words[0][0]}. {words[-1]} {date} {common[0]}",
            f"{words[0]} {words[-1][0]}. {date} {common[0]} {common[1]}",
            f"{name[:-1]}x {date} {common[0]} {common[1]}",  # a typo in the name
            f"{words[0]} {words[-1][1:]} {date} {' '.join(common)}",  # the MinHash rescues some
            f"{name} was seen on {other[1]}",
            f"meeting of the {rng.choice(['board', 'club', 'committee'])} on {date}",
            f"{words[0]} met {other[0]} on {date}",
            f"{words[-1]} {other[1]}",
            f"a letter to {words[0]} of {date}, i think",
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


# -- The matcher's rules ------------------------------------------------------------------

RULES = ("date_word_reach", "date_name_keys", "date_name_bits")


def _letters(number: int) -> str:
    return "".join(chr(ord("a") + int(digit)) for digit in str(number))


def _name(i: int, rng: random.Random) -> str:
    if i % 20 == 0:  # a rare person: tokens no other record has
        return f"{rng.choice(GIVEN)}{_letters(i)} {_letters(i)}son"
    if i % 13 == 0:  # one token: the word is the whole name
        return rng.choice(GIVEN)
    if i % 17 == 0:  # one token twice
        given = rng.choice(GIVEN)
        return f"{given} {given}"
    if i % 11 == 0:
        return f"{rng.choice(GIVEN)} {rng.choice(GIVEN)} {rng.choice(FAMILY)}"
    return f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"


@pytest.fixture(scope="module")
def names_of_every_kind():
    rows = _people(
        _name,
        lambda rng: [
            rng.choice(["Aruba", "Benin", "Chad"]),
            rng.choice(["open", "closed", "appeal"]),
            f"facility {rng.randrange(100)}",
        ],
    )
    return ["full_name", "date_of_birth", "nationality", "case_status", "facility"], rows


@pytest.fixture(scope="module")
def rules_fingerprints(names_of_every_kind):
    columns, rows = names_of_every_kind
    return build_fingerprint_set(columns, rows, [str(i + 1) for i in range(len(rows))], KEY)


def _without_rules(fingerprints: FingerprintSet) -> FingerprintSet:
    """The fingerprints as a file built with the (date, word) pairs but before the rules."""
    empty = {name: np.empty(0, getattr(fingerprints, name).dtype) for name in RULES}
    return dataclasses.replace(fingerprints, _scanner=None, **empty)


def _same_matches(a, b) -> bool:
    return all(np.array_equal(getattr(a, part), getattr(b, part)) for part in ("records", "lines", "scores"))


def test_the_rules_drop_lines_that_match_no_record_and_keep_every_match(
    rules_fingerprints, names_of_every_kind
):
    text = "\n".join(_lines(names_of_every_kind[1], 2000))
    before = _without_rules(rules_fingerprints)
    assert DateWordTest(rules_fingerprints, KeyedHasher(KEY)).knows_rules
    assert not DateWordTest(before, KeyedHasher(KEY)).knows_rules
    kept = _Scanner(rules_fingerprints).candidate_lines_of(text)
    kept_before = _Scanner(before).candidate_lines_of(text)
    assert set(kept) < set(kept_before)
    assert len(kept_before) - len(kept) > 1000  # the rules are taken
    found, found_before = find_record_matches(text, rules_fingerprints), find_record_matches(text, before)
    assert len(found.records) > 5000
    assert _same_matches(found, found_before)


def test_each_rule_keeps_its_lines(rules_fingerprints, names_of_every_kind):
    """Each way of keeping a line is taken, and each is needed: without it, a line that
    matches a record is lost."""
    lines = [token_bytes(fold_text(line)) for line in _lines(names_of_every_kind[1])]
    test = DateWordTest(rules_fingerprints, KeyedHasher(KEY))
    strict = np.ones(len(lines), dtype=bool)
    held = test.held(lines, strict)
    matched = np.zeros(len(lines), dtype=bool)
    matched[
        np.unique(find_record_matches("\n".join(line.decode() for line in lines), rules_fingerprints).lines)
    ] = True
    assert (matched & ~held).sum() == 0
    reach = rules_fingerprints.date_word_reach
    for crippled in (
        {"date_word_reach": np.where(np.isinf(reach), 0, reach).astype(np.float32)},  # no whole value alone
        {"date_word_reach": np.where(np.isinf(reach), reach, 0).astype(np.float32)},  # no name in part
        {"date_name_bits": np.zeros_like(rules_fingerprints.date_name_bits)},  # no name whole or abbreviated
    ):
        without = DateWordTest(dataclasses.replace(rules_fingerprints, **crippled), KeyedHasher(KEY))
        assert (matched & ~without.held(lines, strict)).sum() > 0


def test_scan_results_and_evidence_are_the_same_with_the_rules(rules_fingerprints, names_of_every_kind):
    rng = random.Random(8)
    lines = _lines(names_of_every_kind[1], 300)
    documents = ["\n".join(rng.sample(lines, 40)) for _ in range(30)]
    before = _without_rules(rules_fingerprints)
    leaks = 0
    for document in documents:
        result, result_before = scan_text(document, rules_fingerprints), scan_text(document, before)
        result.seconds = result_before.seconds = 0.0
        assert result == result_before
        leaks += result.verdict == "leak"
        assert (
            evidence_report(document, rules_fingerprints).to_json()
            == evidence_report(document, before).to_json()
        )
    assert leaks == len(documents)


def test_lines_read_by_ocr_are_kept_as_the_pairs_keep_them(rules_fingerprints, names_of_every_kind):
    """A name with one letter misread by OCR is still the name (``_ocr_repaired_names``): a
    record born that day holding one of the line's words may be it."""
    text = "\n".join(_lines(names_of_every_kind[1]))
    everything = [(0, text.count("\n") + 1)]
    kept = _Scanner(rules_fingerprints).candidate_lines_of(text, everything)
    assert kept == _Scanner(_without_rules(rules_fingerprints)).candidate_lines_of(text, everything)
    assert len(kept) > len(_Scanner(rules_fingerprints).candidate_lines_of(text))


def test_the_pure_python_first_pass_drops_the_same_lines(rules_fingerprints, names_of_every_kind):
    text = "\n".join(_lines(names_of_every_kind[1]))
    python = _Scanner(rules_fingerprints, compiled=False).candidate_lines(token_bytes(fold_text(text)))
    assert python == _Scanner(rules_fingerprints).candidate_lines_of(text)


def test_a_file_built_before_the_rules_is_given_the_same_from_its_entries(rules_fingerprints):
    made = date_name_arrays(_without_rules(rules_fingerprints))
    assert set(made) == set(RULES)
    for name in RULES:
        assert np.array_equal(made[name], getattr(rules_fingerprints, name)), name
    assert np.isinf(rules_fingerprints.date_word_reach).any() and len(rules_fingerprints.date_name_keys) > 0


def test_a_dataset_with_two_date_columns_has_no_rules():
    """A record's two dates could match a line without a word of it (two whole values)."""
    rng = random.Random(2)

    def day(first: dt.date) -> str:
        return dt.date.fromordinal(first.toordinal() + rng.randrange(20_000)).isoformat()

    rows = [[_name(i, rng), day(dt.date(1940, 1, 1)), day(dt.date(1990, 1, 1)), "x"] for i in range(3000)]
    fingerprints = build_fingerprint_set(
        ["name", "born", "arrived", "status"], rows, [str(i) for i in range(len(rows))], KEY
    )
    assert [c.kind for c in fingerprints.columns][:3] == ["text", "date", "date"]
    assert len(fingerprints.date_word_keys) > 0
    assert all(len(getattr(fingerprints, name)) == 0 for name in RULES)
    assert not DateWordTest(fingerprints, KeyedHasher(KEY)).knows_rules


def test_the_keys_remembered_across_documents_are_the_keys(
    rules_fingerprints, names_of_every_kind, monkeypatch
):
    """The test keys each word and date once while it remembers it (a bounded memo, dropped
    whole when full): lines asked again, or with the memo nearly empty, are held the same."""
    lines = [token_bytes(fold_text(line)) for line in _lines(names_of_every_kind[1], 200)]
    strict = np.ones(len(lines), dtype=bool)
    first = DateWordTest(rules_fingerprints, KeyedHasher(KEY)).held(lines, strict)
    monkeypatch.setattr(first_pass, "_KEY_MEMO_LIMIT", 5)
    small = DateWordTest(rules_fingerprints, KeyedHasher(KEY))
    assert np.array_equal(small.held(lines, strict), first)
    assert np.array_equal(small.held(lines[::-1], strict)[::-1], first)
    assert (
        0 < len(small._memos["t"]) <= len(set(w for line in lines for w in line.split()))
        and first.sum() > 100
    )
