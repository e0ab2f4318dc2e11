"""The second pass's shortcuts read what the plain Python they stand for reads: each test
compares a shortcut with the code that defines it, on the lines the matcher meets (every
kind of altered copy of a leak) and on lines made to reach the shortcut's edges."""

import random

import pytest

from leaktrack.fingerprints import first_pass as first_pass_module
from leaktrack.fingerprints.chunks import tokens_of_line
from leaktrack.fingerprints.normalize import DATE_FILLER_WORDS, MONTHS, fold_text, textual_dates, token_bytes
from leaktrack.fingerprints.scan import _Scanner

compiled_only = pytest.mark.skipif(
    not first_pass_module.AVAILABLE, reason="the compiled first pass is not built (no C compiler)"
)


def _spelled_date_lines(rng: random.Random) -> list[bytes]:
    """Lines of token bytes around month names: days, years, fillers, other words and numbers,
    in ASCII and in other scripts (Arabic-Indic digits are digits to ``textual_dates`` too)."""
    numbers = "1 7 07 29 31 0 123 1990 2004 1899 \u0661\u0669\u0669\u0660 \u0667".split()
    words = "was born x \u0645\u0627\u0631\u0633 \u043c\u0430\u0440\u0442\u0430 \u674e".split()
    kinds = [list(MONTHS), sorted(DATE_FILLER_WORDS), numbers, words]
    lines = []
    for _ in range(3000):
        tokens = [
            rng.choice(rng.choices(kinds, weights=(2, 3, 4, 2))[0]) for _ in range(rng.randrange(1, 12))
        ]
        lines.append(token_bytes(fold_text(" ".join(tokens))))
    return lines


@compiled_only
def test_spelled_dates_of_the_compiled_scanner_are_textual_dates_of_the_line_tokens(
    small_leak_fingerprints, small_leak_copies
):
    """``_Scanner.spelled_dates`` (in C for an ASCII line) gives ``textual_dates`` of the
    line's tokens, as ISO dates in the same order, on every line of every altered copy and
    on lines made of month names, numbers and fillers."""
    compiled = _Scanner(small_leak_fingerprints, compiled=True)
    python = _Scanner(small_leak_fingerprints, compiled=False)
    lines = [
        token_bytes(fold_text(line))
        for copy in small_leak_copies
        for line in copy.data.decode("utf-8", "replace").splitlines()
    ]
    lines += _spelled_date_lines(random.Random(5))
    dated = 0
    for line in lines:
        want = textual_dates(tokens_of_line(line))
        assert compiled.spelled_dates(line) == want, line
        assert python.spelled_dates(line) == want, line
        dated += bool(want)
    assert dated > 200
    assert any(not line.isascii() and textual_dates(tokens_of_line(line)) for line in lines)
