"""The build: streamed in chunks, in worker processes, spilled to disk, in bounded memory."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from leaktrack import synthetic
from leaktrack.errors import DatasetError
from leaktrack.fingerprints import build, build_fingerprint_set, fingerprint_dataset_file, params
from leaktrack.fingerprints.arrays import bucket_bits_for, bucket_offsets
from leaktrack.fingerprints.spill import PartitionedSpill

KEY = bytes(range(32))
_COMPARED = (
    "entry_offsets",
    "entry_keys",
    "entry_columns",
    "entry_flags",
    "entry_weights",
    "prefilter_keys",
    "paired_keys",
    "minhashes",
    "shingle_counts",
    "known_keys",
    "known_bits",
    "known_buckets",
    "candidate_buckets",
    "lsh_keys",
    "lsh_records",
)


@pytest.fixture(scope="module")
def leak():
    return synthetic.generate_leak(6000, seed=3)


@pytest.fixture(scope="module")
def one_process(leak):
    return build_fingerprint_set(leak.columns, leak.rows, leak.ids, KEY, workers=1)


def _same_arrays(a, b) -> list[str]:
    different = [name for name in _COMPARED if not np.array_equal(getattr(a, name), getattr(b, name))]
    order_a = np.lexsort((a.candidate_records, a.candidate_keys))
    order_b = np.lexsort((b.candidate_records, b.candidate_keys))
    if not np.array_equal(a.candidate_keys[order_a], b.candidate_keys[order_b]) or not np.array_equal(
        a.candidate_records[order_a], b.candidate_records[order_b]
    ):
        different.append("candidates")
    return different


def test_worker_processes_in_small_chunks_build_what_one_process_builds(leak, one_process, tmp_path):
    # A 64 MiB budget gives chunks of ~3,300 rows: two chunks, two worker processes.
    source = build.RowsSource(leak.columns, leak.rows, leak.ids, None)
    path = build.build_fingerprint_file(source, KEY, tmp_path / "fp.ltfp", memory_bytes=1, workers=2)
    assert _same_arrays(build.FingerprintSet.open(path), one_process) == []


def test_streamed_csv_with_a_small_budget_builds_what_rows_in_memory_build(leak, one_process, tmp_path):
    key_file = tmp_path / "fp.key"
    key_file.write_text(KEY.hex())
    fingerprints, _ = fingerprint_dataset_file(
        leak.write(tmp_path / "leak.csv"), tmp_path / "fp.ltfp", key_file, memory_bytes=1, workers=2
    )
    assert _same_arrays(fingerprints, one_process) == []
    assert list(fingerprints.record_ids) == leak.ids


def _killed_job(rows):
    os.kill(os.getpid(), signal.SIGKILL)


def test_stored_bucket_indexes_are_the_ones_the_scanner_makes_from_the_keys(leak, tmp_path, monkeypatch):
    # Counted a block at a time at build (blocks of 5,000 keys here: several per array).
    monkeypatch.setattr(build.params, "BUILD_BLOCK_ENTRIES", 5_000)
    source = build.RowsSource(leak.columns, leak.rows, leak.ids, None)
    built = build.FingerprintSet.open(build.build_fingerprint_file(source, KEY, tmp_path / "fp.ltfp"))
    for keys, stored in (
        (built.known_keys, built.known_buckets),
        (built.candidate_keys, built.candidate_buckets),
    ):
        assert len(keys) > 3 * 5_000
        assert np.array_equal(stored, bucket_offsets(keys, bucket_bits_for(len(keys))))


def test_a_build_whose_token_memo_fills_and_is_dropped_builds_the_same_file(leak, one_process, monkeypatch):
    """The keys of tokens are remembered up to ``CHUNK_MEMO_LIMIT`` (``KeyedHasher.prime``),
    then the memo is dropped: the tokens being keyed are still looked up there afterwards
    (the memo of a real dataset's names at tens of millions of records fills)."""
    monkeypatch.setattr(params, "CHUNK_MEMO_LIMIT", 50)
    small_memo = build_fingerprint_set(leak.columns, leak.rows, leak.ids, KEY, workers=1)
    assert _same_arrays(small_memo, one_process) == []


def test_a_killed_worker_fails_the_build_with_a_one_line_error(leak, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "_entries_job", _killed_job)
    source = build.RowsSource(leak.columns, leak.rows, leak.ids, None)
    with pytest.raises(DatasetError, match="worker process died") as caught:
        build.build_fingerprint_file(source, KEY, tmp_path / "fp.ltfp", memory_bytes=1, workers=2)
    assert "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # no output, no temporary folder left


def test_duplicate_ids_of_a_streamed_dataset_name_one(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,name,dob\nX1,Jane Doe,1990-01-01\nX2,Rick Roe,1980-02-02\nX1,Ann Poe,1970-03-03\n")
    with pytest.raises(DatasetError, match="duplicate id 'X1'"):
        fingerprint_dataset_file(path, tmp_path / "fp.ltfp", tmp_path / "k.key", id_column="id")


def test_spill_parts_come_back_sorted_as_one_array(tmp_path):
    rng = np.random.default_rng(1)
    spill = PartitionedSpill(tmp_path, "t", {"key": np.uint64, "record": np.int32}, parts=8)
    keys = rng.integers(0, 2**64, 50_000, dtype=np.uint64)
    for block in np.array_split(np.arange(len(keys)), 7):
        spill.append(keys[block], record=block.astype(np.int32))
    parts = list(spill.sorted_parts())
    assert len(parts) == 8
    merged = np.concatenate([p["key"] for p in parts])
    assert np.array_equal(merged, np.sort(keys))
    assert np.array_equal(keys[np.concatenate([p["record"] for p in parts])], merged)


def test_a_generous_budget_does_not_make_spill_parts_bigger_than_the_part_cap(leak, tmp_path):
    # 10 parts' worth of 16-byte rows: a 1 TiB budget alone would put them in one part (and
    # sort it whole in memory); a 64 MiB budget makes smaller parts than the cap does.
    source = build.RowsSource(leak.columns, leak.rows, leak.ids, None)
    entries = 10 * params.BUILD_MAX_PART_BYTES // 16
    dtypes = {"key": np.uint64, "entry": np.int64}
    generous = build._Build(source, KEY, tmp_path, 2**40, workers=2, progress=None)
    assert generous.spill("generous", dtypes, entries).parts == 16
    small = build._Build(source, KEY, tmp_path, params.BUILD_MIN_MEMORY_BYTES, workers=2, progress=None)
    assert small.spill("small", dtypes, entries).parts == params.BUILD_MAX_PARTS


def test_values_analysed_word_by_word_equal_their_analysis_as_a_whole(leak):
    """The build analyses many-word values from memoized word analyses (names recombine a
    few thousand words); folding, tokens and transliteration must come out as for the whole."""
    memo = build._WordMemo()
    tricky = [
        "王 小明",
        "WangXiao Ming 李",
        "Иван  Петров",
        "a\x85b c",
        "José  Ñúñez-O'Brien",
        " x ",
        "McDonald Ölaf",
        "ﬁsh ＡＢＣ 7 March 1990",
        "Ａ １２３ ٣٤٥٦٧٨٩",
        "ı İstanbul",
        "Đặng Thị 1990-03-07",
        "le 1er mars 1990",
    ]
    values = {v for row in leak.rows for v in row if " " in v} | set(tricky)
    assert [memo.analyse(v) for v in values] == [build.analyse_value(v) for v in values]


def test_id_variants_of_many_values_are_each_values_own(leak):
    """Keyed in one call for a column (compiled when built), split back value by value."""
    builder = build.EntryBuilder(build.KeyedHasher(KEY))
    ascii_values = ["A-112-233-455", "no number", "123456 7654321", "19900307"]
    for values in (ascii_values, [*ascii_values, "٣٤٥٦٧٨٩"]):  # Arabic-Indic digits: in Python
        analyses = [build.analyse_value(v) for v in values]
        counts, keys = builder.id_variant_keys(build.KIND_ID, analyses)
        offsets = np.concatenate(([0], np.cumsum(counts)))
        for i, a in enumerate(analyses):
            expected = {
                builder.hasher.id_variant(v) for d in a.id_numbers for v in build.one_digit_deletions(d)
            }
            assert set(keys[offsets[i] : offsets[i + 1]].tolist()) == expected
            assert counts[i] == len(expected)


@pytest.mark.parametrize("kind", [build.KIND_TEXT, build.KIND_ID, build.KIND_DATE, build.KIND_COMMON])
def test_entries_and_shingles_of_a_column_at_once_are_each_values_own(leak, kind):
    """The build makes a chunk's entries column by column in numpy (``_TokenTable``,
    ``_ValueNumbers``);
    ``EntryBuilder.entries`` and ``shingles`` state the rules one value at a time."""
    builder = build.EntryBuilder(build.KeyedHasher(KEY))
    values = sorted({v for row in leak.rows[:1500] for v in row}) + [
        "王小明",
        "Иван Петров",
        "A-123-456-789",
        "",
        "J",
    ]
    analyses = [build.analyse_value(v) for v in values]
    builder.prime(kind, analyses)
    numbers = build._ValueNumbers(builder.hasher, analyses)
    by_tokens = np.flatnonzero(~numbers.keyed_whole(kind))
    table = build._TokenTable(builder, [analyses[i] for i in by_tokens.tolist()], by_tokens)
    counts, keys, flags, bases = build._value_entries(kind, numbers, table)
    shingle_counts, shingles = build._value_shingles(kind, numbers, table)
    entry_offsets, shingle_offsets = np.cumsum([0, *counts]), np.cumsum([0, *shingle_counts])
    for i, a in enumerate(analyses):
        at = slice(entry_offsets[i], entry_offsets[i + 1])
        made = {k: (f, b) for k, f, b in zip(keys[at].tolist(), flags[at].tolist(), bases[at].tolist())}
        expected = {k: (f, float(np.float32(b))) for k, (f, b) in builder.entries(kind, a).items()}
        assert made == expected, values[i]
        assert set(shingles[shingle_offsets[i] : shingle_offsets[i + 1]].tolist()) == builder.shingles(
            kind, a
        )


@pytest.mark.parametrize(
    "rows",
    [
        [["A-1", "Ana Lopez", ""], ["", "", "x"]],
        [[""]],
        [["a\x1fb", "c"], ["d", "e"]],  # a cell holding the cell separator
        [["a\x1eb", "c"], ["d", "e"]],  # ... the row separator
        [["\x1f\x1e", ""]],
        [["x", "y"], ["p\x1fq"]],  # a separator where a shorter row lacks a cell
    ],
)
def test_rows_packed_for_a_worker_come_back_as_they_were(rows):
    """A chunk goes to a worker as one string; an untrusted cell holding a separator must
    neither split nor join cells."""
    assert build.unpacked_rows(build.packed_rows(rows)) == rows
