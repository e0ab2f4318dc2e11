"""Common Crawl: captures of given URLs and URL prefixes in its monthly crawls.

For each crawl (the source's ``collections``, else the newest ``LEAKTRACK_COMMONCRAWL_CRAWLS``
listed in ``{api_url}/collinfo.json``) and each of the source's ``urls`` (``matchType=exact``)
and ``url_prefixes`` (``prefix``), the spider asks the crawl's index
(``{api_url}/<crawl>-index``, the pywb CDX server API) how many pages the answer has
(``showNumPages=true``), then reads every page (``page=0..n-1``, ``output=json``: one JSON
object a line with ``filename``, ``offset`` and ``length`` among its fields). A 404 with
``{"error": "No Captures found ..."}`` is an empty answer, not an error.

Each successful capture is one gzip member of a WARC file: fetched from ``{data_url}/<filename>``
with ``Range: bytes=<offset>-<offset+length-1>``, ungzipped and read with warcio; the HTTP
payload of its ``response`` record is what the scanner reads. A copy is reported under
``{data_url}/<filename>#offset=<offset>&length=<length>`` (``warc_record_url``), which names the
record exactly and is what ``recheck`` fetches again (extraction ``warc_record``).

Incremental: a crawl is never changed once published, so a crawl read completely for a URL or
prefix is not asked again (cursor per crawl), and captures whose content digest was taken before
(from any crawl) are skipped without a download. Only the URLs and prefixes of the sources
file are ever sent to the index.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urldefrag, urlencode, urlparse

import scrapy
from scrapy.http import Response

from .base import SourceSpider
from .cursors import META_QUERY, CursorSpider
from .items import FetchedDocument
from .meta import META_DOCUMENT_URL
from .middlewares import record_error
from .sources import COLLECTION_RE
from .urls import GONE_STATUSES
from .wayback import ArchiveQuery, archive_queries, since_timestamp

DEFAULT_API_URL = "https://index.commoncrawl.org"
DEFAULT_DATA_URL = "https://data.commoncrawl.org"
NO_CAPTURES = 404  # the index's answer when nothing matched: {"error": "No Captures found for: ..."}
FILENAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*\.warc(\.gz)?$")


@dataclass(frozen=True)
class IndexedRecord:
    """One line of a Common Crawl index answer: where a capture's WARC record is."""

    url: str
    timestamp: str
    filename: str
    offset: int
    length: int
    digest: str


