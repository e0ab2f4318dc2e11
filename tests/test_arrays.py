"""The sorted-array helpers the scanner's membership tests stand on."""

import numpy as np
import pytest

from leaktrack.fingerprints import arrays


@pytest.mark.parametrize(
    "haystack_size", [1, 1000, arrays.CACHED_HAYSTACK, arrays.CACHED_HAYSTACK + 1, 200_000]
)
def test_sorted_contains_agrees_with_isin_on_either_side_of_the_cached_haystack_size(haystack_size):
    rng = np.random.default_rng(haystack_size)
    haystack = arrays.sorted_unique(rng.integers(0, 2**64, haystack_size, dtype=np.uint64))
    needles = np.concatenate(
        [
            rng.choice(haystack, 5000),  # present
            rng.integers(0, 2**64, 5000, dtype=np.uint64),  # (almost all) absent
            np.array([0, 2**64 - 1, haystack[0], haystack[-1]], dtype=np.uint64),  # the edges
        ]
    )
    rng.shuffle(needles)

    found = arrays.sorted_contains(haystack, needles)

    assert found.tolist() == np.isin(needles, haystack).tolist()
    assert found.sum() >= 5000


def test_sorted_contains_of_nothing_is_all_false():
    keys = np.array([1, 2, 3], dtype=np.uint64)
    assert arrays.sorted_contains(np.empty(0, dtype=np.uint64), keys).tolist() == [False] * 3
    assert arrays.sorted_contains(keys, np.empty(0, dtype=np.uint64)).tolist() == []


def test_group_starts_marks_the_first_row_of_each_run_of_equal_rows():
    pairs = np.array([0, 0, 0, 1, 1, 2])
    words = np.array([3, 3, 4, 4, 4, 4])
    assert arrays.group_starts(pairs).tolist() == [True, False, False, True, False, True]
    assert arrays.group_starts(pairs, words).tolist() == [True, False, True, True, False, True]
    assert arrays.group_starts(np.array([], dtype=np.int64)).tolist() == []
