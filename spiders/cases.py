"""One sweep for every case at once (``sweep --all-cases``): each document scanned for each leak.

The sweep's own case goes through ``ScanPipeline`` and ``StorePipeline`` as always. This
pipeline comes after them and scans each document again with the fingerprints of every
*other* case (``LEAKTRACK_OTHER_CASES``: the cases' fingerprints, key and store), storing a
leak verdict in that case's store with that case's dataset id, so the crawl (fetching, the
guard, politeness) is done once for all cases while their matches stay apart.

The other cases have no crawl state of their own: a document the sweep's case saw unchanged
is still scanned for them (its body was fetched), and a 304 answer (no body) re-sights what
each case already holds for the URL. No evidence copy is kept for them. A page title is kept
for a case only if it quotes none of that case's dataset values either.

Switched off (``NotConfigured``) when no other case is given. Imports the store through its
interface only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from scrapy.exceptions import NotConfigured

from ..errors import DocumentError, LeaktrackError, NotFoundError
from ..home import CASES_DIR, FINGERPRINTS_FILE, KEY_FILE, STORE_FILE, list_cases_in
from ..index import FoundCopy, MatchStore, match_id_for_url, open_store
from .items import FetchedDocument
from .middlewares import record_error
from .scanning import DocumentScanner, load_fingerprints, shared_scanner

OTHER_CASES_SETTING = "LEAKTRACK_OTHER_CASES"


@dataclass(frozen=True)
class CaseLane:
    """Where one other case's fingerprints, key and store are."""

    case: str  # "" for the home folder's own (unnamed) case
    fingerprints: str
    key_file: str
    store_url: str

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
        fingerprints = folder / FINGERPRINTS_FILE
        if case == (current_case or "") or not fingerprints.is_file():
            continue
        shared = store_url if store_url.startswith(("http://", "https://")) else None
        lanes.append(
            CaseLane(
                case,
                str(fingerprints),
                str(folder / KEY_FILE),
                shared or f"sqlite:///{(folder / STORE_FILE).absolute()}",
            )
        )
    return lanes


def lanes_to_setting(lanes: list[CaseLane]) -> str:
    """The setting's value (JSON: it reaches the crawl's child process as a string)."""
    return json.dumps([asdict(lane) for lane in lanes])


def lanes_from_setting(text: str | None) -> list[CaseLane]:
    return [CaseLane(**lane) for lane in json.loads(text)] if text else []


def check_lanes(lanes: list[CaseLane]) -> None:
    """Fail before crawling, with one line, when a case's fingerprints cannot be loaded or its
    store holds another dataset's matches."""
    for lane in lanes:
        try:
            dataset_id = load_fingerprints(lane.fingerprints, lane.key_file).dataset_id
            with open_store(lane.store_url, case=lane.case) as store:
                store.refuse_other_dataset(dataset_id)
        except LeaktrackError as error:
            raise type(error)(f"{lane.label}: {error}") from None


class OtherCasesPipeline:
    def __init__(self, crawler):
        settings = crawler.settings
        lanes = lanes_from_setting(settings.get(OTHER_CASES_SETTING))
        if not lanes or not settings.getbool("LEAKTRACK_SCAN"):
            raise NotConfigured
        self.stats = crawler.stats
        self.limit = settings.getint("LEAKTRACK_MAX_ERROR_MESSAGES")
        workers = settings.getint("LEAKTRACK_SCAN_WORKERS")
        self.lanes: list[tuple[CaseLane, DocumentScanner, MatchStore]] = [
            (
                lane,
                shared_scanner(lane.fingerprints, lane.key_file, workers),
                open_store(lane.store_url, case=lane.case),
            )
            for lane in lanes
        ]

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item: FetchedDocument, spider=None) -> FetchedDocument:
        for lane, scanner, store in self.lanes:
            try:
                await self.store_for_case(item, scanner, store)
            except (DocumentError, LeaktrackError) as error:
                record_error(self.stats, f"{lane.label}: {item.url}: {error}", self.limit)
        return item

    async def store_for_case(
        self, item: FetchedDocument, scanner: DocumentScanner, store: MatchStore
    ) -> None:
        if item.not_modified or not item.body:
            self.resight_known(item, store)
            return
        result = await scanner.scan(item.body, item.url, item.content_type)
        if not result.is_leak:
            return
        store.upsert_copies(
            [
                FoundCopy(
                    source=item.source,
                    url=item.url,
                    content_sha256=item.content_sha256 or "",
                    matched_records=list(result.matched_records),
                    containment=result.containment,
                    title=scanner.keepable_title(item.title),
                    dataset_id=scanner.fingerprints.dataset_id,
                    partly_read=result.partly_read,
                )
            ]
        )
        self.stats.inc_value("leaktrack/matches_other_cases")

    def resight_known(self, item: FetchedDocument, store: MatchStore) -> None:
        try:
            known = store.get(match_id_for_url(item.url))
        except NotFoundError:
            return
        store.upsert_copies(
            [
                FoundCopy(
                    source=item.source,
                    url=item.url,
                    content_sha256=item.content_sha256 or known.content_sha256,
                    matched_records=list(known.matched_records),
                    containment=known.containment,
                    title=known.title,
                    dataset_id=known.dataset_id,
                    partly_read=known.partly_read,
                )
            ]
        )

    def close_spider(self, spider=None) -> None:
        for _, _, store in self.lanes:
            store.close()
