"""Paste sites: listing (archive) pages that link to pastes, with optional pagination.

Each paste is taken from its raw endpoint when the source has ``raw_url``, else from the
paste page itself (textarea, pre, code, then main text). Pastes seen by earlier sweeps are
skipped without a request (the IncrementalFetch middleware).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor

from .base import SourceSpider, page_title
from .items import FetchedDocument


class PasteSpider(SourceSpider):
    name = "paste"
    kind = "paste"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # deny_extensions=[]: a paste id may look like a file name ending.
        self.item_links = LinkExtractor(allow=self.source.item_links or (), deny_extensions=[])
        self.next_pages = LinkExtractor(allow=self.source.next_page) if self.source.next_page else None

    async def start(self):
        for url in self.source.start_urls:
            yield self.request(url, self.parse_listing)

    def parse_listing(self, response: TextResponse) -> Iterator[scrapy.Request]:  # an HTML listing
        links = self.item_links.extract_links(response)
        if not links:  # the site changed its markup, or answers an error page with 200 (health.py)
            self.crawler.stats.inc_value("leaktrack/empty_listings")
        for link in links:
            yield self.paste_request(link.url)
        if self.next_pages:
            for link in self.next_pages.extract_links(response):
                yield self.request(link.url, self.parse_listing)

    def paste_request(self, paste_url: str) -> scrapy.Request:
        if self.source.raw_url:
            raw = self.source.raw_url.format(id=paste_id(paste_url))
            return self.request(raw, self.parse_raw, incremental="skip_seen", document_url=paste_url)
        return self.request(paste_url, self.parse_paste_page, incremental="skip_seen")

    def parse_raw(self, response: Response):
        yield self.document(response)

    def parse_paste_page(self, response: Response):
        yield paste_page_document(self, response)


def paste_page_document(spider: SourceSpider, response: Response) -> FetchedDocument:
    """A paste page's document: its text area when it has one (else the whole page)."""
    text = paste_text(response)
    if text is None:
        return spider.document(response, title=page_title(response), extraction="paste_page")
    return spider.document(
        response,
        body=text.encode("utf-8"),
        content_type="text/plain; charset=utf-8",
        title=page_title(response),
        extraction="paste_page",
    )


def paste_id(paste_url: str) -> str:
    """The last path segment of a paste link: ``https://p.example/p/Ab12`` -> ``Ab12``."""
    return urlparse(paste_url).path.rstrip("/").rsplit("/", 1)[-1]


def paste_text(response: Response) -> str | None:
    """The paste's text from its page, or None to let the scanner read the whole HTML."""
    if not hasattr(response, "css"):
        return None
    for selector in ("textarea::text", "pre::text", "code::text"):
        parts = response.css(selector).getall()
        if any(part.strip() for part in parts):
            return "\n".join(parts)
    main = response.css("main ::text").getall()
    if any(part.strip() for part in main):
        return "\n".join(part.strip() for part in main if part.strip())
    return None
