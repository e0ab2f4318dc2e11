"""A Google Custom Search JSON API stand-in on 127.0.0.1 (Programmable Search Engine), and the
web pages its results point to.

Shaped as Google documents the API:

- developers.google.com/custom-search/v1/reference/rest/v1/cse/list
  (https://developers.google.com/custom-search/json-api/v1/reference/cse/list): ``GET
  /customsearch/v1?key=&cx=&q=&num=&start=&dateRestrict=``; ``num`` 1 to 10, ``start`` the
  1-based index of the first result, ``start + num`` at most 101 (100 results a query);
  ``dateRestrict`` ``d[number]`` keeps pages from the last number of days.
- developers.google.com/custom-search/v1/reference/rest/v1/Search: the answer ``{"kind":
  "customsearch#search", "url", "queries": {"request": [...], "nextPage": [{"startIndex", ...}]},
  "context", "searchInformation", "items": [{"kind": "customsearch#result", "title", "htmlTitle",
  "link", "displayLink", "snippet", "htmlSnippet", "formattedUrl", "htmlFormattedUrl"}]}``; no
  ``items`` when nothing was found, no ``nextPage`` on the last page.
- cloud.google.com/apis/docs/system-parameters: the API key is the ``key`` URL parameter or the
  ``X-Goog-Api-Key`` header, either one.
- Errors as Google's APIs write them (developers.google.com/analytics/devguides/reporting/data/v1/errors
  describes the shared format): ``{"error": {"code", "message", "errors": [{"message",
  "domain", "reason"}], "status", "details"}}``: an invalid key is 400 ``INVALID_ARGUMENT``
  ("API key not valid. Please pass a valid API key.", reason ``API_KEY_INVALID``), a missing
  ``cx`` or a bad ``num``/``start`` 400 ``INVALID_ARGUMENT``, ``quota_exceeded(per="day")`` the
  429 ``RESOURCE_EXHAUSTED`` of a spent quota, ``permission_denied()`` the 403 of a project
  without access. No rate-limit headers: the quota is counted in the Cloud console.
- The results' pages are served under ``/site/<name>`` (as the Brave stand-in's).
"""

from __future__ import annotations

from .brave import Result, SearchEngineServer
from .github import header
from .scripted import Reply, SeenRequest

KEY = "AIzaSyStandin00000000000000000000000000"
ENGINE_ID = "0123456789abcdef0"
PER_REQUEST_MAX = 10
RESULTS_MAX = 100


def error_reply(
    code: int, status: str, message: str, reason: str, details_reason: str | None = None
) -> Reply:
    error: dict = {
        "code": code,
        "message": message,
        "errors": [{"message": message, "domain": "global", "reason": reason}],
        "status": status,
    }
    if details_reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": details_reason,
                "domain": "googleapis.com",
                "metadata": {"service": "customsearch.googleapis.com"},
            }
        ]
    return Reply.json({"error": error}, code)


def invalid_key() -> Reply:
    return error_reply(
        400,
        "INVALID_ARGUMENT",
        "API key not valid. Please pass a valid API key.",
        "badRequest",
        "API_KEY_INVALID",
    )


def invalid_argument() -> Reply:
    return error_reply(400, "INVALID_ARGUMENT", "Request contains an invalid argument.", "badRequest")


def quota_exceeded(per: str = "day") -> Reply:
    limit = "Queries per day" if per == "day" else "Queries per minute"
    message = (
        f"Quota exceeded for quota metric 'Queries' and limit '{limit}' of service "
        "'customsearch.googleapis.com' for consumer 'project_number:000000000000'."
    )
    return error_reply(429, "RESOURCE_EXHAUSTED", message, "rateLimitExceeded", "RATE_LIMIT_EXCEEDED")


def permission_denied() -> Reply:
    return error_reply(
        403,
        "PERMISSION_DENIED",
        "This project does not have the access to Custom Search JSON API.",
        "forbidden",
    )


class GoogleCustomSearchApi(SearchEngineServer):
    def __init__(self, key: str = KEY, engine_id: str = ENGINE_ID, page_size: int = PER_REQUEST_MAX):
        super().__init__("/customsearch/v1", self.custom_search)
        self.key = key
        self.engine_id = engine_id
        self.page_size = page_size  # below 10 to make paging with a few results

    def custom_search(self, request: SeenRequest) -> Reply:
        if (request.param("key") or header(request, "X-Goog-Api-Key")) != self.key:
            return invalid_key()
        try:
            num = int(request.param("num", "10"))
            start = int(request.param("start", "1"))
        except ValueError:
            return invalid_argument()
        if request.param("cx") != self.engine_id or not request.param("q"):
            return invalid_argument()
        if not 1 <= num <= PER_REQUEST_MAX or start < 1 or start + num > RESULTS_MAX + 1:
            return invalid_argument()
        query = request.param("q")
        found = [result for result in self.results if result.query == query]
        shown = found[start - 1 : start - 1 + min(num, self.page_size)]
        return Reply.json(self.answer_body(query, found, shown, start, num))

    def answer_body(self, query: str, found: list[Result], shown: list[Result], start: int, num: int) -> dict:
        def page_meta(start_index: int) -> dict:
            return {
                "title": "Google Custom Search - " + query,
                "totalResults": str(len(found)),
                "searchTerms": query,
                "count": num,
                "startIndex": start_index,
                "inputEncoding": "utf8",
                "outputEncoding": "utf8",
                "safe": "off",
                "cx": self.engine_id,
            }

        queries: dict = {"request": [page_meta(start)]}
        following = start + len(shown)
        if shown and following <= len(found) and following + num <= RESULTS_MAX + 1:
            queries["nextPage"] = [page_meta(following)]
        body: dict = {
            "kind": "customsearch#search",
            "url": {
                "type": "application/json",
                "template": "https://www.googleapis.com/customsearch/v1?q={searchTerms}&num={count?}&start={startIndex?}&cx={cx?}",
            },
            "queries": queries,
            "context": {"title": "leak response"},
            "searchInformation": {
                "searchTime": 0.21,
                "formattedSearchTime": "0.21",
                "totalResults": str(len(found)),
                "formattedTotalResults": str(len(found)),
            },
        }
        if shown:
            body["items"] = [
                {
                    "kind": "customsearch#result",
                    "title": result.title,
                    "htmlTitle": result.title,
                    "link": f"{self.url}/site/{result.name}",
                    "displayLink": "127.0.0.1",
                    "snippet": "…",
                    "htmlSnippet": "…",
                    "formattedUrl": f"{self.url}/site/{result.name}",
                    "htmlFormattedUrl": f"{self.url}/site/{result.name}",
                }
                for result in shown
            ]
        return body
