"""A Brave Search API stand-in on 127.0.0.1, and the web pages its results point to.

Shaped as Brave documents its Web Search API (api-dashboard.search.brave.com/app/documentation):

- ``GET /res/v1/web/search?q=&count=&offset=&freshness=`` with ``X-Subscription-Token``: the
  answer ``{"type": "search", "query": {"original", "more_results_available"}, "web": {"type":
  "search", "results": [{"title", "url", "description", "page_age", "language", "meta_url"}]}}``;
  ``offset`` counts pages of ``count`` (at most 20).
- ``X-RateLimit-Limit: 1, 15000``, ``X-RateLimit-Policy``, ``X-RateLimit-Remaining`` and
  ``X-RateLimit-Reset`` (seconds until the per-second and per-month windows reset) on every
  answer; ``rate_limited()`` is the 429 ``RATE_LIMITED`` ErrorResponse.
- An invalid key answers 401 ``SUBSCRIPTION_TOKEN_INVALID``.
- The results' pages are served under ``/site/<name>`` (``add_page``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from .github import header
from .scripted import Reply, ScriptedServer, SeenRequest

KEY = "BSA-standin-0000000000"
RATE_HEADERS = {
    "X-RateLimit-Limit": "1, 15000",
    "X-RateLimit-Policy": "1;w=1, 15000;w=2592000",
    "X-RateLimit-Remaining": "1, 14000",
    "X-RateLimit-Reset": "1, 1419704",
}


@dataclass
class Result:
    query: str
    name: str  # the page's path under /site/
    title: str
    text: str


def error_response(status: int, code: str, detail: str) -> dict:
    return {
        "type": "ErrorResponse",
        "error": {
            "id": "00000000-0000-0000-0000-000000000000",
            "status": status,
            "code": code,
            "detail": detail,
        },
        "time": 1764460800,
    }


class SearchEngineServer(ScriptedServer):
    """A search engine's API at ``api_path`` (answered by ``search``) and the pages of its
    results at ``/site/<name>``."""

    def __init__(self, api_path: str, search: Callable[[SeenRequest], Reply]):
        super().__init__(self.route_request)
        self.api_path = api_path
        self.search = search
        self.results: list[Result] = []

    def add_result(self, query: str, name: str, text: str, title: str = "a page") -> Result:
        result = Result(query, name, title, text)
        self.results.append(result)
        return result

    def route_request(self, request: SeenRequest) -> Reply:
        if request.path == self.api_path:
            return self.search(request)
        if request.path.startswith("/site/"):
            return result_page(self.results, request)
        return Reply.text("not found", 404)


class BraveSearchApi(SearchEngineServer):
    def __init__(self, key: str = KEY, count_cap: int = 20):
        super().__init__("/res/v1/web/search", self.web_search)
        self.key = key
        self.count_cap = count_cap  # below 20 to make paging with a few results

    def web_search(self, request: SeenRequest) -> Reply:
        if header(request, "X-Subscription-Token") != self.key:
            body = error_response(
                401, "SUBSCRIPTION_TOKEN_INVALID", "The provided subscription token is invalid."
            )
            return Reply.json(body, 401, RATE_HEADERS)
        query = request.param("q", "")
        count = min(int(request.param("count", "20")), self.count_cap)
        offset = int(request.param("offset", "0"))
        found = [result for result in self.results if result.query == query]
        shown = found[offset * count : (offset + 1) * count]
        body = {
            "type": "search",
            "query": {"original": query, "more_results_available": (offset + 1) * count < len(found)},
            "web": {
                "type": "search",
                "results": [
                    {
                        "title": result.title,
                        "url": f"{self.url}/site/{result.name}",
                        "description": "…",
                        "page_age": "2026-11-29T10:00:00",
                        "language": "en",
                        "meta_url": {"scheme": "http", "netloc": "127.0.0.1", "path": f"/site/{result.name}"},
                    }
                    for result in shown
                ],
            },
        }
        return Reply.json(body, 200, RATE_HEADERS)


def result_page(results: list[Result], request: SeenRequest) -> Reply:
    """A result's page (``/site/<name>``), with an ETag; 304 to a matching If-None-Match."""
    name = request.path.removeprefix("/site/")
    for result in results:
        if result.name == name:
            etag = f'"{name}"'
            if header(request, "If-None-Match") == etag:
                return Reply(304, b"", {"ETag": etag})
            return Reply(
                200, result.text.encode(), {"Content-Type": "text/plain; charset=utf-8", "ETag": etag}
            )
    return Reply.text("not found", 404)


def rate_limited() -> Reply:
    body = error_response(429, "RATE_LIMITED", "Request rate limit exceeded for plan.")
    headers = {**RATE_HEADERS, "X-RateLimit-Remaining": "0, 14000", "X-RateLimit-Reset": "1, 1419704"}
    return Reply(429, json.dumps(body).encode(), {"Content-Type": "application/json", **headers})
