"""Scanning downloads without stalling the crawl: in worker processes, or inline.

The scanner is CPU-bound Python; run in the crawl's own thread it holds up the reactor and
every download waits for it. With ``LEAKTRACK_SCAN_WORKERS`` > 0 documents are scanned in that
many worker processes (each loads the fingerprints once), so downloading and scanning use
separate cores. 0 scans inline (simplest; what the tests use for speed, except the one that
checks the workers).

Workers are forked from the crawl process while it still runs one thread (Scrapy builds the
pipelines before it starts the reactor and its thread pool), so they start with the modules and
the mapped fingerprints already loaded: a spawned worker imports and compiles them again, about
a sixth of a 181-document sweep's scanning CPU (``bench/crawl.py --mirror``). Once other threads
run, forking is unsafe (a lock one of them holds stays held in the child), so workers are spawned.

One pool serves every case of the process (an ``--all-cases`` sweep's): a pool starts a thread
of its own when it forks its workers, so a second pool could only be spawned. A document
scanned for several cases is extracted once (``scan_document_for_cases``), OCR included.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import hashlib
import hmac
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from .. import __version__
from ..fingerprints.formats.sniff import IMAGE_KINDS, document_kind
from ..fingerprints.results import ScanResult
from .state import CleanContent, CrawlState

if TYPE_CHECKING:
    from ..fingerprints import FingerprintSet
    from ..fingerprints.evidence import EvidenceReport
    from ..fingerprints.scan import ScanDetail

WITHHELD_TITLE = "[title withheld: it quotes values of the leaked dataset]"


@lru_cache(maxsize=4)
def load_fingerprints(path: str, key_file: str) -> FingerprintSet:
    """One FingerprintSet per file per process, shared by every source's crawler."""
    from ..fingerprints import FingerprintSet

    return FingerprintSet.load(path, key_file)


# Every case's fingerprints this process scans with, by (file, key file): its scanners', and in
# a forked worker those its crawl process had loaded (``case_fingerprints``).
_CASE_FINGERPRINTS: dict[tuple[str, str], FingerprintSet] = {}


def case_fingerprints(path: str, key_file: str) -> FingerprintSet:
    """A case's fingerprints, loaded once per process whatever the number of cases (unlike
    ``load_fingerprints``' few): a scan worker finds here those of every case it scans for."""
    if (path, key_file) not in _CASE_FINGERPRINTS:
        _CASE_FINGERPRINTS[path, key_file] = load_fingerprints(path, key_file)
    return _CASE_FINGERPRINTS[path, key_file]


def _init_worker(cases: list[tuple[str, str]]) -> None:
    from .crawl import die_with_parent

    die_with_parent(None, signal.SIGKILL)  # a scan worker has nothing to finish once its crawl is gone
    for path, key_file in cases:  # (forked: loaded already)
        case_fingerprints(path, key_file)


@dataclass(frozen=True)
class CaseScan:
    """One case a document is scanned for: its fingerprints (file and key file), and whether a
    leak comes with its evidence report (with its lines when ``keep_lines``)."""

    fingerprints_path: str
    key_file: str
    evidence: bool = False
    keep_lines: bool = False

    @property
    def fingerprints(self) -> FingerprintSet:
        return case_fingerprints(self.fingerprints_path, self.key_file)


@dataclass
class ScannedDocument:
    """A document's scan and, for a leak when it was asked for, its evidence report as the JSON
    text written to the evidence folder (``EvidenceReport.to_json``): from a scan worker the text
    crosses to the crawl process ~20x cheaper than the report's objects (0.003 s against 0.11 s to
    pickle and unpickle the 19,348 record entries of a 181-document mirror sweep's 31 leaks), and
    the crawl process writes it as it is."""

    result: ScanResult
    evidence_json: str | None = None

    @property
    def evidence(self) -> EvidenceReport | None:
        """The evidence report itself (read back from its JSON)."""
        from ..fingerprints.evidence import EvidenceReport

        return None if self.evidence_json is None else EvidenceReport.from_json(self.evidence_json)


def scan_document(
    body: bytes,
    fingerprints: FingerprintSet,
    name: str,
    content_type: str | None,
    evidence: bool = False,
    keep_lines: bool = False,
) -> ScannedDocument:
    """``scan_bytes``, and with ``evidence`` the evidence report of a leak (with its lines when
    ``keep_lines``), made from the scan's own text and matches (``ScanDetail``): a leak is
    extracted and matched once, in the process that scanned it (a scan worker, not the crawl's)."""
    from ..fingerprints.scan import ScanDetail, scan_bytes

    detail = ScanDetail() if evidence else None
    result = scan_bytes(body, fingerprints, name=name, content_type=content_type, detail=detail)
    return with_evidence(result, detail, fingerprints, keep_lines)


def with_evidence(
    result: ScanResult, detail: ScanDetail | None, fingerprints: FingerprintSet, keep_lines: bool
) -> ScannedDocument:
    """The scan, with the evidence report of a leak when its ``detail`` was asked for."""
    from ..fingerprints.evidence import evidence_report_json

    if detail is None or not result.is_leak:
        return ScannedDocument(result)
    report_json = evidence_report_json(
        detail.text, fingerprints, keep_lines=keep_lines, matches=detail.matches
    )
    return ScannedDocument(result, report_json)


