"""GitLab: public snippets, through the GitLab REST API v4 (gitlab.com or a self-managed
instance at ``api_url``, e.g. ``https://gitlab.example/api/v4``).

- ``GET /snippets/public?per_page=100&created_after=<cursor>``: the public snippets, each with
  ``id, title, web_url, raw_url, created_at, updated_at`` and ``files: [{path, raw_url}]``;
  pages follow the ``Link: <...>; rel="next"`` header (GitLab also sends ``X-Next-Page``), up to
  ``max_pages``.
- Every file of every snippet is fetched from its ``raw_url`` (the snippet's ``raw_url`` when an
  older GitLab lists no ``files``) and reported under the snippet's ``web_url``
  (``#<path>`` added when the snippet has several files).
- Incremental: the newest ``created_at`` taken is the cursor (``created_after`` next time),
  saved when every request of the listing succeeded.
- The token (a personal access token with ``read_api``) goes in ``PRIVATE-TOKEN``; GitLab's
  ``RateLimit-Remaining`` / ``RateLimit-Reset`` and 429 ``Retry-After`` are obeyed by
  ``ratelimit.ApiRateLimit``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from .api_base import ApiSpider

PER_PAGE = 100  # GitLab's largest page
SNIPPETS_QUERY = "public_snippets"


def cursor_name(source: str) -> str:
    return f"gitlab:{source}:created_after"


class GitLabSpider(ApiSpider):
    name = "gitlab"
    kind = "gitlab"

    def auth_headers(self) -> dict[str, str]:
        return {"PRIVATE-TOKEN": self.token} if self.token else {}

    async def start(self):
        query: dict[str, str | int] = {"per_page": PER_PAGE}
        since = self.cursor(cursor_name(self.source.name))
        if since:
            query["created_after"] = since
        url = f"{self.api}/snippets/public?" + urlencode(query)
        yield self.api_request(url, self.parse_snippets, SNIPPETS_QUERY, page=1)

    def parse_snippets(self, response: Response) -> Iterator[scrapy.Request]:
        snippets = self.listing_json(response)
        if snippets is None:
            return
        if not isinstance(snippets, list):
            self.malformed_listing(response, "is not a list of snippets")
            return
        for snippet in snippets:
            yield from self.snippet_files(snippet)
        yield from self.next_page(response, self.parse_snippets)

    def snippet_files(self, snippet: Any) -> Iterator[scrapy.Request]:
        if not isinstance(snippet, dict) or not isinstance(snippet.get("web_url"), str):
            return
        created = snippet.get("created_at")
        newest = self.noted(SNIPPETS_QUERY, cursor_name(self.source.name))
        if isinstance(created, str) and (newest is None or created > newest):  # ISO 8601 UTC sorts as text
            self.note_cursor(SNIPPETS_QUERY, cursor_name(self.source.name), created)
        files = [
            file for file in snippet.get("files") or [] if isinstance(file, dict) and file.get("raw_url")
        ]
        if not files and snippet.get("raw_url"):
            files = [{"path": snippet.get("file_name") or "", "raw_url": snippet["raw_url"]}]
        for file in files:
            page = snippet["web_url"] if len(files) == 1 else f"{snippet['web_url']}#{file.get('path', '')}"
            yield self.content_request(file["raw_url"], page, SNIPPETS_QUERY, incremental=None)
