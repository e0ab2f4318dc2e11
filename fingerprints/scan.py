"""Scan a document for records of the fingerprinted dataset and say which ones it exposes.

1. Prefilter (whole document, C-speed string ops): fold the text, cut it into chunks
   (``normalize.token_bytes``), keyed-hash each *distinct* chunk's tokens once (memoized
   across documents) and look them up in the set of rare name tokens and id numbers. A
   document without a hit is clean; most of the web stops here.
2. Candidate lines: the lines holding a hit chunk. For each, the keyed hashes of every run
   of 1..MAX_VALUE_TOKENS tokens (numpy, all lines at once), of its id numbers and dates.
3. Candidates: records sharing a rare keyed value with a line (``candidate_keys``).
4. Evidence: which of each candidate record's entries the line holds, weighed per field
   (``params``): a record matches with enough evidence from two fields, or with one
   distinctive field and a MinHash (datasketch) close enough to the record's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from leaktrack.errors import DocumentError
from leaktrack.fingerprints import params
from leaktrack.fingerprints.arrays import KeyBitset, expand_ranges, sorted_contains, sorted_unique
from leaktrack.fingerprints.fingerprint_set import FLAG_TOKEN, FingerprintSet
from leaktrack.fingerprints.keys import KeyedHasher, token_run_keys
from leaktrack.fingerprints.minhash import minhash_from_signature, minhash_of
from leaktrack.fingerprints.normalize import (
    MONTHS, chunk_tokens, digit_date_readings, fold_text, id_number, looks_like_record_line,
    textual_dates, token_bytes,
)
from leaktrack.fingerprints.results import ScanResult

_LINE_SALT = np.uint64(0x9E3779B97F4A7C15)  # mixes a line number into a key: (line, key) sets
_NEWLINE, _SPACE = 10, 32
_ID_HIT = 2  # prefilter strength of an id number: enough on its own to look at a line


@dataclass(frozen=True)
class _ChunkKeys:
    tokens: tuple[str, ...]
    token_keys: tuple[int, ...]
    special_keys: tuple[int, ...]  # id numbers and date readings
    has_month: bool
    hit: int                       # 0, 1 (a rare token or date) or _ID_HIT (an id number)


@dataclass
class RecordMatch:
    record: int      # index into FingerprintSet.record_ids
    line: int        # 0-based line of the scanned text
    score: float
    confidence: float


class _Scanner:
    """Per-FingerprintSet state: the prefilter set and the chunk memo."""

    def __init__(self, fingerprints: FingerprintSet):
        if fingerprints.key is None:
            raise ValueError("FingerprintSet has no key: load it with FingerprintSet.load")
        self.fp = fingerprints
        self.hasher = KeyedHasher(fingerprints.key)
        self.prefilter = set(fingerprints.prefilter_keys.tolist())
        self.common = fingerprints.common_columns
        self.known_keys = sorted_unique(fingerprints.entry_keys)
        self.known_bits = KeyBitset(self.known_keys)
        self.memo: dict[bytes, _ChunkKeys] = {}

    def chunk(self, chunk: bytes) -> _ChunkKeys:
        info = self.memo.get(chunk)
        if info is None:
            if len(self.memo) > params.CHUNK_MEMO_LIMIT:
                self.memo.clear()
            info = self.memo[chunk] = self._chunk_keys(chunk)
        return info

    def _chunk_keys(self, chunk: bytes) -> _ChunkKeys:
        tokens = chunk_tokens(chunk)
        token_keys = tuple(self.hasher.token(t) for t in tokens)
        ids = [self.hasher.id_number(t) for t in tokens if id_number(t)]
        dates = [self.hasher.date(d) for t in tokens for d in digit_date_readings(t)]
        if any(k in self.prefilter for k in ids):
            hit = _ID_HIT
        else:
            hit = int(any(k in self.prefilter for k in token_keys) or any(k in self.prefilter for k in dates))
        return _ChunkKeys(tokens, token_keys, tuple(ids + dates), any(t in MONTHS for t in tokens), hit)

    def chunks_of_lines(self, lines: list[tuple[int, bytes]]
                        ) -> tuple[list[_ChunkKeys], np.ndarray, dict[int, tuple[int, int]]]:
        """Every chunk of the lines (memoized keys), the line of each, each line's range."""
        chunks: list[_ChunkKeys] = []
        line_numbers: list[int] = []
        ranges: dict[int, tuple[int, int]] = {}
        memo, chunk = self.memo, self.chunk
        for number, text in lines:
            start = len(chunks)
            chunks.extend([memo.get(c) or chunk(c) for c in text.split()])
            ranges[number] = (start, len(chunks))
            line_numbers.append(len(chunks) - start)
        numbers = np.repeat(np.array([n for n, _ in lines], dtype=np.int64),
                            np.array(line_numbers, dtype=np.int64))
        return chunks, numbers, ranges

    # -- 1. prefilter and candidate lines -------------------------------------------------
    def candidate_lines(self, x: bytes) -> list[tuple[int, bytes]]:
        """Lines holding an id number of the dataset or two chunks of rare dataset values
        (one rare name token alone is too often an ordinary word: "page", "rose")."""
        hits = {c: info.hit for c in set(x.split()) if (info := self.chunk(c)).hit}
        if sum(hits.values()) < _ID_HIT:  # no line can hold enough: one rare word is no record
            return []
        if len(hits) > params.PREFILTER_FIND_MAX_CHUNKS:
            # A document this full of hits is a leak or a name list: look at every line
            # with a hit (the evidence rules, not the prefilter, keep the precision).
            hit_set = set(hits)
            return [(i, line) for i, line in enumerate(x.split(b"\n"))
                    if not hit_set.isdisjoint(line.split())]
        newlines = np.flatnonzero(np.frombuffer(x, dtype=np.uint8) == _NEWLINE)
        line_hits = [(np.unique(np.searchsorted(newlines, np.fromiter(_whole_chunk_positions(x, c), np.int64))),
                      strength) for c, strength in hits.items()]
        strength = np.zeros(len(newlines) + 1, dtype=np.int64)
        for lines, hit in line_hits:
            strength[lines] += hit
        starts = np.concatenate(([0], newlines + 1))
        ends = np.concatenate((newlines, [len(x)]))
        return [(i, x[starts[i]:ends[i]]) for i in np.flatnonzero(strength >= _ID_HIT).tolist()]

    # -- 2-4. lines -> matches -----------------------------------------------------------
    def match_lines(self, lines: list[tuple[int, bytes]]) -> list[RecordMatch]:
        encoded = _EncodedLines.of(self, lines)
        pairs = self._candidate_pairs(encoded)
        if len(pairs) == 0:
            return []
        evidence, whole_found = self._evidence(encoded, pairs)
        return self._decide(encoded, pairs, evidence, whole_found)

    def _candidate_pairs(self, enc: "_EncodedLines") -> np.ndarray:
        """Unique (line, record) pairs as int64 line << 32 | record."""
        keys = self.fp.candidate_keys
        lo = np.searchsorted(keys, enc.keys, side="left")
        counts = np.searchsorted(keys, enc.keys, side="right") - lo
        found = counts > 0
        positions = expand_ranges(lo[found], counts[found])
        lines = np.repeat(enc.key_lines[found], counts[found])
        records = self.fp.candidate_records[positions].astype(np.int64)
        return sorted_unique((lines << 32) | records)

    def _evidence(self, enc: "_EncodedLines", pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(pairs x columns) evidence weight of each field of the record in the line, and
        whether the field was found whole (not only some of its tokens)."""
        fp = self.fp
        pair_lines, pair_records = pairs >> 32, pairs & 0xFFFFFFFF
        starts = fp.entry_offsets[pair_records]
        counts = fp.entry_offsets[pair_records + 1] - starts
        entries = expand_ranges(starts, counts)
        entry_pair = np.repeat(np.arange(len(pairs)), counts)
        salted = fp.entry_keys[entries] ^ (pair_lines[entry_pair].astype(np.uint64) * _LINE_SALT)
        held = sorted_contains(enc.salted_key_set, salted)
        entries, entry_pair = entries[held], entry_pair[held]
        n_columns = len(fp.columns)
        group = entry_pair * n_columns + fp.entry_columns[entries]
        weights = fp.entry_weights[entries].astype(np.float64)
        is_token = (fp.entry_flags[entries] & FLAG_TOKEN) > 0
        whole = np.zeros(len(pairs) * n_columns)
        np.maximum.at(whole, group[~is_token], weights[~is_token])
        partial = np.bincount(group[is_token], weights=weights[is_token], minlength=len(whole))
        partial = np.minimum(partial, params.WEIGHT_TEXT * params.TOKEN_PARTIAL_FACTOR)

        whole = whole.reshape(len(pairs), n_columns)
        return np.maximum(whole, partial.reshape(len(pairs), n_columns)), whole > 0

    def _decide(self, enc: "_EncodedLines", pairs: np.ndarray, evidence: np.ndarray,
                whole_found: np.ndarray) -> list[RecordMatch]:
        distinctive = evidence[:, ~self.common]
        score = distinctive.sum(axis=1) + np.minimum(evidence[:, self.common].sum(axis=1),
                                                     params.COMMON_WEIGHT_CAP)
        fields = (evidence > 0).sum(axis=1)
        matched = (score >= params.MATCH_SCORE_THRESHOLD) & (fields >= params.MIN_EVIDENCE_FIELDS) \
            & (distinctive.sum(axis=1) >= params.MIN_DISTINCTIVE_SCORE)
        # Two whole distinctive values (name and date of birth, however common the name is in
        # the dataset) are independent proof: a namesake is rarely also a birthday twin.
        matched |= whole_found[:, ~self.common].sum(axis=1) >= params.MIN_EVIDENCE_FIELDS
        # The MinHash only decides between two partial distinctive fields (a typo'd name and
        # a date): one distinctive field alone is what a namesake or a birthday twin shows.
        rescuable = ~matched & (score >= params.RESCUE_MIN_SCORE) \
            & ((distinctive > 0).sum(axis=1) >= params.RESCUE_MIN_DISTINCTIVE_FIELDS)
        results = []
        for i in np.flatnonzero(matched | rescuable).tolist():
            line, record = int(pairs[i] >> 32), int(pairs[i] & 0xFFFFFFFF)
            if not matched[i] and not self._minhash_close(enc, line, record):
                continue
            confidence = min(1.0, float(score[i]) / params.CONFIDENT_SCORE)
            results.append(RecordMatch(record, line, float(score[i]), confidence))
        return self._without_rivals(enc, results)

    def _without_rivals(self, enc: "_EncodedLines", matches: list[RecordMatch]) -> list[RecordMatch]:
        """A row-sized line is one record: drop records it fits clearly worse than another
        (two records with the same name and birth date; the A-number tells them apart)."""
        best: dict[int, float] = {}
        for m in matches:
            best[m.line] = max(best.get(m.line, 0.0), m.score)
        return [m for m in matches
                if m.score >= params.ROW_RIVAL_SCORE_RATIO * best[m.line]
                or enc.token_count(m.line) > params.ROW_MAX_TOKENS]

    def _minhash_close(self, enc: "_EncodedLines", line: int, record: int) -> bool:
        """Is most of the record (its distinctive shingles) in the line, by MinHash?"""
        shingles = set(enc.shingles(line))
        record_size = int(self.fp.shingle_counts[record])
        if not shingles or not record_size:
            return False
        record_minhash = minhash_from_signature(self.fp.minhashes[record], self.fp.minhash_seed)
        jaccard = minhash_of(list(shingles)).jaccard(record_minhash)
        # |R & L| = J (|R| + |L|) / (1 + J); containment of the record in the line:
        containment = jaccard * (record_size + len(shingles)) / ((1 + jaccard) * record_size)
        return containment >= params.MINHASH_RESCUE_CONTAINMENT


class _EncodedLines:
    """Keyed hashes of candidate lines: token runs, id numbers and dates, with their line."""

    def __init__(self, keys, key_lines, salted_key_set, line_chunks):
        self.keys = keys
        self.key_lines = key_lines
        self.salted_key_set = salted_key_set
        self._line_chunks = line_chunks

    @classmethod
    def of(cls, scanner: _Scanner, lines: list[tuple[int, bytes]]) -> "_EncodedLines":
        chunks, chunk_lines, line_chunks = scanner.chunks_of_lines(lines)
        token_keys, token_lines = _flatten(chunks, chunk_lines, "token_keys")
        special_keys, special_lines = _flatten(chunks, chunk_lines, "special_keys")
        dates, date_lines = _textual_date_keys(scanner, chunks, line_chunks)
        runs, run_lines = token_run_keys(token_keys, token_lines, params.MAX_VALUE_TOKENS)
        keys = np.concatenate((token_keys, runs, special_keys, dates))
        key_lines = np.concatenate((token_lines, run_lines, special_lines, date_lines))
        # Most runs of tokens are no value of any record: drop them before any per-line work,
        # sorted by key so that every later lookup walks its haystack in order.
        maybe = scanner.known_bits.may_contain(keys)
        keys, key_lines = keys[maybe], key_lines[maybe]
        known = sorted_contains(scanner.known_keys, keys)
        keys, key_lines = keys[known], key_lines[known]
        order = np.argsort(keys)
        keys, key_lines = keys[order], key_lines[order]
        salted = sorted_unique(keys ^ (key_lines.astype(np.uint64) * _LINE_SALT))
        return cls(keys, key_lines, salted, {n: chunks[a:b] for n, (a, b) in line_chunks.items()})

    def token_count(self, line: int) -> int:
        return sum(len(info.tokens) for info in self._line_chunks[line])

    def shingles(self, line: int) -> list[int]:
        """The line's MinHash shingles, as the record's: letter tokens, ids and dates."""
        out = []
        for info in self._line_chunks[line]:
            out.extend(k for t, k in zip(info.tokens, info.token_keys) if not t.isdigit())
            out.extend(info.special_keys)
        return out


def _flatten(chunks: list[_ChunkKeys], chunk_lines: np.ndarray, field: str
             ) -> tuple[np.ndarray, np.ndarray]:
    """One field's keys of every chunk, concatenated, with the line of each."""
    counts = np.fromiter((len(getattr(c, field)) for c in chunks), dtype=np.int64, count=len(chunks))
    keys = np.fromiter(chain.from_iterable(getattr(c, field) for c in chunks), dtype=np.uint64,
                       count=int(counts.sum()))
    return keys, np.repeat(chunk_lines, counts)


def _textual_date_keys(scanner: _Scanner, chunks: list[_ChunkKeys],
                       line_chunks: dict[int, tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Keys of dates written with month names ("7 March 1990"), which span chunks."""
    keys, lines = [], []
    for number, (start, end) in line_chunks.items():
        if any(c.has_month for c in chunks[start:end]):
            tokens = [t for c in chunks[start:end] for t in c.tokens]
            for iso in textual_dates(tokens):
                keys.append(scanner.hasher.date(iso))
                lines.append(number)
    return np.array(keys, dtype=np.uint64), np.array(lines, dtype=np.int64)


def _whole_chunk_positions(x: bytes, chunk: bytes):
    """Start offsets of ``chunk`` in ``x`` where it stands as a whole chunk."""
    start, size, length = 0, len(x), len(chunk)
    while (p := x.find(chunk, start)) >= 0:
        end = p + length
        if (p == 0 or x[p - 1] in (_SPACE, _NEWLINE)) and (end == size or x[end] in (_SPACE, _NEWLINE)):
            yield p
        start = end


def _scanner_for(fingerprints: FingerprintSet) -> _Scanner:
    if fingerprints._scanner is None:
        fingerprints._scanner = _Scanner(fingerprints)
    return fingerprints._scanner


def find_record_matches(text: str, fingerprints: FingerprintSet) -> list[RecordMatch]:
    """Every (record, line) match in ``text``, the building block of scan_text."""
    scanner = _scanner_for(fingerprints)
    lines = scanner.candidate_lines(token_bytes(fold_text(text)))
    return scanner.match_lines(lines) if lines else []


def scan_text(text: str, fingerprints: FingerprintSet, name: str = "<text>",
              skipped: list[str] | None = None, bytes_scanned: int | None = None) -> ScanResult:
    """Scan plain text, line by line (a table row is one line, cells in any delimiter)."""
    started = time.perf_counter()
    matches = find_record_matches(text, fingerprints)
    best: dict[int, float] = {}
    for m in matches:
        best[m.record] = max(best.get(m.record, 0.0), m.confidence)
    records = sorted(best)
    records_in_document = _records_in_document(text, {m.line for m in matches}) if matches else 0
    ids = fingerprints.record_ids
    return ScanResult(
        input=name,
        verdict="leak" if records else "clean",
        matched_records=[ids[r] for r in records],
        containment=len(records) / max(records_in_document, len(records), 1),
        confidences={ids[r]: best[r] for r in records},
        records_in_document=records_in_document,
        bytes_scanned=len(text.encode("utf-8", "surrogatepass")) if bytes_scanned is None else bytes_scanned,
        seconds=time.perf_counter() - started,
        skipped=list(skipped or []),
    )


def _records_in_document(text: str, matched_lines: set[int]) -> int:
    """Lines that look like records (the containment denominator); matched lines count."""
    return sum(1 for number, line in enumerate(text.split("\n"))
               if number in matched_lines or looks_like_record_line(line))


def scan_bytes(data: bytes, fingerprints: FingerprintSet, name: str | None = None,
               content_type: str | None = None) -> ScanResult:
    """Scan a downloaded or local file of any supported format (see ``documents``)."""
    from leaktrack.fingerprints.documents import extract_texts

    started = time.perf_counter()
    extraction = extract_texts(data, name=name, content_type=content_type)
    text = "\n".join(part.text for part in extraction.texts)
    result = scan_text(text, fingerprints, name=name or "<bytes>",
                       skipped=list(extraction.skipped), bytes_scanned=len(data))
    result.seconds = time.perf_counter() - started
    return result


def scan_file(path: str | Path, fingerprints: FingerprintSet) -> ScanResult:
    """Scan one local file of any supported format."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise DocumentError(f"is a folder, not a file: {path}") from None
    except OSError as error:
        raise DocumentError(f"cannot read {path}: {error.strerror}") from None
    return scan_bytes(data, fingerprints, name=str(path))


def scan_paths(paths: Iterable[str | Path], fingerprints: FingerprintSet) -> Iterator[ScanResult]:
    """Scan files, and every file below the given folders (sorted). Missing paths are
    reported before anything is scanned."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise DocumentError(f"file not found: {path}")
    for path in files:
        yield scan_file(path, fingerprints)
