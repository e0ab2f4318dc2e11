"""The compiled keys of candidate lines (fingerprints/_linekeys.c) are the numpy ones.

The second pass turns a batch of candidate lines into the chunk table's ids of its chunks and
the keys of its lines that some record has (``line_keys.LineKeys``). Both ways of doing it run
over the same batches (altered copies of the leak, paste filler, unicode-heavy text) and must
give the same ids, lines, keys and token counts, and the scanner the same matches. The module
is built by ``pip install -e .`` wherever a C compiler is, as in CI."""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
import pytest

from leaktrack.fingerprints import line_keys as line_keys_module
from leaktrack.fingerprints import params, scan
from leaktrack.fingerprints.line_keys import LineKeys
from leaktrack.fingerprints.normalize import fold_text, token_bytes
from leaktrack.fingerprints.scan import LineMatches, _Scanner
from leaktrack.synthetic import negative_samples, unrelated_paste_text


@pytest.fixture
def scanners(small_leak_fingerprints):
    """(compiled line keys, numpy line keys), each with a fresh chunk table."""
    if not line_keys_module.AVAILABLE:
        pytest.skip("the compiled line keys are not built")
    compiled, numpy_only = _Scanner(small_leak_fingerprints), _Scanner(small_leak_fingerprints)
    numpy_only.line_keys = LineKeys(numpy_only.chunks, small_leak_fingerprints, compiled=False)
    assert compiled.line_keys.compiled and not numpy_only.line_keys.compiled
    return compiled, numpy_only


def _texts(leak, copies) -> list[str]:
    rng = random.Random(7)
    texts = [c.data.decode("utf-8", "replace") for c in copies]
    texts += [s.data.decode("utf-8", "replace") for s in negative_samples(leak, seed=3)[:20]]
    filler = unrelated_paste_text(rng, 200)
    rows = [" ; ".join(leak.rows[i]) for i in rng.sample(range(len(leak.rows)), 40)]
    texts.append(
        "\n".join(row if i % 2 else f"{row}\n{filler[i * 50 : i * 50 + 300]}" for i, row in enumerate(rows))
    )
    texts.append(
        "\n".join(
            [
                "ＧＡＲＣＩＡ ﬁle Straße İstanbul ΣΊΣΥΦΟΣ ǅemal e\u0301 \u0301start",
                "١٢٣٤٥٦٧٨٩ ١٩٩٠-٠٣-٠٧ ０３／０７／１９９０ Ａ１２３４５６７８９",
            ]
            + [" | ".join(row).upper() for row in leak.rows[:30]]
        )
    )
    # One line holding many records (a one-line CSV): hundreds of id keys on the line.
    texts.append(",".join(",".join(row) for row in leak.rows[100:160]))
    return texts


def _batches(scanner: _Scanner, text: str) -> list[bytes]:
    lines = scanner.candidate_lines_of(text) or [(0, token_bytes(fold_text(text.split("\n")[0])))]
    return [b"\n".join(line for _, line in lines[start:end]) for start, end in scan._batches(lines)]


def _sorted_pairs(keys: np.ndarray, lines: np.ndarray) -> list[tuple[int, int]]:
    order = np.lexsort((lines, keys))
    return list(zip(keys[order].tolist(), lines[order].tolist()))


def test_both_give_the_same_chunks_and_known_keys_of_every_batch(scanners, small_leak, small_leak_copies):
    compiled, numpy_only = scanners
    seen = 0
    for text in _texts(small_leak, small_leak_copies):
        for batch in _batches(compiled, text):
            mine, theirs = compiled.line_keys.batch_chunks(batch), numpy_only.line_keys.batch_chunks(batch)
            # The chunk ids are each table's own; the chunks they stand for must be the same:
            assert [compiled.chunks.chunks_by_id[i] for i in mine.ids.tolist()] == [
                numpy_only.chunks.chunks_by_id[i] for i in theirs.ids.tolist()
            ]
            assert mine.lines.tolist() == theirs.lines.tolist()
            assert mine.line_count == theirs.line_count
            keys, others = (
                compiled.line_keys.known_line_keys(mine),
                numpy_only.line_keys.known_line_keys(theirs),
            )
            assert _sorted_pairs(keys.keys, keys.lines) == _sorted_pairs(others.keys, others.lines)
            assert keys.tokens_per_line.tolist() == others.tokens_per_line.tolist()
            seen += len(keys.keys)
    assert seen > 10_000  # the batches hold many keys of the dataset


def _matches(matches: LineMatches) -> list[tuple[int, int, float]]:
    order = np.lexsort((matches.records, matches.lines))
    return list(
        zip(matches.lines[order].tolist(), matches.records[order].tolist(), matches.scores[order].tolist())
    )


