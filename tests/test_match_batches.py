"""The second pass matches candidate lines in bounded batches: the matches are those of the
whole document at once, whatever the batch size, and the per-document budgets of the costly
fallbacks (LSH lines, OCR repairs) are spent in line order across batches."""

import numpy as np
import pytest

from leaktrack.fingerprints import params, scan
from leaktrack.fingerprints.normalize import fold_text, token_bytes
from leaktrack.fingerprints.scan import find_record_matches

# Kinds whose lines reach most rules: exact values, typos (LSH and MinHash rescue, id
# typos), transliterated names, dates in other forms, spelled dates.
KINDS = (
    "verbatim",
    "typos_10pct_cells",
    "transliterated_names",
    "dates_dmy_a_number_compact",
    "dates_long_a_number_digits",
)


def _as_tuples(matches: scan.LineMatches) -> list[tuple[int, int, float]]:
    order = np.lexsort((matches.records, matches.lines))
    return list(
        zip(matches.lines[order].tolist(), matches.records[order].tolist(), matches.scores[order].tolist())
    )


def _document(copies) -> str:
    texts = [c.data.decode("utf-8") for c in copies if c.kind in KINDS]
    assert len(texts) >= 2
    return "\n".join(texts)


def test_matches_are_the_same_in_small_batches(small_leak_copies, small_leak_fingerprints, monkeypatch):
    text = _document(small_leak_copies)
    whole = _as_tuples(find_record_matches(text, small_leak_fingerprints))
    assert len(whole) > 100
    monkeypatch.setattr(scan, "MATCH_BATCH_BYTES", 300)
    assert _as_tuples(find_record_matches(text, small_leak_fingerprints)) == whole


def test_lsh_budget_is_spent_in_line_order_across_batches(small_leak, small_leak_fingerprints, monkeypatch):
    # Each line: one person's first name beside another's surname, rare words of the leak
    # that propose no record together, so every line is left to the LSH lookup.
    names = small_leak.column("full_name")
    lines = [
        (i, token_bytes(fold_text(f"{names[i].split()[0]} {names[i + 1].split()[-1]}"))) for i in range(60)
    ]
    scanner = scan._scanner_for(small_leak_fingerprints)
    looked_up: list[int] = []
    lsh_pairs = scan._Scanner._lsh_pairs

    def recording(self, enc, lines):
        looked_up.extend(enc.line_numbers[lines].tolist())
        return lsh_pairs(self, enc, lines)

    monkeypatch.setattr(scan._Scanner, "_lsh_pairs", recording)
    scanner.match_lines(lines)
    every_orphan = list(looked_up)
    assert len(every_orphan) > 20
    looked_up.clear()
    monkeypatch.setattr(params, "LSH_MAX_LINES", 12)
    monkeypatch.setattr(scan, "MATCH_BATCH_BYTES", 40)
    scanner.match_lines(lines)
    assert looked_up == every_orphan[:12]


def test_lines_given_out_of_order_match_as_in_order(small_leak_copies, small_leak_fingerprints):
    scanner = scan._scanner_for(small_leak_fingerprints)
    lines = scanner.candidate_lines_of(_document(small_leak_copies))
    in_order = _as_tuples(scanner.match_lines(lines))
    assert _as_tuples(scanner.match_lines(lines[::-1])) == in_order


def test_lines_not_in_token_form_are_refused(small_leak_fingerprints):
    scanner = scan._scanner_for(small_leak_fingerprints)
    with pytest.raises(ValueError, match="token_bytes"):
        scanner.match_lines([(0, b"Garcia,\x01Juan")])
