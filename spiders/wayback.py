"""The Internet Archive's Wayback Machine: captures of given URLs and URL prefixes.

For each of the source's ``urls`` (exact) and ``url_prefixes`` (``matchType=prefix``) the
spider asks the CDX server API (``{api_url}/cdx/search/cdx``, JSON output with a header row)
for successful captures (``filter=statuscode:200``), adjacent identical ones collapsed
(``collapse=digest``), ``limit`` rows a page, following ``showResumeKey``/``resumeKey`` to the
last page. Each capture's original bytes are fetched through its ``id_`` URL
(``/web/<timestamp>id_/<original>``, no Wayback banner or rewriting) and scanned; a copy is
reported under its replay URL (``/web/<timestamp>/<original>``), the address a takedown
request to the Archive names.

Incremental: per query, the newest capture timestamp taken is the next sweep's ``from``;
captures whose content (CDX ``digest``) was taken before, under any timestamp, are skipped
without a request (``skipped_seen``), as are capture URLs already seen. Rows not shaped as
documented are skipped and counted as ``malformed`` errors. The Archive rate-limits the CDX
API (429, at times 503): retried with backoff and Retry-After (middlewares.RetryBackoff).
Only the URLs and prefixes of the sources file are ever sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlparse

import scrapy
from scrapy.http import Response

from .cursors import META_QUERY, CursorSpider

DEFAULT_API_URL = "https://web.archive.org"
# Fields asked for (``fl``); the header row says which column is which.
CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
TIMESTAMP_RE = re.compile(r"^\d{14}$")
PROBLEM = "problem"  # key of a row that could not be read as one


@dataclass(frozen=True)
class ArchiveQuery:
    """One question to an archive's index: captures of ``url`` (exactly, or as a prefix)."""

    url: str
    match_type: str  # "exact" or "prefix"

    def cursor_name(self, source: str, kind: str) -> str:
        return f"{kind}:{source}:{self.match_type}:{self.url}"


@dataclass(frozen=True)
class Capture:
    timestamp: str  # 14 digits, UTC
    original: str
    digest: str
    mimetype: str | None


def archive_queries(source) -> list[ArchiveQuery]:
    return [ArchiveQuery(url, "exact") for url in source.urls] + [
        ArchiveQuery(url, "prefix") for url in source.url_prefixes
    ]


def since_timestamp(since: str | None) -> str | None:
    """The sources file's ``since`` (ISO date) as a CDX timestamp (its first second)."""
    return since.replace("-", "") + "000000" if since else None


