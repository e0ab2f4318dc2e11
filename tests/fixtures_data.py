"""Fixtures for datasets, documents and synthetic leaks (see conftest.py).

Generated once per session: Faker is quick but not free, and every test reads the same leak.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from leaktrack.fingerprints import FingerprintSet, build_fingerprint_set
from leaktrack.synthetic import Sample, SyntheticLeak, generate_leak, negative_samples, transformed_copies

SMALL_LEAK_RECORDS = 400
TEST_KEY = bytes(range(32))


class Person(NamedTuple):
    """One person of a synthetic leak, as the disguises of short texts take them apart."""

    given: str
    surname: str
    a_number: str


def person_of(leak: SyntheticLeak, row: int) -> Person:
    """The given name, surname and A-number of ``leak``'s record at ``row``."""
    values = leak.rows[row]
    given, surname = values[leak.columns.index("full_name")].split()
    return Person(given, surname, values[leak.columns.index("a_number")])


@pytest.fixture(scope="session")
def small_leak() -> SyntheticLeak:
    """A 400-record synthetic leak (seed 7)."""
    return generate_leak(SMALL_LEAK_RECORDS, seed=7, n_facilities=40)


@pytest.fixture(scope="session")
def small_leak_csv(small_leak, tmp_path_factory):
    """The small leak written as a UTF-8 CSV with a header."""
    return small_leak.write(tmp_path_factory.mktemp("leak") / "leak.csv")


@pytest.fixture(scope="session")
def small_leak_copies(small_leak) -> list[Sample]:
    """Every kind of altered copy of the small leak."""
    return transformed_copies(small_leak, seed=7)


@pytest.fixture(scope="session")
def small_leak_negatives(small_leak) -> list[Sample]:
    """Look-alike documents exposing none of the small leak's records, two of each kind."""
    return negative_samples(small_leak, seed=7, count=28)


@pytest.fixture(scope="session")
def small_leak_fingerprints(small_leak) -> FingerprintSet:
    """The small leak fingerprinted with TEST_KEY, built once: for tests that only read it."""
    return build_fingerprint_set(small_leak.columns, small_leak.rows, small_leak.ids, TEST_KEY)
