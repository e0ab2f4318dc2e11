"""The fingerprint file: learned column kinds, a versioned format, no plaintext, the key."""

import datetime as dt
import json
import random
import stat

import numpy as np
import pytest

from leaktrack.errors import FingerprintFileError
from leaktrack.fingerprints import (
    FingerprintSet,
    build_fingerprint_set,
    fingerprint_set,
    load_or_create_key,
    params,
)
from leaktrack.fingerprints.arrays import bucket_bits_for, bucket_offsets, stored_bucket_offsets
from leaktrack.fingerprints.build import EntryBuilder, analyse_value
from leaktrack.fingerprints.keys import KeyedHasher
from leaktrack.fingerprints.minhash import low32, lsh_query, permutations
from leaktrack.fingerprints.normalize import (
    digit_date_readings,
    fold_text,
    transliterated_tokens,
    value_tokens,
)
from leaktrack.fingerprints.scan import find_record_matches

KEY = bytes(range(32))


@pytest.fixture(scope="module")
def fingerprints(small_leak):
    return build_fingerprint_set(small_leak.columns, small_leak.rows, small_leak.ids, KEY)


@pytest.fixture
def saved(fingerprints, tmp_path):
    key_file = tmp_path / "fp.key"
    key_file.write_text(KEY.hex())
    return fingerprints.save(tmp_path / "leak.ltfp"), key_file


def test_key_file_is_created_owner_only(tmp_path):
    key = load_or_create_key(tmp_path / "new.key")
    assert len(key) == 32
    assert stat.S_IMODE((tmp_path / "new.key").stat().st_mode) == 0o600


def test_existing_key_file_is_reused(tmp_path):
    assert load_or_create_key(tmp_path / "k") == load_or_create_key(tmp_path / "k")


def test_default_key_file_lives_in_the_home_folder(workspace):
    load_or_create_key(workspace.key_file)
    assert (workspace.home / "fingerprint.key").exists()


def test_malformed_key_file_is_a_fingerprint_file_error(tmp_path):
    (tmp_path / "bad.key").write_text("not hex at all")
    with pytest.raises(FingerprintFileError, match="not a leaktrack key"):
        load_or_create_key(tmp_path / "bad.key")


def test_column_kinds_are_learned_from_the_values(fingerprints):
    kinds = {c.name: c.kind for c in fingerprints.columns}
    assert kinds == {
        "a_number": "id",
        "full_name": "text",
        "date_of_birth": "date",
        "nationality": "common",
        "case_status": "common",
        "facility": "common",
    }


def test_saved_file_loads_with_the_same_records_and_arrays(saved, fingerprints):
    path, key_file = saved
    loaded = FingerprintSet.load(path, key_file)
    assert loaded.record_ids == fingerprints.record_ids
    assert [c.kind for c in loaded.columns] == [c.kind for c in fingerprints.columns]
    assert np.array_equal(loaded.entry_keys, fingerprints.entry_keys)
    assert np.array_equal(loaded.minhashes, fingerprints.minhashes)


def test_saved_file_is_owner_only(saved):
    path, _ = saved
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def _plaintext_forms(value: str) -> set[str]:
    """Every form of a value a careless file could hold: raw, folded, tokens, transliterated,
    the digits of ids and dates. Pieces under 5 characters are left out: any 4 bytes occur
    by chance in a file of random hashes this size (about 1 in 40,000 per piece)."""
    forms = {
        value,
        value.lower(),
        value.upper(),
        value.casefold(),
        fold_text(value),
        " ".join(value_tokens(value)),
    }
    forms.update(value_tokens(value))
    for variant in transliterated_tokens(value):
        forms.add(" ".join(variant))
        forms.update(variant)
    forms.update(d for t in value_tokens(value) for d in digit_date_readings(t))
    return {f for f in forms if len(f) >= 5}


