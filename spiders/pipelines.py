"""Item pipelines: scan each downloaded document, then store the matches and remember the URL.

ScanPipeline skips documents whose content the last sweep already scanned (same SHA-256, or
a 304 answer) and refuses decompression bombs with a logged reason. StorePipeline upserts
every leak verdict into the match store (an unchanged known leak is upserted again, so
last_seen moves and a removed copy that came back becomes ``reappeared``), writes the
evidence copy when asked, and only then records the URL in the crawl state: a sweep stopped
in between fetches the document again rather than forgetting a match.

Methods take an optional ``spider``: Scrapy before 2.14 passes it, later versions do not.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import re
import sqlite3
from pathlib import Path

from scrapy.exceptions import DropItem
from scrapy.logformatter import LogFormatter

from ..errors import DocumentError, LeaktrackError, NotFoundError, StoreError
from ..index import FoundCopy, match_id_for_url
from .base import crawl_secrets
from .evidence import evidence_wanted
from .items import FetchedDocument
from .middlewares import record_error
from .scanning import ScannedDocument, case_fingerprints, load_fingerprints, recall_or_scan, shared_scanner
from .state import CrawlState, SeenUrl

logger = logging.getLogger(__name__)


class ScanPipeline:
    def __init__(self, crawler):
        from .cases import other_case_scans  # (cases.py builds on this module)

        settings = crawler.settings
        self.stats = crawler.stats
        self.limit = settings.getint("LEAKTRACK_MAX_ERROR_MESSAGES")
        self.scanning = settings.getbool("LEAKTRACK_SCAN")
        # An all-cases sweep's other cases: each document is scanned for them with the sweep's
        # own case, extracted once (spiders/cases.py). Loaded before the scanner forks its workers.
        self.other_cases = other_case_scans(settings) if self.scanning else []
        for case in self.other_cases:
            case_fingerprints(case.fingerprints_path, case.key_file)
        self.scanner = (
            shared_scanner(
                settings.get("LEAKTRACK_FINGERPRINTS"),
                settings.get("LEAKTRACK_KEY_FILE"),
                settings.getint("LEAKTRACK_SCAN_WORKERS"),
            )
            if self.scanning
            else None
        )
        self.state = (
            CrawlState(settings.get("LEAKTRACK_STATE")) if settings.getbool("LEAKTRACK_INCREMENTAL") else None
        )
        if self.state is not None and self.scanner is not None:
            # (Built before the crawl starts: no request has asked the state anything yet.)
            adopt_fingerprints(self.state, self.scanner.fingerprints.dataset_id, "the crawl state")
        # A leak's evidence report is made with its scan (spiders/evidence.py)
        self.evidence = evidence_wanted(settings)
        self.keep_evidence_lines = settings.getbool("LEAKTRACK_KEEP_EVIDENCE")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item: FetchedDocument, spider=None) -> FetchedDocument:
        if not item.not_modified:
            item.content_sha256 = hashlib.sha256(item.body).hexdigest()
        item.title = self.scanner.keepable_title(item.title) if self.scanner else None
        if self.is_unchanged(item):
            item.unchanged = True
            self.stats.inc_value("leaktrack/unchanged")
            return item
        if self.scanning:
            scanned = await self.scan_or_recall(item)
            item.scan, item.evidence_json = scanned.result, scanned.evidence_json
        return item

    async def scan_or_recall(self, item: FetchedDocument) -> ScannedDocument:
        """The document's scan, or for an image or PDF remembered clean, that scan again
        (``recall_or_scan``)."""
        assert self.scanner is not None  # scanning is on
        scanned, recalled = await recall_or_scan(
            self.scanner, self.state, item.body, item.url, item.content_sha256, lambda: self.scan(item)
        )
        self.stats.inc_value("leaktrack/known_clean" if recalled else "leaktrack/documents")
        return scanned

    def is_unchanged(self, item: FetchedDocument) -> bool:
        if self.state is None:
            return False
        seen = self.state.get(item.url)
        if seen is None:
            return False
        if item.not_modified:
            item.content_sha256 = seen.content_sha256
            return True
        return seen.content_sha256 == item.content_sha256

    async def scan(self, item: FetchedDocument) -> ScannedDocument:
        """The document's scan, and those for the other cases of an all-cases sweep, which the
        item carries to ``OtherCasesPipeline`` (``case_scans``)."""
        assert self.scanner is not None  # scanning is on
        own = self.scanner.case(self.evidence, self.keep_evidence_lines)
        try:
            scanned, *others = await self.scanner.scan_for_cases(
                item.body, item.url, item.content_type, [own, *self.other_cases]
            )
        except DocumentError as error:
            message = self.scanner.loggable(f"refused {item.url}: {error}")
            record_error(self.stats, message, self.limit)
            raise DropItem(message) from None
        for reason in scanned.result.skipped:
            # A reason names the archive member or attachment (``<url>::<member>: why``).
            logger.info("skipped part of %s", self.scanner.loggable(reason))
        item.case_scans.update(zip(self.other_cases, others, strict=True))
        return scanned

    def close_spider(self, spider=None) -> None:
        if self.state:
            self.state.close()


def adopt_fingerprints(state: CrawlState, dataset_id: str, whose: str) -> None:
    """``CrawlState.adopt_dataset``, saying so when the state was of other fingerprints."""
    forgotten = state.adopt_dataset(dataset_id)
    if forgotten:
        logger.warning(
            "%s was written with other fingerprints (another dataset id): its %d URLs are fetched"
            " and scanned again with these",
            whose,
            forgotten,
        )


class StorePipeline:
    """Stores each document's verdict, then remembers its URL.

    When the store, the crawl state or the evidence folder cannot be written (a full disk, a
    read-only home), the crawl stops at the first failure with one error line: every later
    document would fail the same way, and the URLs not remembered are fetched again by the next
    sweep, so nothing is lost.
    """

    def __init__(self, crawler):
        from ..index import open_store

        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.limit = settings.getint("LEAKTRACK_MAX_ERROR_MESSAGES")
        self.store = open_store(settings.get("LEAKTRACK_STORE"), secrets=crawl_secrets(crawler))
        self.state = CrawlState(settings.get("LEAKTRACK_STATE"))
        self.keep_evidence = settings.getbool("LEAKTRACK_KEEP_EVIDENCE")
        self.evidence_dir = settings.get("LEAKTRACK_EVIDENCE_DIR")
        if self.keep_evidence and not self.evidence_dir:
            raise LeaktrackError("LEAKTRACK_KEEP_EVIDENCE needs LEAKTRACK_EVIDENCE_DIR: where to keep it")
        self.unwritable: str | None = None  # why nothing can be stored any more
        # Every match says which dataset its record ids are rows of (the store refuses a mix).
        self.fingerprints = (
            load_fingerprints(settings.get("LEAKTRACK_FINGERPRINTS"), settings.get("LEAKTRACK_KEY_FILE"))
            if settings.getbool("LEAKTRACK_SCAN")
            else None
        )
        self.dataset_id = self.fingerprints.dataset_id if self.fingerprints else None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: FetchedDocument, spider=None) -> FetchedDocument:
        if self.unwritable:  # said once already, in the error line
            raise quiet_drop(f"not stored ({self.unwritable}): {item.url}")
        try:
            self.store_item(item)
        except (StoreError, sqlite3.Error, OSError) as error:
            self.unwritable = getattr(error, "strerror", None) or str(error)
            record_error(
                self.stats,
                loggable(
                    f"cannot store {item.url}: {self.unwritable}; the sweep stops here "
                    "(documents not stored are fetched again by the next sweep)",
                    self.fingerprints,
                ),
                self.limit,
            )
            stop_crawl(self.crawler, "store_unwritable")
            raise quiet_drop(f"not stored ({self.unwritable}): {item.url}") from None
        return item

    def store_item(self, item: FetchedDocument) -> None:
        was_leak = self.store_known_leak(item) if item.unchanged else self.store_new_scan(item)
        self.state.remember(seen_url_of(item, item.content_sha256 or "", was_leak))

    def store_new_scan(self, item: FetchedDocument) -> bool:
        if item.scan is None or not item.scan.is_leak:
            return False
        evidence = write_evidence(item, self.evidence_dir) if self.keep_evidence else None
        self.upsert(item, item.scan.matched_records, item.scan.containment, evidence, item.scan.partly_read)
        return True

    def store_known_leak(self, item: FetchedDocument) -> bool:
        seen = self.state.get(item.url)
        if not (seen and seen.was_leak):
            return False
        try:
            known = self.store.get(match_id_for_url(item.url))
        except NotFoundError:
            # The store was wiped or changed since: forget the URL so the next sweep rescans it.
            self.state.forget(item.url)
            return False
        self.upsert(item, known.matched_records, known.containment, known.evidence_path, known.partly_read)
        return True

    def upsert(
        self,
        item: FetchedDocument,
        records: list[str],
        containment: float,
        evidence: str | None,
        partly_read: bool,
    ) -> None:
        self.store.upsert_copies(
            [
                FoundCopy(
                    source=item.source,
                    url=item.url,
                    content_sha256=item.content_sha256 or "",
                    matched_records=list(records),
                    containment=containment,
                    title=item.title,
                    evidence_path=evidence,
                    dataset_id=self.dataset_id,
                    partly_read=partly_read,
                )
            ]
        )
        self.stats.inc_value("leaktrack/matches")

    def close_spider(self, spider=None) -> None:
        self.state.close()
        self.store.close()


def seen_url_of(item: FetchedDocument, content_sha256: str, was_leak: bool) -> SeenUrl:
    """What the crawl state remembers of a stored document: how it was fetched and read (what a
    recheck does again), its content hash and whether it was a leak."""
    return SeenUrl(
        url=item.url,
        source=item.source,
        content_sha256=content_sha256,
        etag=item.etag,
        last_modified=item.last_modified,
        was_leak=was_leak,
        content_url=item.content_url or item.url,
        extraction=item.extraction,
        robots_exempt=item.robots_exempt,
    )


def loggable(text: str, fingerprints) -> str:
    """``text`` (a log line naming a fetched URL) with the parts quoting dataset values withheld
    (``fingerprints.stored_text``); as is when nothing is scanned (no fingerprints to check)."""
    from ..fingerprints.stored_text import withhold_dataset_values

    return withhold_dataset_values(text, fingerprints) if fingerprints is not None else text


def quiet_drop(reason: str) -> DropItem:
    """A DropItem logged at DEBUG: its cause has been reported already."""
    drop = DropItem(reason)
    drop.log_level = "DEBUG"
    return drop


def stop_crawl(crawler, reason: str) -> None:
    """Close the crawler's spider (documents in flight are dropped by the pipeline)."""
    from scrapy.utils.defer import deferred_from_coro

    engine = crawler.engine
    if engine is None or engine.spider is None:
        return
    if hasattr(engine, "close_spider_async"):  # Scrapy 2.14+
        deferred_from_coro(engine.close_spider_async(reason=reason))
    else:
        engine.close_spider(engine.spider, reason)


