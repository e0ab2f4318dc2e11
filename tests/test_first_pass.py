"""The compiled first pass (fingerprints/_firstpass.c) gives what the pure-Python one gives.

Both passes run over the same corpora (altered copies of the leak, look-alikes, paste
filler, unicode-heavy text, ids and dates in many writings, Latin-1 and UTF-16 files) and
must agree on every candidate line and every match. The compiled pass is built by
``pip install -e .`` wherever a C compiler is, as in CI."""

from __future__ import annotations

import hashlib
import random
import unicodedata

import numpy as np
import pytest

from leaktrack.fingerprints import build_fingerprint_set, params, scan_bytes, scan_text
from leaktrack.fingerprints import first_pass as first_pass_module
from leaktrack.fingerprints.chunks import ID_HIT, ChunkTable, tokens_of_line
from leaktrack.fingerprints.keys import KeyedHasher
from leaktrack.fingerprints.normalize import (
    DATE_FILLER_WORDS,
    MONTHS,
    digit_date_readings,
    fold_text,
    textual_dates,
    token_bytes,
)
from leaktrack.fingerprints.scan import _Scanner
from leaktrack.synthetic import negative_samples, unrelated_paste_text

MONTH_NAMES = "January February March April May June July August September October November December".split()

KEY = bytes(range(32))
compiled_only = pytest.mark.skipif(
    not first_pass_module.AVAILABLE, reason="the compiled first pass is not built (no C compiler)"
)


@pytest.fixture(scope="module")
def fingerprints(small_leak):
    return build_fingerprint_set(small_leak.columns, small_leak.rows, small_leak.ids, KEY)


@pytest.fixture(scope="module")
def scanners(fingerprints):
    """(compiled, pure Python), each keeping its memo from one test to the next."""
    if not first_pass_module.AVAILABLE:
        pytest.skip("the compiled first pass is not built")
    return _Scanner(fingerprints, compiled=True), _Scanner(fingerprints, compiled=False)


def _assert_same_candidate_lines(scanners, text: str) -> list[tuple[int, bytes]]:
    compiled, python = scanners
    found = compiled.candidate_lines_of(text)
    assert found == python.candidate_lines(token_bytes(fold_text(text)))
    return found


def _assert_same_matches(fingerprints, scanners, scan) -> None:
    results = []
    for scanner in scanners:
        fingerprints._scanner = scanner
        result = scan()
        results.append((result.verdict, result.matched_records, result.confidences))
    fingerprints._scanner = None
    assert results[0] == results[1]


def _unicode_heavy_text(leak, rng: random.Random) -> str:
    """Rows of the leak's native-script names among text the folding must read alike."""
    native = [i for i, is_native in enumerate(leak.native_script) if is_native]
    lines = [" | ".join(leak.rows[i]) for i in rng.sample(native, min(30, len(native)))]
    row = leak.rows[0]
    lines += [
        "ＧＡＲＣＩＡ ﬁle Straße İstanbul ΣΊΣΥΦΟΣ ǅemal e\u0301 \u0301start",  # fullwidth, ligature, ß, marks
        f"{row[1].upper()}\u00a0{row[2]}\u2002Ｎｏ．\u2003{row[3]}",  # no-break and em spaces
        "١٢٣٤٥٦٧٨٩ ١٩٩٠-٠٣-٠٧ ０３／０７／１９９０ Ａ１２３４５６７８９",  # Arabic-Indic and fullwidth digits
        "zero\u200bwidth soft\u00adhyphen “quoted” — dash… ½ ⅞ №5 emoji 🙂 𝐁𝐨𝐥𝐝 \ud800 lone surrogate",
        "Владимир Петров 07.03.1990 Αθήνα 北京市 王小明 김민수 محمد أحمد",
    ]
    rng.shuffle(lines)
    return "\n".join(lines)


def _ids_and_dates_text(leak, rng: random.Random) -> str:
    """One record's fields in the writings a copy uses: id numbers with and without
    separators, dates in digits (both orders, 6 to 8 digits) and with month names."""
    name, a_number, birth = leak.columns.index("full_name"), leak.columns.index("a_number"), None
    birth = leak.columns.index("date_of_birth")
    lines = []
    for i in rng.sample(range(len(leak.rows)), 40):
        row = leak.rows[i]
        year, month, day = row[birth].split("-")
        digits = "".join(ch for ch in row[a_number] if ch.isdigit())
        writings = [
            row[a_number],
            digits,
            f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
            f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",
            f"{day}/{month}/{year}",
            f"{month}/{day}/{year}",
            f"{year}{month}{day}",
            f"{day}{month}{year[2:]}",
            f"{int(day)} March {year}",
            row[birth],
        ]
        lines.append(f"{row[name]} " + " ".join(rng.sample(writings, 3)))
        lines.append(f"ref {digits} only, filed {row[birth]}")  # id and date without a name
    return "\n".join(lines)


@pytest.fixture(params=["vector hashing", "one message at a time"])
def hashing(request):
    """The compiled module's two ways to key short messages: four at a time in AVX2 lanes
    (where the processor has AVX2; elsewhere both params run the one-at-a-time path) and one
    at a time. Restored after the test."""
    from leaktrack.fingerprints import _firstpass

    was = _firstpass.vector_hashing(request.param == "vector hashing")
    yield request.param
    _firstpass.vector_hashing(was)


@compiled_only
def test_compiled_keyed_hashes_are_keys_keyed_blake2b(hashing):
    from leaktrack.fingerprints import _firstpass

    rng = random.Random(1)
    for key_length in (1, 16, 32, 64):
        key = rng.randbytes(key_length)
        # every length, short ones (one block, keyed four at a time) among long ones in runs
        # of every length, so that a batch of one to four short messages meets a long one
        items = [rng.randbytes(n) for n in [*range(0, 300), 1000, 4096]]
        items += [rng.randbytes(rng.choice([rng.randrange(15), rng.randrange(15, 40)])) for _ in range(2000)]
        for prefix in ("t", "n", "d"):
            got = np.frombuffer(_firstpass.keyed_hashes(key, prefix, items), dtype="<u8").tolist()
            want = [
                int.from_bytes(
                    hashlib.blake2b(prefix.encode() + b":" + i, digest_size=8, key=key).digest(), "little"
                )
                for i in items
            ]
            assert got == want