def scan_document_for_cases(
    body: bytes, name: str, content_type: str | None, cases: Sequence[CaseScan]
) -> list[ScannedDocument]:
    """``scan_document`` for each case, the document extracted (and OCR'd) once and its text
    matched with each case's fingerprints: the scans ``scan_bytes`` makes for each alone
    (``tests/test_cases.py`` compares them), but for ``seconds``, which counts the one
    extraction in each. Raises ``DocumentError`` as ``scan_bytes`` does."""
    from ..fingerprints.documents import extract_texts
    from ..fingerprints.scan import ScanDetail, scan_extraction

    if len(cases) == 1:
        (case,) = cases
        return [scan_document(body, case.fingerprints, name, content_type, case.evidence, case.keep_lines)]
    started = time.perf_counter()
    extraction = extract_texts(body, name=name, content_type=content_type)
    text, ocr_line_ranges = extraction.take_text()
    extracting = time.perf_counter() - started
    scanned = []
    for case in cases:
        detail = ScanDetail() if case.evidence else None
        result = scan_extraction(
            text, ocr_line_ranges, extraction, case.fingerprints, name, len(body), detail
        )
        result.seconds += extracting
        scanned.append(with_evidence(result, detail, case.fingerprints, case.keep_lines))
    return scanned


def read_by_its_bytes_alone(body: bytes) -> bool:
    """Whether the scan of ``body`` depends on its bytes alone: an image (OCR) or a PDF (its text
    layer, its scanned pages by OCR), told by magic bytes whatever its name and Content-Type,
    which only label its skip reasons (a PDF's attachments are not read)."""
    kind = document_kind(body)
    return kind == "pdf" or kind in IMAGE_KINDS


def recalled_clean_scan(url: str, clean: CleanContent) -> ScanResult:
    """The scan, for ``url``, of a content remembered clean (``CrawlState.clean_content``): what
    scanning its bytes again would give, but for the time it takes."""
    return ScanResult(
        input=url,
        verdict="clean",
        matched_records=[],
        containment=0.0,
        records_in_document=clean.records_in_document,
        bytes_scanned=clean.bytes_scanned,
    )


def clean_content_of(result: ScanResult) -> CleanContent | None:
    """What to remember of a scan that found nothing and read everything, else None (a leak, a
    record matched below the leak threshold, a part skipped or not read): only scans that
    ``recalled_clean_scan`` gives back as they were are remembered."""
    clean = CleanContent(result.records_in_document, result.bytes_scanned)
    recalled = recalled_clean_scan(result.input, clean)
    return clean if dataclasses.replace(result, seconds=0.0) == recalled else None


async def recall_or_scan(
    scanner: DocumentScanner,
    state: CrawlState | None,
    body: bytes,
    url: str,
    content_sha256: str | None,
    scan: Callable[[], Awaitable[ScannedDocument]],
) -> tuple[ScannedDocument, bool]:
    """The document's scan (``scan()``), and whether it was recalled rather than made: an image
    or PDF whose bytes scanned clean before (at any URL, in this sweep or an earlier one:
    ``state``'s ``clean_contents``, under ``scanner``'s content key) gets that scan again, without
    its bytes being read (OCR'd) a second time; a scan made here that ``recalled_clean_scan``
    can give back is remembered. Without a crawl state every document is scanned."""
    key = scanner.content_key(body, content_sha256) if state is not None and content_sha256 else None
    if state is None or key is None:
        return await scan(), False
    known = state.clean_content(key)
    if known is not None:
        return ScannedDocument(recalled_clean_scan(url, known)), True
    scanned = await scan()
    clean = clean_content_of(scanned.result)
    if clean is not None:
        state.remember_clean(key, clean)
    return scanned, False


