"""A stand-in for Common Crawl on 127.0.0.1: the index server and the WARC files it points to.

Shaped as index.commoncrawl.org answers (pywb's CDX server API, see
github.com/webrecorder/pywb/wiki/CDX-Server-API and commoncrawl.org/cdxj-index):
``/collinfo.json`` lists the crawls newest first; ``/<crawl>-index`` takes ``url``, ``matchType``
(exact/prefix), ``filter`` (``[!][=|~]field:value``), ``from``/``to``, ``output=json`` (one JSON
object a line, fields as strings: urlkey, timestamp, url, mime, mime-detected, status, digest,
length, offset, filename), ``showNumPages=true`` (``{"pages", "pageSize", "blocks"}``) and
``page``; nothing matched is a 404 with ``{"error": "No Captures found for: <url>"}``.
``/crawl-data/...`` serves WARC files made with warcio, one gzip member per record, and
answers a ``Range: bytes=a-b`` request with 206 Partial Content, as data.commoncrawl.org does.
``malformed_lines`` are appended raw to the index's answers for the url they name.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from dataclasses import dataclass, field

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .scripted import Reply, ScriptedServer, SeenRequest
from .wayback import in_time_range, matches_url, urlkey


@dataclass
class CrawledRecord:
    crawl: str
    url: str
    timestamp: str
    body: bytes
    mime: str
    filename: str = ""
    offset: int = 0
    length: int = 0
    status: str = "200"

    @property
    def digest(self) -> str:
        return base64.b32encode(hashlib.sha1(self.body).digest()).decode()

    def line(self) -> dict[str, str]:
        return {
            "urlkey": urlkey(self.url),
            "timestamp": self.timestamp,
            "url": self.url,
            "mime": self.mime,
            "mime-detected": self.mime,
            "status": self.status,
            "digest": self.digest,
            "length": str(self.length),
            "offset": str(self.offset),
            "filename": self.filename,
        }


@dataclass
class CommonCrawl:
    crawls: list[str] = field(default_factory=lambda: ["CC-MAIN-2026-47"])
    records: list[CrawledRecord] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # path -> WARC bytes
    malformed_lines: dict[str, list[str]] = field(default_factory=dict)  # query url -> raw lines
    lines_per_page: int = 5

    def add(
        self,
        crawl: str,
        url: str,
        timestamp: str,
        body: bytes | str,
        mime: str = "text/csv",
        file: str = "00000",
    ) -> CrawledRecord:
        """A capture of ``url`` appended as one gzip member to the crawl's WARC file ``file``."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        filename = f"crawl-data/{crawl}/segments/1700000000000.00/warc/{crawl}-{timestamp}-{file}.warc.gz"
        record = CrawledRecord(crawl, url, timestamp, data, mime, filename)
        record.offset = len(self.files.get(filename, b""))
        member = warc_response_member(url, data, mime)
        record.length = len(member)
        self.files[filename] = self.files.get(filename, b"") + member
        self.records.append(record)
        return record

    def route(self, request: SeenRequest) -> Reply:
        if request.path == "/collinfo.json":
            return Reply.json([crawl_info(crawl) for crawl in sorted(self.crawls, reverse=True)])
        found = re.match(r"^/(CC-MAIN-\d{4}-\d{2})-index$", request.path)
        if found:
            return self.index(found[1], request)
        if request.path.lstrip("/") in self.files:
            return ranged(self.files[request.path.lstrip("/")], request.headers.get("Range"))
        return Reply.text("<Error><Code>NoSuchKey</Code></Error>", 404, "application/xml")

    def index(self, crawl: str, request: SeenRequest) -> Reply:
        url = request.param("url") or ""
        if crawl not in self.crawls:
            return Reply.json({"error": f"collection {crawl} not found"}, 404)
        lines = [
            json.dumps(record.line())
            for record in sorted(self.records, key=lambda r: (urlkey(r.url), r.timestamp))
            if record.crawl == crawl
            and matches_url(record.url, url, request.param("matchType", "exact"))
            and in_time_range(record.timestamp, request.param("from"), request.param("to"))
            and all(passes(record.line(), spec) for spec in request.query.get("filter", []))
        ] + self.malformed_lines.get(url, [])
        pages = max(1, -(-len(lines) // self.lines_per_page))
        if request.param("showNumPages") == "true":
            return Reply.json(
                {"pages": pages if lines else 0, "pageSize": self.lines_per_page, "blocks": len(lines)}
            )
        page = int(request.param("page") or 0)
        chunk = lines[page * self.lines_per_page : (page + 1) * self.lines_per_page]
        if not chunk:
            return Reply.json({"error": f"No Captures found for: {url}"}, 404)
        return Reply.text("\n".join(chunk) + "\n", content_type="text/x-ndjson")


def crawl_info(crawl: str) -> dict[str, str]:
    return {
        "id": crawl,
        "name": f"{crawl} Index",
        "timegate": f"https://index.commoncrawl.org/{crawl}/",
        "cdx-api": f"https://index.commoncrawl.org/{crawl}-index",
    }


def passes(line: dict, spec: str) -> bool:
    """pywb filters: ``field:regex`` (search), ``=field:value`` (exact), ``~field:value`` (contains)."""
    negate = spec.startswith("!")
    spec = spec.lstrip("!")
    mode = spec[0] if spec[:1] in ("=", "~") else ""
    name, _, value = spec.lstrip("=~").partition(":")
    field_value = line.get(name, "")
    if mode == "=":
        matched = field_value == value
    elif mode == "~":
        matched = value in field_value
    else:
        matched = re.search(value, field_value) is not None
    return matched != negate


def ranged(data: bytes, header: str | None) -> Reply:
    found = re.fullmatch(r"bytes=(\d+)-(\d+)", header or "")
    if not found:
        return Reply(200, data, {"Content-Type": "application/octet-stream"})
    first, last = int(found[1]), min(int(found[2]), len(data) - 1)
    if first >= len(data):
        return Reply(416, b"", {"Content-Range": f"bytes */{len(data)}"})
    return Reply(
        206,
        data[first : last + 1],
        {"Content-Type": "application/octet-stream", "Content-Range": f"bytes {first}-{last}/{len(data)}"},
    )


def warc_response_member(url: str, body: bytes, mime: str) -> bytes:
    """One gzipped WARC response record, as Common Crawl stores each capture."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    headers = StatusAndHeaders(
        "200 OK", [("Content-Type", mime), ("Content-Length", str(len(body)))], protocol="HTTP/1.1"
    )
    writer.write_record(
        writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
    )
    return buffer.getvalue()


def commoncrawl_server(archive: CommonCrawl) -> ScriptedServer:
    return ScriptedServer(archive.route)