@compiled_only
def test_both_passes_agree_whichever_way_new_words_are_keyed(
    fingerprints, small_leak, small_leak_copies, hashing
):
    """A cold compiled pass keys new words four at a time, after the chunks before them and
    before the hits after them are counted: its lines are the pure-Python pass's on the leak's
    copies and on text of many new words (fresh scanners, an empty memo, and a memo of a few
    chunks, cleared again and again)."""
    compiled, python = _Scanner(fingerprints, compiled=True), _Scanner(fingerprints, compiled=False)
    small = _scanner_with_memo_of(fingerprints, 7)
    found = 0
    for text in _texts_of_new_words(small_leak, small_leak_copies):
        want = python.candidate_lines(token_bytes(fold_text(text)))
        assert compiled.candidate_lines_of(text) == want
        assert small.candidate_lines_of(text) == want
        found += len(want)
    assert found > 100


@compiled_only
def test_keying_new_words_four_at_a_time_counts_every_hit_in_the_text_order(
    fingerprints, small_leak, small_leak_copies
):
    """Everything the compiled pass says of a document (distinct hits, counted in the text's
    order up to a cap, their strength, every line's row) is the same whether its new words are
    keyed four at a time or one at a time, cold."""
    from leaktrack.fingerprints import _firstpass

    capped = 0
    for text in _texts_of_new_words(small_leak, small_leak_copies):
        said = []
        for vector in (True, False):
            was = _firstpass.vector_hashing(vector)
            try:
                said.append(_Scanner(fingerprints, compiled=True).first_pass._pass.lines(text))
            finally:
                _firstpass.vector_hashing(was)
        assert said[0] == said[1]
        capped += said[0][0] == 1024  # (the cap of distinct hits: the order counts)
    assert capped >= 4


@compiled_only
def test_a_new_word_waiting_for_its_key_is_counted_before_a_later_hit(fingerprints, small_leak, scanners):
    """A document's distinct hits are counted in the text's order up to a cap (1,024): at the
    cap, the new word of a line "<new word of the dataset> <id number>" is counted, not the id
    number after it, though the word waits for its key while the id is keyed at once."""
    from leaktrack.fingerprints import _firstpass

    _, python = scanners
    x = token_bytes(fold_text("\n".join(" ".join(row) for row in small_leak.rows)))
    chunks = sorted(set(x.split()))
    python.chunks.learn(set(chunks))
    hits = [c for c in chunks if python.chunks.hit(c)]
    word = next(c for c in hits if c.isalpha() and len(c) <= 14)
    number = next(c for c in hits if python.chunks.hit(c) == ID_HIT)
    others = [c.decode() for c in hits if c not in (word, number)]
    assert len(others) > 1030
    for before in (1022, 1023, 1024):
        text = "\n".join([*others[:before], f"{word.decode()} {number.decode()}"])
        said = []
        for vector in (True, False):
            was = _firstpass.vector_hashing(vector)
            try:
                said.append(_Scanner(fingerprints, compiled=True).first_pass._pass.lines(text)[:2])
            finally:
                _firstpass.vector_hashing(was)
        strength = sum(python.chunks.hit(c.encode()) for c in others[:before])
        last = {1022: 1 + ID_HIT, 1023: 1, 1024: 0}[before]  # what of the last line the cap leaves
        assert said == [(min(before + 2, 1024), strength + last)] * 2


def _scanner_with_memo_of(fingerprints, memo_chunks: int) -> _Scanner:
    """A scanner whose compiled pass remembers at most ``memo_chunks`` chunks (dropped whole
    when full, before the next document)."""
    scanner = _Scanner(fingerprints, compiled=True)
    scanner.first_pass = first_pass_module.CompiledFirstPass(
        scanner.hasher,
        fingerprints.prefilter_keys,
        scanner._month_keys(),
        fingerprints.known_keys,
        fingerprints.known_bits,
        scanner.date_words,
        memo_chunks=memo_chunks,
    )
    return scanner


def _texts_of_new_words(leak, copies) -> list[str]:
    """The leak's text copies, paste filler and lines of the leak's words in random order."""
    rng = random.Random(21)
    texts = [s.data.decode("utf-8") for s in copies if _is_utf8(s.data)]
    texts += [unrelated_paste_text(rng, lines=300) for _ in range(5)]
    words = [w for row in leak.rows for value in row for w in value.split()]
    texts += ["\n".join(" ".join(rng.choices(words, k=12)) for _ in range(500)) for _ in range(3)]
    return texts


def test_both_passes_find_the_same_lines_in_every_altered_copy(scanners, small_leak_copies):
    with_lines = 0
    for sample in small_leak_copies:
        try:
            text = sample.data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # binary formats: their extracted text is compared below
        with_lines += bool(_assert_same_candidate_lines(scanners, text))
    assert with_lines >= len(small_leak_copies) // 2  # the copies do reach the second pass


def test_both_passes_agree_on_look_alikes_and_paste_filler(scanners, small_leak):
    rng = random.Random(3)
    for sample in negative_samples(small_leak, seed=3, count=40):
        _assert_same_candidate_lines(scanners, sample.data.decode("utf-8", "replace"))
    for _ in range(20):
        _assert_same_candidate_lines(scanners, unrelated_paste_text(rng, lines=200))


def test_both_passes_agree_on_unicode_heavy_text(scanners, small_leak):
    rng = random.Random(4)
    for _ in range(5):
        text = _unicode_heavy_text(small_leak, rng)
        assert _assert_same_candidate_lines(scanners, text)


