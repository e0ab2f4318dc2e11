"""Mirrors: HTML pages and 'Index of /' listings, followed to ``max_depth``; data files downloaded.

Data files are links ending in ``LEAKTRACK_DOCUMENT_EXTENSIONS`` (tables, archives, PDF,
office documents, mail, screenshots); any other link is fetched as a page, and becomes a
document when its Content-Type is not HTML or its magic bytes say it is one.

Only links on the start URL's host and under its path are followed. HTML pages are scanned
too (a mirror may show the leak as a table); directory listings are not. Data files are
fetched with conditional requests, so an unchanged file costs a 304 on later sweeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor

from ..fingerprints.formats import document_kind
from .base import SourceSpider, is_html, page_title

# Apache/nginx listing sort links (?C=N;O=D) would revisit every directory four more times.
LISTING_SORT_LINKS = r"\?C=[NMSD];O=[AD]$"


class MirrorSpider(SourceSpider):
    name = "mirror"
    kind = "mirror"
    document_extensions: tuple[str, ...] = ()  # LEAKTRACK_DOCUMENT_EXTENSIONS, set by from_crawler

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.links = LinkExtractor(deny=LISTING_SORT_LINKS, deny_extensions=[], unique=True)

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_depth = spider.source.max_depth or crawler.settings.getint("LEAKTRACK_DEFAULT_MAX_DEPTH")
        spider.document_extensions = tuple(crawler.settings.getlist("LEAKTRACK_DOCUMENT_EXTENSIONS"))
        return spider

    async def start(self):
        for url in self.source.start_urls:
            yield self.request(url, self.parse_page, depth_left=self.max_depth)

    def parse_page(self, response: Response) -> Iterator[Any]:
        # The body's magic bytes overrule the Content-Type: a PDF or zip served as text/html
        # (a misconfigured or evasive mirror) is a document, not a page of links.
        if not is_html(response) or not isinstance(response, TextResponse) or document_kind(response.body):
            yield self.document(response)
            return
        if not is_directory_listing(response):
            yield self.document(response, title=page_title(response))
        depth_left = response.meta.get("depth_left", 0)
        if depth_left <= 0:
            return
        for link in self.links.extract_links(response):
            if self.in_scope(link.url):
                yield self.follow(link.url, depth_left - 1)

    def follow(self, url: str, depth_left: int) -> scrapy.Request:
        if urlparse(url).path.lower().endswith(self.document_extensions):
            return self.request(url, self.parse_file, incremental="conditional", handle_httpstatus_list=[304])
        return self.request(url, self.parse_page, depth_left=depth_left)

    def parse_file(self, response: Response):
        yield self.document(response)

    def in_scope(self, url: str) -> bool:
        target = urlparse(url)
        return any(
            target.hostname == start.hostname and target.path.startswith(start.path.rsplit("/", 1)[0] + "/")
            for start in map(urlparse, self.source.start_urls)
        )


def is_directory_listing(response: Response) -> bool:
    title = page_title(response) or ""
    return title.startswith("Index of ") or title.startswith("Directory listing for ")
