"""Feeds (RSS 2.0 and Atom) of new posts: each entry's link is fetched like a paste.

The feed is read with Scrapy's selectors (no extra dependency). An incremental cursor per
feed URL in the crawl state holds the newest entry date taken: entries not newer are skipped
without a request (counted as ``skipped_seen``). The cursor moves only at the end of a crawl of
the source without errors, so an entry that failed is tried again; entries taken are also
skipped as seen URLs (``IncrementalFetch``). A feed with no entries counts as an empty listing
(source health, see health.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.http import Response
from scrapy.selector import Selector

from .paste import PasteSpider
from .state import CrawlState


@dataclass
class FeedEntry:
    link: str
    published: datetime | None


class FeedSpider(PasteSpider):
    """``start_urls`` are feeds; ``item_links`` (optional) filters entry links; ``raw_url``
    as for paste sites."""

    name = "feed"
    kind = "feed"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.newest: dict[str, datetime] = {}  # feed URL -> newest entry date seen this crawl

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.save_cursors, signal=signals.spider_closed)
        return spider

    async def start(self):
        for url in self.source.start_urls:
            yield self.request(url, self.parse_feed, feed_url=url)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        feed_url = response.meta["feed_url"]
        entries = feed_entries(response)
        if not entries:
            self.crawler.stats.inc_value("leaktrack/empty_listings")
        cursor = self.cursor(feed_url)
        for entry in entries:
            if self.source.item_links and not self.item_links.matches(entry.link):
                continue
            if entry.published and cursor and entry.published <= cursor:
                self.crawler.stats.inc_value("leaktrack/skipped_seen")
                continue
            if entry.published:
                self.newest[feed_url] = max(entry.published, self.newest.get(feed_url, entry.published))
            yield self.paste_request(entry.link)

    def cursor(self, feed_url: str) -> datetime | None:
        if not self.incremental:
            return None
        state = CrawlState(self.settings.get("LEAKTRACK_STATE"))
        try:
            value = state.cursor(cursor_name(self.source.name, feed_url))
        finally:
            state.close()
        return datetime.fromisoformat(value) if value else None

    def save_cursors(self, spider=None) -> None:
        if not self.incremental or not self.newest or self.crawler.stats.get_value("leaktrack/errors"):
            return  # after an error, the next sweep looks at the same entries again
        state = CrawlState(self.settings.get("LEAKTRACK_STATE"))
        try:
            for feed_url, newest in self.newest.items():
                state.set_cursor(cursor_name(self.source.name, feed_url), newest.isoformat())
        finally:
            state.close()

    @property
    def incremental(self) -> bool:
        return self.settings.getbool("LEAKTRACK_INCREMENTAL")


def cursor_name(source: str, feed_url: str) -> str:
    return f"feed:{source}:{feed_url}"


def feed_entries(response: Response) -> list[FeedEntry]:
    """The entries of an RSS 2.0 or Atom feed, with absolute links and UTC dates."""
    selector = Selector(text=response.text, type="xml")
    selector.remove_namespaces()
    entries = []
    for item in selector.xpath("//item"):  # RSS
        link = item.xpath("link/text()").get() or item.xpath("guid/text()").get()
        entries.append((link, item.xpath("pubDate/text()").get(), parse_rss_date))
    for entry in selector.xpath("//entry"):  # Atom
        link = entry.xpath("link[not(@rel) or @rel='alternate']/@href").get()
        date = entry.xpath("updated/text()").get() or entry.xpath("published/text()").get()
        entries.append((link, date, parse_atom_date))
    return [
        FeedEntry(response.urljoin(link.strip()), parse(date.strip()) if date else None)
        for link, date, parse in entries
        if link and link.strip()
    ]


def parse_rss_date(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def parse_atom_date(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