def test_both_give_the_same_matches(scanners, small_leak, small_leak_copies):
    compiled, numpy_only = scanners
    found = 0
    for text in _texts(small_leak, small_leak_copies):
        lines = compiled.candidate_lines_of(text)
        for ocr_line_ranges in ((), [(0, 10**9)]):
            mine = _matches(compiled.match_lines(lines, ocr_line_ranges))
            assert mine == _matches(numpy_only.match_lines(lines, ocr_line_ranges))
            found += len(mine)
    assert found > 1000


def test_ids_stay_right_when_the_chunk_table_is_dropped_to_make_room(
    scanners, small_leak_copies, monkeypatch
):
    """The compiled mirror of the table's ids follows the table when it is cleared, also
    between the chunks it knew and the ones it had to look up in one batch."""
    compiled, numpy_only = scanners
    monkeypatch.setattr(params, "CHUNK_MEMO_LIMIT", 500)
    text = "\n".join(c.data.decode("utf-8", "replace") for c in small_leak_copies[:6])
    batches = _batches(compiled, text)
    for batch in batches + batches[:1] + batches:
        for scanner in (compiled, numpy_only):
            chunks = scanner.line_keys.batch_chunks(batch)
            assert [scanner.chunks.chunks_by_id[i] for i in chunks.ids.tolist()] == batch.split()
            assert len(scanner.chunks.ids) <= max(500, len(set(batch.split())))


def test_the_compiled_mirror_is_bounded(scanners, small_leak_copies, monkeypatch):
    compiled, _ = scanners
    monkeypatch.setattr(line_keys_module, "MIRROR_CHUNKS", 300)
    compiled.line_keys = LineKeys(compiled.chunks, compiled.fp)
    for copy in small_leak_copies[:8]:
        for batch in _batches(compiled, copy.data.decode("utf-8", "replace")):
            chunks = compiled.line_keys.batch_chunks(batch)
            assert [compiled.chunks.chunks_by_id[i] for i in chunks.ids.tolist()] == batch.split()
            assert compiled.line_keys._ids.size() <= 300


@pytest.mark.parametrize("compiled", [True, False])
def test_lines_not_made_by_token_bytes_are_refused(small_leak_fingerprints, compiled):
    if compiled and not line_keys_module.AVAILABLE:
        pytest.skip("the compiled line keys are not built")
    scanner = _Scanner(small_leak_fingerprints)
    scanner.line_keys = LineKeys(scanner.chunks, small_leak_fingerprints, compiled)
    with pytest.raises(ValueError, match="token_bytes"):
        scanner.line_keys.batch_chunks(b"garcia\x01lopez 1990")


def _encoded_batches(scanner: _Scanner, leak, copies) -> Iterator[scan._EncodedLines]:
    """The second pass's encoded batches of every test text's candidate lines, one at a time as
    ``match_lines`` makes them."""
    for text in _texts(leak, copies):
        lines = scanner.candidate_lines_of(text)
        for start, end in scan._batches(lines):
            batch = b"\n".join(line for _, line in lines[start:end])
            numbers = np.array([n for n, _ in lines[start:end]], dtype=np.int64)
            yield scan._EncodedLines(scanner, numbers, batch)


def test_both_find_the_same_candidate_pairs_held_entries_and_name_forms_in_order(
    scanners, small_leak, small_leak_copies
):
    """The order matters: evidence weights are summed in it."""
    compiled, numpy_only = scanners
    held = proposed = 0
    for encoded in _encoded_batches(compiled, small_leak, small_leak_copies):
        pairs = compiled.line_keys.candidate_pairs(encoded.line_keys)
        assert pairs.tolist() == numpy_only.line_keys.candidate_pairs(encoded.line_keys).tolist()
        mine = compiled.line_keys.held_entries(pairs, encoded.line_keys)
        theirs = numpy_only.line_keys.held_entries(pairs, encoded.line_keys)
        for field in ("entries", "pairs", "forms", "form_pairs"):
            assert getattr(mine, field).tolist() == getattr(theirs, field).tolist()
        held += len(mine.entries)
        proposed += len(pairs)
    assert held > 10_000 and proposed > 1000


def test_both_weigh_the_same_names_found_in_another_form(scanners, small_leak, small_leak_copies):
    """Whole names reordered and names with initials (``_name_forms``), per pair and column."""
    compiled, numpy_only = scanners
    weighed = 0
    for encoded in _encoded_batches(compiled, small_leak, small_leak_copies):
        pairs = compiled.line_keys.candidate_pairs(encoded.line_keys)
        held = compiled.line_keys.held_entries(pairs, encoded.line_keys)
        mine = compiled._name_forms(encoded, pairs, held)
        theirs = numpy_only._name_forms(encoded, pairs, held)
        assert mine.whole.tolist() == theirs.whole.tolist()
        assert mine.abbreviated.tolist() == theirs.abbreviated.tolist()
        weighed += int(np.count_nonzero(mine.whole)) + int(np.count_nonzero(mine.abbreviated))
    assert weighed > 1000