def _encodings(form: str) -> list[bytes]:
    return [form.encode(e) for e in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le")]


def _leaked_forms(rows: list[list[str]], columns: list[str], skip_column: int | None = None) -> set[str]:
    """Plaintext forms of every value, but the words of column names: the header names the
    columns (``facility``), and a facility called "... Holding Facility" shares that word."""
    column_words = {t for name in columns for t in value_tokens(name.replace("_", " "))}
    return {
        form
        for row in rows
        for i, value in enumerate(row)
        if i != skip_column
        for form in _plaintext_forms(value)
        if form not in column_words
    }


def test_fingerprint_file_holds_no_plaintext_of_any_record(saved, small_leak):
    data = saved[0].read_bytes()
    forms = _leaked_forms(small_leak.rows, small_leak.columns)
    assert len(forms) > 2_000  # the check really looks at every value
    assert [f for f in forms if any(encoded in data for encoded in _encodings(f))] == []


def test_chosen_id_column_is_the_only_plaintext_in_the_file(small_leak, tmp_path):
    fingerprints = build_fingerprint_set(
        small_leak.columns, small_leak.rows, small_leak.column("a_number"), KEY, id_column="a_number"
    )
    data = fingerprints.save(tmp_path / "ids.ltfp").read_bytes()
    a_number = small_leak.columns.index("a_number")
    assert small_leak.rows[0][a_number].encode() in data
    forms = _leaked_forms(small_leak.rows, small_leak.columns, skip_column=a_number)
    assert [f for f in forms if f.encode() in data] == []


def test_file_of_another_format_is_rejected(tmp_path, saved):
    other = tmp_path / "other.ltfp"
    other.write_bytes(b"PK\x03\x04 not a fingerprint file")
    with pytest.raises(FingerprintFileError, match="not a leaktrack fingerprint file"):
        FingerprintSet.load(other, saved[1])


def test_file_of_another_version_is_rejected(saved):
    path, key_file = saved
    data = bytearray(path.read_bytes())
    data[4:6] = (99).to_bytes(2, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(FingerprintFileError, match="version 99"):
        FingerprintSet.load(path, key_file)


def test_truncated_file_is_rejected_as_corrupt(saved):
    path, key_file = saved
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(FingerprintFileError, match="corrupt"):
        FingerprintSet.load(path, key_file)


def test_file_with_a_flipped_byte_is_rejected_as_corrupt(saved):
    path, key_file = saved
    data = bytearray(path.read_bytes())
    data[-1000] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(FingerprintFileError, match="corrupt"):
        FingerprintSet.load(path, key_file)


def test_file_built_with_another_key_is_rejected(saved, tmp_path):
    other_key = tmp_path / "other.key"
    load_or_create_key(other_key)
    with pytest.raises(FingerprintFileError, match="another key"):
        FingerprintSet.load(saved[0], other_key)


def _header(data: bytes) -> tuple[int, int, dict]:
    offset = int.from_bytes(data[6:14], "little")
    length = int.from_bytes(data[14:18], "little")
    return offset, length, json.loads(data[offset : offset + length])


def test_header_names_format_and_version(saved):
    _, _, header = _header(saved[0].read_bytes())
    assert (header["format"], header["version"]) == ("leaktrack-fingerprints", 2)


def test_one_changed_digit_in_the_header_is_refused(saved):
    # The header holds the column kinds (and the ids' arrays' places): a changed digit must
    # not make scans report the wrong person.
    path, key_file = saved
    data = bytearray(path.read_bytes())
    offset, length, _ = _header(bytes(data))
    at = data.index(b'"unique_share": 0', offset) + len(b'"unique_share": 0')
    data[at + 1] = ord("7") if data[at + 1] != ord("7") else ord("3")
    path.write_bytes(bytes(data))
    with pytest.raises(FingerprintFileError, match="corrupt"):
        FingerprintSet.load(path, key_file)


def test_changed_record_id_of_an_id_column_is_refused(small_leak, tmp_path):
    key_file = tmp_path / "fp.key"
    key_file.write_text(KEY.hex())
    ids = small_leak.column("a_number")
    fingerprints = build_fingerprint_set(small_leak.columns, small_leak.rows, ids, KEY, id_column="a_number")
    path = fingerprints.save(tmp_path / "ids.ltfp")
    data = path.read_bytes()
    at = data.index(ids[3].encode()) + len(ids[3]) - 1
    digit = b"1" if data[at : at + 1] != b"1" else b"2"
    path.write_bytes(data[:at] + digit + data[at + 1 :])
    with pytest.raises(FingerprintFileError, match="corrupt"):
        FingerprintSet.load(path, key_file)


def test_dataset_id_is_random_per_build_and_survives_the_file(saved, fingerprints, small_leak):
    loaded = FingerprintSet.load(*saved)
    assert loaded.dataset_id == fingerprints.dataset_id
    assert len(loaded.dataset_id) == 32 and int(loaded.dataset_id, 16) >= 0
    again = build_fingerprint_set(small_leak.columns, small_leak.rows[:50], small_leak.ids[:50], KEY)
    assert again.dataset_id != fingerprints.dataset_id


def test_header_lists_the_matching_features_the_file_was_built_with(saved):
    _, _, header = _header(saved[0].read_bytes())
    assert header["features"] == ["name_forms"]
    assert FingerprintSet.load(*saved).missing_features == ()


def test_file_built_before_name_forms_loads_with_a_one_line_warning_to_rebuild(
    fingerprints, tmp_path, monkeypatch, caplog
):
    key_file = tmp_path / "fp.key"
    key_file.write_text(KEY.hex())
    with monkeypatch.context() as old_leaktrack:  # a leaktrack that wrote no features
        old_leaktrack.setattr(params, "FILE_FEATURES", {})
        path = fingerprints.save(tmp_path / "old.ltfp")
    with caplog.at_level("WARNING"):
        loaded = FingerprintSet.load(path, key_file)
    assert loaded.missing_features == ("name_forms",)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "\n" not in warning
    assert "built by an older leaktrack" in warning and "LAST, First" in warning
    assert "rebuild it with `leaktrack fingerprint`" in warning


def _as_saved_without(
    stored: FingerprintSet, later_arrays: set[str], tmp_path, monkeypatch, key_file
) -> FingerprintSet:
    """The fingerprints saved by a leaktrack that did not write ``later_arrays`` yet, loaded."""
    with monkeypatch.context() as old_leaktrack:
        old_leaktrack.setattr(
            fingerprint_set,
            "_LATER_ARRAYS",
            {k: v for k, v in fingerprint_set._LATER_ARRAYS.items() if k not in later_arrays},
        )
        return FingerprintSet.load(stored.save(tmp_path / "old.ltfp"), key_file)


def test_file_without_stored_bucket_indexes_loads_and_scans_the_same(
    saved, tmp_path, monkeypatch, small_leak_copies
):
    """The bucket indexes of the known and candidate keys are stored since they cost every
    scanning process a search over the mapped keys; a file from before has them made at
    set-up, and finds the same records on the same lines with the same scores."""
    path, key_file = saved
    stored = FingerprintSet.load(path, key_file)
    old = _as_saved_without(stored, {"known_buckets", "candidate_buckets"}, tmp_path, monkeypatch, key_file)
    assert len(old.known_buckets) == 0 and len(old.candidate_buckets) == 0
    assert len(stored.known_buckets) > 1 and len(stored.candidate_buckets) > 1
    texts = [s.data.decode("utf-8", "replace") for s in small_leak_copies]
    assert any(find_record_matches(t, stored).records.size for t in texts)
    for text in texts:
        a, b = find_record_matches(text, stored), find_record_matches(text, old)
        assert np.array_equal(a.records, b.records) and np.array_equal(a.lines, b.lines)
        assert np.array_equal(a.scores, b.scores)


@pytest.mark.parametrize(
    "later_arrays",
    [
        {"date_word_keys", "date_word_bits"},
        {"date_word_reach", "date_name_keys", "date_name_bits"},
    ],
    ids=["pairs", "rules"],
)
def test_file_without_the_date_word_pairs_or_rules_loads_and_finds_the_same(
    later_arrays, saved, tmp_path, monkeypatch, small_leak, small_leak_copies
):
    """The (date, word) pairs of the records are stored since the date-word test read the
    entries of hundreds of records a date at 10M, and their reach and (date, two words)
    anchors since it drops lines no such record could match; a file from before loads
    without them, its test reads the entries (keeps every line with a pair), and finds the
    same records on the same lines with the same scores."""
    path, key_file = saved
    stored = FingerprintSet.load(path, key_file)
    assert stored.numbers_needed and len(stored.date_word_keys) > len(stored)
    assert len(stored.date_word_reach) == len(stored.date_word_keys) and len(stored.date_name_keys) > 0
    old = _as_saved_without(stored, later_arrays, tmp_path, monkeypatch, key_file)
    assert all(len(getattr(old, name)) == 0 for name in later_arrays)
    rng = random.Random(3)
    people = [(row[1], row[3]) for row in rng.sample(small_leak.rows, 200)]
    dates = [date for _, date in people]
    lines = [f"{name}, born {date}" for name, date in people[:100]]
    lines += [f"{name} was seen on {rng.choice(dates)}" for name, _ in people[100:150]]
    lines += [f"{name.split()[0]} was seen on {rng.choice(dates)}" for name, _ in people[150:]]
    texts = [s.data.decode("utf-8", "replace") for s in small_leak_copies] + ["\n".join(lines)]
    assert find_record_matches(texts[-1], stored).records.size >= 100
    for text in texts:
        a, b = find_record_matches(text, stored), find_record_matches(text, old)
        assert np.array_equal(a.records, b.records) and np.array_equal(a.lines, b.lines)
        assert np.array_equal(a.scores, b.scores)


def test_stored_bucket_offsets_that_do_not_fit_the_keys_are_made_again():
    keys = np.sort(np.random.default_rng(1).integers(0, 2**63, 5_000, dtype=np.uint64))
    made = bucket_offsets(keys, bucket_bits_for(len(keys)))
    for stored in (np.empty(0, np.int64), made[:-1], made[:-1] + 1, np.append(made[:-1], len(keys) + 1)):
        offsets, bits = stored_bucket_offsets(keys, stored)
        assert bits == bucket_bits_for(len(keys)) and np.array_equal(offsets, made)
    other_bits = bucket_offsets(keys, 4)  # another size of index fits the keys as well
    offsets, bits = stored_bucket_offsets(keys, other_bits)
    assert bits == 4 and np.array_equal(offsets, other_bits)


def test_version_one_file_is_refused_with_a_rebuild_message(saved):
    path, key_file = saved
    path.write_bytes(b"LTFP" + (1).to_bytes(2, "little") + (20).to_bytes(4, "little") + b"{}" * 10)
    with pytest.raises(FingerprintFileError, match="version 1;.*rebuild"):
        FingerprintSet.load(path, key_file)


def test_loaded_arrays_are_views_of_the_mapped_file(saved):
    loaded = FingerprintSet.load(*saved)
    assert not loaded.entry_keys.flags.writeable  # a view of the read-only mapping, not a copy
    loaded.verify()


def test_a_dataset_of_three_hundred_columns_fingerprints(tmp_path):
    rows = [[f"v{r}x{c}" for c in range(300)] for r in range(20)]
    fingerprints = build_fingerprint_set(
        [f"c{c}" for c in range(300)], rows, [str(r) for r in range(20)], KEY
    )
    assert int(fingerprints.entry_columns.max()) == 299


def _datasketch_minhash(shingles):
    from datasketch import MinHash  # the reference; the scanner never imports it

    minhash = MinHash(num_perm=32, seed=1, hashfunc=low32, scheme="legacy")
    minhash.update_batch(list(shingles))
    return minhash


def test_permutations_are_datasketchs_legacy_ones():
    from datasketch import MinHash

    a, b = MinHash(num_perm=32, seed=1, scheme="legacy").permutations
    assert np.array_equal(permutations(32, 1)[0], a) and np.array_equal(permutations(32, 1)[1], b)


def test_record_minhash_equals_datasketch_minhash_of_its_shingles(fingerprints, small_leak):
    builder = EntryBuilder(KeyedHasher(KEY))
    kinds = [c.kind for c in fingerprints.columns]
    shingles = set()
    for value, kind in zip(small_leak.rows[0], kinds):
        shingles |= builder.shingles(kind, analyse_value(value))
    assert np.array_equal(_datasketch_minhash(shingles).hashvalues, fingerprints.minhashes[0])


def test_lsh_tables_propose_what_datasketch_minhashlsh_proposes(fingerprints):
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.5, num_perm=32)
    assert (lsh.b, lsh.r) == (8, params.LSH_ROWS)
    records = np.flatnonzero(fingerprints.shingle_counts)[:500]
    for record in records.tolist():
        lsh.insert(record, MinHash(32, 1, hashvalues=fingerprints.minhashes[record], scheme="legacy"))
    rng = np.random.default_rng(5)
    for record in rng.choice(records, 40).tolist():
        signature = fingerprints.minhashes[record].copy()
        signature[rng.choice(32, 12, replace=False)] ^= 1  # a changed copy: some bands stay whole
        expected = set(lsh.query(MinHash(32, 1, hashvalues=signature, scheme="legacy")))
        found = {r for r in lsh_query(fingerprints.lsh_keys, fingerprints.lsh_records, signature).tolist()}
        assert found & set(records.tolist()) == expected


def test_birth_dates_shared_by_several_records_are_still_a_date_column():
    # 20,000 people over 5,000 birth dates: hardly any date is unique, yet a date says
    # ~12 bits about who it is (a million-record leak looks like this).
    rng = random.Random(4)
    days = [dt.date(1950, 1, 1) + dt.timedelta(days=d) for d in rng.sample(range(25_000), 5_000)]
    rows = [
        [f"person{i}", rng.choice(days).isoformat(), rng.choice(["granted", "denied"])] for i in range(20_000)
    ]
    fingerprints = build_fingerprint_set(
        ["name", "dob", "status"], rows, [str(i) for i in range(1, 20_001)], KEY
    )
    assert [c.kind for c in fingerprints.columns] == ["text", "date", "common"]


def test_bag_key_of_one_value_equals_the_scanners_vectorized_bag_keys():
    from leaktrack.fingerprints.keys import bag_key, bag_keys

    rng = random.Random(2)
    for _ in range(200):
        keys = [rng.getrandbits(64) for _ in range(rng.randint(1, 5))]
        total = np.array([sum(keys) % 2**64], dtype=np.uint64)
        assert bag_key(keys) == int(bag_keys(total, np.array([len(keys)]))[0])


@pytest.mark.parametrize("numbered", [True, False])
def test_record_ids_taken_many_at_once_are_the_ids_one_by_one(numbered):
    from leaktrack.fingerprints.fingerprint_set import RecordIds, record_ids_of

    ids = [str(n) for n in range(1, 300)] if numbered else [f"case-{n}-é\udcff" for n in range(300)]
    record_ids = RecordIds.of(ids, numbered=numbered)
    wanted = np.array([5, 0, 298, -1, 5, 17])
    assert (
        record_ids.take(wanted)
        == [record_ids[i] for i in wanted.tolist()]
        == [ids[i] for i in wanted.tolist()]
    )
    assert record_ids_of(record_ids, wanted) == record_ids_of(ids, wanted)
