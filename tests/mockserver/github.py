"""A GitHub REST API stand-in on 127.0.0.1: code search, public gists, raw file bytes.

Answers are shaped as GitHub documents them (docs.github.com/rest: "Search code", "List public
gists", "Rate limits for the REST API", "Using pagination", "conditional requests"):

- ``GET /search/code?q=&per_page=&page=``: ``{"total_count", "incomplete_results", "items"}``,
  each item with ``name, path, sha, url`` (the contents API URL with ``?ref=<commit>``),
  ``git_url, html_url, repository{...}, score``; needs ``Authorization: Bearer <token>``
  (401 ``Requires authentication`` without one, 401 ``Bad credentials`` for a wrong one).
- ``GET /gists/public?per_page=&page=&since=``: a list of gists, newest first, each with
  ``files{name: {filename, type, language, raw_url, size}}`` and ``updated_at``; ``since``
  keeps gists updated after it.
- Paging by ``Link: <...>; rel="next", <...>; rel="last"`` (``page_size`` caps ``per_page``
  so that a few items make several pages), an ``ETag`` on every listing and 304 for a matching
  ``If-None-Match`` (GitHub does not count a 304 against the rate limit).
- ``x-ratelimit-limit/-remaining/-used/-reset/-resource`` on every API answer, per resource
  (``search``: code search, ``core``: the rest), with a real window: when nothing is left, 403
  ``API rate limit exceeded`` with ``x-ratelimit-remaining: 0`` until the reset time.
- Raw bytes (the stand-in for raw.githubusercontent.com and gist.githubusercontent.com) under
  ``/raw/<owner>/<repo>/<commit>/<path>`` and ``/gist-raw/<id>/<revision>/<file>``.

Scripted failures (``fail_next``) give the other error cases: a secondary rate limit, 5xx,
malformed JSON.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlencode

from .scripted import Reply, ScriptedServer, SeenRequest

DOCS = "https://docs.github.com/rest"
TOKEN = "ghp_standin000000000000000000000000000000"


@dataclass
class RepoFile:
    repository: str  # "owner/name"
    path: str
    commit: str
    content: bytes


@dataclass
class Gist:
    id: str
    revision: str
    updated_at: str  # ISO 8601 UTC, as GitHub writes it
    files: dict[str, bytes]


@dataclass
class Window:
    """One rate-limit resource's window, counted like GitHub counts it."""

    limit: int
    seconds: float = 3600.0
    used: int = 0
    reset: float = field(default_factory=lambda: time.time() + 3600.0)


def header(request: SeenRequest, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in request.headers.items() if key.lower() == wanted), None)


