"""Local paste sites and mirrors on 127.0.0.1, for the demo, the tests and the benchmark.

``LocalSite`` is a stdlib ThreadingHTTPServer serving pages from a dict that can change while
it runs (new pastes between sweeps, a removed copy), counting every request so a test can
tell what a crawl fetched. ``add_pastes`` lays out a paste site (paginated archive, HTML paste
pages, raw endpoints); ``add_mirror`` a mirror with 'Index of /' directory listings.
Every page has an ETag and Last-Modified and conditional requests get a 304.
"""

from __future__ import annotations

import hashlib
import html
import mimetypes
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# A held page answers after this long even if never released (no server thread left hanging).
HOLD_LIMIT_SECONDS = 300


@dataclass
class Page:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay: float = 0.0  # seconds to wait before answering (a slow page)
    redirect_to: str | None = None  # answer 302 with this Location
    hold: threading.Event | None = None  # answer only once this is set (a test holds a download open)
    headers: dict[str, str] = field(default_factory=dict)
    modified_at: float = field(default_factory=time.time)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


class LocalSite:
    """A web site on 127.0.0.1 (an ephemeral port) serving ``pages`` by path (with query)."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.pastes: dict[str, str] = {}  # every paste add_pastes has laid out, by id
        self.requests: list[str] = []
        self.serving = 0  # requests being answered now
        self.most_serving = 0  # the most answered at once so far (a crawler's concurrency)
        self.lock = threading.Lock()
        self.requested = threading.Condition(self.lock)  # notified on every request
        self.server = QuietHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="leaktrack-local-site", daemon=True
        )

    def start(self) -> LocalSite:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def put(self, path: str, body: bytes | str = b"", content_type: str | None = None, **options) -> Page:
        data = body.encode("utf-8") if isinstance(body, str) else body
        page = Page(body=data, content_type=content_type or guess_content_type(path), **options)
        with self.lock:
            self.pages[path] = page
        return page

    def remove(self, path: str) -> None:
        with self.lock:
            self.pages.pop(path, None)

    def requests_for(self, prefix: str) -> list[str]:
        with self.lock:
            return [path for path in self.requests if path.startswith(prefix)]

    def wait_for_request(self, prefix: str, timeout: float = 120) -> bool:
        """Block until a request for a path starting with ``prefix`` has arrived (a test's
        readiness signal: the crawl has got that far); False if none came within ``timeout``."""
        with self.requested:
            return self.requested.wait_for(
                lambda: any(path.startswith(prefix) for path in self.requests), timeout
            )

    def reset_requests(self) -> None:
        with self.lock:
            self.requests.clear()

    def lookup(self, path: str) -> Page | None:
        with self.lock:
            self.requests.append(path)
            self.serving += 1
            self.most_serving = max(self.most_serving, self.serving)
            self.requested.notify_all()
            return self.pages.get(path)

    def answered(self) -> None:
        with self.lock:
            self.serving -= 1


class QuietHTTPServer(ThreadingHTTPServer):
    """Clients closing idle keep-alive connections or abandoning slow pages is normal here."""

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def guess_content_type(path: str) -> str:
    if path.endswith("/") or path.endswith((".html", ".htm")):
        return "text/html; charset=utf-8"
    if path.endswith((".csv", ".tsv", ".txt", ".md")):
        return (mimetypes.guess_type(path)[0] or "text/plain") + "; charset=utf-8"
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


def _handler_for(site: LocalSite):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            try:
                self.answer_page(site.lookup(self.path))
            finally:
                site.answered()

        def answer_page(self, page: Page | None) -> None:
            if page is None:
                self.answer(404, b"<html><title>Not found</title><body>Not found</body></html>", "text/html")
                return
            if page.delay:
                time.sleep(page.delay)
            if page.hold is not None:
                page.hold.wait(HOLD_LIMIT_SECONDS)
            if page.redirect_to:
                self.answer(302, b"", "text/plain", {"Location": page.redirect_to})
                return
            validators = {"ETag": page.etag, "Last-Modified": formatdate(page.modified_at, usegmt=True)}
            if self.headers.get("If-None-Match") == page.etag:
                self.answer(304, b"", None, validators)
                return
            self.answer(page.status, page.body, page.content_type, {**validators, **page.headers})

        def answer(
            self, status: int, body: bytes, content_type: str | None, headers: dict | None = None
        ) -> None:
            try:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)) if status != 304 else "0")
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the crawler gave up on a slow or huge page: expected in tests

        def log_message(self, *args) -> None:
            pass  # requests are counted in site.requests; no noise on stderr

    return Handler


def add_pastes(
    site: LocalSite,
    pastes: dict[str, str],
    per_page: int = 20,
    titles: dict[str, str] | None = None,
    pager: int = 1,
) -> None:
    """A paste site: /archive (page 1), /archive?page=N, /p/ID (HTML), /raw/ID (text).

    Each archive page links to the next ``pager`` pages (1: a "next" link only, as Pastebin's
    archive; more: a numbered pager, as most paginated listings show), so a crawler finds the
    pages that many at a time instead of one after another.

    Calling it again with more pastes re-lays the archive, newest (last given) first, the way
    paste sites list recent pastes. ``site.pastes`` keeps every paste added so far.
    """
    site.pastes.update(pastes)
    for paste_id, text in pastes.items():
        title = (titles or {}).get(paste_id, f"Paste {paste_id}")
        site.put(f"/p/{paste_id}", paste_page(title, text))
        site.put(f"/raw/{paste_id}", text, "text/plain; charset=utf-8")
    ids = list(reversed(site.pastes))
    pages = [ids[start : start + per_page] for start in range(0, len(ids), per_page)] or [[]]
    for number, page_ids in enumerate(pages, 1):
        ahead = range(number + 1, min(number + pager, len(pages)) + 1)
        next_link = " ".join(
            f'<a href="/archive?page={later}">{"next" if later == number + 1 else later}</a>'
            for later in ahead
        )
        links = "\n".join(
            f'<li><a href="/p/{paste_id}">{html.escape(paste_id)}</a></li>' for paste_id in page_ids
        )
        body = f"<html><head><title>Archive page {number}</title></head><body><ul>{links}</ul>{next_link}</body></html>"
        site.put("/archive" if number == 1 else f"/archive?page={number}", body)


def paste_page(title: str, text: str) -> str:
    return (
        f"<html><head><title>{html.escape(title)}</title></head><body>"
        f"<nav><a href='/archive'>archive</a></nav><h1>{html.escape(title)}</h1>"
        f"<textarea readonly>{html.escape(text)}</textarea></body></html>"
    )


def add_mirror(site: LocalSite, files: Mapping[str, bytes | str], root: str = "/mirror/") -> None:
    """A mirror under ``root``: files at their paths, an 'Index of' listing for every directory."""
    for path, body in files.items():
        site.put(root + path.lstrip("/"), body)
    directories: dict[str, set[str]] = {root: set()}
    for path in files:
        parts = path.strip("/").split("/")
        for depth in range(len(parts)):
            parent = root + "".join(part + "/" for part in parts[:depth])
            child = parts[depth] + ("/" if depth < len(parts) - 1 else "")
            directories.setdefault(parent, set()).add(child)
    for directory, children in directories.items():
        site.put(directory, directory_listing(directory, sorted(children)))


def directory_listing(directory: str, children: list[str]) -> str:
    """An Apache-style 'Index of' page, sort links included (the mirror spider must skip them)."""
    rows = "\n".join(f'<a href="{html.escape(name)}">{html.escape(name)}</a>' for name in children)
    return (
        f"<html><head><title>Index of {html.escape(directory)}</title></head><body>"
        f"<h1>Index of {html.escape(directory)}</h1>"
        f'<pre><a href="?C=N;O=D">Name</a> <a href="?C=M;O=A">Last modified</a>\n'
        f'<a href="../">Parent Directory</a>\n{rows}</pre></body></html>'
    )
