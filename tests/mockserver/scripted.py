"""A small HTTP server on 127.0.0.1 for the API stand-ins: routes by path, answers scripted.

Each stand-in (``wayback.py``, ``commoncrawl.py``, ``telegram.py``) is a ``ScriptedServer``
with a ``route(request) -> Reply`` function shaped as the real API documents its answers.
``fail_next(prefix, *replies)`` queues replies (a 429 with Retry-After, a 503) served before
the route answers a path starting with ``prefix``: the rate-limit and outage cases. Every
request is kept (path, query, headers) so a test can tell what the crawl asked for, and
``wait_for`` lets a test wait on a request instead of sleeping. ``robots_txt`` is what the
host answers for ``/robots.txt`` (by default a 404: everything allowed).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, value, status: int = 200, headers: dict | None = None) -> Reply:
        return cls(
            status, json.dumps(value).encode(), {"Content-Type": "application/json", **(headers or {})}
        )

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8") -> Reply:
        return cls(status, text.encode("utf-8"), {"Content-Type": content_type})


@dataclass
class SeenRequest:
    path: str  # without the query
    query: dict[str, list[str]]
    headers: dict[str, str]

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


def too_many_requests(retry_after: int = 1) -> Reply:
    return Reply(429, b"Too Many Requests", {"Content-Type": "text/plain", "Retry-After": str(retry_after)})


def unavailable() -> Reply:
    return Reply(503, b"<html><body>Service Unavailable</body></html>", {"Content-Type": "text/html"})


class ScriptedServer:
    def __init__(self, route: Callable[[SeenRequest], Reply]):
        self.route = route
        self.requests: list[SeenRequest] = []
        self.failures: list[tuple[str, Reply]] = []
        # The host's /robots.txt (None: 404, everything allowed), e.g. "User-agent: *\nDisallow: /"
        self.robots_txt: str | None = None
        self.lock = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(self, prefix: str, *replies: Reply) -> None:
        """Answer the next requests for paths starting with ``prefix`` with ``replies``, in order."""
        with self.lock:
            self.failures.extend((prefix, reply) for reply in replies)

    def requests_for(self, prefix: str) -> list[SeenRequest]:
        with self.lock:
            return [request for request in self.requests if request.path.startswith(prefix)]

    def answer(self, request: SeenRequest) -> Reply:
        with self.lock:
            self.requests.append(request)
            self.lock.notify_all()
            for index, (prefix, reply) in enumerate(self.failures):
                if request.path.startswith(prefix):
                    del self.failures[index]
                    return reply
            robots_txt = self.robots_txt
        if request.path == "/robots.txt" and robots_txt is not None:
            return Reply.text(robots_txt)
        return self.route(request)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(server: ScriptedServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            request = SeenRequest(parts.path, parse_qs(parts.query), dict(self.headers.items()))
            reply = server.answer(request)
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args) -> None:
            pass

    return Handler