def _assert_same_line_strengths(scanners, text: str) -> int:
    """The compiled pass's rows (every line with a prefilter hit: its strength and number
    flags; start and end in code points) and its document totals are the pure-Python pass's,
    before ``candidate_rows`` chooses: a stronger check than the candidate lines. Its own
    number flag, LINE_NO_DATASET_DATE, is set as ``_no_dataset_date_flags`` says. Returns how
    many lines have a hit."""
    compiled, python = scanners
    distinct, strength, dated, rows, strongest = compiled.first_pass._pass.lines(text)
    x = token_bytes(fold_text(text))
    chunks = list(set(x.split()))
    python.chunks.learn(set(chunks))
    ids = np.array([python.chunks.ids[c] for c in chunks], dtype=np.int64)
    hits = python.chunks.hits_of(ids)
    want_dated = bool(python.chunks.dates_of(ids).any() and python.chunks.dataset_words_of(ids).any())
    assert (distinct, strength, dated) == (int(np.count_nonzero(hits)), int(hits.sum()), want_dated)
    data = np.frombuffer(x, dtype=np.uint8)
    newlines = np.flatnonzero(data == 10)
    strengths, flags = python._line_strengths(x, data, newlines, want_dated)
    rows = np.frombuffer(rows, dtype=np.int64).reshape(-1, 5)
    lines = np.flatnonzero(strengths)
    assert rows[:, 0].tolist() == lines.tolist()
    assert rows[:, 3].tolist() == strengths[lines].astype(np.int64).tolist()
    folded_in_c, unfolded = compiled.first_pass._pass.line_bytes(text, np.ascontiguousarray(rows))
    folded_here = {line for line, folded in folded_in_c if folded is not None and folded.isascii()}
    flags = flags | _no_dataset_date_flags(scanners, x, flags, folded_here)
    assert rows[:, 4].tolist() == flags[lines].tolist()
    numbered = lines[(flags[lines] & 1) > 0]
    dated_numbered = numbered[(flags[numbered] & first_pass_module.LINE_NO_DATASET_DATE) == 0]
    assert strongest == (
        int(strengths.max()) if len(lines) else 0,
        int(strengths[numbered].max()) if len(numbered) else 0,
        int(strengths[dated_numbered].max()) if len(dated_numbered) else 0,
    )
    by_line = x.split(b"\n")
    assert [line for line, _ in folded_in_c] == rows[:, 0].tolist()
    for (line, start, end), (_, folded) in zip(rows[:, :3].tolist(), folded_in_c):
        assert token_bytes(fold_text(text[start:end])) == by_line[line]
        assert folded in (None, by_line[line])  # None: a character that folds only in Python
    assert unfolded == [i for i, (_, folded) in enumerate(folded_in_c) if folded is None]
    assert len(unfolded) < len(rows) / 2
    return len(lines)


def _no_dataset_date_flags(scanners, x: bytes, flags: np.ndarray, folded_here: set[int]) -> np.ndarray:
    """Per line of ``x`` (``token_bytes``), LINE_NO_DATASET_DATE as the pure-Python side says
    it: only dates (LINE_ONLY_DATES), none of its chunks with a digit date of the prefilter
    (``ChunkTable.dates_of``), and none of its spelled dates (``textual_dates``) a prefilter
    key; a line with a month name is read so only where the C pass folds it to ASCII
    (``folded_here``), else the date-word test reads it."""
    compiled, python = scanners
    is_prefilter_key = compiled.first_pass._pass.is_prefilter_key
    out = np.zeros(len(flags), dtype=flags.dtype)
    for i, line in enumerate(x.split(b"\n")):
        ids = np.array([python.chunks.ids[c] for c in line.split()], dtype=np.int64)
        dated = bool(python.chunks.dates_of(ids).any())
        if python.chunks.with_month_name(ids).any():
            spelled = textual_dates(tokens_of_line(line))
            dated |= i not in folded_here or any(is_prefilter_key(compiled.hasher.date(d)) for d in spelled)
        if flags[i] & 2 and not dated:
            out[i] = first_pass_module.LINE_NO_DATASET_DATE
    return out


