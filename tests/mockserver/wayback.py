"""A stand-in for the Wayback Machine on 127.0.0.1: the CDX server API and ``id_`` captures.

Shaped as the wayback-cdx-server documentation describes it (github.com/internetarchive/
wayback, wayback-cdx-server/README.md): ``/cdx/search/cdx`` with ``url``, ``matchType``
(exact/prefix), ``from``/``to`` (timestamp prefixes), ``filter=[!]field:regex``,
``collapse=digest`` (adjacent rows only), ``fl``, ``limit`` and ``showResumeKey``/``resumeKey``;
``output=json`` is an array of rows under a header row, ``[]`` when nothing matched, and ends
with ``[]`` and ``[resume key]`` when rows remain. ``/web/<timestamp>id_/<original>`` serves
a capture's original bytes with its original Content-Type, 404 for an unknown capture.
``malformed_rows`` are added raw to every answer for the url they name (garbage the client
must survive).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .scripted import Reply, ScriptedServer, SeenRequest

FIELDS = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


@dataclass
class ArchivedCapture:
    timestamp: str
    original: str
    body: bytes
    mimetype: str = "text/csv"
    statuscode: str = "200"

    @property
    def digest(self) -> str:  # the Archive's digest: base32 of the payload's SHA-1
        return base64.b32encode(hashlib.sha1(self.body).digest()).decode()

    def row(self) -> dict[str, str]:
        return {
            "urlkey": urlkey(self.original),
            "timestamp": self.timestamp,
            "original": self.original,
            "mimetype": self.mimetype,
            "statuscode": self.statuscode,
            "digest": self.digest,
            "length": str(len(self.body)),
        }


def urlkey(url: str) -> str:
    """SURT form, as the CDX sorts by: ``https://www.a.example/x`` -> ``example,a)/x``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return (
        ",".join(reversed(host.split(".")))
        + ")"
        + (parts.path or "/")
        + (f"?{parts.query}" if parts.query else "")
    )


@dataclass
class WaybackArchive:
    captures: list[ArchivedCapture] = field(default_factory=list)
    malformed_rows: dict[str, list[list]] = field(default_factory=dict)  # query url -> raw rows

    def add(self, timestamp: str, original: str, body: bytes | str, **options) -> ArchivedCapture:
        data = body.encode("utf-8") if isinstance(body, str) else body
        capture = ArchivedCapture(timestamp, original, data, **options)
        self.captures.append(capture)
        return capture

    def route(self, request: SeenRequest) -> Reply:
        if request.path == "/cdx/search/cdx":
            return self.cdx(request)
        found = re.match(r"^/web/(\d{14})id_/(.+)$", request.path)
        if found:
            for capture in self.captures:
                if capture.timestamp == found[1] and capture.original == found[2]:
                    return Reply(200, capture.body, {"Content-Type": capture.mimetype})
        return Reply.text(
            "<html><body>Wayback Machine doesn't have that page archived.</body></html>", 404, "text/html"
        )

    def cdx(self, request: SeenRequest) -> Reply:
        url = request.param("url")
        if not url:
            return Reply.text("Request must contain url param", 400)
        rows = [
            capture.row()
            for capture in sorted(self.captures, key=lambda c: (urlkey(c.original), c.timestamp))
        ]
        rows = [row for row in rows if matches_url(row["original"], url, request.param("matchType", "exact"))]
        rows = [
            row for row in rows if in_time_range(row["timestamp"], request.param("from"), request.param("to"))
        ]
        for spec in request.query.get("filter", []):
            rows = [row for row in rows if passes_filter(row, spec)]
        if request.param("collapse") == "digest":
            rows = [
                row
                for index, row in enumerate(rows)
                if index == 0 or rows[index - 1]["digest"] != row["digest"]
            ]
        fields = (request.param("fl") or ",".join(FIELDS)).split(",")
        table = [[row[name] for name in fields] for row in rows] + self.malformed_rows.get(url, [])
        start = int(request.param("resumeKey") or 0)
        limit = int(request.param("limit") or 0) or len(table)
        page = table[start : start + limit]
        if not page:
            return Reply.json([])
        body = [fields, *page]
        if request.param("showResumeKey") == "true" and start + limit < len(table):
            body += [[], [str(start + limit)]]
        return Reply.json(body)


def matches_url(original: str, url: str, match_type: str) -> bool:
    if match_type == "prefix":
        return urlkey(original).startswith(urlkey(url).rstrip("/") if url.endswith("*") else urlkey(url))
    return urlkey(original) == urlkey(url)


def in_time_range(timestamp: str, start: str | None, end: str | None) -> bool:
    """``from``/``to`` are timestamp prefixes: from=2026 means 20260101000000 and after."""
    return (not start or timestamp >= start.ljust(14, "0")) and (not end or timestamp <= end.ljust(14, "9"))


def passes_filter(row: dict, spec: str) -> bool:
    negate = spec.startswith("!")
    name, _, pattern = spec.lstrip("!").partition(":")
    matched = re.fullmatch(pattern, row.get(name, "")) is not None
    return matched != negate


def wayback_server(archive: WaybackArchive) -> ScriptedServer:
    return ScriptedServer(archive.route)
