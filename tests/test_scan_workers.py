"""Scan worker processes (spiders/scanning.py ``DocumentScanner``): forked from a crawl process
that runs one thread, so they start with its modules and fingerprints loaded; spawned once other
threads run. Either way a document scanned in a worker gets the scan and evidence it gets inline."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from leaktrack.spiders.scanning import DocumentScanner, ScannedDocument, scan_document, worker_start_method

KINDS = ("excerpt_10_rows", "json_renamed_keys", "xlsx")


def findings(scanned: ScannedDocument) -> tuple:
    """What a scan found (its verdict, records, evidence), not what it took (``seconds``)."""
    return (dataclasses.replace(scanned.result, seconds=0.0), scanned.evidence_json)


def scanned_alike(scanner: DocumentScanner, body: bytes, name: str) -> bool:
    """Whether the worker's scan and evidence of ``body`` are the inline ones."""
    in_worker = asyncio.run(scanner.scan(body, name, None, evidence=True))
    return findings(in_worker) == findings(
        scan_document(body, scanner.fingerprints, name, None, evidence=True)
    )


FORKED_SCAN = """
    import asyncio, json, os, sys
    from leaktrack.spiders.scanning import DocumentScanner
    from test_scan_workers import scanned_alike

    path, key_file, *documents = sys.argv[1:]
    scanner = DocumentScanner(path, key_file, 1)
    found = {"start_method": scanner.start_method, "alike": [], "leaks": 0}
    for document in documents:
        body = open(document, "rb").read()
        found["leaks"] += asyncio.run(scanner.scan(body, document, None)).result.is_leak
        found["alike"].append(scanned_alike(scanner, body, document))
    found["worker_pids"] = [scanner.pool.submit(os.getpid).result() for _ in range(3)]
    found["own_pid"] = os.getpid()
    scanner.close()
    print(json.dumps(found))
"""


def test_workers_of_a_one_thread_process_are_forked_and_scan_as_inline(leak_fingerprints, tmp_path):
    documents = []
    for kind in KINDS:
        path = tmp_path / f"{kind}.txt"
        path.write_bytes(leak_fingerprints.copies[kind].data)
        documents.append(str(path))

    # A fresh interpreter: one thread, as a crawl process when Scrapy builds its pipelines.
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FORKED_SCAN), str(leak_fingerprints.path),
         str(leak_fingerprints.key_file), *documents],
        capture_output=True, text=True, timeout=600, cwd=Path(__file__).parent,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["start_method"] == "fork"
    assert found["leaks"] == len(KINDS) and all(found["alike"])
    assert found["own_pid"] not in found["worker_pids"]


def test_workers_are_spawned_once_another_thread_runs(leak_fingerprints):
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert worker_start_method() == "spawn"
        scanner = DocumentScanner(str(leak_fingerprints.path), str(leak_fingerprints.key_file), 1)
    finally:
        release.set()
        other.join()
    try:
        assert scanner.start_method == "spawn"
        copy = leak_fingerprints.copies["excerpt_10_rows"]
        assert scanned_alike(scanner, copy.data, copy.filename)
    finally:
        scanner.close()


def test_no_workers_scan_inline(leak_fingerprints):
    scanner = DocumentScanner(str(leak_fingerprints.path), str(leak_fingerprints.key_file), 0)

    assert scanner.pool is None and scanner.start_method is None
    copy = leak_fingerprints.copies["excerpt_10_rows"]
    assert scanned_alike(scanner, copy.data, copy.filename)