def worker_start_method() -> str:
    """How scan workers start: forked while this process runs one thread (see the module's
    docstring), else spawned."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


def _start_pool(workers: int, start_method: str) -> ProcessPoolExecutor:
    """Scan workers that can scan for every case loaded in this process so far (and load others
    on their first document)."""
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(start_method),
        initializer=_init_worker,
        initargs=(list(_CASE_FINGERPRINTS),),
    )
    if start_method == "fork":
        # Fork them now: a fork pool forks at its first task, when the reactor's threads run.
        # They are forked with every object of this process frozen (gc.freeze), so their
        # collector never walks what they inherit: walking it writes to each object, which
        # copies every page they share with this process: ~6% of a 181-document sweep's CPU
        # (bench/crawl.py --mirror --no-forms --baseline-python). This process's own collector
        # walks them again.
        gc.freeze()
        try:
            pool.submit(os.getpid).result()
        finally:
            gc.unfreeze()
    return pool


class DocumentScanner:
    """``scan_document`` for the pipelines, in ``workers`` processes (0: inline): the pool of
    ``shares_pool_of`` when given (one pool for every case of the process, see the module's
    docstring), else a pool of its own."""

    def __init__(
        self,
        fingerprints_path: str,
        key_file: str,
        workers: int,
        shares_pool_of: DocumentScanner | None = None,
    ):
        self.fingerprints_path, self.key_file, self.workers = fingerprints_path, key_file, workers
        self.fingerprints = case_fingerprints(fingerprints_path, key_file)  # fails early, in this process
        self.owns_pool = shares_pool_of is None
        self.pool: ProcessPoolExecutor | None = None
        self.start_method: str | None = None
        if shares_pool_of is not None:
            self.pool, self.start_method = shares_pool_of.pool, shares_pool_of.start_method
        elif workers > 0:
            self.start_method = worker_start_method()
            self.pool = _start_pool(workers, self.start_method)

    def case(self, evidence: bool = False, keep_lines: bool = False) -> CaseScan:
        """This scanner's case, to scan a document for (``scan_for_cases``)."""
        return CaseScan(self.fingerprints_path, self.key_file, evidence, keep_lines)

    async def scan(
        self,
        body: bytes,
        name: str,
        content_type: str | None,
        evidence: bool = False,
        keep_lines: bool = False,
    ) -> ScannedDocument:
        """The document's scan, and with ``evidence`` a leak's evidence report (``scan_document``)."""
        if self.pool is None:
            return scan_document(body, self.fingerprints, name, content_type, evidence, keep_lines)
        (scanned,) = await self.scan_for_cases(body, name, content_type, [self.case(evidence, keep_lines)])
        return scanned

    async def scan_for_cases(
        self, body: bytes, name: str, content_type: str | None, cases: Sequence[CaseScan]
    ) -> list[ScannedDocument]:
        """The document's scan for each case (``scan_document_for_cases``: extracted once), in
        a worker of this scanner's pool (any case: its fingerprints need not be this scanner's)."""
        if self.pool is None:
            return scan_document_for_cases(body, name, content_type, cases)
        scanned = self.pool.submit(scan_document_for_cases, body, name, content_type, list(cases))
        return await asyncio.wrap_future(scanned)

    def content_key(self, body: bytes, content_sha256: str) -> str | None:
        """The keyed hash under which the crawl state remembers that ``body`` (SHA-256
        ``content_sha256``) scanned clean: HMAC-SHA-256 under the fingerprints' key, of their
        dataset id, this version and the content hash. Without the key, the state cannot tell
        whether a given file was seen; other fingerprints or another version scan it afresh.
        None for documents whose scan depends on more than their bytes (``read_by_its_bytes_alone``)."""
        if self.fingerprints.key is None or not read_by_its_bytes_alone(body):
            return None
        message = "\0".join(("clean content", __version__, self.fingerprints.dataset_id, content_sha256))
        return hmac.new(self.fingerprints.key, message.encode(), hashlib.sha256).hexdigest()

    def keepable_title(self, title: str | None) -> str | None:
        """The page title, or a placeholder when it quotes a rare value of the leaked dataset,
        in any of the forms short texts disguise one in (``fingerprints.stored_text``): the
        store keeps no plaintext of the leak. Checked here, in the crawl's process: titles are
        short, and this process has the fingerprints loaded anyway."""
        from ..fingerprints.stored_text import holds_dataset_values_in_stored_text

        if holds_dataset_values_in_stored_text(title, self.fingerprints):
            return WITHHELD_TITLE
        return title

    def loggable(self, text: str) -> str:
        """A log line, error message or ``skipped`` reason about a fetched page, with the URL
        parts and archive member names that quote a rare value of the leaked dataset withheld
        (``fingerprints.stored_text.withhold_dataset_values``): logs, sweep records and the
        summary keep no plaintext of the leak. The store still keeps each copy's URL verbatim."""
        from ..fingerprints.stored_text import withhold_dataset_values

        return withhold_dataset_values(text, self.fingerprints)

    def close(self) -> None:
        if self.pool is not None and self.owns_pool:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None
        _CASE_FINGERPRINTS.pop((self.fingerprints_path, self.key_file), None)


_SCANNERS: dict[tuple, DocumentScanner] = {}


def shared_scanner(fingerprints_path: str, key_file: str, workers: int) -> DocumentScanner:
    """One scanner per fingerprints per process, whatever the number of sources, and one worker
    pool for all of them (every case of an ``--all-cases`` sweep): the first scanner's. Load the
    other cases' fingerprints (``case_fingerprints``) before the first scanner is made, and its
    forked workers have them too."""
    key = (fingerprints_path, key_file, workers)
    if key not in _SCANNERS:
        first = next((s for s in _SCANNERS.values() if s.owns_pool and s.workers == workers), None)
        _SCANNERS[key] = DocumentScanner(fingerprints_path, key_file, workers, shares_pool_of=first)
    return _SCANNERS[key]


def close_shared_scanners() -> None:
    """Stop the worker processes (the crawl is over)."""
    while _SCANNERS:  # (the pool's owner, made first, closes last)
        _SCANNERS.popitem()[1].close()
