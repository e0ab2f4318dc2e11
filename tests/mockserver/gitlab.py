"""A GitLab REST API v4 stand-in on 127.0.0.1: public snippets and their raw files.

Shaped as GitLab documents it (docs.gitlab.com/api/snippets, /api/rest#pagination,
/user/gitlab_com rate limits):

- ``GET /api/v4/snippets/public?per_page=&page=&created_after=``: a JSON list of snippets, newest
  first, each ``{id, title, description, visibility, author, created_at, updated_at, project_id,
  web_url, raw_url, file_name, files: [{path, raw_url}]}``; needs ``PRIVATE-TOKEN`` (401
  ``{"message": "401 Unauthorized"}`` otherwise).
- Paging headers ``Link`` (rel next/prev/first/last), ``X-Page``, ``X-Per-Page``,
  ``X-Next-Page``, ``X-Prev-Page``, ``X-Total``, ``X-Total-Pages``; ``page_size`` caps
  ``per_page`` so a few snippets make several pages.
- ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (epoch seconds) on every API
  answer; a 429 ``Retry later`` with ``Retry-After`` comes from ``rate_limited()``.
- ``GET /-/snippets/<id>/raw/main/<path>``: a file's raw text.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlencode

from .github import header
from .scripted import Reply, ScriptedServer, SeenRequest

TOKEN = "glpat-standin00000000000"


@dataclass
class Snippet:
    id: int
    created_at: str  # ISO 8601 UTC with milliseconds, as GitLab writes it
    files: dict[str, str]


class GitLabApi(ScriptedServer):
    def __init__(self, token: str = TOKEN, page_size: int = 100):
        super().__init__(self.route_request)
        self.token = token
        self.page_size = page_size
        self.snippets: list[Snippet] = []

    def add_snippet(self, snippet_id: int, created_at: str, files: dict[str, str]) -> Snippet:
        snippet = Snippet(snippet_id, created_at, files)
        self.snippets.append(snippet)
        return snippet

    def route_request(self, request: SeenRequest) -> Reply:
        if request.path == "/api/v4/snippets/public":
            return self.public_snippets(request)
        if request.path.startswith("/-/snippets/"):
            return self.raw_file(request)
        return Reply.json({"message": "404 Not Found"}, 404)

    def public_snippets(self, request: SeenRequest) -> Reply:
        if header(request, "PRIVATE-TOKEN") != self.token:
            return Reply.json({"message": "401 Unauthorized"}, 401)
        since = request.param("created_after")
        snippets = sorted(self.snippets, key=lambda snippet: snippet.created_at, reverse=True)
        if since:
            snippets = [snippet for snippet in snippets if snippet.created_at > since]
        page = int(request.param("page", "1"))
        per_page = min(int(request.param("per_page", "20")), self.page_size)
        shown = snippets[(page - 1) * per_page : page * per_page]
        pages = max(1, -(-len(snippets) // per_page))
        headers = {
            "Content-Type": "application/json",
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Total": str(len(snippets)),
            "X-Total-Pages": str(pages),
            "X-Next-Page": str(page + 1) if page < pages else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
            "RateLimit-Limit": "2000",
            "RateLimit-Remaining": "1999",
            "RateLimit-Reset": str(int(time.time()) + 60),
        }
        links = self.links(request, page, pages)
        if links:
            headers["Link"] = links
        return Reply(200, json.dumps([self.snippet_item(snippet) for snippet in shown]).encode(), headers)

    def snippet_item(self, snippet: Snippet) -> dict:
        web_url = f"{self.url}/-/snippets/{snippet.id}"
        first = next(iter(snippet.files))
        return {
            "id": snippet.id,
            "title": f"snippet {snippet.id}",
            "description": None,
            "visibility": "public",
            "author": {"id": 1, "username": "someone", "name": "Some One", "state": "active"},
            "created_at": snippet.created_at,
            "updated_at": snippet.created_at,
            "project_id": None,
            "web_url": web_url,
            "raw_url": f"{web_url}/raw",
            "file_name": first,
            "files": [
                {"path": path, "raw_url": f"{web_url}/raw/main/{quote(path)}"} for path in snippet.files
            ],
        }

    def links(self, request: SeenRequest, page: int, pages: int) -> str:
        params = {name: values[0] for name, values in request.query.items()}

        def link(number: int, rel: str) -> str:
            return f'<{self.url}{request.path}?{urlencode({**params, "page": number})}>; rel="{rel}"'

        parts = [link(page + 1, "next")] if page < pages else []
        if page > 1:
            parts.append(link(page - 1, "prev"))
        return ", ".join([*parts, link(1, "first"), link(pages, "last")])

    def raw_file(self, request: SeenRequest) -> Reply:
        parts = request.path.split("/")  # "", "-", "snippets", id, "raw", "main", path...
        if len(parts) < 7 or parts[4:6] != ["raw", "main"]:
            return Reply.text("404", 404)
        for snippet in self.snippets:
            path = unquote("/".join(parts[6:]))
            if str(snippet.id) == parts[3] and path in snippet.files:
                return Reply.text(snippet.files[path])
        return Reply.text("404", 404)


def rate_limited(retry_after: int = 1) -> Reply:
    """GitLab's answer over a rate limit: 429, plain text, with when to come back."""
    return Reply(
        429,
        b"Retry later\n",
        {
            "Content-Type": "text/plain",
            "Retry-After": str(retry_after),
            "RateLimit-Limit": "2000",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(int(time.time()) + retry_after),
        },
    )
