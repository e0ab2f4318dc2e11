"""Everything a scan says about each document, written as one digest a document, so that two
checkouts (or one before and after a change) can be shown to give IDENTICAL results.

    .venv/bin/python bench/scan_digest.py --out before.json            # on the old code
    .venv/bin/python bench/scan_digest.py --out after.json             # on the new code
    .venv/bin/python bench/scan_digest.py --compare before.json after.json

Per document: the verdict, record ids, confidences, containment and records in the document
(``ScanResult``), the (record, line, score) matches of ``scan_text`` (``ScanDetail``: scores
in full precision), and the evidence JSON (``evidence_report_json`` from the scan's matches,
and ``evidence_report(..., keep_lines=True)`` afresh, which marks the spans). Documents are
scanned one after the other in one process, as a sweep does (the chunk memo and the date-word
memos grow from one document to the next), then scanned again warm.

Corpora (the synthetic leak of 6,000 records, seed 1, as bench/speed.py's):
- *quality*: bench/quality.py's mix (every kind of altered copy, the issue-9 forms and the
  look-alike negatives); its text is extracted once and kept in ``--cache`` (OCR takes
  minutes), since extraction is not what this compares (``--no-forms``: row copies only);
- *heavy*: bench/speed.py's leak-heavy corpus, through ``scan_text`` and ``scan_bytes``;
- *real*: ``--real-mb`` of bench/speed.py's real text, every third file with 1-5 leaked rows
  injected in one of several forms (CSV, reversed and piped, upper-cased tab-separated,
  A-number and name), through ``scan_bytes``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from speed import KEY, MB, heavy_texts, real_texts  # noqa: E402

from leaktrack import synthetic  # noqa: E402
from leaktrack.fingerprints import build_fingerprint_set, scan_bytes, scan_text  # noqa: E402
from leaktrack.fingerprints.evidence import evidence_report, evidence_report_json  # noqa: E402
from leaktrack.fingerprints.scan import ScanDetail  # noqa: E402


def injected_real_texts(real: list[bytes], leak: synthetic.SyntheticLeak, seed: int) -> list[bytes]:
    """The real text, every third file with 1-5 rows of the leak put in at a random line."""
    rng = random.Random(seed)
    forms = [
        lambda row: ",".join(row),
        lambda row: " | ".join(reversed(row)),
        lambda row: "\t".join(row).upper(),
        lambda row: f"{row[0]} {row[1]}",
    ]
    out = []
    for i, data in enumerate(real):
        if i % 3 == 0:
            lines = data.split(b"\n")
            form = forms[rng.randrange(len(forms))]
            for r in rng.sample(range(len(leak.rows)), rng.randint(1, 5)):
                lines.insert(rng.randrange(len(lines) + 1), form(leak.rows[r]).encode())
            data = b"\n".join(lines)
        out.append(data)
    return out


def quality_texts(leak: synthetic.SyntheticLeak, cache: Path, forms: bool) -> list[tuple[str, str, list]]:
    """(name, extracted text, OCR line ranges) of bench/quality.py's mix, from ``cache`` when
    it was extracted before."""
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    from quality import BENCH_LIMITS

    from leaktrack.fingerprints.documents import extract_texts

    samples = synthetic.transformed_copies(leak, seed=0) + synthetic.negative_samples(leak, seed=0, count=150)
    if forms:
        samples += synthetic.form_copies(leak, seed=0) + synthetic.form_negative_samples(
            leak, seed=0, count=52
        )
    texts = []
    for sample in samples:
        extraction = extract_texts(sample.data, sample.filename, limits=BENCH_LIMITS)
        texts.append((sample.filename, extraction.text, list(extraction.ocr_line_ranges())))
    cache.write_bytes(pickle.dumps(texts))
    return texts


def text_digest(text: str, fingerprints, name: str, ocr_line_ranges=()) -> str:
    detail = ScanDetail()
    result = scan_text(text, fingerprints, name=name, ocr_line_ranges=ocr_line_ranges, detail=detail)
    matches = detail.matches
    said = _result_fields(result)
    said["matches"] = [
        (int(r), int(line), float(s).hex())
        for r, line, s in zip(matches.records.tolist(), matches.lines.tolist(), matches.scores.tolist())
    ]
    if result.is_leak:
        said["evidence_json"] = evidence_report_json(text, fingerprints, matches=matches)
        said["evidence_lines"] = evidence_report(text, fingerprints, keep_lines=True).to_json()
    return _digest(said)


def bytes_digest(data: bytes, fingerprints, name: str) -> str:
    return _digest(_result_fields(scan_bytes(data, fingerprints, name=name)))


def _result_fields(result) -> dict:
    return {
        "verdict": result.verdict,
        "records": list(result.matched_records),
        "confidences": {k: float(v).hex() for k, v in result.confidences.items()},
        "containment": float(result.containment).hex(),
        "records_in_document": result.records_in_document,
        "skipped": list(result.skipped),
    }


def _digest(said: dict) -> str:
    return hashlib.sha256(json.dumps(said, sort_keys=True).encode()).hexdigest()[:20]


def dump(args: argparse.Namespace) -> dict[str, str]:
    leak = synthetic.generate_leak(6000, seed=1)
    fingerprints = build_fingerprint_set(leak.columns, leak.rows, leak.ids, KEY)
    quality_leak = synthetic.generate_leak(6000, seed=0)
    quality_fp = build_fingerprint_set(quality_leak.columns, quality_leak.rows, quality_leak.ids, KEY)
    heavy = heavy_texts(leak, args.heavy_mb)
    real = injected_real_texts(real_texts(int(args.real_mb * MB)), leak, seed=4)
    quality = quality_texts(quality_leak, args.cache, not args.no_forms)
    digests: dict[str, str] = {}
    for warmth in ("cold", "warm"):
        started = time.process_time()
        for name, text, ranges in quality:
            digests[f"{warmth} quality {name}"] = text_digest(text, quality_fp, name, ranges)
        for i, data in enumerate(heavy):
            text = data.decode("utf-8", "replace")
            digests[f"{warmth} heavy text {i}"] = text_digest(text, fingerprints, f"{i}.txt")
            digests[f"{warmth} heavy bytes {i}"] = bytes_digest(data, fingerprints, f"{i}.txt")
        for i, data in enumerate(real):
            digests[f"{warmth} real bytes {i}"] = bytes_digest(data, fingerprints, f"{i}.txt")
            if i % 3 == 0:
                text = data.decode("utf-8", "replace")
                digests[f"{warmth} real text {i}"] = text_digest(text, fingerprints, f"{i}.txt")
        print(
            f"{warmth}: {len(quality)} quality, {len(heavy)} leak-heavy, {len(real)} real documents, "
            f"{time.process_time() - started:.1f} s CPU",
            file=sys.stderr,
        )
    return digests


def compare(before: Path, after: Path) -> int:
    a, b = json.loads(before.read_text()), json.loads(after.read_text())
    differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    for key in differ[:40]:
        print(f"DIFFERS: {key}")
    print(f"{len(a)} / {len(b)} documents, {len(differ)} differ")
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the digests here")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--heavy-mb", type=float, default=4)
    parser.add_argument("--real-mb", type=float, default=6)
    parser.add_argument("--no-forms", action="store_true", help="the quality mix without the issue-9 forms")
    parser.add_argument("--cache", type=Path, help="the extracted quality mix (default: in /tmp)")
    args = parser.parse_args()
    if args.cache is None:
        args.cache = Path(f"/tmp/leaktrack-scan-digest-quality{'-rows' if args.no_forms else ''}.pickle")
    if args.compare:
        raise SystemExit(compare(*args.compare))
    digests = dump(args)
    args.out.write_text(json.dumps(digests, indent=0, sort_keys=True))
    print(f"{len(digests)} digests written to {args.out}")


if __name__ == "__main__":
    main()
