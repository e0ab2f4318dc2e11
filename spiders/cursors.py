"""Incremental cursors of sources that page an API by time or id (wayback, commoncrawl, telegram).

Each query of a source (a URL, a URL prefix, a channel) has named cursors in the crawl state
(``CrawlState.cursor``): the newest capture timestamp or message id taken, the crawls already
read, the digests of captures taken. A spider notes new values while it crawls and they are
written when the crawl closes, and only for queries whose every request succeeded (or was
answered 404/410/451: asking again would not bring it back): after a failure the next sweep looks at
the same captures or messages again (those already taken are skipped as seen URLs). An error
the spider cannot tie to a query (a store that cannot be written) keeps every cursor where it
was.
"""

from __future__ import annotations

from typing import Any

import scrapy
from scrapy import signals
from scrapy.spidermiddlewares.httperror import HttpError

from .base import SourceSpider
from .middlewares import AlreadySeen, record_error
from .state import CrawlState
from .urls import GONE_STATUSES

# Request meta key: the query (a cursor name) a request was made for.
META_QUERY = "leaktrack_query"


def asking_again_is_futile(error: BaseException) -> bool:
    """A request skipped on purpose (taken before), or answered 404/410/451 (a file a message links
    to was removed or withheld): the next sweep would get no more, so its query's cursor may move on."""
    if isinstance(error, AlreadySeen):
        return True
    return isinstance(error, HttpError) and error.response.status in GONE_STATUSES


class CursorSpider(SourceSpider):
    """A source spider whose queries keep cursors in the crawl state."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.pending: dict[str, dict[str, str]] = {}  # query -> cursor name -> value to write
        self.incomplete: set[str] = set()  # queries with a failed request
        self.errors_explained = 0  # errors counted by this spider (failed requests, malformed answers)
        self._state: CrawlState | None = None

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.save_cursors, signal=signals.spider_closed)
        return spider

    @property
    def incremental(self) -> bool:
        return self.settings.getbool("LEAKTRACK_INCREMENTAL")

    def query_request(self, url: str, callback, query: str, **kwargs: Any) -> scrapy.Request:
        return self.request(url, callback, **{META_QUERY: query}, **kwargs)

    def cursor(self, name: str) -> str | None:
        """The cursor's value as the last complete sweep left it (None when not incremental)."""
        if not self.incremental:
            return None
        return self.state.cursor(name)

    @property
    def state(self) -> CrawlState:
        if self._state is None:
            self._state = CrawlState(self.settings.get("LEAKTRACK_STATE"))
        return self._state

    def note_cursor(self, query: str, name: str, value: str) -> None:
        """Write ``name = value`` when the crawl closes, if every request of ``query`` succeeded."""
        self.pending.setdefault(query, {})[name] = value

    def noted(self, query: str, name: str) -> str | None:
        return self.pending.get(query, {}).get(name)

    def request_failed(self, failure) -> None:
        errors_before = self.crawler.stats.get_value("leaktrack/errors") or 0
        super().request_failed(failure)
        self.errors_explained += (self.crawler.stats.get_value("leaktrack/errors") or 0) - errors_before
        query = failure.request.meta.get(META_QUERY)
        if query and not asking_again_is_futile(failure.value):
            self.incomplete.add(query)

    def malformed(self, message: str, query: str | None = None, kind: str = "malformed") -> None:
        """An answer (or a row of one) not shaped as the API documents: an error of kind
        ``malformed`` (or ``kind``: an API's refusal given as a 200 answer). A malformed row is
        skipped and does not hold its query's cursor back (the next sweep would read it malformed
        again); an unreadable page does (``query``)."""
        self.report_error(message, kind=kind, query=query)

    def report_error(self, message: str, kind: str, query: str | None = None) -> None:
        """Count an error of ``kind`` the spider found itself; ``query``: its cursors stay."""
        record_error(
            self.crawler.stats,
            message,
            self.settings.getint("LEAKTRACK_MAX_ERROR_MESSAGES"),
            kind=kind,
        )
        self.errors_explained += 1
        if query:
            self.incomplete.add(query)

    def save_cursors(self, spider=None) -> None:
        try:
            if self.incremental and self.pending:
                self.write_cursors()
        finally:
            if self._state is not None:
                self._state.close()

    def write_cursors(self) -> None:
        stats = self.crawler.stats
        if (stats.get_value("leaktrack/errors") or 0) > self.errors_explained or stats.get_value(
            "spider_exceptions/count"
        ):
            return  # a store failure or a bug: documents may not be stored; look again next time
        for query, cursors in self.pending.items():
            if query not in self.incomplete:
                for name, value in cursors.items():
                    self.state.set_cursor(name, value)