class OneLineLogFormatter(LogFormatter):
    """Scrapy's log lines, but a dropped document is logged by its reason (which names its URL)
    alone: the default dumps the whole item, a repr of no use to a reader."""

    def dropped(self, item, exception, response, spider=None):
        entry = super().dropped(item, exception, response, spider)
        return {**entry, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}


def write_evidence(item: FetchedDocument, evidence_dir: str | Path) -> str:
    """The document's bytes, owner-only, in the evidence directory (``Workspace.evidence_dir``)."""
    directory = Path(evidence_dir)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{match_id_for_url(item.url)}-{(item.content_sha256 or '')[:16]}.bin"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(item.body)
    os.chmod(path, 0o600)  # O_CREAT's mode only applies to new files
    return str(path.resolve())


class RecheckPipeline:
    """Instead of storing: notes what each rechecked URL answered, for ``recheck`` to judge."""

    def __init__(self, crawler):
        self.stats = crawler.stats
        self.removal_max_chars = crawler.settings.getint("LEAKTRACK_REMOVAL_PAGE_MAX_CHARS")
        self.removal_phrases = re.compile(crawler.settings.get("LEAKTRACK_REMOVAL_PHRASES"), re.IGNORECASE)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: FetchedDocument, spider=None) -> FetchedDocument:
        answers = self.stats.get_value("leaktrack/recheck_answers") or []
        text = visible_text(item.body, item.content_type)
        answers.append(
            {
                "url": item.url,
                "content_url": item.content_url,
                "fetched_url": item.fetched_url,
                "http_status": item.http_status,
                "still_matching": bool(item.scan and item.scan.is_leak),
                "fully_read": not (item.scan and item.scan.skipped),
                "matched_count": item.scan.matched_count if item.scan else 0,
                "empty": not text.strip(),
                "removal_page": len(text) <= self.removal_max_chars
                and self.removal_phrases.search(text) is not None,
            }
        )
        self.stats.set_value("leaktrack/recheck_answers", answers)
        return item


def visible_text(body: bytes, content_type: str | None) -> str:
    """The text a reader sees: tags, scripts and styles dropped from HTML, spaces collapsed."""
    text = body.decode("utf-8", "replace")
    if "html" in (content_type or "").lower() or text.lstrip()[:1] == "<":
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
        text = html.unescape(re.sub(r"(?s)<[^>]*>", " ", text))
    return " ".join(text.split())
