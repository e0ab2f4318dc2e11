"""GitHub: code search and the public gists feed, through the GitHub REST API.

- Code search (``GET /search/code?q=...``): one query per ``filenames`` entry
  (``filename:NAME``), per ``header_rows`` entry (the row as an exact phrase) and per
  ``queries`` entry (as written, GitHub's search syntax). Code search needs a token. Pages
  follow the ``Link: <...>; rel="next"`` header, up to ``max_pages``; each page is asked with
  ``If-None-Match`` and the ETag of the last sweep (a 304 costs no rate limit and means
  nothing changed). Each found file is fetched from ``raw_base_url``
  (``https://raw.githubusercontent.com/<owner>/<repo>/<commit>/<path>``, no token) and reported
  under its ``html_url``; a file seen by an earlier sweep at the same commit is not fetched again.
- Public gists (``GET /gists/public?since=...``), with ``gists = true``: every file of every
  gist updated after the cursor (the newest ``updated_at`` taken, saved in the crawl state when
  every request of the gists listing succeeded), fetched from its ``raw_url``.

Requests carry ``Authorization: Bearer <token>``, ``Accept: application/vnd.github+json`` and
``X-GitHub-Api-Version``; rate limits are obeyed by ``ratelimit.ApiRateLimit``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import scrapy
from scrapy.http import Response

from .api_base import ApiSpider
from .api_sources import DEFAULT_GITHUB_RAW_URL
from .cursors import META_QUERY
from .sources import Source

API_VERSION = "2022-11-28"
PER_PAGE = 100  # the most GitHub gives per page, for code search and gists alike
GISTS_QUERY = "gists"


def code_search_queries(source: Source) -> list[str]:
    """The ``q`` of each code search the source asks for."""
    return (
        [f"filename:{name}" for name in source.filenames]
        + ['"' + row.replace('"', " ").strip() + '"' for row in source.header_rows]
        + list(source.queries)
    )


def gists_cursor_name(source: str) -> str:
    return f"github:{source}:gists_since"


class GitHubSpider(ApiSpider):
    name = "github"
    kind = "github"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.raw_base = (self.source.raw_base_url or DEFAULT_GITHUB_RAW_URL).rstrip("/")

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def api_headers(self) -> dict[str, str]:
        return {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}

    async def start(self):
        for query in code_search_queries(self.source):
            url = f"{self.api}/search/code?" + urlencode({"q": query, "per_page": PER_PAGE})
            yield self.api_request(url, self.parse_code_search, f"code:{query}", conditional=True, page=1)
        if self.source.gists:
            yield self.api_request(self.gists_url(), self.parse_gists, GISTS_QUERY, page=1)

    # --- code search --------------------------------------------------------------------------

    def parse_code_search(self, response: Response) -> Iterator[scrapy.Request]:
        data = self.listing_json(response)
        if data is None:
            return
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            self.malformed_listing(response, "has no items list")
            return
        if data.get("incomplete_results"):  # GitHub's search timed out: some matches are missing
            self.crawler.stats.inc_value("leaktrack/incomplete_results")
        for item in items:
            content = self.file_content_url(item)
            if content:
                yield self.content_request(content, item["html_url"], response.meta[META_QUERY])
        yield from self.next_page(response, self.parse_code_search, conditional=True)

    def file_content_url(self, item: Any) -> str | None:
        """Where a code search hit's bytes are, at the commit the search found it in."""
        try:
            repository, path, html_url = item["repository"]["full_name"], item["path"], item["html_url"]
        except (TypeError, KeyError):
            return None
        ref = commit_of(item.get("url", ""), html_url)
        if not ref:
            return None
        return f"{self.raw_base}/{repository}/{ref}/{quote(path)}"

    # --- gists --------------------------------------------------------------------------------

    def gists_url(self) -> str:
        query: dict[str, str | int] = {"per_page": PER_PAGE}
        since = self.cursor(gists_cursor_name(self.source.name))
        if since:
            query["since"] = since
        return f"{self.api}/gists/public?" + urlencode(query)

    def parse_gists(self, response: Response) -> Iterator[scrapy.Request]:
        gists = self.listing_json(response)
        if gists is None:
            return
        if not isinstance(gists, list):
            self.malformed_listing(response, "is not a list of gists")
            return
        if not gists and response.meta["page"] == 1 and "since=" not in response.url:
            self.crawler.stats.inc_value("leaktrack/empty_listings")  # the public feed is never empty
        for gist in gists:
            yield from self.gist_files(gist)
        yield from self.next_page(response, self.parse_gists)

    def gist_files(self, gist: Any) -> Iterator[scrapy.Request]:
        if not isinstance(gist, dict) or not isinstance(gist.get("files"), dict) or not gist.get("html_url"):
            return  # not a gist as GitHub documents it: nothing to take
        updated = gist.get("updated_at")
        newest = self.noted(GISTS_QUERY, gists_cursor_name(self.source.name))
        if isinstance(updated, str) and (newest is None or updated > newest):
            # ISO 8601 UTC ("2026-11-30T02:00:00Z"): sorts as text
            self.note_cursor(GISTS_QUERY, gists_cursor_name(self.source.name), updated)
        for name, file in gist["files"].items():
            if isinstance(file, dict) and file.get("raw_url"):
                # The raw URL names the gist's revision: a changed gist is fetched again.
                yield self.content_request(
                    file["raw_url"],
                    f"{gist['html_url']}#file-{file_anchor(name)}",
                    GISTS_QUERY,
                    incremental=None,
                )


def commit_of(contents_url: str, html_url: str) -> str | None:
    """The commit of a code search hit: the contents API URL's ``ref``, else the ``blob/<ref>/``
    segment of its page URL."""
    ref = parse_qs(urlsplit(contents_url).query).get("ref")
    if ref:
        return ref[0]
    found = re.search(r"/blob/([^/]+)/", urlsplit(html_url).path)
    return found.group(1) if found else None


def file_anchor(name: str) -> str:
    """GitHub's anchor of a gist's file: ``leak list.csv`` -> ``leak-list-csv``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