class CommonCrawlSpider(CursorSpider):
    name = "commoncrawl"
    kind = "commoncrawl"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.api_url = self.source.api_url or DEFAULT_API_URL
        self.data_url = self.source.data_url or DEFAULT_DATA_URL
        self.digests_taken: set[str] = set()

    async def start(self):
        if self.source.collections:
            for request in self.index_requests(self.source.collections):
                yield request
            return
        yield self.request(f"{self.api_url}/collinfo.json", self.parse_collections)

    def parse_collections(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            crawls = crawl_names(response.body)
        except ValueError as error:
            self.malformed(f"malformed crawl list from {response.url}: {error}")
            self.crawler.stats.inc_value("leaktrack/empty_listings")
            return
        yield from self.index_requests(crawls[: self.settings.getint("LEAKTRACK_COMMONCRAWL_CRAWLS")])

    def index_requests(self, crawls: list[str]) -> Iterator[scrapy.Request]:
        for query in archive_queries(self.source):
            for crawl in crawls:
                name = f"{query.cursor_name(self.source.name, self.kind)}:{crawl}"
                if self.cursor(name) == "done":  # read by an earlier sweep: a skip, as for a seen URL
                    self.crawler.stats.inc_value("leaktrack/skipped_seen")  # (the source stays alive)
                    continue
                self.note_cursor(name, name, "done")
                yield self.query_request(
                    self.index_url(crawl, query, showNumPages="true"),
                    self.parse_page_count,
                    name,
                    crawl=crawl,
                    archive_query=query,
                    handle_httpstatus_list=[NO_CAPTURES],
                )

    def index_url(self, crawl: str, query: ArchiveQuery, **extra: str) -> str:
        params = {"url": query.url, "matchType": query.match_type, "output": "json", "filter": "status:200"}
        since = since_timestamp(self.source.since)
        if since:
            params["from"] = since
        return f"{self.api_url}/{crawl}-index?{urlencode({**params, **extra})}"

    def parse_page_count(self, response: Response) -> Iterator[scrapy.Request]:
        if response.status == NO_CAPTURES:
            return
        try:
            pages = page_count(response.body)
        except ValueError as error:
            self.malformed(
                f"malformed page count from {response.url}: {error}", query=response.meta[META_QUERY]
            )
            self.crawler.stats.inc_value("leaktrack/empty_listings")
            return
        crawl, query = response.meta["crawl"], response.meta["archive_query"]
        for page in range(pages):
            yield self.query_request(
                self.index_url(crawl, query, page=str(page)),
                self.parse_index_page,
                response.meta[META_QUERY],
                handle_httpstatus_list=[NO_CAPTURES],
            )

    def parse_index_page(self, response: Response) -> Iterator[scrapy.Request]:
        if response.status == NO_CAPTURES:
            return
        for line in response.body.splitlines():
            if not line.strip():
                continue
            try:
                record = indexed_record(line)
            except ValueError as error:
                self.malformed(f"malformed index line from {response.url}: {error}")
                continue
            if record.digest in self.digests_taken or self.cursor(self.digest_cursor(record.digest)):
                self.crawler.stats.inc_value("leaktrack/skipped_seen")
                continue
            self.digests_taken.add(record.digest)
            yield self.record_request(record, response.meta[META_QUERY])

    def digest_cursor(self, digest: str) -> str:
        return f"{self.kind}:{self.source.name}:digest:{digest}"

    def record_request(self, record: IndexedRecord, query: str) -> scrapy.Request:
        location = warc_record_url(self.data_url, record.filename, record.offset, record.length)
        request = warc_record_request(
            self, location, self.parse_record, incremental="skip_seen", document_url=location
        )
        request.meta.update({META_QUERY: query, "record": record})
        return request

    def parse_record(self, response: Response):
        record: IndexedRecord = response.meta["record"]
        document = warc_record_document(self, response)
        if document is None:
            return
        document.title = f"Common Crawl capture of {record.url} at {record.timestamp}"
        self.note_cursor(response.meta[META_QUERY], self.digest_cursor(record.digest), record.timestamp)
        yield document


def warc_record_url(data_url: str, filename: str, offset: int, length: int) -> str:
    return f"{data_url}/{filename}#offset={offset}&length={length}"


def warc_record_range(location: str) -> tuple[str, int, int]:
    """``warc_record_url``'s parts: the file's URL, the record's first and last byte."""
    url, fragment = urldefrag(location)
    fields = parse_qs(fragment)
    try:
        offset, length = int(fields["offset"][0]), int(fields["length"][0])
    except (KeyError, ValueError):
        raise ValueError(f"{location} does not name a WARC record (#offset=...&length=...)") from None
    return url, offset, offset + length - 1


def warc_record_request(spider: SourceSpider, location: str, callback, **kwargs: Any) -> scrapy.Request:
    """A Range request for the WARC record at ``location`` (``warc_record_url``). Not filtered as
    a duplicate: every record of one WARC file has the same URL."""
    url, first, last = warc_record_range(location)
    request = spider.request(url, callback, **kwargs)
    request.headers[b"Range"] = f"bytes={first}-{last}".encode()
    return request.replace(dont_filter=True)


def warc_record_document(spider: SourceSpider, response: Response) -> FetchedDocument | None:
    """The document in a fetched WARC record: its HTTP payload with its Content-Type, reported
    (and rechecked) under the record's location. None (and a ``malformed`` error) when the
    answer is not one WARC response record."""
    location = response.meta.get(META_DOCUMENT_URL, response.url)
    if response.status in GONE_STATUSES:  # a recheck: Common Crawl removed the record
        return spider.document(response, body=b"", extraction="warc_record")
    limit = spider.settings.getint("DOWNLOAD_MAXSIZE")
    try:
        if response.status != 206:
            raise ValueError(f"answered {response.status}, not 206 Partial Content to a Range request")
        payload, content_type = warc_response_payload(response.body, limit)
    except ValueError as error:
        report = getattr(spider, "malformed", None)
        message = f"unreadable WARC record at {location}: {error}"
        if report:
            report(message, query=response.meta.get(META_QUERY))
        else:  # a recheck's spider: counted as an error all the same
            record_error(
                spider.crawler.stats,
                message,
                spider.settings.getint("LEAKTRACK_MAX_ERROR_MESSAGES"),
                "malformed",
            )
        return None
    document = spider.document(response, body=payload, content_type=content_type, extraction="warc_record")
    document.content_url = location
    return document


def warc_response_payload(body: bytes, limit: int) -> tuple[bytes, str | None]:
    """The HTTP payload (transfer and content encodings undone) and Content-Type of the one
    WARC ``response`` record in ``body`` (gzipped or not). ValueError when ``body`` is not such
    a record, or the payload is larger than ``limit`` bytes once decompressed (a bomb)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        for record in ArchiveIterator(io.BytesIO(body), no_record_parse=False):
            if record.rec_type != "response" or record.http_headers is None:
                raise ValueError(f"a {record.rec_type} record, not a response")
            payload = record.content_stream().read(limit + 1)
            if len(payload) > limit:
                raise ValueError(f"payload over {limit} bytes once decompressed")
            return payload, record.http_headers.get_header("Content-Type")
    except (ArchiveLoadFailed, OSError, EOFError) as error:  # not WARC, or a broken gzip member
        raise ValueError(str(error).splitlines()[0][:200] if str(error) else type(error).__name__) from None
    raise ValueError("no WARC record")


def crawl_names(body: bytes) -> list[str]:
    """The crawl ids of ``collinfo.json`` (newest first, as the index lists them)."""
    try:
        crawls = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("not JSON") from None
    if not isinstance(crawls, list):
        raise ValueError("not a JSON array of crawls")
    names = [crawl.get("id") for crawl in crawls if isinstance(crawl, dict)]
    crawl_ids = [name for name in names if isinstance(name, str) and COLLECTION_RE.match(name)]
    if not crawl_ids or len(crawl_ids) != len(crawls):
        raise ValueError("not a list of crawls with ids like CC-MAIN-2026-47")
    return sorted(crawl_ids, reverse=True)


def page_count(body: bytes) -> int:
    """``showNumPages=true``'s answer: ``{"pages": n, "pageSize": ..., "blocks": ...}``; an empty
    body is no pages (pywb 2.5+ answers "no captures" with an empty 200 rather than a 404)."""
    if not body.strip():
        return 0
    try:
        answer = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("not JSON") from None
    pages = answer.get("pages") if isinstance(answer, dict) else None
    if isinstance(pages, bool) or not isinstance(pages, int) or pages < 0:
        raise ValueError("no page count")
    return pages


def indexed_record(line: bytes) -> IndexedRecord:
    try:
        fields = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("not a JSON object") from None
    if not isinstance(fields, dict):
        raise ValueError("not a JSON object")
    try:
        offset, length = int(fields["offset"]), int(fields["length"])
        filename, url, timestamp, digest = (
            fields["filename"],
            fields["url"],
            fields["timestamp"],
            fields["digest"],
        )
    except (KeyError, TypeError, ValueError):
        raise ValueError(
            "filename, offset, length, url, timestamp or digest missing or not a number"
        ) from None
    if not isinstance(filename, str) or not FILENAME_RE.match(filename) or ".." in filename:
        raise ValueError("filename is not a WARC file path")
    if offset < 0 or length <= 0:
        raise ValueError("offset or length out of range")
    if not isinstance(url, str) or urlparse(url).scheme not in ("http", "https"):
        raise ValueError("url is not an http(s) URL")
    return IndexedRecord(url, str(timestamp), filename, offset, length, str(digest))
