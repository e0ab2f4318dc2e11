"""One sweep for every case at once (``sweep --all-cases``, ``watch --all-cases``): each
document scanned for each leak.

The sweep's own case goes through ``ScanPipeline`` and ``StorePipeline`` as always. This
pipeline comes after them and stores each document's scan for every *other* case
(``LEAKTRACK_OTHER_CASES``: each case's fingerprints, key, store, crawl state and evidence
folder), so the crawl (fetching, the guard, politeness) is done once for all cases while
everything each case keeps stays in its own folder, as if it had swept alone. The document is
extracted (OCR'd) once for all cases: ``ScanPipeline`` scans it for every case at once
(``scanning.scan_document_for_cases``), and where it did not (the sweep's own case had it
unchanged, or known clean) this pipeline does, for the other cases at once. What each case keeps:

- its matches, in its store, with its dataset id;
- its crawl state: the URLs it saw, their content hash and whether they held its leak, so a
  document it already scanned unchanged is not scanned again for it (its copy is re-sighted),
  ``recheck`` and ``takedown monitor`` in that case find their targets, and ``purge`` ages it;
  and the images and PDFs that scanned clean for it, by a keyed hash of their bytes, so the same
  bytes at another URL are not read (OCR'd) again for it (``leaktrack/other_cases_known_clean``);
- its evidence: the evidence report of each copy (and the WARC capture and kept bytes with
  ``--keep-evidence``), owner-only, in its evidence folder.

One thing stays shared: conditional requests (ETag, Last-Modified) are made with the sweep's
own crawl state. A 304 answer has no body, so a case that never saw that URL cannot scan it in
this sweep (counted as ``leaktrack/other_cases_not_scanned``); a case that saw it re-sights what
it holds. A page title is kept for a case only if it quotes none of that case's dataset values.

Switched off (``NotConfigured``) when no other case is given. Imports the store through its
interface only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from scrapy.exceptions import NotConfigured

from ..errors import DocumentError, LeaktrackError, NotFoundError
from ..home import CASES_DIR, STORE_FILE, Workspace, list_cases_in
from ..index import FoundCopy, MatchStore, match_id_for_url, open_store
from .base import crawl_secrets
from .evidence import save_evidence
from .items import FetchedDocument
from .middlewares import record_error
from .pipelines import adopt_fingerprints, seen_url_of, write_evidence
from .scanning import (
    CaseScan,
    DocumentScanner,
    ScannedDocument,
    load_fingerprints,
    recall_or_scan,
    shared_scanner,
)
from .state import CrawlState

OTHER_CASES_SETTING = "LEAKTRACK_OTHER_CASES"


@dataclass(frozen=True)
class CaseLane:
    """Where one other case's fingerprints, key, store, crawl state and evidence are."""

    case: str  # "" for the home folder's own (unnamed) case
    fingerprints: str
    key_file: str
    store_url: str
    crawl_state: str
    evidence_dir: str

    @property
    def label(self) -> str:
        return f"case {self.case}" if self.case else "the home folder's own case"


def other_case_lanes(base_home: Path, current_case: str | None, store_url: str) -> list[CaseLane]:
    """Every case of the home with fingerprints, except ``current_case`` (None: the home's own).

    ``store_url``: the sweep's store. An Elasticsearch store is shared, each case under its
    own index prefix; otherwise each case's store is the SQLite file in its folder.
    """
    named = [(name, base_home / CASES_DIR / name) for name in list_cases_in(base_home)]
    lanes = []
    for case, folder in [("", base_home), *named]:
        files = Workspace.in_folder(base_home, case or None)
        if case == (current_case or "") or not files.fingerprints.is_file():
            continue
        shared = store_url if store_url.startswith(("http://", "https://")) else None
        lanes.append(
            CaseLane(
                case,
                str(files.fingerprints),
                str(files.key_file),
                shared or f"sqlite:///{(folder / STORE_FILE).absolute()}",
                str(files.crawl_state.absolute()),
                str(files.evidence_dir.absolute()),
            )
        )
    return lanes


