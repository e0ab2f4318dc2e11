"""What the API kinds share (github, gitlab, paste_api, search): authenticated JSON requests to
the source's ``api_url``, Link-header paging, conditional requests with ETags, and incremental
cursors kept in the crawl state.

- The token (the value of the source's ``token_env``, read from the environment by
  ``leaktrack sweep`` or, for ``scrapy crawl``, by ``cli/scrapy_commands/crawl.py``, and handed to
  the spider, never in Scrapy settings, spider arguments, logs or stats) is put on a request only as it is sent
  (``ApiAuthorization``), and only to the API's own origin, never to the hosts the found items'
  bytes come from.
- API requests skip robots.txt (an API's terms govern it; api.github.com's robots.txt forbids
  every crawler) and are marked for ``ratelimit.ApiRateLimit``.
- A listing answered with a body that is not the JSON the API documents is an error
  (``malformed``) and an empty listing (source health: the source looks dark).
- Cursors (newest date seen, ETags of listing pages) are saved per query, only when every
  request of the query succeeded (``cursors.CursorSpider``), so what failed is looked at again
  by the next sweep. A listing answered 304 Not Modified counts as ``unchanged`` (the source is
  alive, nothing is new).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from ..credentials import Secrets
from ..errors import SourcesError
from .api_sources import api_url
from .cursors import META_QUERY, CursorSpider
from .meta import META_API

# Listing answers handled by the callback instead of the errback.
NOT_MODIFIED = 304
_LINK_RE = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";]+)"?')


class ApiSpider(CursorSpider):
    """Base of the API kinds. ``secrets`` maps environment variable names to their values (the
    CLI resolves the sources' ``token_env`` names); ``auth_headers`` says how a kind sends it.

    Each request belongs to a query (a search, a listing: ``cursors.CursorSpider``), whose
    cursors and ETags are written only when all its requests succeeded."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.api = api_url(self.source)
        self.token = self._token(self.secrets)
        redact_in_logs(self.secrets)

    def _token(self, secrets: Mapping[str, str]) -> str | None:
        name = self.source.token_env
        if not name:
            return None
        token = secrets.get(name)
        if not token:
            raise SourcesError(
                f"source {self.source.name!r}: environment variable {name} (token_env) is not set;"
                f" export {name} before leaktrack sweep or scrapy crawl"
            )
        return token

    # --- requests ---------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        """Headers that carry the token (each kind says how)."""
        return {}

    def api_headers(self) -> dict[str, str]:
        """Headers every request to the API carries (media types, API version)."""
        return {"Accept": "application/json"}

    def api_request(
        self, url: str, callback: Callable, query: str, conditional: bool = False, **meta: Any
    ) -> scrapy.Request:
        """A request to the API for ``query`` (token on the API's origin only; If-None-Match
        when ``conditional`` and the last complete sweep saved an ETag for ``url``)."""
        meta[META_API] = True
        meta["dont_obey_robotstxt"] = True
        if conditional:
            meta["handle_httpstatus_list"] = [NOT_MODIFIED]
            meta["etag_cursor"] = etag_cursor_name(self.source.name, url)
        request = self.query_request(url, callback, query, **meta)
        request.headers.update(self.api_headers())
        if conditional:
            etag = self.cursor(meta["etag_cursor"])
            if etag:
                request.headers[b"If-None-Match"] = etag
        return request

    def content_request(
        self, url: str, document_url: str, query: str, incremental: str | None = "skip_seen"
    ) -> scrapy.Request:
        """The bytes of one item found by ``query``, handed to the scan pipeline as a document.
        Without robots.txt (the API names this URL) and without the token on another origin."""
        request = self.query_request(
            url,
            self.parse_content,
            query,
            incremental=incremental,
            document_url=document_url,
            dont_obey_robotstxt=True,
        )
        request.meta[META_API] = True
        return request

    def parse_content(self, response: Response):
        yield self.document(response)

    # --- answers ----------------------------------------------------------------------------

    def listing_json(self, response: Response) -> Any | None:
        """The JSON of a listing answer, or None when it is 304 (counted unchanged) or not JSON
        (an error and an empty listing). Notes the answer's ETag for a conditional request."""
        query = response.meta[META_QUERY]
        if response.status == NOT_MODIFIED:
            self.crawler.stats.inc_value("leaktrack/unchanged")
            return None
        try:
            data = json.loads(response.text)
        except (ValueError, AttributeError):  # AttributeError: a body Scrapy did not take as text
            self.malformed_listing(response, "is not JSON")
            return None
        etag = response.headers.get(b"ETag")
        if etag and response.meta.get("etag_cursor"):
            self.note_cursor(query, response.meta["etag_cursor"], etag.decode("latin-1"))
        return data

    def malformed_listing(self, response: Response, what: str, kind: str = "malformed") -> None:
        """A listing answer we cannot use: an error (of ``kind``) that holds its query's cursors
        back, and an empty listing (source health)."""
        self.crawler.stats.inc_value("leaktrack/empty_listings")
        self.malformed(f"answer from {response.url} {what}", response.meta[META_QUERY], kind=kind)

    def next_page(
        self, response: Response, callback: Callable, conditional: bool = False
    ) -> Iterator[scrapy.Request]:
        """The request for the ``rel="next"`` page of a listing, up to ``max_pages``."""
        page = response.meta["page"]
        url = next_link(response)
        if url and page < self.max_pages():
            yield self.api_request(
                url, callback, response.meta[META_QUERY], conditional=conditional, page=page + 1
            )

    def max_pages(self) -> int:
        return self.source.max_pages or self.settings.getint("LEAKTRACK_API_MAX_PAGES")


class ApiAuthorization:
    """Downloader middleware: puts an API spider's token on its requests to the API's origin as
    they are sent, and takes it off the answered request before any other middleware sees it.

    A request object never holds the token while it waits in a queue (a distributed sweep keeps
    its queue in Redis), is copied for a retry or a redirect, or is logged: the token lives in
    the spider only. Placed above RedirectMiddleware (600) so that its ``process_response``
    runs first."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: scrapy.Request, spider=None) -> None:
        spider = spider or self.crawler.spider
        if (
            request.meta.get(META_API)
            and isinstance(spider, ApiSpider)
            and same_origin(request.url, spider.api)
        ):
            request.headers.update(spider.auth_headers())
        return None

    def process_response(self, request: scrapy.Request, response: Response, spider=None) -> Response:
        self.take_token_off(request, spider or self.crawler.spider)
        return response

    def process_exception(self, request: scrapy.Request, exception: BaseException, spider=None) -> None:
        self.take_token_off(request, spider or self.crawler.spider)
        return None

    @staticmethod
    def take_token_off(request: scrapy.Request, spider) -> None:
        if request.meta.get(META_API) and isinstance(spider, ApiSpider):
            for name in spider.auth_headers():
                request.headers.pop(name, None)


def redact_in_logs(secrets: Secrets) -> None:
    """Every log record of this (crawl) process made with ``secrets``' values masked: a backstop.
    No token is put where a log line would show it (URLs, settings, arguments); should one get
    there anyway (a header dumped by a debugging middleware, a key pasted into ``api_url``),
    the line still does not show it. In the log record factory, as
    ``crawl.withhold_dataset_values_in_logs`` is, so that Scrapy's own loggers are covered."""
    if not secrets:
        return
    make_record = logging.getLogRecordFactory()

    def record_without_secrets(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: logging reports it itself
            return record
        masked = secrets.redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    logging.setLogRecordFactory(record_without_secrets)


def etag_cursor_name(source: str, url: str) -> str:
    return f"etag:{source}:{url}"


def next_link(response: Response) -> str | None:
    """The ``rel="next"`` URL of an RFC 8288 Link header (GitHub's and GitLab's paging)."""
    header = response.headers.get(b"Link")
    if not header:
        return None
    for url, rels in _LINK_RE.findall(header.decode("latin-1")):
        if "next" in rels.split():
            return response.urljoin(url)
    return None


def same_origin(url: str, base: str) -> bool:
    one, other = urlsplit(url), urlsplit(base)
    return (one.scheme, one.hostname, one.port) == (other.scheme, other.hostname, other.port)
