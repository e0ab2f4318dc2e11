"""Search engines with an API and a key: each query's results are fetched and scanned.

A provider (``SearchProvider``) says how to ask one engine and read its answer; the spider
pages through the results of each of the source's ``queries`` (``max_pages``) and fetches
every result URL like a ``urls`` source (robots.txt obeyed unless the source says otherwise,
conditional requests with the ETag / Last-Modified of the last sweep, the private-address
guard). The query texts were checked against the fingerprints before the sweep started
(``api_sources.refuse_dataset_values_in_queries``): no dataset value goes to the engine.

The first provider is the Brave Search API (api-dashboard.search.brave.com/app/documentation):

- ``GET /web/search?q=...&count=20&offset=<page>&freshness=<from>to<to>`` with the key in
  ``X-Subscription-Token``; ``offset`` counts pages of ``count`` (0 to 9);
- the answer ``{"type": "search", "query": {"original", "more_results_available"},
  "web": {"type": "search", "results": [{"title", "url", "description", "page_age", ...}]}}``;
- rate limits per window in ``X-RateLimit-Limit: 1, 15000``, ``X-RateLimit-Remaining: 1, 1000``,
  ``X-RateLimit-Reset: 1, 1419704`` (seconds until each window resets), 429 when exceeded; an
  invalid key answers an ``ErrorResponse`` with status 401 or 403.

The second is Google's Programmable Search Engine, through the Custom Search JSON API
(developers.google.com/custom-search/v1/reference/rest/v1/cse/list and .../rest/v1/Search):

- ``GET https://www.googleapis.com/customsearch/v1?cx=<engine id>&q=...&num=10&start=<1-based
  index>&dateRestrict=d<days>``: at most 10 results a request and 100 a query (``start`` + ``num``
  <= 101);
- the answer ``{"kind": "customsearch#search", "queries": {"request": [...], "nextPage":
  [{"startIndex": 11, ...}]}, "searchInformation": {...}, "items": [{"title", "link",
  "displayLink", "snippet", ...}]}``; no ``items`` when nothing was found, no ``nextPage`` on
  the last page;
- errors as Google's APIs write them, ``{"error": {"code", "message", "status", ...}}``: an
  invalid key is 400 ``INVALID_ARGUMENT`` ("API key not valid"), a project without access 403
  ``PERMISSION_DENIED``, an exhausted quota 429 ``RESOURCE_EXHAUSTED`` (per minute: waited out
  by ``ratelimit.ApiRateLimit``; per day: given up at once). Each is an error of the source
  with Google's own status and message, and the source looks dark.
- The key: Google's documentation shows it as the ``key`` URL parameter, where every log line,
  error message and export that names a URL would carry it. Every Google API also takes it as
  the ``X-Goog-Api-Key`` header (the ``key`` system parameter,
  cloud.google.com/apis/docs/system-parameters): we send it only so, put on as the request is
  sent and taken off before anything else sees it (``api_base.ApiAuthorization``), so no URL
  we keep, log or export ever holds it.

Incremental: per query, the day of the last sweep whose requests all succeeded is the cursor;
the next sweep asks only for pages the engine found since (Brave's ``freshness``, Google's
``dateRestrict`` in days), from that day on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.http import Response

from .api_base import ApiSpider
from .cursors import META_QUERY
from .sources import Source


@dataclass(frozen=True)
class SearchHit:
    url: str
    title: str | None


@dataclass(frozen=True)
class SearchRefusal:
    """An engine's error answer, as the engine words it."""

    kind: str  # the error kind it is counted under (health.error_kind)
    message: str


class SearchProvider(Protocol):
    """How to ask one search engine and read its answer (made for one source: ``provider(source)``).

    A query's pages are asked by *position*, in the engine's terms: Brave's page number
    (``offset``), Google's index of the first result (``start``)."""

    first_position: int
    # Error statuses whose answer the spider reads (``refusal``) instead of a bare "HTTP <n>".
    error_statuses: tuple[int, ...]

    def search_url(self, api: str, query: str, position: int, since: str | None, today: str) -> str: ...

    def auth_headers(self, token: str) -> dict[str, str]: ...

    def hits(self, data: Any) -> list[SearchHit] | None:
        """The answer's results, or None when it is not the documented shape."""
        ...

    def next_position(self, data: Any, position: int) -> int | None:
        """Where the next page of results starts, or None after the last one the engine serves."""
        ...

    def refusal(self, status: int, body: bytes) -> SearchRefusal: ...


class BraveSearch:
    results_per_page = 20  # the most Brave gives per request
    last_offset = 9  # offset (a page number) is at most 9
    first_position = 0
    error_statuses: tuple[int, ...] = ()  # Brave's ErrorResponse: HTTP errors as any site's

    def __init__(self, source: Source):
        self.source = source

    def search_url(self, api: str, query: str, position: int, since: str | None, today: str) -> str:
        params = {"q": query, "count": self.results_per_page, "offset": position}
        if since:
            params["freshness"] = f"{since}to{today}"
        return f"{api}/web/search?" + urlencode(params)

    def auth_headers(self, token: str) -> dict[str, str]:
        return {"X-Subscription-Token": token}

    def hits(self, data: Any) -> list[SearchHit] | None:
        if not isinstance(data, dict) or data.get("type") != "search":
            return None
        web = data.get("web") or {"results": []}  # no "web" block: no web results for the query
        results = web.get("results") if isinstance(web, dict) else None
        if not isinstance(results, list):
            return None
        return [
            SearchHit(result["url"], result.get("title"))
            for result in results
            if isinstance(result, dict) and isinstance(result.get("url"), str)
        ]

    def next_position(self, data: Any, position: int) -> int | None:
        query = data.get("query") if isinstance(data, dict) else None
        more = isinstance(query, dict) and query.get("more_results_available")
        return position + 1 if more and position < self.last_offset else None

    def refusal(self, status: int, body: bytes) -> SearchRefusal:
        return SearchRefusal(f"http_{status}", f"HTTP {status}")


