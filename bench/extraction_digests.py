"""Per-document digests of extraction and scan results, to prove a change exact (before/after).

    .venv/bin/python bench/extraction_digests.py --out /tmp/before.jsonl      # on the old code
    .venv/bin/python bench/extraction_digests.py --out /tmp/after.jsonl       # on the new code
    .venv/bin/python bench/extraction_digests.py --compare /tmp/before.jsonl /tmp/after.jsonl

For every document of four corpora it writes one JSON line: the SHA-256 of what
``extract_texts`` gave (each text's name, kind, OCR flag and text, the skipped reasons,
``partly_read``) and of ``scan_bytes``' result (everything but the seconds), with the number
of (record, line) matches and their scores' digest (``ScanDetail``). Corpora: *real* (Debian
text, ``bench/speed.py``'s ``real_texts``), *names* (that text with leaked names and
name-plus-date lines scattered through it), *leak-heavy* (altered text copies of the
synthetic leak) and *quality* (the quality bench's altered copies, form copies and
negatives, without the OCR kinds: Tesseract is slow and not what extraction of text changes).
``--compare`` prints how many documents of each corpus differ, and the first ones.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from speed import KEY, heavy_texts, names_texts, real_texts  # (bench/ is the script's folder on sys.path)

from leaktrack import synthetic
from leaktrack.errors import DocumentError
from leaktrack.fingerprints import build_fingerprint_set, scan_bytes
from leaktrack.fingerprints.documents import extract_texts
from leaktrack.fingerprints.scan import ScanDetail

MB = 1_000_000


def corpora(
    real_mb: float, heavy_mb: float, leak: synthetic.SyntheticLeak
) -> Iterator[tuple[str, str, bytes]]:
    """(corpus, name, bytes) of every document."""
    real = real_texts(int(real_mb * MB))
    for corpus, texts in (
        ("real", real),
        ("names", names_texts(real[::5], leak.column("full_name"), seed=2)),
        ("leak-heavy", heavy_texts(leak, heavy_mb)),
    ):
        for i, data in enumerate(texts):
            yield corpus, f"{i:06d}.txt", data
    samples = (
        synthetic.transformed_copies(leak, seed=0)
        + synthetic.form_copies(leak, seed=0)
        + synthetic.negative_samples(leak, seed=0)
        + synthetic.form_negative_samples(leak, seed=0, count=52)
    )
    for sample in samples:
        if sample.kind not in synthetic.OCR_KINDS:
            yield "quality", sample.filename, sample.data


def extraction_digest(data: bytes, name: str) -> str:
    try:
        extraction = extract_texts(data, name=name)
    except DocumentError as refusal:
        return "refused: " + hashlib.sha256(str(refusal).encode()).hexdigest()
    digest = hashlib.sha256()
    for text in extraction.texts:
        digest.update(json.dumps([text.name, text.kind, text.ocr, len(text.text)]).encode())
        digest.update(text.text.encode("utf-8", "surrogatepass"))
    digest.update(json.dumps([extraction.skipped, extraction.partly_read]).encode())
    return digest.hexdigest()


def scan_digest(data: bytes, name: str, fingerprints) -> tuple[str, int]:
    detail = ScanDetail()
    try:
        result = scan_bytes(data, fingerprints, name=name, detail=detail)
    except DocumentError as refusal:
        return "refused: " + hashlib.sha256(str(refusal).encode()).hexdigest(), 0
    fields = result.to_dict()
    del fields["seconds"]
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode())
    digest.update(detail.text.encode("utf-8", "surrogatepass"))
    pairs = 0
    if detail.matches is not None:
        matches = detail.matches
        for array in (matches.records, matches.lines, matches.confidences):
            digest.update(array.tobytes())
        pairs = len(matches.lines)
    return digest.hexdigest(), pairs


def write(out: Path, real_mb: float, heavy_mb: float) -> None:
    leak = synthetic.generate_leak(6000, seed=1)
    fingerprints = build_fingerprint_set(leak.columns, leak.rows, leak.ids, KEY)
    with out.open("w") as file:
        for corpus, name, data in corpora(real_mb, heavy_mb, leak):
            scanned, pairs = scan_digest(data, name, fingerprints)
            line = {
                "corpus": corpus,
                "name": name,
                "bytes": len(data),
                "extraction": extraction_digest(data, name),
                "scan": scanned,
                "pairs": pairs,
            }
            file.write(json.dumps(line) + "\n")


def compare(before: Path, after: Path) -> int:
    old = [json.loads(line) for line in before.read_text().splitlines()]
    new = [json.loads(line) for line in after.read_text().splitlines()]
    if [(d["corpus"], d["name"], d["bytes"]) for d in old] != [
        (d["corpus"], d["name"], d["bytes"]) for d in new
    ]:
        print("the two files hold different documents (other --real-mb/--heavy-mb, or other corpora)")
        return 2
    differ = 0
    counts: dict[str, list[int]] = {}
    for a, b in zip(old, new):
        seen = counts.setdefault(a["corpus"], [0, 0, 0, 0])
        seen[0] += 1
        seen[1] += a["bytes"]
        seen[3] += a["pairs"]
        if a != b:
            seen[2] += 1
            differ += 1
            if differ <= 10:
                print(f"differs: {a['corpus']} {a['name']}: {a} -> {b}")
    for corpus, (documents, size, different, pairs) in counts.items():
        print(
            f"{corpus}: {documents} documents, {size / MB:.1f} MB, {pairs} (record, line) pairs, {different} differ"
        )
    print("IDENTICAL" if differ == 0 else f"{differ} documents differ")
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the digests here")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--real-mb", type=float, default=20, help="real text to read (MB)")
    parser.add_argument("--heavy-mb", type=float, default=2, help="size of the leak-heavy corpus (MB)")
    args = parser.parse_args()
    if args.compare:
        sys.exit(compare(*args.compare))
    if not args.out:
        parser.error("--out or --compare")
    write(args.out, args.real_mb, args.heavy_mb)


if __name__ == "__main__":
    main()
