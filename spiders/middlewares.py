"""Downloader middlewares: the private-address guard, incremental fetching, retry backoff,
and the tally of what each request came to (pages fetched, errors with their reasons).

Methods take an optional ``spider``: Scrapy before 2.14 passes it, later versions do not.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import DNSLookupError
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

from .guard import CONNECTION_REFUSALS, GuardedResolver, addresses_refusal, is_ip_literal, system_lookup
from .health import ERROR_KIND_STAT, error_kind
from .meta import META_DOCUMENT_URL, META_INCREMENTAL
from .state import CrawlState

logger = logging.getLogger(__name__)

try:  # Scrapy 2.14+ wraps a failed lookup in its own exception
    from scrapy.exceptions import CannotResolveHostError

    DNS_FAILURES: tuple[type[BaseException], ...] = (DNSLookupError, CannotResolveHostError)
except ImportError:
    DNS_FAILURES = (DNSLookupError,)


class AddressRefused(IgnoreRequest):
    """A request to a private, loopback, link-local or reserved address, refused by policy."""


class AlreadySeen(IgnoreRequest):
    """A paste an earlier sweep already downloaded: not fetched again."""


def record_error(stats, message: str, limit: int, kind: str = "other") -> None:
    """Count an error (and its kind, see ``health.error_kind``) and keep its message (up to
    ``limit`` messages) in the crawl's stats."""
    stats.inc_value("leaktrack/errors")
    stats.inc_value(ERROR_KIND_STAT + kind)
    messages = stats.get_value("leaktrack/error_messages") or []
    if len(messages) < limit:
        stats.set_value("leaktrack/error_messages", messages + [message])
    logger.warning(message)


def address_refusal(host: str) -> str | None:
    """Why ``host`` must not be crawled (it is or resolves to a non-public address), or None.

    Every address the name resolves to (system resolver) is checked, so a name with one public
    and one private address is refused. A name that does not resolve is left to the
    downloader's DNS error.
    """
    return addresses_refusal(host, [host.strip("[]")] if is_ip_literal(host) else system_lookup(host))