def test_both_weigh_the_same_fields_found_whole_and_in_part(scanners, small_leak, small_leak_copies):
    """Per pair and column: the best whole value held and the summed weights of the tokens held
    (``_field_weights``), to the last bit (the sums in the same order)."""
    compiled, numpy_only = scanners
    whole_found = partly_found = 0
    for encoded in _encoded_batches(compiled, small_leak, small_leak_copies):
        pairs = compiled.line_keys.candidate_pairs(encoded.line_keys)
        held = compiled.line_keys.held_entries(pairs, encoded.line_keys)
        mine = compiled.line_keys.field_weights(held, len(pairs))
        assert mine is not None
        theirs = numpy_only._field_weights(held, len(pairs))
        assert numpy_only.line_keys.field_weights(held, len(pairs)) is None
        assert mine[0].tolist() == theirs[0].tolist()
        assert mine[1].tolist() == theirs[1].tolist()
        whole_found += int(np.count_nonzero(mine[0]))
        partly_found += int(np.count_nonzero(mine[1]))
    assert whole_found > 1000 and partly_found > 1000


@pytest.mark.skipif(line_keys_module._linekeys is None, reason="the compiled line keys are not built")
def test_field_weights_refuses_a_pair_count_whose_arrays_would_wrap_round():
    """The per (pair, column) arrays are pair_count x columns x 8 bytes: a count that makes
    that wrap round to a few bytes is refused, where the weights were written past them."""
    one = np.zeros(1, dtype=np.int64)
    columns, weights, flags = np.zeros(1, np.uint16), np.ones(1, np.float32), np.zeros(1, np.uint8)
    with pytest.raises(ValueError, match="pair_count"):
        line_keys_module._linekeys.field_weights(one, one + 1, 2**60, columns, weights, flags, 16, 1)


def test_a_chunks_id_variants_are_its_own_whatever_chunks_are_asked_with_it(small_leak_fingerprints):
    """``ChunkTable.id_variants_of`` gathers each chunk's ``id_variant_bytes`` keys (made once,
    kept with the chunk): the same keys in the same order, for chunks asked for again, in
    another order, or beside others (dates and words have none)."""
    table = _Scanner(small_leak_fingerprints).chunks
    chunks = [b"a123456789", b"123456789", b"19900307", b"garcia", b"x9876543210y", b"1234567"]
    table.learn(set(chunks))
    asked = chunks + chunks[::-1] + chunks[2:4]
    for _ in range(2):  # made the first time, gathered the second
        keys, starts, counts = table.id_variants_of(np.array([table.ids[c] for c in asked], dtype=np.int64))
        for chunk, start, count in zip(asked, starts.tolist(), counts.tolist()):
            assert keys[start : start + count].tobytes() == table.id_variant_bytes(chunk)
    assert len(keys) == sum(len(table.id_variant_bytes(c)) for c in chunks) // 8
    assert counts[asked.index(b"a123456789")] > 1 and counts[asked.index(b"garcia")] == 0


def test_both_tell_the_same_id_numbers_one_digit_off_a_records(scanners, small_leak, small_leak_copies):
    """The other-id check (``_shares_id_variant``): a number one digit off the record's id is
    a typo of it, not another person's id."""
    compiled, numpy_only = scanners
    shared = asked = 0
    for encoded in _encoded_batches(compiled, small_leak, small_leak_copies):
        pairs = compiled.line_keys.candidate_pairs(encoded.line_keys)
        pairs = pairs[encoded.has_id_number[pairs >> 32]]
        pair_lines, records = pairs >> 32, pairs & 0xFFFFFFFF
        offsets, keys = encoded.id_variant_lists(pair_lines)
        mine = compiled.line_keys.shares_id_variant(pair_lines, records, offsets, keys)
        theirs = numpy_only.line_keys.shares_id_variant(pair_lines, records, offsets, keys)
        assert mine.tolist() == theirs.tolist()
        shared += int(mine.sum())
        asked += len(mine)
    assert 100 < shared < asked


def test_both_tell_the_same_keys_known(scanners, small_leak_fingerprints):
    """``LineKeys.known`` (the evidence report's keys): the bitset and the sorted keys, in C
    as in numpy, on keys of the file, keys one bit off them and random keys."""
    compiled, numpy_only = scanners
    known = np.asarray(small_leak_fingerprints.known_keys, dtype=np.uint64)
    rng = np.random.default_rng(3)
    keys = np.concatenate(
        (known, known ^ np.uint64(1), rng.integers(0, 2**63, 50_000, dtype=np.int64).astype(np.uint64))
    )
    rng.shuffle(keys)
    mine, theirs = compiled.line_keys.known(keys), numpy_only.line_keys.known(keys)
    assert mine.tolist() == theirs.tolist()
    assert int(mine.sum()) == len(known)