def _every_kind_of_character(rng: random.Random) -> list[str]:
    """Assigned characters from every block of Unicode's 17 planes (a few of each 128),
    with the ones folding is known to stumble on: marks that reorder, the mark that case
    folds to a letter (U+0345), letters that fold to several (ß, ǅ, ﬁ, İ), spaces and digits
    of other scripts, separators that fold to ASCII punctuation (⑴, ½), lone surrogates."""
    found = []
    for block in range(0, 0x110000, 128):
        candidates = [chr(c) for c in range(block, block + 128) if unicodedata.category(chr(c)) != "Cn"]
        found += rng.sample(candidates, min(3, len(candidates)))
    found += list("ß ǅ ﬁ İ ſ ᾳ ᾼ ΐ ὒ ѐ й ё \u0345 \u0301 \u0327 \u0308 \u05b0 \u0e49 \u093e \u094d")
    found += list("\u00a0 \u2002 \u3000 ⑴ ½ № ’ — … ‐ ․ ／ ١ ۴ ߁ ५ ０ ９ Ａ ｚ 🙂 𝐁 𝟎 \ud800 \udfff")
    return [c for c in found if c != " " and c not in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"]


def test_both_passes_agree_on_every_kind_of_character(scanners, small_leak):
    """Words of the dataset (Latin, native scripts, ids, dates) run into characters from all
    of Unicode: the compiled pass folds non-ASCII characters itself, one by one, and leaves
    to Python the chunks holding a character that does not fold alone; either way each line
    has the pure-Python pass's strength and flags."""
    rng = random.Random(14)
    characters = _every_kind_of_character(rng)
    words = [w for row in small_leak.rows[:300] for value in row for w in value.split()]
    with_hits = 0
    for _ in range(6):
        lines = []
        for _ in range(400):
            parts = []
            for _ in range(rng.randrange(1, 7)):
                word = rng.choice(words)
                word = rng.choice([word, word.upper(), unicodedata.normalize("NFD", word), word.title()])
                if rng.random() < 0.6:
                    at = rng.randrange(len(word) + 1)
                    extra = "".join(rng.choices(characters, k=rng.randrange(1, 3)))
                    word = word[:at] + extra + word[at:] if rng.random() < 0.5 else extra + word
                parts.append(word)
            lines.append(rng.choice([" ", ", ", "\t", " | ", "\u00a0"]).join(parts))
        with_hits += _assert_same_line_strengths(scanners, "\n".join(lines))
        _assert_same_candidate_lines(scanners, "\n".join(lines))
    assert with_hits > 200  # the words do reach the prefilter


def test_a_token_is_told_from_another_that_shares_its_first_bytes(scanners, small_leak):
    """The compiled pass remembers what each token of a chunk is (``garcia`` in ``garcia2``,
    ``x86``) by its bytes: a long name token and a word sharing its first eight letters, in
    chunks of several tokens, each keep their own prefilter strength."""
    long_tokens = [t for t in _one_hit_tokens(scanners[1], small_leak, 400) if len(t) >= 10]
    assert long_tokens
    lines = []
    for token in long_tokens:
        other = token[:8] + "q" * (len(token) - 8)
        lines += [f"{other}2 {other}3", f"{token}2 {token}3", f"{token[:8]}7 {token}x7"]
    assert _assert_same_line_strengths(scanners, "\n".join(lines)) >= len(long_tokens)


def test_both_passes_agree_on_ids_and_dates_in_every_writing(scanners, small_leak):
    text = _ids_and_dates_text(small_leak, random.Random(5))
    assert len(_assert_same_candidate_lines(scanners, text)) >= 40


def test_both_passes_agree_on_birth_dates_beside_words_of_the_dataset(scanners, small_leak):
    """``J. Sezer, 1986-11-15``: a birth date beside a word of the dataset, however common,
    makes a candidate line; the date beside other words does not."""
    name, birth = small_leak.columns.index("full_name"), small_leak.columns.index("date_of_birth")
    lines = []
    for i in random.Random(8).sample(range(len(small_leak.rows)), 30):
        row = small_leak.rows[i]
        words = row[name].split()
        lines.append(f"{words[0][0]}. {words[-1]}, {row[birth]}")  # ASCII or native script
        lines.append(f"the weather on {row[birth]} was fine")
    found = _assert_same_candidate_lines(scanners, "\n".join(lines))
    assert any(n % 2 == 0 for n, _ in found)


def test_both_passes_give_the_same_matches(fingerprints, scanners, small_leak, small_leak_copies):
    rng = random.Random(6)
    texts = [s.data.decode("utf-8") for s in small_leak_copies if s.data.isascii() or _is_utf8(s.data)]
    texts += [_unicode_heavy_text(small_leak, rng), _ids_and_dates_text(small_leak, rng)]
    for text in texts:
        _assert_same_matches(fingerprints, scanners, lambda: scan_text(text, fingerprints))  # noqa: B023


def test_both_passes_give_the_same_matches_in_latin1_and_utf16_files(fingerprints, scanners, small_leak):
    rows = [",".join(r) for r in small_leak.rows[:60]]
    text = "full_name,a_number\n" + "\n".join(rows) + "\nJosé Ñúñez, Zoë Ångström, François Müller\n"
    for encoding, name in (("latin-1", "copy.csv"), ("utf-16", "copy.txt"), ("utf-8-sig", "copy.txt")):
        data = text.encode(encoding, "replace")
        _assert_same_matches(fingerprints, scanners, lambda: scan_bytes(data, fingerprints, name=name))  # noqa: B023


@compiled_only
def test_compiled_and_python_chunk_tables_learn_the_same_arrays(fingerprints, small_leak_copies):
    rng = random.Random(9)
    chunks = set()
    for sample in small_leak_copies:
        chunks |= set(token_bytes(fold_text(sample.data.decode("utf-8", "replace"))).split())
    chunks |= {str(rng.randrange(10 ** rng.randrange(1, 12))).encode() for _ in range(3000)}  # ids, dates
    chunks |= {f"{rng.randrange(10**8)}ab{rng.randrange(10**7)}mar".encode() for _ in range(300)}
    chunks |= {
        b"19900307",
        b"070390",
        b"7march1990",
        b"may",
        b"a123456789",
        b"j0se",
        b"al23456789",
        b"x" * 300,
    }
    chunks |= {"владимир".encode(), "١٩٩٠".encode(), "óscar".encode()}
    ordered = sorted(chunks)
    tables = [
        ChunkTable(KeyedHasher(KEY), fingerprints.prefilter_keys, fingerprints.known_keys, compiled=c)
        for c in (True, False)
    ]
    ids = []
    for table in tables:
        table.learn(set(ordered))
        ids.append(np.array([table.ids[c] for c in ordered]))
    (compiled, python), (compiled_ids, python_ids) = tables, ids
    for flag in (
        "hits_of",
        "dates_of",
        "dataset_words_of",
        "with_month_name",
        "with_id_number",
        "ocr_readable",
        "with_year",
    ):
        assert (getattr(compiled, flag)(compiled_ids) == getattr(python, flag)(python_ids)).all(), flag
    for column in ("token_keys", "special_keys"):
        compiled_keys, compiled_counts = getattr(compiled, column).gather(compiled_ids)
        python_keys, python_counts = getattr(python, column).gather(python_ids)
        assert (compiled_keys == python_keys).all() and (compiled_counts == python_counts).all(), column
    lines = [b" ".join(rng.sample(ordered, 30)) for _ in range(200)]
    for line in lines:
        assert (compiled.id_variant_keys(line) == python.id_variant_keys(line)).all()


@compiled_only
def test_the_compiled_memo_is_bounded_and_results_stay_the_same(fingerprints, small_leak):
    scanner = _scanner_with_memo_of(fingerprints, 500)
    python = _Scanner(fingerprints, compiled=False)
    rng = random.Random(7)
    leaked = "\n".join(",".join(r) for r in small_leak.rows[:20])
    for _ in range(4):
        words = " ".join(f"w{rng.randrange(10**9)}x" for _ in range(3000))  # all distinct
        text = f"{words}\n{leaked}\n{words}"
        assert scanner.candidate_lines_of(text) == python.candidate_lines(token_bytes(fold_text(text)))
        assert scanner.first_pass.memo_size() <= 500


@compiled_only
def test_a_clean_document_of_many_distinct_cells_leaves_no_chunk_in_the_python_memo(fingerprints):
    """Issue 8: a one-line CSV of a million distinct cells cost 40 s and 1.2 GB, one Python
    object per distinct chunk. The compiled pass keeps Python out of clean text."""
    scanner = _Scanner(fingerprints, compiled=True)
    fingerprints._scanner = scanner
    try:  # cells of letters: "xbaaaa", "xbaaab", ... (digits would read as dates of birth)
        row = ",".join("x" + "".join(chr(97 + int(d)) for d in str(100_000 + i)) for i in range(200_000))
        result = scan_text("header\n" + row, fingerprints)
    finally:
        fingerprints._scanner = None
    assert result.verdict == "clean"
    assert len(scanner.chunks.ids) == 0
    assert scanner.first_pass.memo_size() <= params.FIRST_PASS_MEMO_CHUNKS


@compiled_only
def test_a_million_column_csv_is_keyed_without_a_python_hash_per_cell(fingerprints):
    """Issue 8: ``scan`` of a one-line CSV of a million cells (v0,v1,...) took 41.6 s and
    1.2 GB: every distinct cell hashed in Python, one memo entry each. Its numbers read as
    dates of birth, so the line does reach the second pass: the cells are keyed in C."""
    scanner = _Scanner(fingerprints, compiled=True)
    fingerprints._scanner = scanner
    try:
        # 200,000 cells say it as well as a million (bench/speed.py measures the million)
        result = scan_text("\n".join(["header", ",".join(f"v{i}" for i in range(200_000))]), fingerprints)
    finally:
        fingerprints._scanner = None
    assert result.verdict == "clean"
    assert len(scanner.chunks.ids) > 0  # the line was a candidate
    assert scanner.hasher.memo_size() < 1000


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@compiled_only
@pytest.mark.parametrize("key", [b"", bytes(65)])
def test_every_compiled_entry_point_refuses_a_key_blake2b_cannot_take(fingerprints, key):
    from leaktrack.fingerprints import _firstpass

    keys = np.empty(0, dtype=np.uint64)
    calls = [
        lambda: _firstpass.keyed_hashes(key, "t", [b"x"]),
        lambda: _firstpass.chunk_keys(key, [b"x"], 6, 1900, 2099),
        lambda: _firstpass.id_variant_keys(key, b"123456789", 6, 1900, 2099),
        lambda: _firstpass.FirstPass(
            key, keys, keys, keys, keys, np.zeros(8, np.uint8), len, len, 2, 6, 3, 1900, 2099
        ),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="BLAKE2b keys are 1 to 64 bytes"):
            call()


@compiled_only
def test_the_compiled_pass_refuses_month_names_and_fillers_it_cannot_read(fingerprints):
    """The month names (``(name, number)`` pairs) and fillers the compiled pass reads spelled
    dates with are lowercase ASCII words of at most 15 letters, months 1 to 12: anything else
    is a ValueError or a TypeError (a pair that is no tuple was a SystemError)."""
    from leaktrack.fingerprints import _firstpass

    keys, bits = np.empty(0, dtype=np.uint64), np.zeros(8, np.uint8)
    before = (KEY, keys, keys, keys, keys, bits, len, len, 2, 6, 3, 1900, 2099)

    def first_pass(month_names, date_fillers):
        return _firstpass.FirstPass(*before, month_names, date_fillers)

    first_pass([(b"march", 3), [b"mars", 3]], [b"of"])  # a pair may be any sequence
    for month_names, date_fillers in (
        ([(b"March", 3)], []),
        ([(b"march", 13)], []),
        ([(b"", 1)], []),
        ([], [b"x" * 16]),
        ([], [b"Of"]),
    ):
        with pytest.raises(ValueError):
            first_pass(month_names, date_fillers)
    for month_names, date_fillers in (([b"march"], []), ([(b"march",)], []), ([], ["of"]), (3, [])):
        with pytest.raises(TypeError):
            first_pass(month_names, date_fillers)


def test_digits_int_cannot_read_beside_a_month_name_are_no_date_in_either_pass(scanners, small_leak):
    """A token of characters str.isdigit takes but int() refuses (dingbat digits "❶", "➅",
    which fold to themselves) beside a month name and a year, or six to eight of them, made
    textual_dates and digit_date_readings raise ValueError: a scan of such a line beside a
    leaked name crashed, in both passes. They read as no date, as the compiled pass reads them
    (which reads days and years of ASCII digits only)."""
    name, birth = small_leak.columns.index("full_name"), small_leak.columns.index("date_of_birth")
    row = small_leak.rows[0]
    year, month, _ = row[birth].split("-")
    assert textual_dates(["➅", MONTH_NAMES[int(month) - 1].lower(), year]) == []
    assert textual_dates(["7", "march", "１９９０"]) == ["1990-03-07"]  # (other decimal digits still read)
    assert digit_date_readings("❶❷❸❹❺❻") == ()
    lines = [f"{row[name]} ➅ {MONTH_NAMES[int(month) - 1]} {year}", f"{row[name]} ❶ may 1990"]
    _assert_same_candidate_lines(scanners, "\n".join(lines))


def test_dingbat_digits_beside_a_leaked_name_are_letters_to_both_passes_and_the_build(scanners, small_leak):
    """A run of characters str.isdigit takes but that are no decimal digits (dingbat and
    circled digits "❶", "➀": NFKD leaves them, int() refuses them, ``chunk_tokens`` cuts them as
    a run of letters) is no id number: the pure-Python pass read "<leaked name> ❶❷❸❹❺❻" as a
    name beside a number (a candidate line, with one text column), the compiled pass, which
    scans, as a name beside a word (none). Both read it as the tokenizer cuts it, as letters,
    and so does the build: such a value is keyed as a word, not as an id number."""
    from leaktrack.fingerprints.build import analyse_value
    from leaktrack.fingerprints.chunks import number_traits
    from leaktrack.fingerprints.normalize import folded_tokens, id_number

    assert folded_tokens(fold_text("ref ❶❷❸❹❺❻ 123456")) == ["ref", "❶❷❸❹❺❻", "123456"]
    assert id_number("❶❷❸❹❺❻") is None and id_number("123456") == "123456"
    assert id_number("١٢٣٤٥٦") == "١٢٣٤٥٦"  # (Arabic-Indic digits are decimal digits: a number)
    assert number_traits(("❶❷❸❹❺❻",)) == number_traits(("➀➁➂➃",)) == 0
    assert analyse_value("❶❷❸❹❺❻❼").id_numbers == []
    name = small_leak.columns.index("full_name")
    rows = [r for r in small_leak.rows if r[name].isascii()][:20]
    for row in rows:
        dingbats = [f"{row[name]} ❶❷❸❹❺❻", f"{row[name]} ➀➁➂➃➄➅➆", f"{row[name]}, ref ❶❷❸❹❺❻❼❽ of ➍➎➏➐"]
        text = "\n".join(dingbats)
        assert _assert_same_line_strengths(scanners, text) == 3  # the name is a hit on each line
        assert _assert_same_candidate_lines(scanners, text) == []
        # the same lines with decimal digits hold a number: candidates in both passes
        digits = text.translate(str.maketrans("❶❷❸❹❺❻❼❽➀➁➂➃➄➅➆➍➎➏➐", "1234567812345674567"))
        assert len(_assert_same_candidate_lines(scanners, digits)) == 3


def _one_hit_tokens(scanner, leak, count: int) -> list[str]:
    """Name tokens that are one prefilter hit each (rare dataset values): the everyday words
    a big page may hold by chance."""
    name = leak.columns.index("full_name")
    found: list[str] = []
    for row in leak.rows:
        for token in row[name].split():
            if token.isascii() and token.isalpha() and token not in found:
                chunk = token_bytes(fold_text(token))
                scanner.chunks.learn({chunk})
                if scanner.chunks.hit(chunk) == 1:
                    found.append(token)
        if len(found) >= count:
            return found
    raise AssertionError("too few rare name tokens in the leak")


def _filler(rng: random.Random, lines: int) -> list[str]:
    return unrelated_paste_text(rng, lines=lines).split("\n")[:lines]


def test_in_a_big_page_one_hit_lines_are_candidates_only_where_hits_are_dense(scanners, small_leak):
    """A page of more than PREFILTER_FIND_MAX_CHUNKS distinct hits: one-hit lines scattered
    through it (a rare dataset token that is an everyday word, beside a number) stay out; the
    same kind of lines one after another (a block of a leak) come in."""
    rng = random.Random(10)
    tokens = _one_hit_tokens(scanners[1], small_leak, 30)
    lines: list[str] = []
    scattered, dense = [], []
    for token in tokens[:24]:
        lines += _filler(rng, 2 * params.PREFILTER_DENSE_WINDOW_LINES)
        scattered.append(len(lines))
        lines.append(f"{token} page {rng.randrange(10**6, 10**7)}")
    lines += _filler(rng, 2 * params.PREFILTER_DENSE_WINDOW_LINES)
    for token in tokens[24:]:
        dense.append(len(lines))
        lines.append(f"{token} page {rng.randrange(10**6, 10**7)}")
    found = {n for n, _ in _assert_same_candidate_lines(scanners, "\n".join(lines))}
    assert not found & set(scattered)
    assert set(dense) <= found


def test_a_leaked_name_without_any_number_is_no_candidate_line(scanners, small_leak):
    """With one text column (the name), a line needs an id number or a date, in digits, in
    OCR's misreadings or spelled, to be matched: names in ordinary text stay out."""
    compiled, python = scanners
    assert compiled.numbers_needed and python.numbers_needed
    name, birth = small_leak.columns.index("full_name"), small_leak.columns.index("date_of_birth")
    rows = random.Random(11).sample([r for r in small_leak.rows if r[name].isascii()], 10)
    lines = []
    for row in rows:
        year, month, day = row[birth].split("-")
        lines += [
            f"thanks to {row[name]} for the patch",  # no number
            f"thanks to {row[name]} for the patch of {row[birth]}",  # digits
            f"{row[name]}, born {int(day)} {MONTH_NAMES[int(month) - 1]} {year}",  # spelled
            f"{row[name]} b. {row[birth].replace('1', 'l')}",  # OCR's l for 1
        ]
    found = {n for n, _ in _assert_same_candidate_lines(scanners, "\n".join(lines))}
    assert not any(n % 4 == 0 for n in found)
    assert {n for n in range(len(lines)) if n % 4} <= found


def test_with_two_text_columns_a_name_alone_may_be_matched_and_stays_a_candidate(small_leak):
    name = small_leak.columns.index("full_name")
    columns = [*small_leak.columns, "email"]
    rows = [
        [*row, f"{row[name].split()[0].lower()}.{i}@mail.example"] for i, row in enumerate(small_leak.rows)
    ]
    fingerprints = build_fingerprint_set(columns, rows, small_leak.ids, KEY)
    python = _Scanner(fingerprints, compiled=False)
    assert not python.numbers_needed
    row = next(r for r in rows if r[name].isascii())
    text = f"thanks to {row[name]} ({row[-1]}) for the patch"
    assert python.candidate_lines(token_bytes(fold_text(text)))
    if first_pass_module.AVAILABLE:
        assert _Scanner(fingerprints, compiled=True).candidate_lines_of(text) == python.candidate_lines(
            token_bytes(fold_text(text))
        )


def test_the_first_pass_cuts_lose_no_match_in_any_altered_copy(fingerprints, small_leak_copies, monkeypatch):
    """The lines the density, number and date rules keep from the matcher hold no match:
    every copy gives the same records with them as with every line that has a hit."""
    texts = [s.data.decode("utf-8") for s in small_leak_copies if _is_utf8(s.data)]
    cut = _Scanner(fingerprints, compiled=False)
    every = _Scanner(fingerprints, compiled=False)
    every.numbers_needed, every.date_words = False, None
    results = []
    for scanner, min_lines in ((cut, params.PREFILTER_DENSE_MIN_LINES), (every, 0)):
        monkeypatch.setattr(params, "PREFILTER_DENSE_MIN_LINES", min_lines)
        fingerprints._scanner = scanner
        try:
            results.append([scan_text(text, fingerprints).matched_records for text in texts])
        finally:
            fingerprints._scanner = None
    assert results[0] == results[1]
    assert sum(map(len, results[0])) > 0


@compiled_only
def test_the_compiled_chunk_flags_are_the_ones_of_chunks_py():
    from leaktrack.fingerprints import _firstpass, chunks

    for flag in (
        "INFO_DATE",
        "INFO_WORD",
        "INFO_NUMBER",
        "INFO_MONTH",
        "INFO_YEAR",
        "LINE_NUMBERED",
        "LINE_ONLY_DATES",
    ):
        assert getattr(_firstpass, flag) == getattr(chunks, flag), flag
    assert _firstpass.LINE_NO_DATASET_DATE == first_pass_module.LINE_NO_DATASET_DATE
    assert not first_pass_module.LINE_NO_DATASET_DATE & (chunks.LINE_NUMBERED | chunks.LINE_ONLY_DATES)


@compiled_only
def test_compiled_and_python_chunk_flags_agree(scanners, small_leak):
    """Per normalized chunk, the C pass's INFO_ bits are ``chunks.chunk_prefilter_info``'s."""
    from leaktrack.fingerprints.chunks import chunk_prefilter_info

    compiled = scanners[0].first_pass
    rng = random.Random(12)
    chunks = {token_bytes(fold_text(t)) for row in small_leak.rows[:80] for t in row if t.isascii()}
    chunks = {c for chunk in chunks for c in chunk.split()}
    chunks |= {b"march", b"may", b"1990", b"7march1990", b"l990o3o7", b"j0se", b"a123456789", b"12345"}
    chunks |= {str(rng.randrange(10 ** rng.randrange(1, 10))).encode() for _ in range(300)}
    for chunk in sorted(chunks):
        want = chunk_prefilter_info(
            chunk, compiled.hasher, compiled._pass.is_prefilter_key, compiled._pass.is_known_key
        )
        assert compiled._pass.chunk_info(chunk) == want, chunk


def test_a_leaked_name_beside_someone_elses_date_is_no_candidate_line(scanners, small_leak):
    """A line whose only numbers are dates (digits or spelled) comes in when one record holds
    one of its dates and one of its words: a name beside its own birth date, initials beside
    it; not a leaked name beside another person's birth date, or a date beside other words."""
    name, birth = small_leak.columns.index("full_name"), small_leak.columns.index("date_of_birth")
    rows = random.Random(13).sample([r for r in small_leak.rows if r[name].isascii()], 12)
    lines = []
    for row, other in zip(rows, rows[1:] + rows[:1]):
        assert other[birth] != row[birth]
        year, month, day = other[birth].split("-")
        spelled = f"{int(day)} {MONTH_NAMES[int(month) - 1]} {year}"
        words = row[name].split()
        lines += [
            f"{row[name]} was seen on {other[birth]}",  # out: another person's date
            f"{row[name]}, born {spelled}",  # out: spelled, another person's
            f"release of {row[birth]} by the team",  # out: a date of the dataset, no word of its record
            f"{row[name]} was seen on {row[birth]}",  # in
            f"{words[0][0]}. {words[-1]} {row[birth].replace('-', '/')}",  # in: initials and surname
        ]
    found = {n for n, _ in _assert_same_candidate_lines(scanners, "\n".join(lines))}
    assert not any(n % 5 in (0, 1, 2) for n in found)
    assert {n for n in range(len(lines)) if n % 5 in (3, 4)} <= found


def test_a_birth_date_in_arabic_indic_digits_counts_as_the_date_it_reads(scanners, small_leak):
    """``١٩٨٦١١١٥`` reads as 1986-11-15 (digits of any script are digits): beside the record's
    own name the line comes in, beside another person's name it does not, as in ASCII digits."""
    name, birth = small_leak.columns.index("full_name"), small_leak.columns.index("date_of_birth")
    arabic_indic = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
    rows = random.Random(21).sample([r for r in small_leak.rows if r[name].isascii()], 10)
    lines = []
    for row, other in zip(rows, rows[1:] + rows[:1]):
        assert other[birth] != row[birth]
        lines += [
            f"{row[name]} {row[birth].replace('-', '').translate(arabic_indic)}",  # in
            f"{row[name]} {other[birth].replace('-', '').translate(arabic_indic)}",  # out
        ]
    found = {n for n, _ in _assert_same_candidate_lines(scanners, "\n".join(lines))}
    assert found == set(range(0, len(lines), 2))


def test_a_name_in_ocr_look_alikes_counts_as_words_but_not_as_a_number(scanners, small_leak):
    """``J0SE MART1NEZ``: OCR's look-alikes read as the name (the matcher finds it so), so
    beside the record's own birth date the line comes in; alone, it holds no number. (A rare
    token of nobody in the lines makes each line two prefilter hits with the date.)"""
    name, birth = small_leak.columns.index("full_name"), small_leak.columns.index("date_of_birth")
    look_alike = str.maketrans("oOlLsS", "001155")
    rows = [
        r
        for r in small_leak.rows
        if r[name].isascii() and all(set(w.lower()) & set("ols") for w in r[name].split())
    ][:8]
    assert rows
    words_of_rows = {w.lower() for r in rows for w in r[name].split()}
    stranger = next(t for t in _one_hit_tokens(scanners[1], small_leak, 40) if t.lower() not in words_of_rows)
    lines = []
    for row, other in zip(rows, rows[1:] + rows[:1]):
        misread = row[name].translate(look_alike)
        lines += [
            f"{stranger} {misread} {row[birth]}",  # in
            f"{stranger} {misread} {other[birth]}",  # out: another person's date
            f"{stranger} {misread} was here",  # out: no number
        ]
    found = {n for n, _ in _assert_same_candidate_lines(scanners, "\n".join(lines))}
    assert {n for n in range(0, len(lines), 3)} <= found
    assert not any(n % 3 for n in found)


def _lines_asked_of_the_date_word_test(compiled: _Scanner, monkeypatch) -> list[bytes]:
    """The lines ``DateWordTest.held`` is asked about from now on (in order; it still answers)."""
    asked: list[bytes] = []
    held = compiled.date_words.held
    monkeypatch.setattr(
        compiled.date_words, "held", lambda lines, *strict: (asked.extend(lines), held(lines, *strict))[1]
    )
    return asked


@compiled_only
def test_a_name_beside_a_date_no_record_has_is_dropped_before_the_date_word_test(
    scanners, small_leak, monkeypatch
):
    """A line whose only numbers are dates that no record has (LINE_NO_DATASET_DATE) is left
    out by the compiled pass itself: ``DateWordTest.held`` would hold it for no record, and is
    not asked. A line with a date some record has is still asked (and kept beside its name)."""
    name, birth = small_leak.columns.index("full_name"), small_leak.columns.index("date_of_birth")
    births = {row[birth] for row in small_leak.rows}
    rng = random.Random(31)
    others = [
        d
        for d in (
            f"19{rng.randrange(10, 99)}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 10)}" for _ in range(200)
        )
        if d not in births
    ]
    rows = rng.sample([r for r in small_leak.rows if r[name].isascii()], 10)
    lines = [f"{row[name]} was seen on {other}" for row, other in zip(rows, others)]
    lines.append(f"{rows[0][name]} was seen on {rows[0][birth]}")
    asked = _lines_asked_of_the_date_word_test(scanners[0], monkeypatch)
    found = _assert_same_candidate_lines(scanners, "\n".join(lines))
    assert [n for n, _ in found] == [len(lines) - 1]
    assert asked == [token_bytes(fold_text(lines[-1]))]
    asked.clear()
    assert _assert_same_candidate_lines(scanners, "\n".join(lines[:-1])) == []
    assert asked == []


@compiled_only
def test_the_compiled_pass_reads_spelled_dates_as_textual_dates_does(scanners):
    """``spelled_dates`` (C) reads the dates ``normalize.textual_dates`` reads in a line's
    tokens, in its order: month names of every language around days, years, fillers, other
    words and numbers, near the line's ends and far from the month."""
    compiled = scanners[0].first_pass
    rng = random.Random(41)
    kinds = [
        list(MONTHS),
        sorted(DATE_FILLER_WORDS),
        [
            "1",
            "7",
            "07",
            "29",
            "30",
            "31",
            "0",
            "00",
            "123",
            "1990",
            "2004",
            "1899",
            "2100",
            "0200",
            "19900307",
        ],
        ["was", "seen", "on", "sun", "mon", "x"],
    ]
    lines = [
        b"sun  25 dec 2022 17 11 31  0100",
        b"7th of march 1990",
        b"1990 mar 07",
        b"le 1er mars 1990",
        b"",
    ]
    lines += [b"7 of the de march of the de 1990", b"7 of the de el march 1990", b"1990 a o de mars de 07"]
    for _ in range(5000):
        tokens = [
            rng.choice(rng.choices(kinds, weights=(2, 4, 4, 1))[0]) for _ in range(rng.randrange(1, 14))
        ]
        lines.append(" ".join(tokens).encode())
    for line in lines:
        want = [int(d.replace("-", "")) for d in textual_dates(tokens_of_line(line))]
        assert compiled._pass.spelled_dates(line) == want, line
    # only a line of token bytes (a-z, 0-9, spaces) is read: tokens_of_line reads "maRCH" as
    # "ma" (no month), where capitals read as small letters would make it March
    assert textual_dates(tokens_of_line(b"7 maRCH 1990")) == []
    for not_token_bytes in ("1 mars 1990 é", "7 maRCH 1990", "7 March 1990", "7 march, 1990"):
        with pytest.raises(ValueError):
            compiled._pass.spelled_dates(not_token_bytes.encode())


@compiled_only
def test_a_changelog_signature_is_dropped_before_the_date_word_test_unless_its_date_is_a_records(
    scanners, small_leak, monkeypatch
):
    """A line whose only date is spelled ("Sun, 25 Dec 2022") reaches ``DateWordTest`` only
    when that date is some record's: a changelog's signature line naming a person of the leak
    does not; the same line with the person's own birth date does (and is kept)."""
    name, birth = small_leak.columns.index("full_name"), small_leak.columns.index("date_of_birth")
    births = {row[birth] for row in small_leak.rows}
    rows = random.Random(43).sample([r for r in small_leak.rows if r[name].isascii()], 8)
    month_names = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    lines = []
    for k, row in enumerate(rows):
        day = f"20{10 + k}-0{1 + k}-2{k}"
        assert day not in births
        year, month, dd = day.split("-")
        lines.append(
            f" -- {row[name]} <someone@example.org>  Sun, {dd} {month_names[int(month) - 1]} {year} 17:11:31 +0100"
        )
    year, month, dd = rows[0][birth].split("-")
    lines.append(
        f" -- {rows[0][name]} <x@example.org>  Sun, {dd} {month_names[int(month) - 1]} {year} 17:11:31 +0100"
    )
    asked = _lines_asked_of_the_date_word_test(scanners[0], monkeypatch)
    found = _assert_same_candidate_lines(scanners, "\n".join(lines))
    assert asked == [token_bytes(fold_text(lines[-1]))]
    assert [n for n, _ in found] == [len(lines) - 1]


@compiled_only
def test_spelled_dates_in_raw_text_flag_lines_as_textual_dates_reads_them(scanners, small_leak):
    """Through ``lines()``: lines of raw text with spelled dates (cases, "-./'" inside words,
    punctuation, fillers, long words, birth dates of the leak and other dates) get
    LINE_NO_DATASET_DATE exactly where ``textual_dates`` of their token bytes reads no
    prefilter date (``_assert_same_line_strengths``)."""
    birth = small_leak.columns.index("date_of_birth")
    rng = random.Random(47)
    months = ["March", "MARCH", "Ma-rch", "mar.", "Dec", "dez", "juil", "Sept", "o'ct", "Mayo"]
    fillers = ["of", "the", "de", "le", "th", "a", "o"]
    lines = []
    for _ in range(400):
        if rng.random() < 0.5:  # a birth date of the leak, its words cut by "-./'" or in capitals
            year, month, day = rng.choice(small_leak.rows)[birth].split("-")
            name = MONTH_NAMES[int(month) - 1]
            cut = rng.randrange(1, len(name))
            month_word = rng.choice(
                [
                    name,
                    name.upper(),
                    f"{name[:cut]}-{name[cut:]}",
                    f"{name[:3]}.",
                    f"{name[:cut]}'{name[cut:]}",
                ]
            )
            year = rng.choice([year, f"{year[:2]}.{year[2:]}"])
        else:
            year, day, month_word = (
                str(rng.randrange(1890, 2110)),
                str(rng.randrange(0, 33)),
                rng.choice(months),
            )
        words = [day + rng.choice(["", "th", "."]), *rng.sample(fillers, rng.randrange(0, 3)), month_word]
        words += [*rng.sample(fillers, rng.randrange(0, 2)), year]
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words) + 1), rng.choice(["x" * 20, "seen", "(", "--", "Sun,"]))
        if rng.random() < 0.3:
            words.reverse()
        lines.append(rng.choice([" ", ", ", "/", " - "]).join(words))
    text = "\n".join(lines)
    assert _assert_same_line_strengths(scanners, text) > 150
    flags = np.frombuffer(scanners[0].first_pass._pass.lines(text)[3], dtype=np.int64).reshape(-1, 5)[:, 4]
    only_dates = flags[(flags & 2) > 0]
    assert 20 < np.count_nonzero(only_dates & first_pass_module.LINE_NO_DATASET_DATE) < len(only_dates) - 20