class PrivateAddressGuard:
    """Refuses requests to non-public addresses unless LEAKTRACK_ALLOW_PRIVATE_NETWORKS.

    Applies to every request including redirects and robots.txt, before any is sent, and counts
    the refusals. The name is resolved the way the connection will resolve it (the process's
    ``GuardedResolver``) and the verdict cached per host for the crawl. A name that changes its
    answer in between (DNS rebinding) is caught at the connection, by ``GuardedResolver``.
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
            self.refusals[host] = await self.refusal(host)
        reason = self.refusals[host]
        if reason:
            self.stats.inc_value("leaktrack/refused_private")
            raise AddressRefused(
                f"refused {request.url}: {reason} (set allow_private_networks = true to allow)"
            )
        return None

    async def refusal(self, host: str) -> str | None:
        resolver = GuardedResolver.installed
        if resolver is None:  # a crawler without our resolver (a component test): the system's
            return await maybe_deferred_to_future(deferToThread(address_refusal, host))
        return addresses_refusal(host, await maybe_deferred_to_future(resolver.addresses(host)))


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
    """Waits before a retried request: BASE * 2**(n-1) seconds for the n-th retry, capped, or
    longer when the answer said so (``Retry-After`` on a 429 or 503, in seconds or as an HTTP
    date), up to LEAKTRACK_RETRY_AFTER_MAX.

    Scrapy's RetryMiddleware retries at once; a struggling server deserves a pause, and an API
    that rate-limits (the Wayback Machine, Common Crawl's index) bans clients that ignore it.
    The wait does not hold a download slot, so other requests proceed meanwhile. Placed after
    RetryMiddleware in process_response order, it notes Retry-After on the request before
    RetryMiddleware copies it into the retry.
    """

    def __init__(self, crawler):
        self.base = crawler.settings.getfloat("LEAKTRACK_RETRY_BACKOFF_BASE")
        self.cap = crawler.settings.getfloat("LEAKTRACK_RETRY_BACKOFF_MAX")
        self.retry_after_cap = crawler.settings.getfloat("LEAKTRACK_RETRY_AFTER_MAX")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request, spider=None) -> None:
        retries = request.meta.get("retry_times", 0)
        if not retries:
            return None
        delay = min(self.base * 2 ** (retries - 1), self.cap) if self.base > 0 else 0.0
        delay = max(delay, min(request.meta.get(META_RETRY_AFTER, 0.0), self.retry_after_cap))
        if delay > 0:
            from twisted.internet import reactor  # the installed one; importing early would pick a default

            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
        return None

    def process_response(self, request: Request, response: Response, spider=None) -> Response:
        if response.status in (429, 503):
            seconds = retry_after_seconds(response.headers.get(b"Retry-After"))
            if seconds is not None:
                request.meta[META_RETRY_AFTER] = seconds
        return response


META_RETRY_AFTER = "leaktrack_retry_after"  # seconds the last answer asked us to wait


def retry_after_seconds(value: bytes | None) -> float | None:
    """A Retry-After header (RFC 9110: delay-seconds or an HTTP date) as seconds from now."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class OutcomeTally:
    """Counts fetched pages per crawl, and explains every request that came to nothing.

    Final failures (after retries and redirects: HTTP errors, timeouts, refusals, too many
    redirects) reach the request's errback, which every leaktrack spider points at
    ``record_failure`` (a chain longer than REDIRECT_MAX_TIMES is "too long", not a loop); a
    redirect loop that the duplicate filter cuts short reaches no errback, so it is caught here
    from the request_dropped signal, and told apart from a redirect to a URL the crawl fetched
    already (not an error: the document was scanned there).
    """

    def __init__(self, crawler):
        self.stats = crawler.stats
        self.limit = crawler.settings.getint("LEAKTRACK_MAX_ERROR_MESSAGES")

    @classmethod
    def from_crawler(cls, crawler):
        tally = cls(crawler)
        crawler.signals.connect(tally.request_dropped, signal=signals.request_dropped)
        return tally

    def request_dropped(self, request: Request, spider=None) -> None:
        redirects = request.meta.get("redirect_urls")
        if not redirects:
            return
        if request.url in redirects:  # the chain came back to one of its own URLs
            chain = " -> ".join([*redirects, request.url])
            record_error(self.stats, f"redirect loop: {chain}", self.limit, kind="redirect")
        else:  # it ends at a URL this crawl fetched already: scanned there, nothing is missed
            logger.debug("redirect from %s to %s, already fetched in this crawl", redirects[0], request.url)

    def process_request(self, request: Request, spider=None) -> None:
        if request.callback is not NO_CALLBACK:  # every attempt of the source's own requests, retries too
            self.stats.inc_value("leaktrack/requests")
        return None

    def process_response(self, request: Request, response: Response, spider=None) -> Response:
        if request.callback is not NO_CALLBACK:  # not robots.txt or another internal request
            self.stats.inc_value("leaktrack/pages")
        return response


# Signal sent by ``record_failure`` once a request's failure is recorded: nothing more comes of
# that request (a distributed sweep's scheduler lets go of its claim, redis_queue.py).
request_failed = object()


def record_failure(crawler, failure: Failure) -> None:
    """The errback of every leaktrack request: count the failure, keep its reason, and say
    that the request is finished (``request_failed``)."""
    # Scrapy sets .request on the failures it passes to errbacks; twisted's Failure does not declare it.
    request: Request = failure.request  # type: ignore[attr-defined]
    reason = failure_reason(failure.value, request)
    refused_at_connection = connection_refusal(failure.value, request)
    if refused_at_connection:
        crawler.stats.inc_value("leaktrack/refused_private")
        reason = refused_at_connection
    if reason:
        limit = crawler.settings.getint("LEAKTRACK_MAX_ERROR_MESSAGES")
        record_error(crawler.stats, reason, limit, kind=failure_kind(failure.value, refused_at_connection))
    crawler.signals.send_catch_log(signal=request_failed, request=request)


def failure_kind(error: BaseException, refused_at_connection: str | None) -> str:
    if refused_at_connection or isinstance(error, AddressRefused):
        return "refused"
    if isinstance(error, HttpError):
        return error_kind(status=error.response.status)
    if isinstance(error, IgnoreRequest) and "max redirections" in str(error):
        return "redirect"
    return error_kind(exception=error)


def connection_refusal(error: BaseException, request: Request) -> str | None:
    """The guard's reason when the resolver refused the connection (see guard.py), else None."""
    if not isinstance(error, DNS_FAILURES):
        return None
    reason = CONNECTION_REFUSALS.get(urlparse_cached(request).hostname or "")
    if reason is None:
        return None
    return f"refused {request.url} at the connection: {reason} (set allow_private_networks = true to allow)"


def failure_reason(error: BaseException, request: Request) -> str | None:
    if isinstance(error, AlreadySeen):
        return None  # skipped on purpose, counted as skipped_seen
    if isinstance(error, HttpError):
        return f"HTTP {error.response.status} from {request.url}"
    redirects = request.meta.get("redirect_urls")
    if isinstance(error, IgnoreRequest) and redirects and "max redirections" in str(error):
        return f"redirect chain too long ({len(redirects)} redirects, no loop): {' -> '.join([*redirects, request.url])}"
    if isinstance(error, IgnoreRequest):
        reason = str(error) or "ignored"
        return reason if request.url in reason else f"{reason}: {request.url}"
    return f"{type(error).__name__} fetching {request.url}: {error}".strip()