# Every Google API takes its key in this header as well as in the ``key`` URL parameter.
GOOGLE_KEY_HEADER = "X-Goog-Api-Key"


class GoogleProgrammableSearch:
    results_per_page = 10  # the most Google gives per request
    last_result = 100  # start + num - 1 <= 100: a query has at most 100 results
    first_position = 1  # start: the 1-based index of the first result
    error_statuses: tuple[int, ...] = (400, 403, 429)

    def __init__(self, source: Source):
        self.engine_id = source.engine_id

    def search_url(self, api: str, query: str, position: int, since: str | None, today: str) -> str:
        params: dict[str, str | int] = {
            "cx": self.engine_id or "",
            "q": query,
            "num": self.results_per_page,
            "start": position,
        }
        if since:  # the days since the cursor's day, that day included
            days = (date.fromisoformat(today) - date.fromisoformat(since)).days + 1
            params["dateRestrict"] = f"d{max(days, 1)}"
        return f"{api}?" + urlencode(params)

    def auth_headers(self, token: str) -> dict[str, str]:
        return {GOOGLE_KEY_HEADER: token}

    def hits(self, data: Any) -> list[SearchHit] | None:
        if not isinstance(data, dict) or data.get("kind") != "customsearch#search":
            return None
        items = data.get("items", [])  # no "items": nothing found
        if not isinstance(items, list):
            return None
        return [
            SearchHit(item["link"], item.get("title"))
            for item in items
            if isinstance(item, dict) and isinstance(item.get("link"), str)
        ]

    def next_position(self, data: Any, position: int) -> int | None:
        """``queries.nextPage[0].startIndex``: absent on the last page."""
        queries = data.get("queries") if isinstance(data, dict) else None
        following = queries.get("nextPage") if isinstance(queries, dict) else None
        if not isinstance(following, list) or not following or not isinstance(following[0], dict):
            return None
        start = following[0].get("startIndex")
        if not isinstance(start, int) or start <= position:
            return None
        return start if start + self.results_per_page - 1 <= self.last_result else None

    def refusal(self, status: int, body: bytes) -> SearchRefusal:
        """Google's ``{"error": {"code", "message", "status"}}``. An invalid key (400
        INVALID_ARGUMENT, "API key not valid") is counted as refused access, whatever its status."""
        try:
            error = json.loads(body).get("error")
        except (ValueError, AttributeError):
            error = None
        if not isinstance(error, dict):
            error = {}
        status_name = str(error.get("status") or "")
        message = str(error.get("message") or "no error message")
        kind = "access_refused" if status == 400 and "API key" in message else f"http_{status}"
        return SearchRefusal(
            kind, " ".join(part for part in (f"HTTP {status}", status_name) if part) + f": {message}"
        )


PROVIDERS: dict[str, type[BraveSearch] | type[GoogleProgrammableSearch]] = {
    "brave": BraveSearch,
    "google": GoogleProgrammableSearch,
}


def since_cursor_name(source: str, query: str) -> str:
    return f"search:{source}:{query}:since"


class SearchSpider(ApiSpider):
    name = "search"
    kind = "search"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.provider: SearchProvider = PROVIDERS[self.source.profile or "brave"](self.source)
        self.today = datetime.now(UTC).date().isoformat()

    def auth_headers(self) -> dict[str, str]:
        return self.provider.auth_headers(self.token) if self.token else {}

    async def start(self):
        for query in self.source.queries:
            yield self.search_request(query, self.provider.first_position, pages_read=0)

    def search_request(self, query: str, position: int, pages_read: int) -> scrapy.Request:
        since = self.cursor(since_cursor_name(self.source.name, query))
        url = self.provider.search_url(self.api, query, position, since, self.today)
        self.note_cursor(query, since_cursor_name(self.source.name, query), self.today)
        return self.api_request(
            url,
            self.parse_results,
            query,
            page=pages_read + 1,
            search_position=position,
            handle_httpstatus_list=list(self.provider.error_statuses),
        )

    def parse_results(self, response: Response) -> Iterator[scrapy.Request]:
        if response.status in self.provider.error_statuses:
            self.refused(response)
            return
        data = self.listing_json(response)
        if data is None:
            return
        hits = self.provider.hits(data)
        if hits is None:
            self.malformed_listing(response, "is not a search answer")
            return
        query = response.meta[META_QUERY]
        for hit in hits:
            if urlsplit(hit.url).scheme in ("http", "https"):
                yield self.result_request(hit.url, query)
        following = self.provider.next_position(data, response.meta["search_position"]) if hits else None
        pages_read = response.meta["page"]
        if following is not None and pages_read < self.max_pages():
            yield self.search_request(query, following, pages_read)

    def refused(self, response: Response) -> None:
        """The engine's error answer: an error of the source in the engine's words, its query's
        cursor held back, and an empty listing (the source looks dark)."""
        refusal = self.provider.refusal(response.status, response.body)
        self.crawler.stats.inc_value("leaktrack/empty_listings")
        message = f"the search engine refused {response.url}: {refusal.message}"
        self.report_error(self.secrets.redact(message), kind=refusal.kind, query=response.meta[META_QUERY])

    def result_request(self, url: str, query: str) -> scrapy.Request:
        """A result page or file, fetched like a ``urls`` source: it is someone else's site."""
        return self.query_request(
            url,
            self.parse_content,
            query,
            incremental="conditional",
            document_url=url,
            handle_httpstatus_list=[304],
        )