class GitHubApi(ScriptedServer):
    def __init__(self, token: str = TOKEN, page_size: int = 100):
        super().__init__(self.route_request)
        self.token = token
        self.page_size = page_size
        self.files: list[RepoFile] = []
        self.gists: list[Gist] = []
        self.windows = {"search": Window(limit=30, seconds=60.0), "core": Window(limit=5000)}
        self.rate_limited: list[SeenRequest] = []  # requests answered 403 for an exhausted window
        self.window_lock = threading.Lock()

    def set_window(self, resource: str, limit: int, seconds: float) -> None:
        self.windows[resource] = Window(limit=limit, seconds=seconds, reset=time.time() + seconds)

    def add_file(
        self, repository: str, path: str, content: str | bytes, commit: str | None = None
    ) -> RepoFile:
        data = content.encode("utf-8") if isinstance(content, str) else content
        file = RepoFile(repository, path, commit or hashlib.sha1(data).hexdigest(), data)
        self.files.append(file)
        return file

    def add_gist(self, gist_id: str, updated_at: str, files: dict[str, str]) -> Gist:
        encoded = {name: text.encode("utf-8") for name, text in files.items()}
        revision = hashlib.sha1(repr(sorted(encoded.items())).encode()).hexdigest()
        gist = Gist(gist_id, revision, updated_at, encoded)
        self.gists.append(gist)
        return gist

    # --- routing --------------------------------------------------------------------------------

    def route_request(self, request: SeenRequest) -> Reply:
        if request.path.startswith("/raw/"):
            return self.raw_file(request)
        if request.path.startswith("/gist-raw/"):
            return self.raw_gist_file(request)
        if request.path == "/search/code":
            return self.api_answer(request, "search", self.code_search, needs_token=True)
        if request.path == "/gists/public":
            return self.api_answer(request, "core", self.public_gists, needs_token=False)
        return Reply.json({"message": "Not Found", "documentation_url": DOCS, "status": "404"}, 404)

    def api_answer(self, request: SeenRequest, resource: str, listing, needs_token: bool) -> Reply:
        authorization = header(request, "Authorization")
        if authorization is None and needs_token:
            return Reply.json(
                {"message": "Requires authentication", "documentation_url": DOCS, "status": "401"}, 401
            )
        if authorization is not None and authorization != f"Bearer {self.token}":
            return Reply.json({"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}, 401)
        items, total = listing(request)
        page = int(request.param("page", "1"))
        per_page = min(int(request.param("per_page", "30")), self.page_size)
        shown = items[(page - 1) * per_page : page * per_page]
        body = (
            {"total_count": total, "incomplete_results": False, "items": shown}
            if resource == "search"
            else shown
        )
        data = json.dumps(body).encode()
        etag = 'W/"' + hashlib.sha256(data).hexdigest() + '"'
        if header(request, "If-None-Match") == etag:
            return Reply(304, b"", {"ETag": etag, **self.rate_headers(resource)})
        rate = self.take(resource)
        if rate is None:
            self.rate_limited.append(request)
            message = {
                "message": "API rate limit exceeded for user ID 1.",
                "documentation_url": DOCS,
                "status": "403",
            }
            return Reply(
                403,
                json.dumps(message).encode(),
                {"Content-Type": "application/json", **self.rate_headers(resource)},
            )
        headers = {"Content-Type": "application/json; charset=utf-8", "ETag": etag, **rate}
        links = self.links(request, page, per_page, len(items))
        if links:
            headers["Link"] = links
        return Reply(200, data, headers)

    # --- rate limits ----------------------------------------------------------------------------

    def take(self, resource: str) -> dict[str, str] | None:
        """Count one request against the window; its headers, or None when none is left."""
        with self.window_lock:
            window = self.windows[resource]
            if time.time() >= window.reset:
                window.used, window.reset = 0, time.time() + window.seconds
            if window.used >= window.limit:
                return None
            window.used += 1
        return self.rate_headers(resource)

    def rate_headers(self, resource: str) -> dict[str, str]:
        window = self.windows[resource]
        return {
            "x-ratelimit-limit": str(window.limit),
            "x-ratelimit-remaining": str(max(0, window.limit - window.used)),
            "x-ratelimit-used": str(window.used),
            "x-ratelimit-reset": str(int(window.reset + 0.999)),  # epoch seconds, rounded up
            "x-ratelimit-resource": resource,
        }

    # --- listings -------------------------------------------------------------------------------

    def code_search(self, request: SeenRequest) -> tuple[list[dict], int]:
        query = request.param("q", "")
        found = [file for file in self.files if matches(query, file)]
        return [self.search_item(file) for file in found], len(found)

    def search_item(self, file: RepoFile) -> dict:
        owner, name = file.repository.split("/")
        return {
            "name": file.path.rsplit("/", 1)[-1],
            "path": file.path,
            "sha": hashlib.sha1(file.content).hexdigest(),
            "url": f"{self.url}/repositories/1/contents/{quote(file.path)}?ref={file.commit}",
            "git_url": f"{self.url}/repositories/1/git/blobs/{hashlib.sha1(file.content).hexdigest()}",
            "html_url": f"https://github.example/{file.repository}/blob/{file.commit}/{quote(file.path)}",
            "repository": {
                "id": 1,
                "name": name,
                "full_name": file.repository,
                "owner": {"login": owner, "id": 1, "type": "User"},
                "private": False,
                "html_url": f"https://github.example/{file.repository}",
            },
            "score": 1.0,
        }

    def public_gists(self, request: SeenRequest) -> tuple[list[dict], int]:
        since = request.param("since")
        gists = sorted(self.gists, key=lambda gist: gist.updated_at, reverse=True)
        if since:
            gists = [gist for gist in gists if gist.updated_at > since]
        return [self.gist_item(gist) for gist in gists], len(gists)

    def gist_item(self, gist: Gist) -> dict:
        return {
            "id": gist.id,
            "html_url": f"https://gist.github.example/{gist.id}",
            "public": True,
            "created_at": gist.updated_at,
            "updated_at": gist.updated_at,
            "description": "",
            "files": {
                name: {
                    "filename": name,
                    "type": "text/plain",
                    "language": None,
                    "raw_url": f"{self.url}/gist-raw/{gist.id}/{gist.revision}/{quote(name)}",
                    "size": len(content),
                }
                for name, content in gist.files.items()
            },
            "owner": {"login": "someone", "id": 2, "type": "User"},
        }

    def links(self, request: SeenRequest, page: int, per_page: int, total: int) -> str:
        last = max(1, -(-total // per_page))
        params = {name: values[0] for name, values in request.query.items()}

        def link(number: int, rel: str) -> str:
            return f'<{self.url}{request.path}?{urlencode({**params, "page": number})}>; rel="{rel}"'

        parts = []
        if page < last:
            parts += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            parts += [link(1, "first"), link(page - 1, "prev")]
        return ", ".join(parts)

    # --- raw bytes ------------------------------------------------------------------------------

    def raw_file(self, request: SeenRequest) -> Reply:
        _, _, owner, name, commit, path = request.path.split("/", 5)
        for file in self.files:
            if (file.repository, file.commit, file.path) == (f"{owner}/{name}", commit, unquote(path)):
                return Reply(200, file.content, {"Content-Type": "text/plain; charset=utf-8"})
        return Reply.text("404: Not Found", 404)

    def raw_gist_file(self, request: SeenRequest) -> Reply:
        _, _, gist_id, revision, name = request.path.split("/", 4)
        for gist in self.gists:
            if (gist.id, gist.revision) == (gist_id, revision) and unquote(name) in gist.files:
                return Reply(200, gist.files[unquote(name)], {"Content-Type": "text/plain; charset=utf-8"})
        return Reply.text("404: Not Found", 404)


def matches(query: str, file: RepoFile) -> bool:
    """GitHub's code search, as far as the tests need it: ``filename:NAME``, a "quoted phrase",
    or words that all occur in the file."""
    if query.startswith("filename:"):
        return file.path.rsplit("/", 1)[-1] == query.removeprefix("filename:")
    text = file.content.decode("utf-8", "replace").lower()
    if query.startswith('"') and query.endswith('"'):
        return query[1:-1].lower() in text
    return all(word.lower() in text for word in query.split())


def secondary_rate_limit(retry_after: int | None = 1) -> Reply:
    """GitHub's answer when a secondary rate limit is hit (403, a message, maybe Retry-After)."""
    message = {
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        "documentation_url": DOCS,
        "status": "403",
    }
    headers = {"Content-Type": "application/json"}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Reply(403, json.dumps(message).encode(), headers)


def server_error(status: int = 502) -> Reply:
    return Reply(status, b'{"message": "Server Error"}', {"Content-Type": "application/json"})


def malformed_json() -> Reply:
    return Reply(200, b'{"total_count": 3, "items": [{"name": ', {"Content-Type": "application/json"})