def lanes_to_setting(lanes: list[CaseLane]) -> str:
    """The setting's value (JSON: it reaches the crawl's child process as a string)."""
    return json.dumps([asdict(lane) for lane in lanes])


def lanes_from_setting(text: str | None) -> list[CaseLane]:
    return [CaseLane(**lane) for lane in json.loads(text)] if text else []


def other_case_scans(settings) -> list[CaseScan]:
    """The scan each other case of the sweep (``LEAKTRACK_OTHER_CASES``) asks of a document: with
    a leak's evidence report, its lines kept with ``LEAKTRACK_KEEP_EVIDENCE``."""
    keep = settings.getbool("LEAKTRACK_KEEP_EVIDENCE")
    lanes = lanes_from_setting(settings.get(OTHER_CASES_SETTING))
    return [CaseScan(lane.fingerprints, lane.key_file, evidence=True, keep_lines=keep) for lane in lanes]


def check_lanes(lanes: list[CaseLane], secrets: Mapping[str, str] | None = None) -> None:
    """Fail before crawling, with one line, when a case's fingerprints cannot be loaded or its
    store holds another dataset's matches (``secrets``: the stores' credentials)."""
    for lane in lanes:
        try:
            dataset_id = load_fingerprints(lane.fingerprints, lane.key_file).dataset_id
            with open_store(lane.store_url, case=lane.case, secrets=secrets) as store:
                store.refuse_other_dataset(dataset_id)
        except LeaktrackError as error:
            raise type(error)(f"{lane.label}: {error}") from None


@dataclass
class _OpenLane:
    """One other case during the crawl: its scanner, store and crawl state, opened once."""

    lane: CaseLane
    case: CaseScan
    scanner: DocumentScanner
    store: MatchStore
    state: CrawlState

    def close(self) -> None:
        self.state.close()
        self.store.close()


