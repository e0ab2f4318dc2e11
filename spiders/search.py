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

Incremental: per query, the day of the last sweep whose requests all succeeded is the cursor;
the next sweep asks only for pages the engine found since (``freshness``), from that day on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import scrapy
from scrapy.http import Response

from .api_base import ApiSpider
from .cursors import META_QUERY


@dataclass(frozen=True)
class SearchHit:
    url: str
    title: str | None


class SearchProvider(Protocol):
    """How to ask one search engine and read its answer."""

    results_per_page: int
    max_page: int  # the last page the engine serves (0-based)

    def search_url(self, api: str, query: str, page: int, since: str | None, today: str) -> str: ...

    def auth_headers(self, token: str) -> dict[str, str]: ...

    def hits(self, data: Any) -> list[SearchHit] | None:
        """The answer's results, or None when it is not the documented shape."""
        ...

    def has_more(self, data: Any) -> bool: ...


class BraveSearch:
    results_per_page = 20  # the most Brave gives per request
    max_page = 9  # offset is at most 9

    def search_url(self, api: str, query: str, page: int, since: str | None, today: str) -> str:
        params = {"q": query, "count": self.results_per_page, "offset": page}
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

    def has_more(self, data: Any) -> bool:
        query = data.get("query") if isinstance(data, dict) else None
        return bool(isinstance(query, dict) and query.get("more_results_available"))


PROVIDERS: dict[str, SearchProvider] = {"brave": BraveSearch()}


def since_cursor_name(source: str, query: str) -> str:
    return f"search:{source}:{query}:since"


class SearchSpider(ApiSpider):
    name = "search"
    kind = "search"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.provider = PROVIDERS[self.source.profile or "brave"]
        self.today = datetime.now(UTC).date().isoformat()

    def auth_headers(self) -> dict[str, str]:
        return self.provider.auth_headers(self.token) if self.token else {}

    async def start(self):
        for query in self.source.queries:
            yield self.search_request(query, page=0)

    def search_request(self, query: str, page: int) -> scrapy.Request:
        since = self.cursor(since_cursor_name(self.source.name, query))
        url = self.provider.search_url(self.api, query, page, since, self.today)
        self.note_cursor(query, since_cursor_name(self.source.name, query), self.today)
        return self.api_request(url, self.parse_results, query, page=page + 1, search_page=page)

    def parse_results(self, response: Response) -> Iterator[scrapy.Request]:
        data = self.listing_json(response)
        if data is None:
            return
        hits = self.provider.hits(data)
        if hits is None:
            self.malformed_listing(response, "is not a search answer")
            return
        for hit in hits:
            if urlsplit(hit.url).scheme in ("http", "https"):
                yield self.result_request(hit.url, response.meta[META_QUERY])
        page = response.meta["search_page"]
        if (
            hits
            and self.provider.has_more(data)
            and page + 1 < min(self.max_pages(), self.provider.max_page + 1)
        ):
            yield self.search_request(response.meta[META_QUERY], page + 1)

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
