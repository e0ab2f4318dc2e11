"""Downloader middlewares: the private-address guard, incremental fetching, retry backoff,
and the tally of what each request came to (pages fetched, errors with their reasons).

Methods take an optional ``spider``: Scrapy before 2.14 passes it, later versions do not.
"""

from __future__ import annotations

import ipaddress
import logging
import socket

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.http.request import NO_CALLBACK
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThread

from leaktrack.spiders.base import META_DOCUMENT_URL, META_INCREMENTAL
from leaktrack.spiders.state import CrawlState

logger = logging.getLogger(__name__)


class AddressRefused(IgnoreRequest):
    """A request to a private, loopback, link-local or reserved address, refused by policy."""


class AlreadySeen(IgnoreRequest):
    """A paste an earlier sweep already downloaded: not fetched again."""


def record_error(stats, message: str, limit: int) -> None:
    """Count an error and keep its message (up to ``limit`` messages) in the crawl's stats."""
    stats.inc_value("leaktrack/errors")
    messages = stats.get_value("leaktrack/error_messages") or []
    if len(messages) < limit:
        stats.set_value("leaktrack/error_messages", messages + [message])
    logger.warning(message)


def address_refusal(host: str) -> str | None:
    """Why ``host`` must not be crawled (it is or resolves to a non-public address), or None.

    Every address the name resolves to is checked, so a name with one public and one private
    address is refused. A name that does not resolve is left to the downloader's DNS error.
    """
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global:
            return f"{host} resolves to non-public address {address}"
    return None


class PrivateAddressGuard:
    """Refuses requests to non-public addresses unless LEAKTRACK_ALLOW_PRIVATE_NETWORKS.

    Applies to every request including redirects and robots.txt. Resolution happens in a
    thread (getaddrinfo blocks) and is cached per host for the crawl. Known limit: the
    downloader resolves the name again, so a DNS answer that changes in between (rebinding)
    is not caught.
    """

    def __init__(self, crawler):
        self.allow = crawler.settings.getbool("LEAKTRACK_ALLOW_PRIVATE_NETWORKS")
        self.stats = crawler.stats
        self.refusals: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request, spider=None) -> None:
        if self.allow:
            return None
        host = urlparse_cached(request).hostname or ""
        if host not in self.refusals:
            self.refusals[host] = await maybe_deferred_to_future(deferToThread(address_refusal, host))
        reason = self.refusals[host]
        if reason:
            self.stats.inc_value("leaktrack/refused_private")
            raise AddressRefused(f"refused {request.url}: {reason} (set allow_private_networks = true to allow)")
        return None


class IncrementalFetch:
    """Skips pastes seen by earlier sweeps; makes requests for known files conditional."""

    def __init__(self, crawler):
        self.enabled = crawler.settings.getbool("LEAKTRACK_INCREMENTAL")
        self.stats = crawler.stats
        self.state = CrawlState(crawler.settings.get("LEAKTRACK_STATE")) if self.enabled else None

    @classmethod
    def from_crawler(cls, crawler):
        middleware = cls(crawler)
        crawler.signals.connect(middleware.close_state, signal=signals.spider_closed)
        return middleware

    def process_request(self, request: Request, spider=None) -> None:
        mode = request.meta.get(META_INCREMENTAL)
        if not self.enabled or not mode:
            return None
        url = request.meta.get(META_DOCUMENT_URL, request.url)
        if mode == "skip_seen" and self.state.has_seen(url):
            self.stats.inc_value("leaktrack/skipped_seen")
            raise AlreadySeen(f"already seen: {url}")
        if mode == "conditional":
            seen = self.state.get(url)
            if seen and seen.etag:
                request.headers[b"If-None-Match"] = seen.etag
            if seen and seen.last_modified:
                request.headers[b"If-Modified-Since"] = seen.last_modified
        return None

    def close_state(self) -> None:
        if self.state:
            self.state.close()


class RetryBackoff:
    """Waits before a retried request: BASE * 2**(n-1) seconds for the n-th retry, capped.

    Scrapy's RetryMiddleware retries at once; a struggling server deserves a pause.
    The wait does not hold a download slot, so other requests proceed meanwhile.
    """

    def __init__(self, crawler):
        self.base = crawler.settings.getfloat("LEAKTRACK_RETRY_BACKOFF_BASE")
        self.cap = crawler.settings.getfloat("LEAKTRACK_RETRY_BACKOFF_MAX")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request, spider=None) -> None:
        retries = request.meta.get("retry_times", 0)
        if retries and self.base > 0:
            from twisted.internet import reactor  # the installed one; importing early would pick a default

            delay = min(self.base * 2 ** (retries - 1), self.cap)
            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
        return None


class OutcomeTally:
    """Counts fetched pages and final errors (after retries) per crawl, with reasons."""

    def __init__(self, crawler):
        self.stats = crawler.stats
        self.limit = crawler.settings.getint("LEAKTRACK_MAX_ERROR_MESSAGES")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider=None) -> Response:
        if request.callback is NO_CALLBACK:  # robots.txt and other internal requests
            return response
        self.stats.inc_value("leaktrack/pages")
        if response.status >= 400 and response.status not in request.meta.get("handle_httpstatus_list", ()):
            record_error(self.stats, f"HTTP {response.status} from {request.url}", self.limit)
        return response

    def process_exception(self, request: Request, exception: Exception, spider=None) -> None:
        if isinstance(exception, AlreadySeen) or request.callback is NO_CALLBACK:
            return None
        if isinstance(exception, IgnoreRequest):
            reason = str(exception) or "ignored"
            record_error(self.stats, reason if request.url in reason else f"{reason}: {request.url}", self.limit)
            return None
        record_error(self.stats, f"{type(exception).__name__} fetching {request.url}: {exception}".strip(), self.limit)
        return None