class OtherCasesPipeline:
    def __init__(self, crawler):
        settings = crawler.settings
        lanes = lanes_from_setting(settings.get(OTHER_CASES_SETTING))
        if not lanes or not settings.getbool("LEAKTRACK_SCAN"):
            raise NotConfigured
        self.stats = crawler.stats
        self.limit = settings.getint("LEAKTRACK_MAX_ERROR_MESSAGES")
        self.keep_evidence = settings.getbool("LEAKTRACK_KEEP_EVIDENCE")
        workers = settings.getint("LEAKTRACK_SCAN_WORKERS")
        self.lanes = [
            _OpenLane(
                lane,
                case,
                shared_scanner(lane.fingerprints, lane.key_file, workers),
                open_store(lane.store_url, case=lane.case, secrets=crawl_secrets(crawler)),
                CrawlState(lane.crawl_state),
            )
            for lane, case in zip(lanes, other_case_scans(settings), strict=True)
        ]
        for open_lane in self.lanes:
            adopt_fingerprints(
                open_lane.state,
                open_lane.scanner.fingerprints.dataset_id,
                f"{open_lane.lane.label}'s crawl state",
            )

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item: FetchedDocument, spider=None) -> FetchedDocument:
        for lane in self.lanes:
            try:
                await self.store_for_case(item, lane)
            except (DocumentError, LeaktrackError) as error:
                record_error(self.stats, f"{lane.lane.label}: {item.url}: {error}", self.limit)
        return item

    async def store_for_case(self, item: FetchedDocument, lane: _OpenLane) -> None:
        """Scan (or re-sight) the document for one case, then remember it in that case's state:
        as the sweep's own StorePipeline does, the state is written last, so a sweep stopped in
        between scans the document again rather than forgetting a match."""
        seen = lane.state.get(item.url)
        if item.not_modified or not item.body:  # nothing to scan: re-sight what the case holds
            if seen is not None and not seen.was_leak:
                was_leak = False
            else:
                was_leak = self.resight_known(item, lane.store) is not None
                if seen is None and not was_leak:
                    self.stats.inc_value("leaktrack/other_cases_not_scanned")
                    return
            content_sha256 = seen.content_sha256 if seen else item.content_sha256 or ""
        elif seen is not None and seen.content_sha256 == item.content_sha256:
            self.stats.inc_value("leaktrack/other_cases_unchanged")
            was_leak = seen.was_leak and self.resight_known(item, lane.store) is not None
            content_sha256 = seen.content_sha256
        else:
            was_leak = await self.scan_for_case(item, lane)
            content_sha256 = item.content_sha256 or ""
        lane.state.remember(seen_url_of(item, content_sha256, was_leak))

    async def scan_for_case(self, item: FetchedDocument, lane: _OpenLane) -> bool:
        scanner = lane.scanner
        scanned, recalled = await recall_or_scan(
            scanner,
            lane.state,
            item.body,
            item.url,
            item.content_sha256,
            lambda: self.scan_of(item, lane),
        )
        if recalled:
            self.stats.inc_value("leaktrack/other_cases_known_clean")
        result = scanned.result
        if not result.is_leak:
            return False
        kept = self.write_evidence(item, lane, scanned.evidence_json)
        lane.store.upsert_copies(
            [
                FoundCopy(
                    source=item.source,
                    url=item.url,
                    content_sha256=item.content_sha256 or "",
                    matched_records=list(result.matched_records),
                    containment=result.containment,
                    title=scanner.keepable_title(item.title),
                    evidence_path=kept,
                    dataset_id=scanner.fingerprints.dataset_id,
                    partly_read=result.partly_read,
                )
            ]
        )
        self.stats.inc_value("leaktrack/matches_other_cases")
        return True

    async def scan_of(self, item: FetchedDocument, lane: _OpenLane) -> ScannedDocument:
        """The document's scan for the lane's case: made with the sweep's own (``ScanPipeline``),
        else made now for this case and those after it (the cases before it are done), the
        document extracted once for all (``DocumentScanner.scan_for_cases``)."""
        if lane.case not in item.case_scans:
            cases = [later.case for later in self.lanes[self.lanes.index(lane) :]]
            try:
                scans = await lane.scanner.scan_for_cases(item.body, item.url, item.content_type, cases)
                item.case_scans.update(zip(cases, scans, strict=True))
            except DocumentError as refused:  # refused for every case, as each scan would be
                item.case_scans.update(dict.fromkeys(cases, refused))
        scanned = item.case_scans[lane.case]
        if isinstance(scanned, DocumentError):
            raise scanned
        return scanned

    def write_evidence(self, item: FetchedDocument, lane: _OpenLane, report_json: str | None) -> str | None:
        """The case's evidence report (the scan's, and capture and bytes when kept); the kept
        bytes' path.

        Evidence is an aid: a folder that cannot be written is an error line, not a lost match."""
        directory = Path(lane.lane.evidence_dir)
        try:
            save_evidence(item, lane.scanner.fingerprints, directory, self.keep_evidence, report_json)
            return write_evidence(item, directory) if self.keep_evidence else None
        except (OSError, ValueError) as error:
            message = f"{lane.lane.label}: could not write the evidence of {item.url}: {error}"
            record_error(self.stats, lane.scanner.loggable(message), self.limit)
            return None

    @staticmethod
    def resight_known(item: FetchedDocument, store: MatchStore) -> str | None:
        """Upsert what the case already holds for the URL (last seen moves, a removed copy
        reappears); its match id, or None when the case holds nothing for it."""
        try:
            known = store.get(match_id_for_url(item.url))
        except NotFoundError:
            return None
        store.upsert_copies(
            [
                FoundCopy(
                    source=item.source,
                    url=item.url,
                    content_sha256=item.content_sha256 or known.content_sha256,
                    matched_records=list(known.matched_records),
                    containment=known.containment,
                    title=known.title,
                    evidence_path=known.evidence_path,
                    dataset_id=known.dataset_id,
                    partly_read=known.partly_read,
                )
            ]
        )
        return known.id

    def close_spider(self, spider=None) -> None:
        for lane in self.lanes:
            lane.close()