class WaybackSpider(CursorSpider):
    name = "wayback"
    kind = "wayback"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.api_url = self.source.api_url or DEFAULT_API_URL
        self.digests_taken: set[str] = set()  # this crawl's, besides the crawl state's

    async def start(self):
        for query in archive_queries(self.source):
            yield self.cdx_request(query)

    def cdx_request(self, query: ArchiveQuery, resume_key: str | None = None) -> scrapy.Request:
        name = query.cursor_name(self.source.name, self.kind)
        params = {
            "url": query.url,
            "matchType": query.match_type,
            "output": "json",
            "fl": ",".join(CDX_FIELDS),
            "filter": "statuscode:200",
            "collapse": "digest",
            "limit": self.settings.getint("LEAKTRACK_WAYBACK_PAGE_ROWS"),
            "showResumeKey": "true",
        }
        start = max(filter(None, [since_timestamp(self.source.since), self.cursor(name)]), default=None)
        if start:
            params["from"] = start
        if resume_key:
            params["resumeKey"] = resume_key
        url = f"{self.api_url}/cdx/search/cdx?{urlencode(params)}"
        return self.query_request(url, self.parse_cdx, name, archive_query=query)

    def parse_cdx(self, response: Response) -> Iterator[scrapy.Request]:
        query: ArchiveQuery = response.meta["archive_query"]
        name = response.meta[META_QUERY]
        try:
            rows, resume_key = cdx_rows(response.body)
        except ValueError as error:
            self.malformed(f"malformed CDX answer from {response.url}: {error}", query=name)
            self.crawler.stats.inc_value("leaktrack/empty_listings")
            return
        for row in rows:
            capture = self.capture_of(row, response.url)
            if capture is None:
                continue
            newest = max(capture.timestamp, self.noted(name, name) or "")
            self.note_cursor(name, name, newest)
            if self.seen_digest(capture.digest):
                self.crawler.stats.inc_value("leaktrack/skipped_seen")
                continue
            self.digests_taken.add(capture.digest)
            yield self.capture_request(capture, name)
        if resume_key:
            yield self.cdx_request(query, resume_key)

    def capture_of(self, row: dict, cdx_url: str) -> Capture | None:
        timestamp, original, digest = row.get("timestamp"), row.get("original"), row.get("digest")
        problem = row.get(PROBLEM) or capture_problem(timestamp, original, digest)
        if problem:
            self.malformed(f"malformed CDX row from {cdx_url}: {problem}")
            return None
        return Capture(timestamp, original, digest, row.get("mimetype"))  # type: ignore[arg-type]

    def seen_digest(self, digest: str) -> bool:
        return digest in self.digests_taken or self.cursor(self.digest_cursor(digest)) is not None

    def digest_cursor(self, digest: str) -> str:
        return f"{self.kind}:{self.source.name}:digest:{digest}"

    def capture_request(self, capture: Capture, query: str) -> scrapy.Request:
        return self.query_request(
            f"{self.api_url}/web/{capture.timestamp}id_/{capture.original}",
            self.parse_capture,
            query,
            incremental="skip_seen",
            document_url=f"{self.api_url}/web/{capture.timestamp}/{capture.original}",
            capture=capture,
        )

    def parse_capture(self, response: Response):
        capture: Capture = response.meta["capture"]
        self.note_cursor(response.meta[META_QUERY], self.digest_cursor(capture.digest), capture.timestamp)
        yield self.document(response)


def cdx_rows(body: bytes) -> tuple[list[dict], str | None]:
    """The rows (dicts by the header row's field names) and resume key of a JSON CDX answer.

    Documented shape: ``[]`` (or an empty body) when nothing matched; else ``[[header...], [row...], ...]``, and
    with ``showResumeKey=true`` and more rows to come, ``[]`` then ``[resume_key]`` at the end.
    ValueError when the answer is not that shape at all; a row of the wrong length comes back as
    ``{PROBLEM: why}``."""
    if not body.strip():  # some CDX servers answer "no captures" with an empty body
        return [], None
    try:
        table = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"not JSON ({error.__class__.__name__})") from None
    if not isinstance(table, list) or not all(isinstance(row, list) for row in table):
        raise ValueError("not a JSON array of rows")
    if not table:
        return [], None
    header, rows = table[0], table[1:]
    if not header or not all(isinstance(field, str) for field in header) or "timestamp" not in header:
        raise ValueError("no header row")
    resume_key = None
    if len(rows) >= 2 and rows[-2] == [] and len(rows[-1]) == 1 and isinstance(rows[-1][0], str):
        resume_key, rows = rows[-1][0], rows[:-2]
    return [
        dict(zip(header, row))
        if len(row) == len(header)
        else {PROBLEM: f"a row of {len(row)} fields under a header of {len(header)}"}
        for row in rows
    ], resume_key


def capture_problem(timestamp: Any, original: Any, digest: Any) -> str | None:
    if not isinstance(timestamp, str) or not TIMESTAMP_RE.match(timestamp):
        return f"timestamp {str(timestamp)[:40]!r} is not 14 digits"
    if not isinstance(original, str) or urlparse(original).scheme not in ("http", "https"):
        return "original is not an http(s) URL"
    if not isinstance(digest, str) or not digest:
        return "no digest"
    return None
